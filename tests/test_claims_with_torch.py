"""What the source rules say happens, shown with the real torch: each test lints a snippet, then runs it."""
from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import pytest

from .conftest import FIXTURES, require, run_cli


def _codes(path: Path, *args: str) -> list[tuple[int, str]]:
    r = run_cli("check", "--isolated", "--output-format", "json", *args, str(path))
    return [(f["line"], f["code"]) for f in json.loads(r.out)]


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
