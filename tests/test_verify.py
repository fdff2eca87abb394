"""trtlint verify: parity, FP16 prediction, INT8 Q/DQ, engine manifests, the CLI. TensorRT-free (see
tests/test_verify_trt.py for the tests that need it). The ENTRY tests run a child process with torch: seconds each."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from .conftest import FIXTURES, env_without, require, run_cli, run_subprocess

np = pytest.importorskip("numpy")
pytest.importorskip("onnxruntime")
pytest.importorskip("polygraphy")
VERIFY = FIXTURES / "verify"


# ------------------------------------------------------------------------------------------------ metrics
def test_parity_metrics_pass_and_fail() -> None:
    from trtlint.verify.metrics import compare_outputs

    ref = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    ok = compare_outputs({"y": ref}, {"y": ref + 1e-6}, ref_name="a", cand_name="b", precision="fp32",
                         atol=1e-4, rtol=1e-3)[0]
    assert ok.passed and ok.top1 == 1.0 and ok.cosine == pytest.approx(1.0) and ok.max_abs < 2e-6
    flipped = -ref
    bad = compare_outputs({"y": ref}, {"y": flipped}, ref_name="a", cand_name="b", precision="fp32",
                          atol=1e-4, rtol=1e-3)[0]
    assert not bad.passed and bad.cosine == pytest.approx(-1.0) and bad.max_abs == pytest.approx(2 * np.abs(ref).max())


def test_parity_counts_new_inf_and_shape_mismatch() -> None:
    from trtlint.verify.metrics import compare_outputs

    ref = np.ones((2, 3), np.float32)
    cand = ref.copy()
    cand[0, 0] = np.inf
    p = compare_outputs({"y": ref}, {"y": cand}, ref_name="a", cand_name="b", precision="fp16", atol=1, rtol=1)[0]
    assert not p.passed and p.inf == 1 and math.isinf(p.max_abs) and p.to_dict()["max_abs"] is None
    s = compare_outputs({"y": ref}, {"y": ref[:1]}, ref_name="a", cand_name="b", precision="fp32", atol=1, rtol=1)[0]
    assert not s.passed and s.shape_mismatch == "shape (1, 3), expected (2, 3)"


def test_bisect_names_the_first_divergent_tensor_in_chunks() -> None:
    """The chunked search itself, with plain functions standing in for two backends (no TensorRT involved)."""
    from trtlint.verify.bisect import first_divergent

    tensors = [f"t{i}" for i in range(10)]
    calls: list[list[str]] = []

    def ref(names):  # type: ignore[no-untyped-def]
        calls.append(list(names))
        return {n: np.zeros(3) for n in names}

    def cand(names):  # type: ignore[no-untyped-def]
        return {n: np.full(3, 0.5 if int(n[1:]) >= 6 else 0.0) for n in names}

    assert first_divergent(tensors, ref, cand, atol=0.1, rtol=0.0, chunk=4) == "t6"
    assert calls == [["t0", "t1", "t2", "t3"], ["t4", "t5", "t6", "t7"]]
    assert first_divergent(tensors, ref, ref, atol=0.1, rtol=0.0) is None


# ------------------------------------------------------------------------------------------------ flags
@pytest.mark.parametrize("args, message", [
    (["--precision", "fp8"], "--precision 'fp8': choose from fp32, fp16, int8"),
    (["--atol", "fp64:1"], "--atol: unknown precision 'fp64'; choose from fp32, fp16, int8"),
    (["--rtol", "abc"], "--rtol 'abc': expected a number or precision:number, e.g. fp16:1e-2"),
    (["--workspace", "lots"], "--workspace 'lots': give bytes or a size such as 512MiB or 4GiB"),
])
def test_bad_flags_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    model = _tiny_onnx(tmp_path)
    r = run_cli("verify", "--isolated", str(model), *args)
    assert r.code == 2 and r.err.strip() == f"trtlint: error: {message}"


def test_sizes_and_tolerances() -> None:
    from trtlint.verify.command import parse_size, parse_tol

    assert parse_size("4GiB") == 4 * 2**30 and parse_size("512MiB") == 512 * 2**20 and parse_size("1000") == 1000
    assert parse_tol("1e-3,int8:0.2", "--atol", ["fp32", "int8"]) == {"fp32": 1e-3, "int8": 0.2}


# ------------------------------------------------------------------------------------------------ ONNX file
def _tiny_onnx(tmp_path: Path) -> Path:
    """A 2-layer classifier built with onnx.helper (no torch export: fast)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((8, 16)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((16, 5)).astype(np.float32), "w2")
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"), helper.make_node("Relu", ["h"], ["r"], name="act"),
             helper.make_node("MatMul", ["r", "w2"], ["logits"], name="fc2")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 5])], [w1, w2])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "tiny.onnx"
    onnx.save(model, str(path))
    return path


def test_onnx_file_without_tensorrt_notes_the_skip_and_exits_0(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    model = _tiny_onnx(tmp_path)
    r = run_cli("verify", "--isolated", "--output-format", "json", str(model), "--min-shapes", "x:1x8",
                "--max-shapes", "x:16x8", "--precision", "fp32")
    got = json.loads(r.out)
    if _have_tensorrt():
        pytest.skip("TensorRT is installed here: the skip note does not apply")
    assert r.code == 0, r.err  # a note does not fail verify
    assert [(f["code"], f["severity"], f["path"], f["line"]) for f in got] == [("TRT501", "note", str(model), 1)]
    assert got[0]["message"] == ("TensorRT build skipped (fp32): the `tensorrt` Python package is not installed; no "
                                 "engine was built or run; the parity reported comes from ONNX Runtime and PyTorch only")


def test_onnx_file_int8_qdq_reports_accuracy_and_random_calibration(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    model = _tiny_onnx(tmp_path)
    report = tmp_path / "report.json"
    r = run_cli("verify", "--isolated", "--output-format", "concise", str(model), "--shapes", "x:4x8",
                "--precision", "int8", "--report-file", str(report))
    assert r.code in (0, 1), r.err
    assert (f"{model}:1:1: TRT508 [warning] INT8 calibrated on 8 batches of seeded random inputs: the INT8 accuracy "
            "reported here means little") in r.out
    rows = json.loads(report.read_text())["parity"]
    assert [(p["candidate"], p["reference"], p["precision"], p["output"]) for p in rows] == [
        ("onnxruntime-int8-qdq", "onnxruntime", "int8", "logits")]
    assert rows[0]["max_abs"] > 0 and 0.5 < rows[0]["cosine"] <= 1.0 and rows[0]["top1"] is not None


def test_onnx_file_int8_with_calibration_files(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    model = _tiny_onnx(tmp_path)
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "c0.npz", x=rng.standard_normal((4, 8)).astype(np.float32))
    np.save(tmp_path / "c1.npy", rng.standard_normal((4, 8)).astype(np.float32))
    r = run_cli("verify", "--isolated", "--output-format", "json", str(model), "--shapes", "x:4x8", "--precision",
                "int8", "--calib-data", str(tmp_path / "c0.npz"), str(tmp_path / "c1.npy"))
    assert "TRT508" not in r.out and r.code in (0, 1), r.err
    bad = run_cli("verify", "--isolated", str(model), "--shapes", "x:4x8", "--precision", "int8", "--calib-data",
                  str(tmp_path / "nope.npz"))
    assert bad.code == 2 and "--calib-data" in bad.err and "no such file" in bad.err


# ------------------------------------------------------------------------------------------------ engines
def _engine(tmp_path: Path, manifest: dict | None) -> Path:
    eng = tmp_path / "m.engine"
    eng.write_bytes(b"not a real plan")
    if manifest is not None:
        (tmp_path / "m.engine.manifest.json").write_text(json.dumps(manifest))
    return eng


def test_check_engine_refuses_a_mismatch_with_reasons(tmp_path: Path) -> None:
    from trtlint.verify.manifest import check_engine

    eng = _engine(tmp_path, {"tensorrt": "10.3.0", "gpu": {"name": "NVIDIA A10", "compute_capability": "8.6"}})
    problems = check_engine(str(eng), trt_version="10.8.0",
                            gpu={"name": "NVIDIA L4", "compute_capability": "8.9"}).problems
    assert problems == [
        "built with TensorRT 10.3.0, this machine has 10.8.0: a plan file loads only in the TensorRT version that "
        "built it (rebuild, or build with the VERSION_COMPATIBLE flag)",
        "built for compute capability 8.6 (NVIDIA A10), this GPU is 8.9 (NVIDIA L4): engines are specific to the GPU "
        "architecture (rebuild here)"]
    same = check_engine(str(eng), trt_version="10.3.0", gpu={"name": "NVIDIA A10", "compute_capability": "8.6"})
    assert same.problems == []


def test_check_engine_cli_without_manifest_or_tensorrt(tmp_path: Path) -> None:
    eng = _engine(tmp_path, None)
    r = run_cli("verify", "--isolated", "--output-format", "concise", "--check-engine", str(eng))
    assert r.code == 1
    assert (f"{eng}:1:1: TRT509 [error] engine refused: no manifest m.engine.manifest.json beside the engine: build it "
            "with `trtlint verify --save-engine` so that its TensorRT version and GPU are known") in r.out
    _engine(tmp_path, {"tensorrt": "10.3.0", "gpu": {"name": "NVIDIA A10", "compute_capability": "8.6"}})
    r = run_cli("verify", "--isolated", "--output-format", "concise", "--check-engine", str(eng))
    if not _have_tensorrt():
        assert "TRT509 [error] engine refused: TensorRT is not installed here; the engine needs TensorRT 10.3.0" in r.out


def _have_tensorrt() -> bool:
    from trtlint.verify.backends import tensorrt_unavailable

    return tensorrt_unavailable() is None


# ------------------------------------------------------------------------------------------------ ENTRY (torch)
def _verify_entry(*args: str, tmp_path: Path) -> tuple[int, list[dict], dict]:
    require("torch")
    report = tmp_path / "report.json"
    r = run_cli("verify", "--isolated", "--output-format", "json", *args, "--report-file", str(report), cwd=VERIFY)
    assert r.code in (0, 1), r.err
    return r.code, json.loads(r.out), json.loads(report.read_text())


def test_fp16_overflow_named_at_the_guilty_layer(tmp_path: Path) -> None:
    code, found, report = _verify_entry("fp16_overflow.py:overflowing", "--shapes", "x:4x16", "--precision", "fp16",
                                        "--target", "trt10.8,torch2.4", tmp_path=tmp_path)
    trt505 = [f for f in found if f["code"] == "TRT505"]
    assert code == 1 and len(trt505) == 1
    f = trt505[0]
    assert (f["path"], f["line"], f["severity"]) == ("fp16_overflow.py", 9, "error")
    assert f["message"].startswith("module 'expand' (Linear) overflows FP16: fp32 activations reach ")
    assert "beyond FP16's 65504 (first such module of 3; half-precision pass on cpu, torch " in f["message"]
    assert report["fp16"]["status"] == "overflow" and report["fp16"]["fp32_absmax"] > 65504


def test_fp16_near_miss_has_no_overflow(tmp_path: Path) -> None:
    code, found, report = _verify_entry("fp16_overflow.py:near_miss", "--shapes", "x:4x16", "--precision", "fp16",
                                        "--target", "trt10.8,torch2.4", tmp_path=tmp_path)
    assert not [f for f in found if f["code"] in ("TRT503", "TRT504", "TRT505", "TRT506")]
    assert report["fp16"]["status"] == "ok"
    half = [p for p in report["parity"] if p["candidate"] == "pytorch-fp16"]
    assert half and half[0]["passed"]


def test_frozen_branch_fails_parity_with_the_output_named(tmp_path: Path) -> None:
    code, found, _ = _verify_entry("frozen_branch.py:frozen", "--shapes", "x:2x8", "--precision", "fp32",
                                   "--target", "trt10.8,torch2.4", tmp_path=tmp_path)
    trt503 = [f for f in found if f["code"] == "TRT503"]
    assert code == 1 and len(trt503) == 1
    assert (trt503[0]["path"], trt503[0]["line"]) == ("frozen_branch.py", 13)  # Gate.forward
    assert trt503[0]["message"].startswith("output 'output': onnxruntime differs from pytorch-fp32 beyond "
                                           "atol=0.0001, rtol=0.001 (max abs ")
    assert "on opt shapes, seed 2, scale 0.1)" in trt503[0]["message"]


def test_frozen_branch_near_miss_passes(tmp_path: Path) -> None:
    code, found, report = _verify_entry("frozen_branch.py:near_miss", "--shapes", "x:2x8", "--precision", "fp32",
                                        "--target", "trt10.8,torch2.4", tmp_path=tmp_path)
    assert not [f for f in found if f["code"] == "TRT503"]
    assert all(p["passed"] for p in report["parity"])


def test_small_cnn_int8_qdq_through_onnxruntime_with_default_exporter(tmp_path: Path) -> None:
    """The default exporter for the installed torch; INT8 Q/DQ calibrated from a file; accuracy numbers reported."""
    rng = np.random.default_rng(1)
    calib = tmp_path / "calib.npz"
    np.savez(calib, x=rng.standard_normal((4, 3, 16, 16)).astype(np.float32))
    code, found, report = _verify_entry("small_cnn.py:build", "--min-shapes", "x:1x3x16x16", "--max-shapes",
                                        "x:4x3x16x16", "--precision", "fp32,int8", "--calib-data", str(calib),
                                        tmp_path=tmp_path)
    assert not [f for f in found if f["code"] in ("TRT503", "TRT508")]
    by = {(p["candidate"], p["precision"]): p for p in report["parity"]}
    assert by[("onnxruntime", "fp32")]["passed"]
    q = by[("onnxruntime-int8-qdq", "int8")]
    assert q["reference"] == "pytorch-fp32" and q["max_abs"] > 0 and q["cosine"] > 0.5 and q["top1"] is not None


def test_entry_sarif_is_valid(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    out = tmp_path / "v.sarif"
    r = run_cli("verify", "--isolated", "fp16_overflow.py:overflowing", "--shapes", "x:4x16", "--precision", "fp16",
                "--target", "trt10.8,torch2.4", "--output-format", "sarif", "-o", str(out), cwd=VERIFY)
    assert r.code == 1, r.err
    doc = json.loads(out.read_text())
    assert not list(jsonschema.Draft4Validator(schema).iter_errors(doc))
    results = doc["runs"][0]["results"]
    assert "TRT505" in {x["ruleId"] for x in results}


# ------------------------------------------------------------------------------------------------ no extra
def test_without_the_extra_one_line_says_how_to_install(tmp_path: Path) -> None:
    env = env_without(tmp_path, "onnxruntime", "torch")
    r = run_subprocess("verify", "--isolated", "--output-format", "concise", "fixtures/verify/small_cnn.py:build",
                       "--shapes", "x:1x3x16x16", cwd=Path(__file__).resolve().parent.parent, env=env)
    assert r.code == 2 and "Traceback" not in r.err
    assert ("fixtures/verify/small_cnn.py:1:1: TRT907 [error] trtlint verify needs onnxruntime, torch, which are not "
            "installed; nothing was run") in r.out


def test_onnxruntime_with_intermediate_outputs_marked(tmp_path: Path) -> None:
    """The ONNX Runtime half of the layer bisection: intermediate tensors come back as outputs."""
    pytest.importorskip("onnx")
    pytest.importorskip("onnx_graphsurgeon")
    from trtlint.verify.pipeline import onnxruntime_with_outputs

    x = np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)
    out = onnxruntime_with_outputs(str(_tiny_onnx(tmp_path)), ["h", "r"], {"x": x})
    assert set(out) >= {"h", "r"} and out["h"].shape == (2, 16)
    assert np.array_equal(out["r"], np.maximum(out["h"], 0))


def test_pyproject_verify_table_sets_defaults_and_flags_win(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    model = _tiny_onnx(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\ntarget = "trt10.8"\n\n[tool.trtlint.verify]\n'
                                             'precision = ["int8"]\natol = { int8 = 5.0 }\nrtol = 0.5\n')
    report = tmp_path / "r.json"
    r = run_cli("verify", str(model), "--shapes", "x:4x8", "--report-file", str(report), "--output-format", "json")
    assert r.code in (0, 1), r.err
    rows = json.loads(report.read_text())["parity"]
    assert [(p["precision"], p["atol"], p["rtol"]) for p in rows] == [("int8", 5.0, 0.5)]
    r = run_cli("verify", str(model), "--shapes", "x:4x8", "--precision", "fp32", "--report-file", str(report))
    assert json.loads(report.read_text())["parity"] == []  # fp32 of an ONNX file: ONNX Runtime is the reference
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint.verify]\nprecisions = "fp16"\n')
    bad = run_cli("verify", str(model))
    assert bad.code == 2 and bad.err.strip().endswith("[tool.trtlint.verify]: unknown key precisions; valid keys: "
                                                      "precision, atol, rtol, workspace, timing-cache, calib-data")


def test_entry_that_fails_is_one_line_exit_2(tmp_path: Path) -> None:
    require("torch")
    r = run_cli("verify", "--isolated", "small_cnn.py:missing_factory", "--shapes", "x:1x3x16x16", cwd=VERIFY)
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trtlint: error: small_cnn.py:missing_factory: ")
    assert "Traceback" not in r.err


def test_parser_error_node_maps_to_the_exporters_pytorch_line(tmp_path: Path) -> None:
    """node_origin reads the dynamo exporter's stack trace metadata, skipping torch's frames."""
    onnx = pytest.importorskip("onnx")
    from trtlint.loaders.onnx import STACK_TRACE_KEY
    from trtlint.verify.pipeline import node_origin

    path = _tiny_onnx(tmp_path)
    m = onnx.load(str(path))
    prop = m.graph.node[1].metadata_props.add()
    prop.key, prop.value = STACK_TRACE_KEY, ('File "/src/net.py", line 12, in forward\n    x = self.act(x)\n'
                                             'File "/venv/torch/nn/modules/module.py", line 1775, in _call_impl')
    onnx.save(m, str(path))
    assert node_origin(str(path), 1, "act") == ("/src/net.py", 12, "node 'act' (Relu)")
    assert node_origin(str(path), 0, "") == (None, None, "node 'fc1' (MatMul)")


def test_tensorrt_records_become_findings_at_the_right_place() -> None:
    """The rule side of the TensorRT path, fed the records that lint/verify/pipeline.py emits there (no TensorRT
    runs here: these records are written by hand, and only the rules' wording and locations are checked)."""
    from trtlint.compat import Target
    from trtlint.config import Config
    from trtlint.registry import all_rules
    from trtlint.runner import Runner
    from trtlint.verify.command import findings_from

    records = [
        {"type": "parser-error", "precision": "fp16", "desc": "No importer registered for op: Mystery",
         "code": "UNSUPPORTED_NODE", "node": "node 'act' (Mystery)", "node_op": "Mystery", "file": None, "line": None},
        {"type": "layer-divergence", "precision": "fp16", "tensor": "r", "node": "node 'act' (Relu)",
         "file": "fixtures/verify/small_cnn.py", "line": 13},
        {"type": "build-failed", "precision": "fp32", "reason": "build_serialized_network returned None"},
    ]
    runner = Runner(Config(), Target.parse("trt10.8"), set(all_rules()))
    got = [(f.code, f.path, f.line, f.message) for f in findings_from(records, ("model.onnx", 1), runner)]
    assert got == [
        ("TRT507", "fixtures/verify/small_cnn.py", 13,
         "the TensorRT fp16 engine first diverges from ONNX Runtime at tensor 'r' of node 'act' (Relu)"),
        ("TRT502", "model.onnx", 1, "TensorRT's ONNX parser failed at node 'act' (Mystery): No importer registered "
                                    "for op: Mystery (UNSUPPORTED_NODE); no fp16 engine was built"),
        ("TRT510", "model.onnx", 1, "TensorRT built no fp32 engine: build_serialized_network returned None"),
    ]


def test_not_a_model_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_text("garbage")
    r = run_cli("verify", "--isolated", str(bad))
    assert r.code == 2 and r.err.strip() == (f"trtlint: error: {bad}: not a readable ONNX model (DecodeError); "
                                             f"`trtlint {bad}` says more")
    py = VERIFY / "small_cnn.py"
    r = run_cli("verify", "--isolated", str(py))
    assert r.code == 2 and r.err.strip() == f"trtlint: error: {py}: give an .onnx file, or an ENTRY such as {py}:factory"


def test_benchmark_table_markdown_and_json() -> None:
    from trtlint.verify.bench import BenchRow, percentiles_ms, render_json, render_markdown, time_fn

    calls = []
    times = time_fn(lambda: calls.append(1), warmup=2, budget_s=0.0, min_iters=4)
    assert len(times) == 4 and len(calls) == 6
    p50, p99 = percentiles_ms([0.001] * 99 + [0.010])
    assert p50 == pytest.approx(1.0) and 1.0 < p99 <= 10.0
    rows = [BenchRow("PyTorch eager", "fp32", "cuda", 3.2, 3.5, 5700.0, 64, 552.0, max_abs_diff=0.0, top1_agree=1.0),
            BenchRow("ONNX Runtime", "fp32", "cpu", 9.9, 14.6, 144.0, 64, mem_note="n/a (CPU EP)", note="CPU provider")]
    md = render_markdown(rows, {"model": "net.py:build", "device_name": "NVIDIA H100", "torch": "2.11",
                                "onnxruntime": "1.30", "tensorrt": None})
    assert "TensorRT not installed" in md
    assert "| PyTorch eager | fp32 | cuda | 3.20 | 3.50 | 5,700 (b=64) | 552 MiB | 0.00e+00 | 100.0% | n/a | n/a |" in md
    assert "| ONNX Runtime | fp32 | cpu | 9.90 | 14.60 | 144 (b=64) | n/a (CPU EP) | n/a | n/a | n/a | n/a |" in md
    assert "- ONNX Runtime fp32: CPU provider" in md
    data = json.loads(render_json(rows, {"model": "m"}))
    assert data["rows"][0]["throughput"] == 5700.0 and data["meta"] == {"model": "m"}
