"""The TensorRT path of `trtlint verify` (lint/verify/trt_build.py). These tests need a real `tensorrt` and an NVIDIA
GPU; everywhere else (this project's CI included) they are skipped with the reason printed. Nothing here fakes
TensorRT."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from trtlint.verify.backends import tensorrt_unavailable

_WHY = tensorrt_unavailable()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"TensorRT path not exercised here: {_WHY}")


def _onnx(tmp_path: Path, op: str = "Relu") -> Path:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((8, 5)).astype(np.float32), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="fc"), helper.make_node(op, ["h"], ["y"], name="act")]
    if op != "Relu":
        nodes[1].domain = "com.example"  # an op no importer knows
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 5])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    m.ir_version = 8
    p = tmp_path / f"{op}.onnx"
    onnx.save(m, str(p))
    return p


def test_build_fp32_engine_with_profile_and_timing_cache(tmp_path: Path) -> None:
    from trtlint.verify.trt_build import build_engine, deserialize, engine_signature

    cache = tmp_path / "timing.cache"
    res = build_engine(str(_onnx(tmp_path)), "fp32", profile={"x": ((1, 8), (4, 8), (16, 8))},
                       workspace=1 << 28, timing_cache=str(cache))
    assert res.engine is not None and not res.parser_errors, res.error
    assert cache.is_file() and cache.stat().st_size > 0
    engine = deserialize(res.engine)
    assert engine is not None
    sig = engine_signature(engine)
    assert [i["name"] for i in sig["inputs"]] == ["x"] and [o["name"] for o in sig["outputs"]] == ["y"]


def test_parser_error_names_the_node(tmp_path: Path) -> None:
    from trtlint.verify.trt_build import build_engine

    res = build_engine(str(_onnx(tmp_path, op="Mystery")), "fp32", profile={"x": ((1, 8), (4, 8), (16, 8))})
    assert res.engine is None and res.parser_errors
    assert any(e.node_name == "act" or e.node_op == "Mystery" or "Mystery" in e.desc for e in res.parser_errors)


def test_verify_cli_builds_runs_and_saves_a_checked_engine(tmp_path: Path) -> None:
    from .conftest import run_cli

    model = _onnx(tmp_path)
    eng = tmp_path / "m.engine"
    r = run_cli("verify", "--isolated", "--output-format", "json", str(model), "--min-shapes", "x:1x8",
                "--max-shapes", "x:16x8", "--precision", "fp32", "--save-engine", str(eng),
                "--report-file", str(tmp_path / "r.json"))
    assert r.code == 0, r.out + r.err
    parity = json.loads((tmp_path / "r.json").read_text())["parity"]
    assert any(p["candidate"] == "tensorrt-fp32" and p["passed"] for p in parity)
    manifest = json.loads((tmp_path / "m.engine.manifest.json").read_text())
    assert manifest["precision"] == "fp32" and manifest["onnx_sha256"]
    ok = run_cli("verify", "--isolated", "--output-format", "json", "--check-engine", str(eng), str(model))
    assert ok.code == 0 and json.loads(ok.out) == []
