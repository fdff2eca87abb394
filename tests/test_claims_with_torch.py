"""What the source rules say happens, shown with the real torch: each test lints a snippet, then runs it."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import warnings
from pathlib import Path

import pytest

from .conftest import FIXTURES, require, run_cli


def _codes(path: Path, *args: str) -> list[tuple[int, str]]:
    r = run_cli("check", "--isolated", "--output-format", "json", *args, str(path))
    return [(f["line"], f["code"]) for f in json.loads(r.out)]


def _declared_severities(path: Path, tmp_path: Path) -> set[tuple[int, str, str]]:
    """(line, code, severity) of a fixture linted with every class of it declared in `[tool.trtlint] models`: the
    rules' own severities, which undeclared model code reports as notes (lint/analysis/declared.py)."""
    shutil.copy(path, tmp_path / "m.py")
    classes = re.findall(r"^class (\w+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    (tmp_path / "pyproject.toml").write_text("[tool.trtlint]\nmodels = [%s]\n" % ", ".join(f'"m:{c}"' for c in classes))
    r = run_cli("check", "--output-format", "json", "m.py", cwd=tmp_path)
    return {(f["line"], f["code"], f["severity"]) for f in json.loads(r.out)}


def test_trace_keeps_one_branch() -> None:
    """TRT101: the trace of pkg/gate.py's Gate answers the traced branch for every input."""
    torch = require("torch")
    path = FIXTURES / "source" / "pkg" / "gate.py"
    assert (10, "TRT101") in _codes(path)
    spec = importlib.util.spec_from_file_location("gate_fixture", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # the test runs it; trtlint never does
    torch.manual_seed(0)
    gate = mod.Gate().eval()
    high, low = torch.full((2, 8), 1.0), torch.full((2, 8), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(gate, high)
    assert torch.equal(gate(low), low)  # eager: identity below 0.5
    assert not torch.equal(traced(low), low)  # traced: the linear layer, always


def test_scripted_function_keeps_its_branch_in_a_trace(tmp_path: Path) -> None:
    """TRT101 (note in a @torch.jit.script function): the trace of a module that calls a scripted function keeps
    its data-dependent branch, and so does the TorchScript ONNX exporter (an ONNX If); torch.export does not."""
    torch = require("torch")
    path = FIXTURES / "source" / "trt1xx_training_code.py"
    found = _declared_severities(path, tmp_path)
    assert (41, "TRT101", "note") in found and (8, "TRT101", "error") in found
    spec = importlib.util.spec_from_file_location("training_code_fixture", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # the test runs it; trtlint never does
    summer = mod.Summer().eval()
    evens, odds = torch.tensor([2.0, 4.0]), torch.tensor([1.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(summer, evens)
    assert "prim::If" in str(traced.inlined_graph)
    assert torch.equal(traced(odds), summer(odds)) and torch.equal(traced(evens), summer(evens))
    onnx = require("onnx")
    import io

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(summer, (evens,), buf, dynamo=False)
    def ops(graph: object) -> set[str]:  # op types, with those of subgraphs (the Loop's body)
        out = set()
        for n in graph.node:  # type: ignore[attr-defined]
            out.add(n.op_type)
            for a in n.attribute:
                for g in [a.g, *a.graphs] if a.HasField("g") else a.graphs:
                    out |= ops(g)
        return out

    assert "If" in ops(onnx.load_from_string(buf.getvalue()).graph)
    with pytest.raises(Exception):
        torch.export.export(summer, (evens,))


def test_tensor_compared_with_none_is_a_python_bool(tmp_path: Path) -> None:
    """TRT101 takes `x != None` for a None check: on a tensor it gives a Python bool, and a trace of a module that
    branches on it keeps the same branch for every input without a TracerWarning."""
    torch = require("torch")
    t = torch.zeros(3)
    assert (t != None) is True and (t == None) is False  # noqa: E711
    path = tmp_path / "none_check.py"
    path.write_text("import torch.nn as nn\n\n\nclass M(nn.Module):\n    def forward(self, x):\n"
                    "        if x != None:\n            return x + 1\n        return x\n")
    assert _codes(path) == []

    class M(torch.nn.Module):
        def forward(self, x):
            if x != None:  # noqa: E711
                return x + 1
            return x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = torch.jit.trace(M(), t)
    assert not [w for w in caught if "TracerWarning" in type(w.message).__name__]
    assert torch.equal(traced(-t), -t + 1)


def test_item_of_a_module_buffer(tmp_path: Path) -> None:
    """TRT102 (note for the module's own, unchanged tensor): the trace keeps the buffer's value, which is right;
    torch.export refuses the read where the value sizes a tensor."""
    torch = require("torch")
    path = FIXTURES / "source" / "trt1xx_training_code.py"
    found = _declared_severities(path, tmp_path)
    assert (79, "TRT102", "note") in found and (68, "TRT102", "error") in found
    spec = importlib.util.spec_from_file_location("training_code_fixture_buf", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    norm, x = mod.Normaliser().eval(), torch.randn(2, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(norm, x)
    y = torch.randn(4, 8)
    assert torch.equal(traced(y), norm(y))
    with pytest.raises(Exception):
        torch.export.export(norm, (x,))


def test_cpu_copy_is_an_op_of_the_trace(tmp_path: Path) -> None:
    """TRT102 (note for a bare `.cpu()`): the trace records the copy as an op, so the traced module follows new
    inputs, and the ONNX graph holds no constant of the value (on an H100 with CUDA, torch 2.11, the same: a
    no-op Cast in the TorchScript exporter's graph, nothing in the dynamo exporter's)."""
    torch = require("torch")
    onnx = require("onnx")
    src = tmp_path / "m.py"
    src.write_text("import torch\n\n\nclass Host(torch.nn.Module):\n    def forward(self, x):\n"
                   "        return (x * 2).cpu() + 1\n")
    r = run_cli("check", "--isolated", "--output-format", "json", str(src))
    assert [(f["line"], f["code"], f["severity"]) for f in json.loads(r.out)] == [(6, "TRT102", "note")]
    spec = importlib.util.spec_from_file_location("host_fixture", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    m, x, y = mod.Host().eval(), torch.randn(2, 3), torch.randn(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(m, x)
    assert torch.equal(traced(y), m(y))
    import io

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, (x,), buf, dynamo=False)
    g = onnx.load_from_string(buf.getvalue()).graph
    assert not g.initializer and {n.op_type for n in g.node} <= {"Constant", "Mul", "Add", "Cast"}


def test_item_is_frozen_by_tracing(tmp_path: Path) -> None:
    """TRT102: a value read with .item() in forward is a constant of the trace."""
    torch = require("torch")
    src = tmp_path / "m.py"
    src.write_text("import torch\n\n\nclass Norm(torch.nn.Module):\n    def forward(self, x):\n"
                   "        return x / x.abs().max().item()\n")
    assert _codes(src) == [(6, "TRT102")]
    spec = importlib.util.spec_from_file_location("norm_fixture", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(mod.Norm(), torch.full((3,), 2.0))
    x = torch.full((3,), 4.0)
    assert torch.equal(mod.Norm()(x), torch.ones(3)) and torch.equal(traced(x), torch.full((3,), 2.0))


def test_dynamo_export_of_traced_module_with_dynamic_axes_fails(tmp_path: Path) -> None:
    """TRT109: torch >= 2.9 exports with dynamo=True by default and refuses dynamic_axes on a ScriptModule."""
    torch = require("torch")
    require("onnxscript")
    major, minor = (int(v) for v in torch.__version__.split(".")[:2])
    if (major, minor) < (2, 9):
        pytest.skip("the dynamo default arrived in torch 2.9")
    src = tmp_path / "export.py"
    src.write_text(
        "import torch\n\n"
        "model = torch.nn.Sequential(torch.nn.Linear(4, 4)).eval()\n"
        "x = torch.randn(2, 4)\n"
        "traced = torch.jit.trace(model, x)\n"
        "torch.onnx.export(traced, (x,), OUT, input_names=['x'], output_names=['y'],\n"
        "                  dynamic_axes={'x': {0: 'b'}, 'y': {0: 'b'}})\n"
    )
    assert (6, "TRT109") in _codes(src, "--target", f"trt10.8,torch{major}.{minor}")
    with pytest.raises(Exception, match="Failed to convert 'dynamic_axes' to 'dynamic_shapes'"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(src.read_text(), str(src), "exec"), {"OUT": str(tmp_path / "m.onnx")})


def test_onnx_finding_names_the_pytorch_line(tmp_path: Path, monkeypatch) -> None:
    """TRT303 on a dynamo export points at the line of forward that produced the node."""
    torch = require("torch")
    require("onnxscript")
    (tmp_path / "bits.py").write_text("import torch\n\n\nclass Bits(torch.nn.Module):\n    def forward(self, x):\n"
                                      "        y = x * 2\n        return torch.bitwise_and(y, 3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    import bits

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prog = torch.onnx.export(bits.Bits().eval(), (torch.ones(4, dtype=torch.int32),), dynamo=True)
    prog.save(str(tmp_path / "bits.onnx"))
    r = run_cli("check", "--isolated", "--output-format", "json", "--target", "trt10.16", "bits.onnx")
    found = json.loads(r.out)
    assert any(f["code"] == "TRT303" and "(BitwiseAnd) [from bits.py:7]" in f["message"] for f in found), found


class _DropBN:
    """A tiny model with Dropout and BatchNorm, built fresh (training mode) by the snippets below."""

    SRC = (
        "import torch\n\n\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = torch.nn.Linear(4, 4)\n"
        "        self.bn = torch.nn.BatchNorm1d(4)\n"
        "        self.drop = torch.nn.Dropout(0.5)\n\n"
        "    def forward(self, x):\n"
        "        y = self.drop(self.bn(self.fc(x)))\n"
        "        if self.training:\n"
        "            return y * 0\n"
        "        return y\n\n\n"
    )


def _ops(path: Path) -> list[str]:
    import onnx

    return [n.op_type for n in onnx.load(str(path)).graph.node]


def _dims(path: Path, which: str) -> list[list[object]]:
    import onnx

    g = onnx.load(str(path)).graph
    return [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in getattr(g, which)]


def ort_run(path: Path, x: object) -> object:
    ort = require("onnxruntime")
    sess = ort.InferenceSession(str(path))
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def test_trt106_per_exporter(tmp_path: Path) -> None:
    """TRT106: the TorchScript exporter switches to eval itself; the dynamo exporter and jit.trace keep the mode."""
    torch = require("torch")
    require("onnxscript")
    src = tmp_path / "export.py"
    src.write_text(
        _DropBN.SRC
        + "def ts(out):\n    model = Net()\n    torch.onnx.export(model, (torch.randn(3, 4),), out, dynamo=False)\n\n\n"
        + "def dy(out):\n    model = Net()\n    torch.onnx.export(model, (torch.randn(3, 4),), out, dynamo=True)\n\n\n"
        + "def tr():\n    model = Net()\n    return torch.jit.trace(model, torch.randn(3, 4), check_trace=False)\n"
    )
    found = _codes(src, "--select", "TRT106", "--target", "trt10.8,torch2.14")
    assert found == [(25, "TRT106"), (30, "TRT106")], found  # dy and tr; ts is harmless
    ns: dict[str, object] = {}
    exec(compile(src.read_text(), str(src), "exec"), ns)
    x = torch.randn(5, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns["ts"](str(tmp_path / "ts.onnx"))  # type: ignore[operator]
        ns["dy"](str(tmp_path / "dy.onnx"))  # type: ignore[operator]
        traced = ns["tr"]()  # type: ignore[operator]
    assert "Dropout" not in _ops(tmp_path / "ts.onnx")  # exported in eval mode
    ts = ort_run(tmp_path / "ts.onnx", torch.randn(3, 4).numpy())
    assert ts.any()  # ...and through the eval branch
    assert "Dropout" in _ops(tmp_path / "dy.onnx")  # Dropout kept in training mode
    assert not ort_run(tmp_path / "dy.onnx", torch.randn(3, 4).numpy()).any()  # the training branch was exported
    assert not traced(x).any()  # the trace recorded the training-mode branch


def test_trt106_dynamo_export_of_a_model_without_dropout(tmp_path: Path) -> None:
    """TRT106 is quiet on a fresh model of convolutions, BatchNorm and ReLU exported by the dynamo ONNX exporter:
    the graph it records in training mode uses BatchNorm's running statistics, as eval mode does; a trace does
    not (batch statistics)."""
    torch = require("torch")
    require("onnxscript")
    np = require("numpy")
    path = FIXTURES / "source" / "trt106_mode_free_clean.py"
    assert _codes(path) == []
    spec = importlib.util.spec_from_file_location("mode_free_fixture", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # the test runs it; trtlint never does
    torch.manual_seed(0)
    model = mod.TinyDetector()
    bn = model.body[1]
    with torch.no_grad():
        bn.running_mean.fill_(0.5)
        bn.running_var.fill_(4.0)
    x = torch.randn(2, 3, 32, 32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(tmp_path / "tiny.onnx"), dynamo=True)
    assert model.training
    got = ort_run(tmp_path / "tiny.onnx", x.numpy())
    with torch.no_grad():
        want = model.eval()(x).numpy()
    assert np.allclose(got, want, atol=1e-5)  # the eval-mode output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model.train(), x, check_trace=False)
    with torch.no_grad():
        assert not np.allclose(traced(x).numpy(), model.eval()(x).numpy(), atol=1e-3)  # batch statistics


def test_trt107_claims_per_exporter(tmp_path: Path) -> None:
    """TRT107: outputs left out of dynamic_axes still come out dynamic (both exporters of torch 2.14); an
    unmatched key is ignored by the TorchScript exporter (axis static) and stops the dynamo exporter."""
    torch = require("torch")
    require("onnxscript")
    major, minor = (int(v) for v in torch.__version__.split(".")[:2])
    src = tmp_path / "export.py"
    src.write_text(
        "import torch\n\n"
        "model = torch.nn.Sequential(torch.nn.Linear(4, 4)).eval()\n"
        "x = torch.randn(3, 4)\n"
        "for dyn in (False, True):\n"
        "    torch.onnx.export(model, (x,), OUT + f'/out_{dyn}.onnx', input_names=['x'], output_names=['y'],\n"
        "                      dynamo=dyn, dynamic_axes={'x': {0: 'batch'}})\n"
        "torch.onnx.export(model, (x,), OUT + '/ts_bad.onnx', input_names=['x'], output_names=['y'], dynamo=False,\n"
        "                  dynamic_axes={'input': {0: 'batch'}})\n"
    )
    found = _codes(src, "--select", "TRT107", "--target", f"trt10.8,torch{major}.{minor}")
    assert found == [(9, "TRT107")], found  # only the unmatched key; no claim about the outputs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src.read_text(), str(src), "exec"), {"OUT": str(tmp_path)})
        bad = tmp_path / "dy_bad.py"
        bad.write_text(src.read_text().replace("dynamo=False,\n", "dynamo=True,\n").replace("ts_bad", "dy_bad"))
        msg = json.loads(run_cli("check", "--isolated", "--output-format", "json", "--select", "TRT107",
                                 str(bad)).out)[0]["message"]
        assert "Failed to convert 'dynamic_axes' to 'dynamic_shapes'" in msg
        with pytest.raises(Exception, match="Failed to convert 'dynamic_axes' to 'dynamic_shapes'"):
            exec(compile(bad.read_text(), str(bad), "exec"), {"OUT": str(tmp_path)})
    for dyn in (False, True):
        assert _dims(tmp_path / f"out_{dyn}.onnx", "output")[0][0] not in (3, 0), dyn  # the output batch is dynamic
    assert _dims(tmp_path / "ts_bad.onnx", "input")[0][0] == 3  # the unmatched key left the input static


def test_trt111_links_export_and_build_across_files(tmp_path: Path) -> None:
    """TRT111: the export (one file) makes the ONNX input dynamic; the build script (another file) has no profile."""
    torch = require("torch")
    (tmp_path / "export.py").write_text(
        "import torch\n\n\ndef main():\n"
        "    model = torch.nn.Sequential(torch.nn.Linear(4, 4)).eval()\n"
        "    torch.onnx.export(model, (torch.randn(2, 4),), 'net.onnx', input_names=['x'], output_names=['y'],\n"
        "                      dynamo=False, dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}})\n"
    )
    (tmp_path / "build.py").write_text(
        "import tensorrt as trt\n\n\ndef build():\n"
        "    logger = trt.Logger(trt.Logger.WARNING)\n"
        "    builder = trt.Builder(logger)\n"
        "    network = builder.create_network(0)\n"
        "    parser = trt.OnnxParser(network, logger)\n"
        "    parser.parse_from_file('net.onnx')\n"
        "    plan = builder.build_serialized_network(network, builder.create_builder_config())\n"
        "    with open('net.plan', 'wb') as f:\n"
        "        f.write(plan)\n"
    )
    r = run_cli("check", "--isolated", "--output-format", "json", "--select", "TRT111", "--target", "trt10.8",
                str(tmp_path))
    found = [(Path(f["path"]).name, f["line"], f["code"]) for f in json.loads(r.out)]
    assert found == [("build.py", 9, "TRT111")], found
    ns: dict[str, object] = {}
    exec(compile((tmp_path / "export.py").read_text(), "export.py", "exec"), ns)
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ns["main"]()  # type: ignore[operator]
    finally:
        os.chdir(cwd)
    assert _dims(tmp_path / "net.onnx", "input") == [["batch", 4]]  # what the build script must give a profile for
    del torch


def test_trt112_profile_names_an_input_the_export_does_not_have(tmp_path: Path) -> None:
    """TRT112: the export (one file) names its input 'images'; the build script's profile names 'input'."""
    require("torch")
    (tmp_path / "export.py").write_text(
        "import torch\n\n\ndef main(out):\n"
        "    model = torch.nn.Sequential(torch.nn.Linear(4, 4)).eval()\n"
        "    torch.onnx.export(model, (torch.randn(2, 4),), out + '/net.onnx', input_names=['images'],\n"
        "                      output_names=['y'], dynamo=False, dynamic_axes={'images': {0: 'batch'}})\n"
    )
    (tmp_path / "build.py").write_text(
        "import tensorrt as trt\n\n\ndef build(builder, network, config, logger):\n"
        "    parser = trt.OnnxParser(network, logger)\n"
        "    parser.parse_from_file('net.onnx')\n"
        "    profile = builder.create_optimization_profile()\n"
        "    profile.set_shape('input', (1, 4), (8, 4), (16, 4))\n"
        "    config.add_optimization_profile(profile)\n"
    )
    r = run_cli("check", "--isolated", "--output-format", "json", "--select", "TRT111,TRT112", str(tmp_path))
    found = [(Path(f["path"]).name, f["line"], f["code"]) for f in json.loads(r.out)]
    assert found == [("build.py", 8, "TRT112")], found
    ns: dict[str, object] = {}
    exec(compile((tmp_path / "export.py").read_text(), "export.py", "exec"), ns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns["main"](str(tmp_path))  # type: ignore[operator]
    import onnx

    inputs = [i.name for i in onnx.load(str(tmp_path / "net.onnx")).graph.input]
    assert inputs == ["images"] and _dims(tmp_path / "net.onnx", "input") == [["batch", 4]]


_REPORTS = '''\
import logging

import torch

log = logging.getLogger("trtlint-test")


class IfPrint(torch.nn.Module):
    def forward(self, x):
        y = x.clamp(min=0)
        if torch.any(y != x):
            print("negative input clamped")
        return y


class PrintItem(torch.nn.Module):
    def forward(self, x):
        print(f"mean {x.mean().item():.2f}")
        log.info("max %s", x.max().item())
        return x * 2
'''


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # the test runs it; trtlint never does
    return mod


def test_reports_only_change_nothing_in_a_trace_but_stop_torch_export(tmp_path: Path, capsys) -> None:
    """TRT101/TRT102 notes: a data-dependent `if` whose body only prints, and `.item()` values that only reach
    print/logging, leave the traced and TorchScript-ONNX graphs as they are (no `If`, no constant read from the
    data: the traced module follows new inputs); torch.export and the dynamo exporter stop at the `if`, and
    torch.export stops where an `.item()` value is formatted as a number (`:.2f`), not where it is only passed
    to logging."""
    torch = require("torch")
    onnx = require("onnx")
    import io

    src = tmp_path / "reports.py"
    src.write_text(_REPORTS)
    r = run_cli("check", "--isolated", "--output-format", "json", str(src))
    got = [(f["line"], f["code"], f["severity"]) for f in json.loads(r.out)]
    assert got == [(11, "TRT101", "note"), (18, "TRT102", "note"), (19, "TRT102", "note")]
    mod = _load(src, "reports_fixture")
    x, neg = torch.ones(2, 3), -torch.ones(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_if, t_item = torch.jit.trace(mod.IfPrint().eval(), x), torch.jit.trace(mod.PrintItem().eval(), x)
        buf = io.BytesIO()
        torch.onnx.export(mod.IfPrint().eval(), (x,), buf, dynamo=False)
    assert torch.equal(t_if(neg), torch.zeros(2, 3)) and torch.equal(t_item(neg), -2 * torch.ones(2, 3))
    assert "If" not in {n.op_type for n in onnx.load_from_string(buf.getvalue()).graph.node}
    with pytest.raises(Exception, match="data-dependent"):
        torch.export.export(mod.IfPrint().eval(), (x,))
    with pytest.raises(TypeError, match="format"):
        torch.export.export(mod.PrintItem().eval(), (x,))
    with pytest.raises(Exception):
        torch.onnx.export(mod.IfPrint().eval(), (x,), dynamo=True)  # built on torch.export: the same stop
    capsys.readouterr()


_COPIES = '''\
import torch


class Copy(torch.nn.Module):
    def forward(self, x):
        return torch.tensor(x * 2) + 1


class Pair(torch.nn.Module):
    def forward(self, x):
        return x + torch.tensor([x.max(), x.min()])
'''


def test_torch_tensor_of_one_tensor_is_a_copy_of_the_trace(tmp_path: Path) -> None:
    """TRT102: `torch.tensor(t)` of one tensor is recorded as a copy that follows new inputs (trace, TorchScript
    ONNX, torch.export); `torch.tensor([a, b])` of several tensor values is frozen by the trace (reported)."""
    torch = require("torch")
    ort = require("onnxruntime")
    import io

    src = tmp_path / "copies.py"
    src.write_text(_COPIES)
    assert [c for c in _codes(src) if c[1] == "TRT102"] == [(11, "TRT102")]
    mod = _load(src, "copies_fixture")
    a, b = torch.ones(2), torch.full((2,), 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy, pair = torch.jit.trace(mod.Copy(), a), torch.jit.trace(mod.Pair(), a)
        buf = io.BytesIO()
        torch.onnx.export(mod.Copy(), (a,), buf, dynamo=False)
        exported = torch.export.export(mod.Copy(), (a,)).module()
    assert torch.equal(copy(b), mod.Copy()(b)) and torch.equal(exported(b), mod.Copy()(b))
    sess = ort.InferenceSession(buf.getvalue())
    assert (sess.run(None, {sess.get_inputs()[0].name: b.numpy()})[0] == mod.Copy()(b).numpy()).all()
    assert not torch.equal(pair(b), mod.Pair()(b))  # the pair of the example input, frozen
