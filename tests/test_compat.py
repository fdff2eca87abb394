"""compat_matrix.yaml: generated, current, sourced; targets; and the `trtlint compat` command."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from trtlint.compat import Target, TargetError, load_matrix

from .conftest import ROOT, run_cli


def test_committed_matrix_equals_generator_output() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_compat_matrix.py"), "--check"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, "compat_matrix.yaml is stale; run scripts/gen_compat_matrix.py\n" + r.stdout[:2000]


def test_packaged_matrix_is_the_top_level_file() -> None:
    from trtlint import compat

    assert compat.MATRIX_PATH.read_text() == (ROOT / "compat_matrix.yaml").read_text()


def test_every_entry_names_a_known_source() -> None:
    m = yaml.safe_load((ROOT / "compat_matrix.yaml").read_text())
    sources = set(m["sources"])
    for v, e in m["tensorrt"].items():
        assert e["source"] in sources, v
        for key in ("opset", "ir_version", "types", "int64"):
            assert e[key]["source"] in sources, (v, key)
        if e["interpolated"]:
            assert "operators" not in e and e["operators_from"] in m["tensorrt"] and "note" in e
        else:
            assert len(e["operators"]) > 150
    for v, e in m["torch"].items():
        assert e["source"] in sources, v
    for e in m["api"]:
        assert e["source"] in sources
    for e in m["jetpack"].values():
        assert e["source"] in sources


def test_versions_and_facts() -> None:
    m = load_matrix()
    assert {"8.0", "8.6", "9.3", "10.0", "10.1", "10.8", "10.16", "11.0", "11.1"} <= set(m["tensorrt"])
    assert m["tensorrt"]["8.6"]["opset"]["max"] == 17 and m["tensorrt"]["10.16"]["opset"]["max"] == 24
    assert m["tensorrt"]["10.0"]["opset"]["min"] == 9
    assert m["tensorrt"]["8.6"]["int64"]["mode"] == "cast-to-int32"
    assert m["tensorrt"]["10.8"]["interpolated"] and m["tensorrt"]["10.8"]["operators_from"] == "10.1"
    assert m["torch"]["2.9"]["dynamo_default"] is True and m["torch"]["2.8"]["dynamo_default"] is False
    topk = m["tensorrt"]["10.16"]["operators"]["TopK"]["checks"]
    assert {"check": "input_max", "input": "K", "max": 3839} in topk
    # the table quirks: a missing trailing pipe, 'INF64', 'INT64 BOOL' without a comma
    for e in m["tensorrt"].values():
        for op in e.get("operators", {}).values():
            assert "INF64" not in op.get("types", [])
    # a documented doc lag: the 8.4 parser imports HardSwish though its table said N
    assert m["tensorrt"]["8.4"]["operators"]["HardSwish"]["supported"] is True


def test_target_parsing() -> None:
    t = Target.parse("trt8.6,torch1.13,onnx1.13,sm72")
    assert (t.trt, t.torch, t.onnx, t.sm) == ((8, 6), (1, 13), (1, 13), 72)
    assert Target.parse(None).trt == (11, 1)
    assert Target.parse("tensorrt==10.8.0").trt == (10, 8)
    assert Target.parse("jetpack5").trt == (8, 5)
    assert Target.parse("trt10.9").trt_entry()["version"] == "10.9"
    with pytest.raises(TargetError):
        Target.parse("rocm6")
    with pytest.raises(TargetError):
        Target.parse("trt7.2").trt_entry()


def test_compat_check_names_what_breaks() -> None:
    r = run_cli("compat", "--check", "trt8.6,torch1.13,onnx1.13,sm72")
    assert r.code == 1
    assert "Jetson AGX Xavier" in r.out and "ships TensorRT 8.5" in r.out
    ok = run_cli("compat", "--check", "trt8.5,torch1.13,onnx1.13,sm72")
    assert ok.code == 0 and "Supported." in ok.out
    volta = run_cli("compat", "--check", "trt10.8,sm70", "--format", "json")
    data = json.loads(volta.out)
    assert volta.code == 1 and data["verdict"] == "error"
    assert any("compute capability" in c["message"] for c in data["checks"] if c["level"] == "error")
    newer = run_cli("compat", "--check", "trt8.6,torch2.9")
    assert "defaults to opset 18" in newer.out and newer.code == 0


def test_compat_reports_the_environment() -> None:
    r = run_cli("compat", "--format", "json")
    data = json.loads(r.out)
    assert r.code in (0, 1) and "environment" in data and "tensorrt" in data["environment"]
    if data["environment"]["tensorrt"] is None:
        assert "no TensorRT installed" in data["checks"][0]["message"]


def test_cuda_versions() -> None:
    assert "CUDA 12.4 is supported by TensorRT 10.1" in run_cli("compat", "--check", "trt10.1,cuda12.4").out
    r = run_cli("compat", "--check", "trt8.5,cuda12.2")
    assert r.code == 1 and "none for CUDA 12.x" in r.out
    r = run_cli("compat", "--check", "trt8.6,cuda12.4")
    assert r.code == 0 and "not in TensorRT 8.6's supported list" in r.out
    assert "no sourced CUDA list" in run_cli("compat", "--check", "trt10.8,cuda12.4").out


def test_matrix_carries_what_the_parser_source_does() -> None:
    m = load_matrix()
    p86 = m["tensorrt"]["8.6"]["parser"]
    assert p86["verified_in_source"] and p86["source"] in m["sources"]
    misread = {(s["op"], s["since"], s["effect"]) for s in p86["opset_semantics"] if "input" in s["trigger"]}
    assert ("ReduceMean", 18, "misread") in misread and ("ReduceSum", 18, "misread") not in misread
    mean = next(s for s in p86["opset_semantics"] if s["op"] == "ReduceMean" and "input" in s["trigger"])
    assert "DEFINE_BUILTIN_OP_IMPORTER(ReduceMean)" in mean["reference"] and "6ba67d3428" in mean["reference"]
    # 10.1's ReduceMean reads axes from input 1; its ReduceLogSumExp hands ReduceLogSum a list without it
    p101 = {(s["op"], s["since"]) for s in m["tensorrt"]["10.1"]["parser"]["opset_semantics"] if "input" in s["trigger"]}
    assert ("ReduceMean", 18) not in p101 and ("ReduceLogSumExp", 18) in p101
    # a restriction the 8.6 table omits, carried in from the source, and backwards to 8.0
    for v in ("8.0", "8.6"):
        checks = m["tensorrt"][v]["operators"]["ReduceSum"]["checks"]
        src = [c for c in checks if c.get("source") == f"onnx-tensorrt-src-{v}"]
        assert src and src[0]["input"] == "axes" and "reduceTensor" in src[0]["reference"]
    assert m["tensorrt"]["8.6"]["parser"]["refused_input_types"]["Pad"]["0"] == ["UINT8"]
    assert not m["tensorrt"]["8.6"]["parser"]["reads_local_functions"]
    assert m["tensorrt"]["10.0"]["parser"]["reads_local_functions"]
