"""Graph mode on real torchvision models (random weights, no download), kept small so the suite stays fast:
resnet18 at 64x64 with a dynamic batch lints clean; fasterrcnn_mobilenet_v3_large_fpn yields the findings that
make it hard to deploy, at torchvision's lines. The full list of issue 8 runs in benchmarks/graph_models.py."""
from __future__ import annotations

import json
import os

import pytest

from .conftest import ROOT, run_cli

torchvision = pytest.importorskip("torchvision", reason="needs torch and torchvision")
TV_DIR = os.path.dirname(torchvision.__file__)
FACTORIES = "fixtures/graph/tv_models.py"


@pytest.mark.graph_models
def test_resnet18_dynamic_batch_is_clean() -> None:
    r = run_cli("graph", f"{FACTORIES}:resnet18", "--min-shapes", "x:1x3x64x64", "--opt-shapes", "x:2x3x64x64",
                "--max-shapes", "x:4x3x64x64", "--isolated", "--output-format", "json", cwd=ROOT)
    assert r.code == 0, r.out + r.err
    assert json.loads(r.out) == []


@pytest.mark.graph_models
def test_fasterrcnn_data_dependent_shapes_and_control_flow_at_torchvision_lines() -> None:
    r = run_cli("graph", f"{FACTORIES}:fasterrcnn_mobilenet_v3_large_fpn", "--shapes", "x:1x3x128x128",
                "--user-code", TV_DIR, "--isolated", "--output-format", "json", "--timeout", "600", cwd=ROOT)
    assert r.code == 1, r.err
    found = json.loads(r.out)
    where = {(f["code"], os.path.basename(f["path"])) for f in found}
    # nonzero in the RPN's and the ROI heads' box filtering; the per-level host reads in the MultiScaleRoIAlign
    # pooler; torch.export stops at NMS's data-dependent branch (torchvision.ops.boxes)
    assert {("TRT204", "rpn.py"), ("TRT204", "roi_heads.py"), ("TRT202", "poolers.py"),
            ("TRT209", "boxes.py")} <= where, sorted(where)
    # paths are shown relative to the working directory where they lie under it (a venv inside the checkout)
    site = os.path.realpath(TV_DIR.rstrip("/").rsplit("/", 1)[0])
    assert all(os.path.realpath(os.path.join(ROOT, f["path"])).startswith(site) or f["path"].endswith("tv_models.py")
               for f in found), sorted(f["path"] for f in found)
