"""Which base classes make a class an ``nn.Module`` (or rule it out), known by qualified name or by name."""
from __future__ import annotations

import enum
import re
import sys
from typing import Iterable


class ModuleStatus(enum.Enum):
    MODULE = "module"
    NOT_MODULE = "not-module"
    UNKNOWN = "unknown"  # an imported base the run cannot see: treated as a module (nothing true is lost)


# Base classes known to be nn.Module subclasses, by their last name component (they are imported under these
# names from torch, torchvision, timm, mmengine/mmcv, Lightning, transformers and diffusers).
MODULE_BASE_NAMES = frozenset({
    "Module", "Sequential", "ModuleList", "ModuleDict", "ScriptModule", "RecursiveScriptModule",
    "LightningModule", "BaseModule", "BaseModel", "ModelMixin", "PreTrainedModel",
    "PyTorchModelHubMixin",
})
# Package prefixes whose capitalised classes used as bases are modules (layers and models).
MODULE_PACKAGES = ("torch.nn.", "torchvision.models.", "torchvision.ops.", "timm.models.", "timm.layers.",
                   "mmengine.model.", "mmcv.cnn.", "mmcv.ops.", "transformers.", "diffusers.models.")
NOT_MODULE_QUALNAMES = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.nn.init",
                                  "transformers.PretrainedConfig", "transformers.TrainingArguments"})
# Bases that make a class certainly not a module (unless another base is one).
NOT_MODULE_BASE_NAMES = frozenset({
    "object", "ABC", "ABCMeta", "Protocol", "Generic", "Enum", "IntEnum", "Flag", "NamedTuple", "TypedDict",
    "Exception", "BaseException", "RuntimeError", "ValueError", "dict", "list", "tuple", "set", "str", "int",
    "float", "Dataset", "IterableDataset", "DataLoader", "Sampler", "Thread", "Process", "Function",
    "InplaceFunction", "Callback", "Hook", "Optimizer", "_LRScheduler", "LRScheduler", "Config",
    "PretrainedConfig", "ConfigMixin",
})
# ``torch.autograd.Function``: its static ``forward`` runs while tracing unless it defines ``symbolic``.
AUTOGRAD_FUNCTION = frozenset({"torch.autograd.Function", "torch.autograd.function.Function",
                               "torch.autograd.function.InplaceFunction"})


def status_of_qualname(qualname: str) -> ModuleStatus:
    """What a base written (after import resolution) as ``qualname`` says about its subclass."""
    last = qualname.rsplit(".", 1)[-1]
    if qualname in NOT_MODULE_QUALNAMES or qualname in AUTOGRAD_FUNCTION:
        return ModuleStatus.NOT_MODULE
    if last in MODULE_BASE_NAMES or last.endswith("PreTrainedModel"):
        return ModuleStatus.MODULE
    if qualname.startswith(MODULE_PACKAGES) and last[:1].isupper():
        return ModuleStatus.MODULE
    if last in NOT_MODULE_BASE_NAMES or qualname.startswith(("typing.", "abc.", "enum.", "collections.")):
        return ModuleStatus.NOT_MODULE
    return ModuleStatus.UNKNOWN


class Prefiltered:
    """A regular expression each match of which contains one of ``literals``: :meth:`search` looks for the literals
    first (``str.find`` scans at memory speed, while a pattern that starts with ``\\b`` or an alternation is tried
    at every position, ~10 ms on a 200 kB file) and runs the pattern only when one occurs. Same results."""

    def __init__(self, pattern: str, literals: Iterable[str]) -> None:
        self.source = pattern
        self._pattern: re.Pattern[str] | None = None
        lits = set(literals)
        # a literal that contains another adds nothing ("rknn" is found wherever "rknnlite" is)
        self.literals = tuple(sorted(x for x in lits if not any(y != x and y in x for y in lits)))

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled pattern, compiled on first use (~2 ms for the runtime alternation; most runs never need it)."""
        if self._pattern is None:
            self._pattern = re.compile(self.source)
        return self._pattern

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        if any(text.find(lit, pos, endpos) != -1 for lit in self.literals):
            return self.pattern.search(text, pos, endpos)
        return None


# inference runtimes: a class that drives one runs an exported model, it is not one
RUNTIMES = frozenset({"onnxruntime", "tensorrt", "openvino", "tflite_runtime", "coremltools", "pycuda",
                      "tritonclient", "ncnn", "MNN", "rknn", "rknnlite", "tvm", "polygraphy", "pyppl", "snpe"})
_RUNTIME_RE = Prefiltered(r"\b(?:" + "|".join(sorted(RUNTIMES)) + r"|cv2\.dnn|tensorflow\.lite)\b",
                          (*RUNTIMES, "cv2.dnn", "tensorflow.lite"))
