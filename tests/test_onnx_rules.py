"""ONNX rules on small models built with onnx.helper (fixtures/onnx/builders.py), bad files, and external data."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
import numpy as np  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402

from .conftest import FIXTURES, env_without, run_cli, run_subprocess  # noqa: E402

sys.path.insert(0, str(FIXTURES / "onnx"))
import builders  # noqa: E402


def codes(path: Path, *args: str) -> tuple[int, list[str], list[dict]]:
    r = run_cli("check", "--isolated", "--output-format", "json", *args, str(path))
    found = json.loads(r.out)
    return r.code, sorted(f["code"] for f in found), found


@pytest.mark.parametrize("name", sorted(builders.CASES))
def test_case(name: str, tmp_path: Path) -> None:
    build, target, expected = builders.CASES[name]
    path = tmp_path / f"{name}.onnx"
    onnx.save(build(), path)
    code, got, found = codes(path, "--target", target)
    assert got == sorted(expected), [f["message"] for f in found]
    assert code == (1 if any(f["severity"] in ("error", "warning") for f in found) else 0)  # notes do not fail


def test_every_onnx_rule_has_hazard_and_clean_case() -> None:
    from trtlint.registry import all_rules
    from trtlint.rule import OnnxRule

    for code, cls in all_rules().items():
        if not issubclass(cls, OnnxRule) or code == "TRT309":  # TRT309 needs files on disk: tested below
            continue
        names = [n for n in builders.CASES if n.startswith(code.lower())]
        assert any(not n.endswith("_clean") and code in builders.CASES[n][2] for n in names), code
        assert any(n.endswith("_clean") for n in names), code


def test_committed_fixture_models_are_current(tmp_path: Path) -> None:
    for path in builders.write_all(tmp_path):
        committed = FIXTURES / "onnx" / path.name
        assert committed.read_bytes() == path.read_bytes(), f"regenerate: python fixtures/onnx/builders.py ({path.name})"


def test_stack_trace_metadata_names_the_pytorch_line(tmp_path: Path) -> None:
    model = builders.unique_and_custom()
    node = model.graph.node[0]
    entry = node.metadata_props.add()
    entry.key = "pkg.torch.onnx.stack_trace"
    entry.value = ('File "/site-packages/torch/nn/modules/module.py", line 1751, in _call_impl\n'
                   'File "/home/me/proj/model.py", line 42, in forward\n    y = torch.unique(x)')
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    _, _, found = codes(path, "--target", "trt10.16")
    assert any("[from model.py:42]" in f["message"] for f in found)


# ----------------------------------------------------------------------------- unreadable models


@pytest.mark.parametrize("content, needle", [
    (b"", "empty"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n", "Git LFS pointer"),
    (b"\x08\x07\x12\xff\xff\xff\xff\x0f garbage", "not a valid ONNX model"),
    (b"this is a text file, not a model", "ONNX"),
])
def test_corrupt_models_are_one_error_exit_2(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    (tmp_path / "good.py").write_text("x = 1\n")
    r = run_cli("check", "--isolated", "--output-format", "concise", str(tmp_path))
    assert r.code == 2, r.out
    lines = [ln for ln in r.out.splitlines() if "bad.onnx" in ln]
    assert len(lines) == 1 and "TRT906" in lines[0] and needle in lines[0], r.out
    assert "2 files" in r.out  # the run went on


def test_truncated_model(tmp_path: Path) -> None:
    good = tmp_path / "full.onnx"
    onnx.save(builders.pinned_batch(), good)
    data = good.read_bytes()
    bad = tmp_path / "cut.onnx"
    bad.write_bytes(data[: len(data) // 2])
    code, got, _ = codes(bad)
    assert code == 2 and got == ["TRT906"]


# ----------------------------------------------------------------------------- external data


def _external_model(tmp_path: Path, location: str, offset: int = 0, length: int = 16) -> Path:
    w = numpy_helper.from_array(np.ones(4, dtype=np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = onnx.TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = w.external_data.add()
        e.key, e.value = k, v
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [4])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = tmp_path / "model" / "m.onnx"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def test_external_data_clean(tmp_path: Path) -> None:
    path = _external_model(tmp_path, "m.onnx.data")
    (path.parent / "m.onnx.data").write_bytes(np.ones(4, dtype=np.float32).tobytes())
    assert codes(path)[:2] == (0, [])


@pytest.mark.parametrize("location, needle", [
    ("../secret.bin", "outside the model's folder"),
    ("/etc/passwd", "absolute path"),
    ("missing.bin", "is missing"),
])
def test_external_data_escapes_and_missing(tmp_path: Path, location: str, needle: str) -> None:
    (tmp_path / "secret.bin").write_bytes(b"\0" * 16)
    path = _external_model(tmp_path, location)
    code, got, found = codes(path)
    assert code == 1 and got == ["TRT309"] and needle in found[0]["message"]


def test_external_data_symlink_out_of_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.bin").write_bytes(b"\0" * 16)
    path = _external_model(tmp_path, "w.bin")
    os.symlink(tmp_path / "secret.bin", path.parent / "w.bin")
    code, got, found = codes(path)
    assert got == ["TRT309"] and "is a link" in found[0]["message"]


def test_external_data_past_end_of_file(tmp_path: Path) -> None:
    path = _external_model(tmp_path, "w.bin", offset=8, length=16)
    (path.parent / "w.bin").write_bytes(b"\0" * 16)
    code, got, found = codes(path)
    assert got == ["TRT309"] and "truncated" in found[0]["message"]


def test_huge_external_weights_are_never_read(tmp_path: Path) -> None:
    """A 3 GiB weights file (sparse: no disk used) is checked by its size alone."""
    path = _external_model(tmp_path, "w.bin", offset=3 * 2**30 - 16, length=16)
    with open(path.parent / "w.bin", "wb") as fh:
        fh.truncate(3 * 2**30)
    assert codes(path)[:2] == (0, [])


def test_onnx_layer_missing_is_said_plainly(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    onnx.save(builders.relu(), path)
    env = env_without(tmp_path, "onnx")
    r = run_subprocess("check", "--isolated", "--output-format", "concise", str(path), env=env)
    assert r.code == 2 and "TRT907" in r.out and "NOT checked" in r.out
    # folders are walked for .onnx only when the layer is there: no false alarm on source trees
    (tmp_path / "a.py").write_text("x = 1\n")
    r = run_subprocess("check", "--isolated", str(tmp_path / "a.py"), env=env)
    assert r.code == 0


# --------------------------------------------------------------------------- issue 9: verdicts from the parser source
def _lint(build, target: str, tmp_path: Path) -> list[dict]:
    path = tmp_path / "m.onnx"
    onnx.save(build(), path)
    return codes(path, "--target", target)[2]


def test_opset_above_ceiling_is_a_warning_and_misread_nodes_are_errors(tmp_path: Path) -> None:
    found = _lint(builders.reduce_mean_axes_input, "trt8.6", tmp_path)
    by_sev = {f["severity"]: f for f in found if f["code"] == "TRT301"}
    assert set(by_sev) == {"warning", "error"}
    assert "opset 18, above TensorRT 8.6's documented ceiling 17" in by_sev["warning"]["message"]
    assert "ReduceMean changed meaning" in by_sev["warning"]["message"]
    err = by_sev["error"]
    assert "node 'mean_dim1' (ReduceMean)" in err["message"] and "input 1 is 'axes'" in err["message"]
    assert "DEFINE_BUILTIN_OP_IMPORTER(ReduceMean)" in err["hint"] and "6ba67d3428" in err["hint"]
    # without an axes input the opset 13 reading is the same: the model-level warning only
    found = _lint(builders.reduce_mean_no_axes, "trt8.6", tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [("TRT301", "warning")]
    assert "ReduceMean changed meaning" in found[0]["message"]


def test_relu_at_opset20_on_trt86_is_only_a_warning(tmp_path: Path) -> None:
    found = _lint(builders.opset20, "trt8.6", tmp_path)
    assert {(f["code"], f["severity"]) for f in found} == {("TRT301", "warning"), ("TRT302", "note")}


def test_below_opset7_warns_like_the_parser(tmp_path: Path) -> None:
    found = _lint(builders.opset6, "trt8.6", tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [("TRT301", "warning")]
    assert "warns below opset 7 and imports it anyway" in found[0]["message"]


def test_gridsample_linear_is_misread_within_the_documented_range(tmp_path: Path) -> None:
    found = _lint(builders.grid_sample, "trt10.1", tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [("TRT301", "error")]
    assert "mode='linear'" in found[0]["message"] and "GridSample" in found[0]["hint"]


def test_ir_version_alone_is_a_note_and_newer_ir_content_a_warning(tmp_path: Path) -> None:
    found = _lint(builders.ir12, "trt8.6", tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [("TRT302", "note")]
    found = _lint(builders.int4_weight_ir10, "trt8.6", tmp_path)
    ir = [f for f in found if f["code"] == "TRT302"]
    assert [f["severity"] for f in ir] == ["warning"] and "INT4 (IR 10)" in ir[0]["message"]
    found = _lint(builders.local_function, "trt8.6", tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [("TRT302", "warning")]
    assert "model-local function" in found[0]["message"] and "'MyRelu'" in found[0]["message"]


def test_per_operator_types_from_the_table_and_from_the_importer(tmp_path: Path) -> None:
    found = _lint(builders.maxpool, "trt10.16", tmp_path)
    assert [f["code"] for f in found] == ["TRT305"]
    assert "node 'pool' (MaxPool) takes UINT8" in found[0]["message"] and "operator table lists" in found[0]["message"]
    found = _lint(builders.pad_input, "trt8.6", tmp_path)
    assert [f["code"] for f in found] == ["TRT305"] and "importer refuses UINT8 for input 0" in found[0]["message"]


def test_type_the_importer_asserts_beats_the_table(tmp_path: Path) -> None:
    for target in ("trt10.1", "trt11.1"):  # 11.1: the 10.1 source stands in, no newer one was obtainable
        found = _lint(builders.nonzero_of_mask, target, tmp_path)
        assert "TRT305" not in [f["code"] for f in found], (target, found)
    found = _lint(builders.nonzero_of_uint8_input, "trt10.1", tmp_path)
    dtype = [f for f in found if f["code"] == "TRT305"]
    assert len(dtype) == 1 and "node 'nz' (NonZero) takes UINT8" in dtype[0]["message"], found


def test_restriction_enforced_by_the_source_but_missing_from_the_table(tmp_path: Path) -> None:
    found = _lint(builders.reduce_sum_computed_axes, "trt8.6", tmp_path)
    assert [f["code"] for f in found] == ["TRT304"]
    assert "input `axes` must be an initializer" in found[0]["message"] and "'axes' is computed" in found[0]["message"]
    assert "parser source" in found[0]["hint"] and "reduceTensor" in found[0]["hint"]
