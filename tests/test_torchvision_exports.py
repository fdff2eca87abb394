"""Real exports: torchvision classifiers at opset 17 with a dynamic batch are clean for TensorRT 10.x; the same
models at opset 20 get the opset error for TensorRT 8.6. Needs torch and torchvision (scripts/test.sh installs them)."""
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


def test_opset20_exports_get_the_opset_error_for_trt86(exports) -> None:
    for (name, opset), path in sorted(exports.items()):
        if opset != 20:
            continue
        r = run_cli("check", "--isolated", "--output-format", "json", "--target", "trt8.6", str(path))
        found = json.loads(r.out)
        assert r.code == 1
        assert [f for f in found if f["code"] == "TRT301" and "opset 20" in f["message"]], name
