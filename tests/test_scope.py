"""The export scope across the files of one run: bases resolved through the run, export roots and their reach,
``models = [...]`` in the configuration, and ``--show-scope``."""
from __future__ import annotations

import json
from pathlib import Path

from .conftest import FIXTURES, run_cli

MODEL = """\
import torch
from .base import Base
from .helpers import Helper


class Net(Base):
    def forward(self, x):
        return x * x.max().item()


class Runner(Helper):
    def forward(self, x):
        return x.max().item()
"""
BASE = """\
import torch.nn as nn


class Base(nn.Module):
    pass
"""
HELPERS = """\
class Helper:
    pass
"""
OTHER = """\
import torch.nn as nn


class Other(nn.Module):
    def forward(self, x):
        return x.sum().item()
"""
EXPORT = """\
import torch
from pkg.model import Net

model = Net().eval()
torch.onnx.export(model, (torch.randn(1, 3),), "net.onnx")
"""


def _tree(tmp_path: Path, export: bool = False) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text(MODEL)
    (pkg / "base.py").write_text(BASE)
    (pkg / "helpers.py").write_text(HELPERS)
    (pkg / "other.py").write_text(OTHER)
    if export:
        (tmp_path / "export.py").write_text(EXPORT)
    return pkg


def _findings(*args: str, cwd: Path) -> list[tuple[str, int, str]]:
    r = run_cli("check", "--output-format", "json", "--select", "TRT102", *args, cwd=cwd)
    assert r.code in (0, 1), r.err
    return [(Path(f["path"]).name, f["line"], f["code"]) for f in json.loads(r.out)]


def test_bases_resolve_across_the_run(tmp_path: Path) -> None:
    _tree(tmp_path)
    # the whole package: Net is a module through pkg/base.py, Runner's base is a plain class of pkg/helpers.py
    assert _findings("--isolated", "pkg", cwd=tmp_path) == [("model.py", 8, "TRT102"), ("other.py", 6, "TRT102")]
    # the file alone: nothing resolves either base, so both count as modules (nothing true is lost)
    assert _findings("--isolated", "pkg/model.py", cwd=tmp_path) == [("model.py", 8, "TRT102"),
                                                                      ("model.py", 13, "TRT102")]


def test_export_roots_limit_the_scope_to_their_reach(tmp_path: Path) -> None:
    _tree(tmp_path, export=True)
    # export.py exports Net: Other is outside its reach
    assert _findings("--isolated", ".", cwd=tmp_path) == [("model.py", 8, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", ".", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "excluded  class Other (line 4): outside the reach of the export roots (Net)" in r.out
    assert "torch.onnx.export(model) at export.py:5 -> Net" in r.out
    assert "excluded  class Runner (line 11): not an nn.Module (bases Helper)" in r.out


SCRIPTED_HELPER = """\
import torch


def dice_loss(inputs, targets):
    return 1 - (2 * (inputs * targets).sum() + 1) / (inputs.sum() + targets.sum() + 1)


dice_loss_jit = torch.jit.script(dice_loss)
"""


def test_a_scripted_helper_function_is_not_an_export_root(tmp_path: Path) -> None:
    # torch.jit.script(dice_loss) compiles a helper: the models of the run stay in scope
    _tree(tmp_path)
    (tmp_path / "pkg" / "criterion.py").write_text(SCRIPTED_HELPER)
    assert _findings("--isolated", ".", cwd=tmp_path) == [("model.py", 8, "TRT102"), ("other.py", 6, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", ".", cwd=tmp_path)
    assert "export roots: none found" in r.out
    # scripting a model is still an export root, and limits the scope to its reach
    (tmp_path / "export.py").write_text("import torch\nfrom pkg.model import Net\n\nts = torch.jit.script(Net())\n")
    assert _findings("--isolated", ".", cwd=tmp_path) == [("model.py", 8, "TRT102")]


def test_models_in_the_configuration_are_roots(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nmodels = ["pkg.other:Other"]\n')
    assert _findings("pkg", cwd=tmp_path) == [("other.py", 6, "TRT102")]
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nmodels = ["pkg/other.py"]\n')
    r = run_cli("check", "pkg", cwd=tmp_path)
    assert r.code == 2 and "models entry 'pkg/other.py' must read" in r.err


def test_show_scope_explains_each_exclusion() -> None:
    r = run_cli("check", "--isolated", "--show-scope", str(FIXTURES / "source" / "trt1xx_scope_clean.py"))
    assert r.code == 0, r.err
    out = r.out
    assert "excluded  class OnnxBackend (line 9): not an nn.Module (no base class)" in out
    assert "excluded  class TrtRunner (line 17): a runtime wrapper (uses tensorrt)" in out
    assert "excluded  class IoULoss (line 28): training-only: a loss, criterion, matcher or assigner" in out
    assert "excluded  class Clip (line 40): custom torch.autograd.Function" in out
    assert "exported  class Detector (line 50): nn.Module subclass (base nn.Module)" in out
    assert "excluded  Detector.report (line 76): decorated @torch.jit.unused" in out
    assert "excluded  Detector.loss (line 72): training-only: a loss method" in out
    assert "skipped body of `if` at line 57: training-only branch (mode == 'loss')" in out
    assert "skipped body of `if` at line 59: training-only branch (targets is not None)" in out
    assert "skipped else-branch of `if` at line 61: eager side of a tracing guard (torch.jit.is_tracing())" in out
    assert "skipped what follows `if` at line 68 (the exported side leaves the function): training-only" in out
    assert "export roots: none found" in out


def test_show_scope_explains_training_code() -> None:
    r = run_cli("check", "--isolated", "--show-scope", str(FIXTURES / "source" / "trt1xx_training_code_clean.py"))
    assert r.code == 0, r.err
    assert "excluded  class Yolo_loss (line 6): training-only: a loss, criterion, matcher or assigner" in r.out
    assert ("excluded  Tagger.forward (line 13): training-only: forward returns only losses (`(loss_t2t, loss_tag)`)"
            in r.out)
    # the model itself stays exported: its other methods are what an export of `generate` would reach
    assert "exported  class Tagger (line 12): nn.Module subclass" in r.out
    r = run_cli("check", "--isolated", "--show-scope", str(FIXTURES / "source" / "trt1xx_training_code.py"))
    assert "exported  Tagger.forward (line 19): entry point" in r.out  # it returns logits besides the loss
    assert "exported  class YoloHead (line 13)" in r.out


def test_show_scope_on_unparsable_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def (:\n")
    r = run_cli("check", "--isolated", "--show-scope", str(bad))
    assert r.code == 0 and "not analysed: Python cannot parse this file" in r.out


POST = """\
def decode(out, conf):
    keep = out[out[..., 4] > conf]
    return keep.tolist()
"""
DET = """\
import torch.nn as nn
from .post import decode


class Det(nn.Module):
    def forward(self, x):
        return decode(x, 0.5)

    def infer(self, x):
        return x.max().item()
"""
DET_EXPORT = """\
import torch
from pkg.det import Det

model = Det().eval()
torch.onnx.export(model, (torch.randn(1, 3),), "det.onnx")
traced = torch.jit.trace(model.infer, (torch.randn(1, 3),))
"""


def test_helpers_of_other_files_and_entry_points_not_named_forward(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "post.py").write_text(POST)
    (pkg / "det.py").write_text(DET)
    # without export roots, a helper in another file is not followed (its callers may be eager wrappers)
    assert _findings("--isolated", "pkg", cwd=tmp_path) == []
    (tmp_path / "export.py").write_text(DET_EXPORT)
    # Det is exported: decode (pkg/post.py) is post-processing inside its forward, and Det.infer is traced
    assert _findings("--isolated", ".", cwd=tmp_path) == [("det.py", 10, "TRT102"), ("post.py", 3, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", ".", cwd=tmp_path)
    assert "exported  decode (line 1): called from the forward of Det (pkg/det.py:5)" in r.out
    assert "torch.jit.trace(model.infer) at export.py:6 -> Det.infer" in r.out


GHM = """\
import torch
import torch.nn as nn


class GHMC(nn.Module):
    def forward(self, pred, weight):
        return pred.sum() / max(weight.sum().item(), 1.0)
"""


def test_classes_of_loss_modules_are_training_only(tmp_path: Path) -> None:
    # the same class is model code in models/head.py and training-only in losses/ghm.py or models/ghm_loss.py
    for rel in ("losses/ghm.py", "models/ghm_loss.py", "models/head.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(GHM)
    assert _findings("--isolated", ".", cwd=tmp_path) == [("head.py", 7, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", "losses/ghm.py", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "excluded  class GHMC (line 5): training-only: defined in a loss module (by its path)" in r.out


def test_show_scope_explains_structural_exclusions() -> None:
    r = run_cli("check", "--isolated", "--show-scope", str(FIXTURES / "source" / "trt1xx_shapes_clean.py"))
    assert r.code == 0, r.err
    out = r.out
    assert "excluded  class MarginHead (line 11): training-only: forward requires training targets (`labels`)" in out
    assert "excluded  class KnnEval (line 23): distributed training or evaluation code (calls " \
           "torch.distributed.broadcast)" in out
    assert "excluded  class LogReg (line 33): wraps an estimator (LogisticRegression)" in out
    assert "excluded  class PostProcess (line 42): eager post-processing: forward returns a list of dicts" in out
    assert "excluded  class PostProcessMasks (line 49): eager post-processing: forward returns a list of dicts " \
           "built in Python (`results`)" in out
    assert "excluded  class PostProcessPanoptic (line 56): eager post-processing: forward makes PIL images" in out
    assert "skipped `if` at line 68: debug-only branch (a NaN/Inf check that only reports" in out
    assert "body of `if` at line 71: the exported side of a tracing guard, written for the exporter" in out


WRAP_EXPORT = """\
import torch
from pkg.model import Net
from mmengine.registry import MODELS


class Wrapper(torch.nn.Module):
    def __init__(self, base):
        super().__init__()
        self.base = base

    def forward(self, x):
        return self.base(x)


def main(cfg):
    base = MODELS.build(cfg)
    model = Wrapper(base).eval()
    torch.onnx.export(model, (torch.randn(1, 3),), "net.onnx")


def main_known():
    model = Wrapper(Net()).eval()
    torch.onnx.export(model, (torch.randn(1, 3),), "net.onnx")
"""


def test_the_function_that_exports_is_in_the_reach(tmp_path: Path) -> None:
    # the root is a wrapper around what the exporting function builds: MODELS.build makes the reach unknown, so
    # every module counts (Other included); with only main_known the reach is Wrapper and Net
    _tree(tmp_path)
    (tmp_path / "export.py").write_text(WRAP_EXPORT)
    assert _findings("--isolated", ".", cwd=tmp_path) == [("model.py", 8, "TRT102"), ("other.py", 6, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", ".", cwd=tmp_path)
    assert "main (export.py:15) builds a model from data the run cannot see" in r.out, r.out
    (tmp_path / "export.py").write_text(WRAP_EXPORT.split("def main(cfg)")[0] + "def main_known" +
                                        WRAP_EXPORT.split("def main_known")[1])
    assert _findings("--isolated", ".", cwd=tmp_path) == [("model.py", 8, "TRT102")]


def test_prefiltered_patterns_find_what_the_plain_pattern_finds() -> None:
    """The text pre-screen of the runtime and data-sample patterns changes their speed, not their matches."""
    import random

    from trtlint.analysis.bases import _RUNTIME_RE
    from trtlint.analysis.scope import _DATA_SAMPLE_TEXT

    pieces = ["onnxruntime", "rknnlite", "rknn", "cv2.dnn", "cv2", ".dnn", "tensorflow.lite", "tvm", "MNN", "x",
              "_", ".", " ", "\n", "DataSample", ".pred_", "pred_instances", "label", "é", "(", "#"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        pos, endpos = sorted(rng.randint(0, len(text) + 1) for _ in range(2))
        for rx in (_RUNTIME_RE, _DATA_SAMPLE_TEXT):
            for args in ((), (pos, endpos)):
                got, want = rx.search(text, *args), rx.pattern.search(text, *args)
                assert (got and got.span()) == (want and want.span()), (text, args)


AUGMENT = """\
import torch
import torch.nn as nn


class GaussianBlur(nn.Module):
    def __init__(self, sigma):
        super().__init__()
        self.sigma = sigma

    def forward(self, img):
        sigma = torch.empty(1).uniform_(*self.sigma).item()
        return img * sigma


class Normalize(nn.Module):
    def forward(self, img):
        return img / img.max().item()
"""


def test_random_modules_of_a_transforms_package_are_augmentations(tmp_path: Path) -> None:
    # GaussianBlur draws a random sigma: an augmentation in transforms/, model code in models/; Normalize draws
    # nothing and is linted in both
    for rel in ("transforms/blur.py", "models/blur.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(AUGMENT)
    got = _findings("--isolated", ".", cwd=tmp_path)
    assert sorted(got) == [("blur.py", 11, "TRT102"), ("blur.py", 17, "TRT102"), ("blur.py", 17, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", "transforms/blur.py", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "excluded  class GaussianBlur (line 5): training-only: a random data augmentation (defined in a " \
           "transforms module, its forward draws random numbers)" in r.out
    assert "exported  class Normalize (line 15)" in r.out


def test_show_scope_explains_eager_wrappers_and_untaken_branches() -> None:
    r = run_cli("check", "--isolated", "--show-scope", str(FIXTURES / "source" / "trt1xx_wrappers_clean.py"))
    assert r.code == 0, r.err
    out = r.out
    assert "excluded  class OrientationPredictor (line 11): an inference predictor (by its name; `model.eval()` in " \
           "__init__ puts the model it holds in eval mode)" in out
    assert "excluded  class TrackerPredictor (line 21): an inference predictor (by its name; forward runs under " \
           "@torch.no_grad)" in out
    assert "excluded  class SegTrainWrapper (line 32): training-only: a training wrapper (by its name)" in out
    assert "excluded  class SSIM (line 38): an evaluation metric (by its name)" in out
    assert "excluded  class SiftExtractor (line 45): classical vision on the host: it runs `cv2.SIFT_create`" in out
    assert "skipped what follows `if` at line 66 (the exported side leaves the function): the module's export " \
           "switch (self.exportable)" in out
    assert "skipped else-branch of `if` at line 73: a fallback for torch older than 1.8" in out
    assert "skipped body of `if` at line 78: a branch for the mps device, not the one an export runs on (through " \
           "`x_is_mps`)" in out
    assert "skipped what follows `if` at line 90 (the exported side leaves the function): training-only branch " \
           "(self.training), unless self.active_on_eval keeps training behaviour on at eval" in out


def test_classes_of_metrics_modules_are_not_model_code(tmp_path: Path) -> None:
    # the same scoring module is a metric in metrics/ or ssim_metric.py, model code in models/
    for rel in ("metrics/score.py", "utils/ssim_metric.py", "models/score.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(AUGMENT)
    got = _findings("--isolated", ".", cwd=tmp_path)
    assert sorted(got) == [("score.py", 11, "TRT102"), ("score.py", 17, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", "metrics/score.py", cwd=tmp_path)
    assert "excluded  class Normalize (line 15): an evaluation metric (defined in a metrics module)" in r.out


TRAINING_FORWARD = """\
import torch.nn as nn


class Speech(nn.Module):
    def forward(self, text, mel, lengths):
        return self.decoder(text, mel[:, : lengths.max().item()]), self.mse(mel)

    def inference(self, text):
        return self.decoder(text, self.length(text).item())


def synthesize(model, text):
    return model.inference(text)
"""
SPEECH_EXPORT = """\
import torch
from pkg.speech import Speech

model = Speech().eval()
torch.onnx.export(model, (torch.randn(1, 3),), "speech.onnx")
"""


def test_a_training_forward_beside_an_inference_method(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "speech.py").write_text(TRAINING_FORWARD)
    # no root exports the model itself: forward is the training step, `inference` the exported entry
    assert _findings("--isolated", "pkg", cwd=tmp_path) == [("speech.py", 9, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", "pkg", cwd=tmp_path)
    assert r.code == 0, r.err
    assert ("excluded  Speech.forward (line 5): training entry: inference goes through inference, which does not "
            "call forward") in r.out
    assert "exported  Speech.inference (line 8): entry point" in r.out
    # an exporter called on the model traces forward: forward stays linted (and `inference` is not an entry)
    (tmp_path / "export.py").write_text(SPEECH_EXPORT)
    assert _findings("--isolated", ".", cwd=tmp_path) == [("speech.py", 6, "TRT102")]


def test_forward_called_by_a_method_stays_the_entry(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(TRAINING_FORWARD.replace("self.length(text).item())",
                                                            "self.length(text).item())\n\n"
                                                            "    def generate(self, text):\n"
                                                            "        return self.forward(text, None, None)\n"))
    assert _findings("--isolated", "m.py", cwd=tmp_path) == [("m.py", 6, "TRT102")]


def test_an_inference_method_nobody_calls_leaves_forward_the_entry(tmp_path: Path) -> None:
    # Kokoro's TextEncoder: an unused `inference` beside the forward that the model calls
    (tmp_path / "m.py").write_text(TRAINING_FORWARD.split("\n\ndef synthesize")[0] + "\n")
    assert _findings("--isolated", "m.py", cwd=tmp_path) == [("m.py", 6, "TRT102")]


UTILS = """\
def normalize_mels(mels):
    return mels / mels.max().item()


def pad_frames(x):
    return x[:, : x.argmax().item()]
"""
SPEECH = """\
import torch.nn as nn
from pkg.utils import normalize_mels, pad_frames


class Speech(nn.Module):
    def forward(self, text, text_len, mels, mel_len):  # training: teacher forcing on ground-truth mels
        return self.decoder(text, text_len, normalize_mels(mels), mel_len)

    def inference(self, text, noise_scale, length_scale: float):
        return self.decoder.infer(text) * length_scale


class Vocoder(nn.Module):
    def forward(self, mel):
        return pad_frames(self.net(mel))
"""
SPEECH_ROOTS = """\
import torch
from pkg.speech import Speech, Vocoder

model = Speech().eval()
torch.jit.trace(model.inference, (torch.zeros(1, 8),))
torch.onnx.export(Vocoder(), (torch.zeros(1, 80, 10),), "vocoder.onnx")
"""


def test_helpers_of_other_files_called_only_by_a_training_forward(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "utils.py").write_text(UTILS)
    (pkg / "speech.py").write_text(SPEECH)
    (tmp_path / "export.py").write_text(SPEECH_ROOTS)
    # Speech.forward is the training step (sampling settings do not count against inference's arity):
    # normalize_mels, which only it calls, is training-only; pad_frames, called by the exported Vocoder, is linted
    assert _findings("--isolated", ".", cwd=tmp_path) == [("utils.py", 6, "TRT102")]
    r = run_cli("check", "--isolated", "--show-scope", ".", cwd=tmp_path)
    assert r.code == 0, r.err
    assert ("excluded  normalize_mels (line 1): training-only: called only from the training forward of Speech "
            "(pkg/speech.py:5; inference goes through inference)") in r.out
    assert "exported  pad_frames (line 5): called from the forward of Vocoder (pkg/speech.py:13)" in r.out
    # a root that exports Speech itself traces forward: its helper is linted again
    (tmp_path / "export.py").write_text(SPEECH_ROOTS + 'torch.onnx.export(Speech(), (), "speech.onnx")\n')
    assert _findings("--isolated", ".", cwd=tmp_path) == [("utils.py", 2, "TRT102"), ("utils.py", 6, "TRT102")]


DISCRIMINATOR = """\
import numpy as np
import torch.nn as nn


class MultiPeriodDiscriminator(nn.Module):
    def forward(self, x):
        i = np.random.randint(x.shape[-1] - 8)
        return self.net(x[..., i:i + 8])
"""


def test_a_discriminator_is_linted_only_when_an_export_root_reaches_it(tmp_path: Path) -> None:
    (tmp_path / "disc.py").write_text(DISCRIMINATOR)

    def findings() -> list[tuple[str, int, str]]:
        r = run_cli("check", "--isolated", "--output-format", "json", "--select", "TRT103", ".", cwd=tmp_path)
        assert r.code in (0, 1), r.err
        return [(Path(f["path"]).name, f["line"], f["code"]) for f in json.loads(r.out)]

    assert findings() == []
    r = run_cli("check", "--isolated", "--show-scope", "disc.py", cwd=tmp_path)
    assert "excluded  class MultiPeriodDiscriminator (line 5): training-only: a GAN discriminator" in r.out
    # exported by a root of the run (a discriminator used as a quality scorer): linted
    (tmp_path / "export.py").write_text("import torch\nfrom disc import MultiPeriodDiscriminator\n\n"
                                        "torch.onnx.export(MultiPeriodDiscriminator(), (), 'd.onnx')\n")
    assert findings() == [("disc.py", 7, "TRT103")]
    # a root the run cannot resolve, whose expression names a discriminator: linted too
    (tmp_path / "export.py").write_text("import torch\n\n\ndef export(disc):\n"
                                        "    torch.onnx.export(disc, (), 'd.onnx')\n")
    assert findings() == [("disc.py", 7, "TRT103")]
