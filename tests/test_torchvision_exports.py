"""Real exports: torchvision classifiers at opset 17 with a dynamic batch are clean for TensorRT 10.x; the same
models at opset 20 get the opset warning for TensorRT 8.6; a dynamo export with the installed onnx gets at most a
note about its IR version. Needs torch and torchvision (scripts/test.sh installs them)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from .conftest import require, run_cli

MODELS = ("resnet18", "resnet50", "mobilenet_v3_large", "efficientnet_b0", "vit_b_16")


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[tuple[str, int], Path]:
    torch = require("torch")
    tv = require("torchvision")
    require("onnx")
    out = tmp_path_factory.mktemp("exports")
    paths: dict[tuple[str, int], Path] = {}
    torch.manual_seed(0)
    for name in MODELS:
        model = getattr(tv.models, name)(weights=None).eval()
        x = torch.randn(1, 3, 224, 224)
        for opset in (17, 20):
            path = out / f"{name}_op{opset}.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, (x,), str(path), opset_version=opset, dynamo=False,
                                  input_names=["images"], output_names=["logits"],
                                  dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
            paths[(name, opset)] = path
    return paths


@pytest.mark.parametrize("target", ["trt10.0", "trt10.8", "trt10.16"])
def test_opset17_exports_are_clean_for_trt10(exports, target: str) -> None:
    files = [str(p) for (name, opset), p in sorted(exports.items()) if opset == 17]
    r = run_cli("check", "--isolated", "--output-format", "json", "--target", target, *files)
    bad = [f for f in json.loads(r.out) if f["severity"] in ("error", "warning")]
    assert not bad, [f"{Path(f['path']).name}: {f['code']} {f['message']}" for f in bad]


def test_opset20_exports_get_the_opset_warning_for_trt86(exports) -> None:
    for (name, opset), path in sorted(exports.items()):
        if opset != 20:
            continue
        r = run_cli("check", "--isolated", "--output-format", "json", "--target", "trt8.6", str(path))
        found = json.loads(r.out)
        assert r.code == 1
        above = [f for f in found if f["code"] == "TRT301" and "opset 20, above" in f["message"]]
        assert [f["severity"] for f in above] == ["warning"], name


def _mean_head(torch):  # type: ignore[no-untyped-def]
    """Linear, ReLU, then a mean over dim 1 (ReduceMean with an axes input from opset 18); built lazily, torch
    being optional."""

    class Head(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(4, 3)

        def forward(self, x):  # type: ignore[no-untyped-def]
            return torch.relu(self.fc(x)).mean(dim=1)

    return Head().eval()


def test_dynamo_export_with_current_onnx_is_not_warned_for_its_ir_version(tmp_path: Path) -> None:
    torch = require("torch")
    onnx = require("onnx")
    require("onnxscript")
    path = tmp_path / "head.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_mean_head(torch), (torch.randn(2, 4),), str(path), dynamo=True)
    model = onnx.load(str(path))
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    r = run_cli("check", "--isolated", "--output-format", "json", "--target", "trt10.1", str(path))
    found = json.loads(r.out)
    assert not [f for f in found if f["severity"] in ("error", "warning")], found
    if model.ir_version > 9:  # TensorRT 10.1's parser is built around IR 9: a note at most
        assert [(f["code"], f["severity"]) for f in found] == [("TRT302", "note")]
    # the same export for 8.6: the opset is above 17, and its ReduceMean importer ignores the axes input
    r = run_cli("check", "--isolated", "--output-format", "json", "--target", "trt8.6", str(path))
    found = json.loads(r.out)
    if opset >= 18:
        errors = [f for f in found if f["severity"] == "error"]
        assert [f["code"] for f in errors] == ["TRT301"] and "(ReduceMean)" in errors[0]["message"], found
    assert all(f["severity"] == "note" for f in found if f["code"] == "TRT302")
