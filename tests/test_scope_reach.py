"""Scope decisions read from the callers and the export scripts of the run (lint/analysis/submodules.py and
lint/analysis/reach.py): submodules used only on training paths, methods that require ground truth, and models
whose export scripts export only their submodules (``torch.onnx.export(model.encoder, ...)``)."""
from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_cli

MODEL = """\
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def forward(self, x):
        return x * x.sum().item()


class Decoder(nn.Module):
    def forward(self, h):
        return h + 1


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()

    def forward(self, x):
        h = self.encoder(x)
        if h.max() < 1:
            return h
        return self.decoder(h)
"""
LOADER = """\
import torch
from pkg.model import Net


def load_model():
    m = Net()
    m.load_state_dict(torch.load("net.pt"))
    m.eval()
    return m


def main():
    model = load_model()
    torch.onnx.export(model.encoder, (torch.randn(1, 3),), "encoder.onnx")
"""
DECODER = """\
import torch
from export_encoder import load_model

model = load_model()
torch.onnx.export(model.decoder, (torch.randn(1, 3),), "decoder.onnx")
"""
# another folder of the run: a factory of the same name that builds something else
OTHER_LOADER = """\
import torch
import torch.nn as nn


class Other(nn.Module):
    def forward(self, x):
        return x


def load_model():
    return Other()


torch.onnx.export(load_model(), (torch.randn(1, 3),), "other.onnx")
"""


def _tree(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "model.py").write_text(MODEL)
    (tmp_path / "export_encoder.py").write_text(LOADER)
    (tmp_path / "export_decoder.py").write_text(DECODER)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "export_onnx.py").write_text(OTHER_LOADER)


def _findings(tmp_path: Path) -> list[tuple[str, int, str]]:
    r = run_cli("check", "--isolated", "--output-format", "json", "--select", "TRT101,TRT102", ".", cwd=tmp_path)
    assert r.code in (0, 1), r.err
    return sorted((Path(f["path"]).name, f["line"], f["code"]) for f in json.loads(r.out))


def test_a_model_exported_only_through_its_submodules_is_not_an_entry(tmp_path: Path) -> None:
    _tree(tmp_path)
    # Net.forward (the branch at line 23) chains the exported submodules eagerly; Encoder.forward is exported
    assert _findings(tmp_path) == [("model.py", 7, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", ".", cwd=tmp_path)
    assert "excluded  Net.forward (line 21): not an entry: the run exports only submodules of Net (decoder, " \
           "encoder; torch.onnx.export(model.decoder) at export_decoder.py:5), each through its own forward" in r.out


def test_an_export_of_the_whole_model_keeps_its_forward(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "export_all.py").write_text("import torch\nfrom export_encoder import load_model\n\n"
                                            "torch.onnx.export(load_model(), (torch.randn(1, 3),), 'net.onnx')\n")
    assert _findings(tmp_path) == [("model.py", 7, "TRT102"), ("model.py", 23, "TRT101")]


def test_an_unresolved_root_that_names_the_model_keeps_its_forward(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "export_any.py").write_text("import torch\nfrom pkg.model import Net\n\n\ndef export(m):\n"
                                            "    torch.onnx.export(m, (torch.randn(1, 3),), 'm.onnx')\n")
    assert _findings(tmp_path) == [("model.py", 7, "TRT102"), ("model.py", 23, "TRT101")]
    # an unresolved root in a file that names neither Net nor its factory cannot be an export of Net
    (tmp_path / "export_any.py").write_text("import torch\n\n\ndef export(m):\n"
                                            "    torch.onnx.export(m, (torch.randn(1, 3),), 'm.onnx')\n")
    assert _findings(tmp_path) == [("model.py", 7, "TRT102")]


def test_an_entry_method_is_not_a_submodule(tmp_path: Path) -> None:
    _tree(tmp_path)
    model = MODEL + "\n    def encode(self, x):\n        return self.encoder(x)\n"
    (tmp_path / "pkg" / "model.py").write_text(model)
    (tmp_path / "export_encoder.py").write_text(LOADER.replace("model.encoder", "model.encode"))
    # model.encode is a method of Net, not a submodule: Net is exported itself, its forward stays linted
    assert ("model.py", 23, "TRT101") in _findings(tmp_path)


HEAD = """\
import torch
import torch.nn as nn

from .sampler import RoISampler


class HeadTemplate(nn.Module):
    def __init__(self):
        super().__init__()
        self.sampler = RoISampler()

    def assign_targets(self, batch):
        with torch.no_grad():
            return {"rois": self.sampler.forward(batch["rois"])}
"""
ROI_HEAD = """\
from .template import HeadTemplate


class RoIHead(HeadTemplate):
    def forward(self, batch, training=True):
        if training:
            batch = self.assign_targets(batch)
        return batch["rois"] * 2
"""
SAMPLER = """\
import torch.nn as nn


class RoISampler(nn.Module):
    def forward(self, rois):
        if rois.sum() > 0:
            rois = rois * 2
        return rois
"""


def _heads(tmp_path: Path, roi_head: str = ROI_HEAD) -> None:
    (tmp_path / "heads").mkdir()
    (tmp_path / "heads" / "__init__.py").write_text("")
    (tmp_path / "heads" / "template.py").write_text(HEAD)
    (tmp_path / "heads" / "roi_head.py").write_text(roi_head)
    (tmp_path / "heads" / "sampler.py").write_text(SAMPLER)


def test_a_submodule_used_only_in_training_across_files_is_excluded(tmp_path: Path) -> None:
    _heads(tmp_path)
    # the sampler is called only from HeadTemplate.assign_targets, which RoIHead.forward calls under `if training:`
    assert _findings(tmp_path) == []
    r = run_cli("check", "--isolated", "--show-scope", ".", cwd=tmp_path)
    assert "excluded  class RoISampler (line 4): training-only: a submodule (`self.sampler` of HeadTemplate) used " \
           "only on training paths (HeadTemplate.assign_targets: in assign_targets, called only under `if " \
           "training:` in RoIHead.forward)" in r.out


def test_a_submodule_with_one_inference_use_stays_exported(tmp_path: Path) -> None:
    _heads(tmp_path, ROI_HEAD.replace('        return batch["rois"] * 2',
                                      '        return self.assign_targets(batch)["rois"] * 2'))
    assert _findings(tmp_path) == [("sampler.py", 6, "TRT101")]
    # built anywhere but as a held attribute (here in a plain list), it stays exported too
    _heads_list = HEAD.replace("        self.sampler = RoISampler()",
                               "        self.sampler = RoISampler()\n        self.extra = [RoISampler()]")
    (tmp_path / "heads" / "template.py").write_text(_heads_list)
    (tmp_path / "heads" / "roi_head.py").write_text(ROI_HEAD)
    assert _findings(tmp_path) == [("sampler.py", 6, "TRT101")]


def test_a_method_that_requires_ground_truth_is_not_exported(tmp_path: Path) -> None:
    code = ("import torch.nn as nn\n\n\nclass Det(nn.Module):\n"
            "    def forward(self, x, gt_boxes=None):\n"
            "        self.metric(x, gt_boxes)\n"
            "        return self.score(x, gt_boxes)\n\n"
            "    def metric(self, pred, gt_boxes):\n"
            "        return (pred - gt_boxes).abs().max().item()\n\n"
            "    def score(self, pred, gt_boxes=None):\n"
            "        return pred * pred.max().item()\n")
    (tmp_path / "det.py").write_text(code)
    # metric requires ground truth (evaluation code); score takes it optionally and stays linted
    assert _findings(tmp_path) == [("det.py", 13, "TRT102")]


SELF_EXPORT = """\
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def forward(self, x):
        return x * x.sum().item()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()

    def forward(self, x):
        h = self.encoder(x)
        if h.max() < 1:
            return h
        return h * 2

    def export(self, x):
        torch.onnx.export(self.encoder, (x,), "encoder.onnx")


Net().export(torch.randn(1, 3))
"""


def test_a_model_that_exports_its_own_submodule_is_not_an_entry(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(SELF_EXPORT)
    assert _findings(tmp_path) == [("net.py", 7, "TRT102")]
    # a second script that exports the model itself keeps its forward
    (tmp_path / "export_all.py").write_text("import torch\nfrom net import Net\n\n"
                                            "torch.onnx.export(Net(), (torch.randn(1, 3),), 'net.onnx')\n")
    assert _findings(tmp_path) == [("net.py", 7, "TRT102"), ("net.py", 17, "TRT101")]


def test_same_named_models_of_two_folders_are_told_apart_by_import(tmp_path: Path) -> None:
    _tree(tmp_path)
    # a copy of the model in another folder, exported whole by its own script: pkg/model.py's Net is still
    # exported only through its submodules
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "model.py").write_text(MODEL)
    (tmp_path / "copy" / "export_all.py").write_text("import torch\nfrom model import Net\n\n"
                                                     "torch.onnx.export(Net(), (torch.randn(1, 3),), 'net.onnx')\n")
    assert _findings(tmp_path) == [("model.py", 7, "TRT102"), ("model.py", 7, "TRT102"), ("model.py", 23, "TRT101")]
    r = run_cli("check", "--isolated", "--output-format", "json", "--select", "TRT101", ".", cwd=tmp_path)
    assert [f["path"] for f in json.loads(r.out)] == ["copy/model.py"]


def test_the_network_of_a_training_wrapper_without_forward_stays_exported(tmp_path: Path) -> None:
    code = ("import torch.nn as nn\n\n\nclass Net(nn.Module):\n"
            "    def forward(self, x):\n"
            "        return x * x.max().item()\n\n\n"
            "class Lit(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.net = Net()\n\n"
            "    def compute_loss(self, x, gt_boxes):\n"
            "        return (self.net(x) - gt_boxes).abs().mean()\n")
    (tmp_path / "lit.py").write_text(code)
    # the network is used only in a loss method, but the holder has no forward: it is a training wrapper around
    # the model that gets exported, which stays linted
    assert _findings(tmp_path) == [("lit.py", 6, "TRT102")]
    (tmp_path / "lit.py").write_text(code + "\n    def forward(self, x):\n        return x\n")
    assert _findings(tmp_path) == []


DECLARED_MODEL = """\
import torch
import torch.nn as nn


def gate(x):
    return x.sum().item() > 0


class Head(nn.Module):
    def forward(self, x):
        if gate(x):
            return x
        return -x


class Other(nn.Module):
    def forward(self, x):
        return x * x.max().item()
"""
DECLARED_EXPORT = """\
import torch
from pkg.model import Head

model = Head()
torch.jit.trace(model, torch.randn(1, 3))
"""


def _severities(tmp_path: Path, models: str | None) -> dict[tuple[str, int, str], str]:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    (tmp_path / "pkg" / "model.py").write_text(DECLARED_MODEL)
    (tmp_path / "pkg" / "export.py").write_text(DECLARED_EXPORT)
    conf = "[tool.trtlint]\n" + (f"models = {models}\n" if models else "")
    (tmp_path / "pyproject.toml").write_text(conf)
    r = run_cli("check", "--output-format", "json", "pkg", cwd=tmp_path)
    assert r.code == 1, r.err
    return {(Path(f["path"]).name, f["line"], f["code"]): f["severity"] for f in json.loads(r.out)}


def test_model_code_findings_are_notes_unless_the_model_is_declared(tmp_path: Path) -> None:
    """lint/analysis/declared.py: an export call found in the run is not enough (on held-out corpora the findings it
    reached were no more often true); `[tool.trtlint] models` is the user's statement of what is exported."""
    found = _severities(tmp_path, None)
    assert found[("model.py", 6, "TRT102")] == "note"  # in gate(), called from Head.forward
    assert found[("model.py", 11, "TRT101")] == "note"
    assert found[("export.py", 5, "TRT106")] == "note"


def test_declared_model_keeps_the_rule_severity_in_its_reach_only(tmp_path: Path) -> None:
    found = _severities(tmp_path, '["pkg.model:Head"]')
    assert found[("model.py", 6, "TRT102")] == "error"  # reached from Head through gate()
    assert found[("model.py", 11, "TRT101")] == "error"
    assert found[("export.py", 5, "TRT106")] == "error"  # the export call of the declared model
    assert found.get(("model.py", 18, "TRT102"), "note") == "note"  # Other: not declared, not reached


def test_declared_model_in_a_single_file_run(tmp_path: Path) -> None:
    """The pre-commit case: one file, its index built from the parsed file."""
    _severities(tmp_path, '["pkg.model:Head"]')
    r = run_cli("check", "--output-format", "json", "pkg/model.py", cwd=tmp_path)
    got = {(f["line"], f["code"]): f["severity"] for f in json.loads(r.out)}
    assert got[(6, "TRT102")] == "error" and got[(11, "TRT101")] == "error"


def test_show_scope_says_what_keeps_the_severity(tmp_path: Path) -> None:
    _severities(tmp_path, None)
    r = run_cli("check", "--show-scope", "pkg", cwd=tmp_path)
    assert "severity: no [tool.trtlint] models declared: TRT101-TRT106 report notes" in r.out
    _severities(tmp_path, '["pkg.model:Head"]')
    r = run_cli("check", "--show-scope", "pkg", cwd=tmp_path)
    assert "keep errors and warnings in what the declared models reach (Head, gate); notes elsewhere" in r.out
