"""The export scope of one file: which classes and functions are model code that gets exported, and why.

Decisions, in order (the first that applies wins), for each class:

1. an export root of the run (what an exporter is called on, or a ``models`` entry): exported;
2. a custom ``torch.autograd.Function``: not linted line by line (exported through ``symbolic`` or as a custom
   op, usually replaced by a TensorRT plugin);
3. a runtime wrapper (it imports or names ONNX Runtime, TensorRT, OpenVINO, ``cv2.dnn``, ...): it runs an
   exported model and is not one, even when it subclasses ``nn.Module``;
4. a loss, criterion, matcher or assigner by its name (``*Loss*``, ``*Criterion``, ``*Matcher``,
   ``*Assigner``): training-only; a data preprocessor (mmengine's ``BaseDataPreprocessor`` family, by its or
   its base's name): it prepares the batch before the exported forward; a training wrapper (``*TrainWrapper``),
   an evaluation metric (``SSIM``, ``*Metric``), a random transform of a ``transforms`` package, an inference
   predictor (``*Predictor`` that puts the model it holds in eval mode or runs under ``no_grad``): eager or
   training code around a model; a GAN discriminator (``*Discriminator``) that no export root reaches:
   the adversary of the training loop; classical vision on the host (OpenCV, pycolmap): no graph to export;
5. shaped like training, evaluation or eager post-processing code (:func:`training_or_eager_shape`: a forward
   that requires training targets, a loss module by its path, ``torch.distributed`` collectives, an estimator
   wrapper, a forward returning lists of dicts or PIL images): not exported;
6. outside the reach of the run's export roots, when every root is resolved: not exported;
7. an ``nn.Module`` subclass (bases resolved in the file, through imports by qualified name, across the files
   of the run, and the usual base classes of torch, torchvision, timm, mmengine, Lightning, transformers and
   diffusers by name): exported; a base nothing resolves is treated as a module (nothing true is lost);
8. anything else (no base, ``object``, ``ABC``, a dataset, a runtime wrapper around ONNX Runtime or
   TensorRT): not model code.

Methods follow their class, except methods decorated ``@torch.jit.unused``, ``@torch.jit.ignore`` or
``@torch.jit._script_if_tracing`` and methods whose name says loss (``loss``, ``compute_loss``, ...). A
``forward`` that returns only losses, or that sits beside a separate inference method which does not call it
(:func:`separate_inference_method`), is the training step: not an entry, unless an export root of the run
exports the model itself; the inference method is the entry instead. The methods only such a training
``forward`` reaches are training-only helpers (:meth:`FileScope.training_helpers`), and so are functions of
other files that only training ``forward`` s call (``RunIndex.training_callers``).
Inside exported functions, the statement walk of :mod:`trtlint.source` also skips training-only branches and
the eager side of tracing-aware guards (see ``branch_filter``).
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .nodes import nodes_of, statements_of
from .bases import _RUNTIME_RE, AUTOGRAD_FUNCTION, RUNTIMES, ModuleStatus, Prefiltered, status_of_qualname

if TYPE_CHECKING:
    from ..source import FunctionInfo, SourceFile
    from .index import RunIndex


# ``FocalLoss``, ``SetCriterion``, ``HungarianMatcher``, also written in snake case (``Yolo_loss``, ``yolo_loss``)
LOSS_CLASS = re.compile(r"Loss|(^|_)loss(es)?(_|$)|Criterion$|Matcher$|Assigner$")
# mmengine's BaseDataPreprocessor / ImgDataPreprocessor and the codebases' subclasses (DetDataPreprocessor,
# SegDataPreProcessor, ...): collate, normalise and pad on the host before the model's forward
PREPROCESSOR = re.compile(r"Data_?Pre[Pp]rocessor$")
# the package of data preprocessors and their batch augmentations (``models/data_preprocessors/``)
PREPROCESSOR_PATH = re.compile(r"(^|/)data_?pre_?processors?(/|\.py$)")
LOSS_METHOD = re.compile(r"(^|_)loss(es)?($|_)")
SKIP_DECORATORS = frozenset({"torch.jit.unused", "torch.jit.ignore", "torch.jit._script_if_tracing",
                             "torch.jit.script_if_tracing"})
# predicates that are true while an exporter records the model: the branch where they are false is eager-only
TRACING_PREDICATES = frozenset({
    "torch.jit.is_tracing", "torch.jit.is_scripting", "torch.onnx.is_in_onnx_export", "torch.compiler.is_compiling",
    "torch.compiler.is_exporting", "torch.compiler.is_dynamo_compiling", "torch._dynamo.is_compiling",
    "torchvision._is_tracing", "torch._C._get_tracing_state", "torch.fx._symbolic_trace.is_fx_tracing",
    "torch._utils.is_compiling",
})
TRACING_GUARD = "eager side of a tracing guard"
# parameter names that carry training targets: ``if targets is not None:`` branches compute the loss
TARGET_NAMES = frozenset({"target", "targets", "gt", "gts", "labels", "gt_labels", "gt_bboxes", "gt_boxes",
                          "gt_masks", "gt_instances", "batch_gt_instances", "annotations", "y_true", "ground_truth"})


# devices a TensorRT deployment never exports on: branches for them (``if x.device.type == "mps":``) are
# workarounds the export does not take
OTHER_DEVICES = frozenset({"mps", "xla", "npu", "hpu", "xpu", "mlu", "musa"})
# other inference runtimes: a branch on ``export_type == "openvino"`` shapes the model for that runtime, not for
# an ONNX export meant for TensorRT
OTHER_RUNTIMES = frozenset({"openvino", "ncnn", "coreml", "tflite", "tfjs", "edgetpu", "mnn", "rknn", "tvm",
                            "saved_model", "paddle", "paddlelite"})
# a module's own export switch (``self.deploy_mode = True`` in a ``deploy()`` method, YOLO's ``self.export``): the
# side the switch selects is what an export records, what follows its ``return`` is eager post-processing
EXPORT_SWITCH = re.compile(r"^(is_|in_|for_|do_)?(deploy|deploying|deployed|export|exporting|exported|exportable|"
                           r"onnx_export|export_onnx|trt_export|export_trt)(_mode)?$|^(is_|for_)onnx$|^onnx_mode$")
# a host-offload switch (``self.cpu_cache`` for long clips on CUDA): a memory-saving path that parks tensors on the
# host; an export (one example input, on one device) does not take it
HOST_OFFLOAD = re.compile(r"cpu_cache|offload")
# random data augmentations (``RandomZoomIn``, ``RandomFlip``) applied to images: training-time transforms
AUGMENTATION = re.compile(r"^Random[A-Z]")
IMAGE_PARAMS = frozenset({"img", "imgs", "image", "images", "results", "sample"})
# a module of a package or file of data transforms (``transforms/``, ``augmentations.py``): its classes that draw
# random numbers in forward are augmentations (random flips, resizes, blur) composed for training data
TRANSFORMS_PATH = re.compile(r"(^|/)(transforms?|augmentations?|augment)(/|\.py$)")
# eager predictors around a model: named ``*Predictor`` and holding a model they put in eval mode, or running
# forward under ``@torch.no_grad()``/``@torch.inference_mode()`` (pre-processing, batching, NumPy/Python outputs)
PREDICTOR = re.compile(r"Predictor$")
NO_GRAD_DECORATORS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                                "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode"})
# training wrappers: ``CutieTrainWrapper``, ``DetectorTrainer``, ``TrainingWrapper`` (not ``PreTrainedModel``)
TRAIN_WRAPPER = re.compile(r"Train(er|ing)?(?![a-z])")
# GAN discriminators (``RandomWindowDiscriminator``, ``MultiPeriodDiscriminator``, ``NLayerDiscriminator``, based on
# a ``*Discriminator`` class, or ``discriminator_block`` in snake case): the adversary of a training loop
DISCRIMINATOR = re.compile(r"Discriminator|(^|_)discriminator(_|$)")
# image-quality metrics used for evaluation or as loss terms (``SSIM``, ``MS_SSIM``, ``PSNR``, ``*Metric``)
METRIC_CLASS = re.compile(r"SSIM$|^PSNR$|Metrics?$")
# a module of a package or file of metrics (``metrics/``, ``metric.py``, ``ssim_metrics.py``)
METRIC_PATH = re.compile(r"(^|/)(\w+_)?metrics?(/|\.py$)")
# classical computer vision on the host: a forward that calls these runs OpenCV/COLMAP/SciPy on NumPy arrays,
# there is no network graph to export (``cv2.dnn`` is a runtime, decided before)
HOST_VISION = ("cv2", "pycolmap", "skimage", "scipy.ndimage", "scipy.signal", "kornia_rs")
# random draws (a transform that makes one in forward augments)
RANDOM_CALLS = ("torch.rand", "torch.randn", "torch.randint", "torch.randperm", "torch.bernoulli",
                "torch.multinomial", "torch.normal", "random.", "numpy.random.")
RANDOM_METHODS = frozenset({"uniform_", "normal_", "random_", "bernoulli_", "exponential_", "geometric_",
                            "cauchy_", "log_normal_"})
# random augmentations of the augmentation libraries: torchvision's ``Random*``, ``ColorJitter``, the automatic
# policies; anything of kornia.augmentation and albumentations
RANDOM_AUGMENTATION = re.compile(r"torchvision\.transforms\.(v2\.)?(Random\w+|ColorJitter|RandAugment|AutoAugment|"
                                 r"TrivialAugmentWide|AugMix|ElasticTransform)$|kornia\.augmentation\.|albumentations\.")
_AUGMENTATION_TEXT = re.compile(r"torchvision|kornia|albumentations")
_EVAL_CALL_TEXT = re.compile(r"\.\s*eval\s*\(")  # a text pre-screen for `.eval()` calls (_predictor)
# eager inference wrappers of the OpenMMLab family (``BaseInferencer`` and subclasses): they call a model
INFERENCER = re.compile(r"Inferencer$")


def _is_device_type(node: ast.expr) -> bool:
    """``x.device.type`` or ``device.type``."""
    if not (isinstance(node, ast.Attribute) and node.attr == "type"):
        return False
    v = node.value
    return (isinstance(v, ast.Attribute) and v.attr == "device") or (isinstance(v, ast.Name) and "device" in v.id)


def _constants(node: ast.expr) -> set[str]:
    """The string constants of ``"mps"`` or ``("mps", "npu")``; empty for anything else."""
    elts = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    out = {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return out if len(out) == len(elts) else set()


@dataclass(frozen=True)
class Decision:
    exported: bool
    reason: str


class FileScope:
    """Export decisions for the classes and functions of one file (built lazily, once, by ``src.scope``)."""

    def __init__(self, src: SourceFile, index: RunIndex | None) -> None:
        self.src = src
        self.index = index
        self._classes: dict[int, Decision] = {}
        self._packs: dict[int, str] = {}
        self._inference: dict[int, str] = {}
        self._names_samples: bool | None = None
        self._by_name = {c.name: c for c in src.classes}
        self._entries: list[tuple[FunctionInfo, str]] | None = None
        self._runtime_aliases: dict[str, str] | None = None  # import alias -> runtime module
        #: module functions that are entries because another file's forward calls them
        self.cross_file: set[int] = set()

    # ------------------------------------------------------------ classes
    def class_decision(self, cls: ast.ClassDef) -> Decision:
        d = self._classes.get(id(cls))
        if d is None:
            d = self._classes[id(cls)] = self._decide_class(cls)
        return d

    def _decide_class(self, cls: ast.ClassDef) -> Decision:
        index = self.index
        roots = index.root_for(cls.name) if index is not None else []
        if roots:
            r = roots[0]
            where = f" at {r.path}:{r.line}" if r.line else ""
            return Decision(True, f"export root: {r.via}({r.expr}){where}")
        quals = [q for b in cls.bases for q in self._base_qualnames(b)]
        if any(q in AUTOGRAD_FUNCTION for q in quals):
            return Decision(False, "custom torch.autograd.Function: exported through symbolic() or as a custom op")
        if LOSS_CLASS.search(cls.name):
            return Decision(False, "training-only: a loss, criterion, matcher or assigner (by its name)")
        if AUGMENTATION.search(cls.name) and _first_param(cls) in IMAGE_PARAMS:
            return Decision(False, "training-only: a random data augmentation (by its name, applied to images)")
        if TRAIN_WRAPPER.search(cls.name):
            return Decision(False, "training-only: a training wrapper (by its name): its forward is a training step")
        if (DISCRIMINATOR.search(cls.name) or any(DISCRIMINATOR.search(q.rsplit(".", 1)[-1]) for q in quals)) \
                and not self._root_may_reach(cls.name):
            return Decision(False, "training-only: a GAN discriminator (by its or its base's name): the adversary of "
                            "the training loop, not deployed; no export root of the run reaches it")
        if METRIC_CLASS.search(cls.name):
            return Decision(False, "an evaluation metric (by its name): it scores outputs, it is not network code")
        if METRIC_PATH.search(_project_path(self.src.path)):
            return Decision(False, "an evaluation metric (defined in a metrics module): it scores outputs, it is not "
                            "network code")
        if TRANSFORMS_PATH.search(_project_path(self.src.path)) and self._draws_random(cls):
            return Decision(False, "training-only: a random data augmentation (defined in a transforms module, its "
                            "forward draws random numbers)")
        aug = self._augmentations_held(cls)
        if aug and self._draws_random(cls):
            return Decision(False, f"a random data augmentation (it builds `{aug}` and its forward draws random "
                            "numbers): it perturbs data for training or guidance, it is not network code")
        if PREDICTOR.search(cls.name):
            why = self._predictor(cls)
            if why:
                return Decision(False, f"an inference predictor (by its name; {why}): eager glue around a model, "
                                "which is what gets exported")
        else:
            why = self._predictor(cls, both=True)
            if why:
                return Decision(False, f"an eager inference wrapper ({why}): glue around a model, which is what "
                                "gets exported")
        if PREPROCESSOR.search(cls.name) or any(PREPROCESSOR.search(q.rsplit(".", 1)[-1]) for q in quals) \
                or PREPROCESSOR_PATH.search(_project_path(self.src.path)):
            return Decision(False, "a data preprocessor (mmengine's BaseDataPreprocessor family): it prepares the "
                            "batch before the exported forward runs")
        if INFERENCER.search(cls.name) or any(INFERENCER.search(q.rsplit(".", 1)[-1]) for q in quals):
            return Decision(False, "an inferencer (by its or its base's name): eager glue that runs a model on "
                            "images or files, it is not one")
        runtime = self._runtime_used(cls)
        if runtime:
            return Decision(False, f"a runtime wrapper (uses {runtime}): it runs an exported model, it is not one")
        shape = self._not_a_model_shape(cls)
        if shape:
            return Decision(False, shape)
        held = _submodules.training_only_submodule(index, cls.name, self.src)
        if held:  # precision9: a submodule only training paths use (lint/analysis/submodules.py)
            return Decision(False, held)
        host = self._host_vision(cls)
        if host:
            return Decision(False, f"classical vision on the host: it runs {host} on NumPy arrays, there is no "
                            "network graph to export")
        status, why = self.module_status(cls)
        if status is not ModuleStatus.NOT_MODULE and index is not None and index.reach is not None \
                and cls.name not in index.reach:
            return Decision(False, "outside the reach of the export roots ("
                            + ", ".join(sorted({r.name for r in index.roots})) + ")")
        if status is ModuleStatus.MODULE:
            return Decision(True, f"nn.Module subclass ({why})")
        if status is ModuleStatus.UNKNOWN:
            return Decision(True, f"base {why} not resolved in this run: treated as an nn.Module")
        return Decision(False, f"not an nn.Module ({why})")

    def _root_may_reach(self, name: str) -> bool:
        """Whether an export root of the run may reach the class ``name``: it is in the roots' known reach, or the
        reach is unknown and a root's name or expression names a discriminator (``torch.onnx.export(disc, ...)``)."""
        index = self.index
        if index is None or not index.roots:
            return False
        reach = index.reach
        if reach is not None:
            return name in reach
        return any(DISCRIMINATOR.search(r.name) or "disc" in r.expr.lower() for r in index.roots)

    def _not_a_model_shape(self, cls: ast.ClassDef) -> str:
        """Why the class's own structure says it is training, evaluation or eager post-processing code ("" if
        nothing does): see :func:`training_or_eager_shape`. A forward that requires targets does not count for a
        class that another model class of the run builds as a submodule (a decoder fed placeholder labels at
        inference is part of that model)."""
        why = training_or_eager_shape(self.src, cls)
        if why.startswith(TARGETS_WHY) and self.index is not None and self.index.built_by_model(cls.name):
            return ""
        return why

    def _draws_random(self, cls: ast.ClassDef) -> bool:
        """Whether ``forward`` or a method it calls draws random numbers (``torch.rand``, ``random.random``,
        ``np.random.*``, ``t.uniform_(...)``)."""
        for node in (n for f in _forward_methods(cls) for n in ast.walk(f)):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and node.func.attr in RANDOM_METHODS:
                    return True
                if any(q.startswith(RANDOM_CALLS) for q in self.src.qualnames(node.func)):
                    return True
        return False

    def _augmentations_held(self, cls: ast.ClassDef) -> str:
        """The random augmentation of an augmentation library (``torchvision.transforms.RandomAffine``,
        ``ColorJitter``, ``kornia.augmentation.*``, ``albumentations.*``) that the class's ``__init__`` builds, or
        "": a module holding such transforms is a data augmentation, not network code."""
        if not _AUGMENTATION_TEXT.search(self.src.text):
            return ""
        init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        for node in ast.walk(init) if init is not None else ():
            if isinstance(node, ast.Call):
                for q in self.src.qualnames(node.func):
                    if RANDOM_AUGMENTATION.match(q):
                        return ast.unparse(node.func)
        return ""

    def _predictor(self, cls: ast.ClassDef, both: bool = False) -> str:
        """Why a class is an eager inference wrapper ("" if nothing says so): its ``__init__`` puts a model it
        holds in eval mode (``self.model = model.eval()``, ``self.model.eval()``), or its ``forward`` runs under
        ``@torch.no_grad()``/``@torch.inference_mode()``; with ``both``, the two together (for a class not named
        ``*Predictor``). A network head named ``*Predictor`` (torchvision's ``FastRCNNPredictor``) does neither."""
        held = ""
        for n in cls.body if _EVAL_CALL_TEXT.search(self.src.text) else ():  # no walk where no .eval() is called
            if isinstance(n, ast.FunctionDef) and n.name == "__init__":
                for c in nodes_of(n):
                    if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "eval" \
                            and not c.args and not (isinstance(c.func.value, ast.Name) and c.func.value.id == "self"):
                        held = f"`{ast.unparse(c)}` in __init__ puts the model it holds in eval mode"
                        break
        if held and not both:
            return held
        fwd = _forward_of(cls)
        for dec in fwd.decorator_list if fwd is not None else []:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if self.src.qualnames(target) & NO_GRAD_DECORATORS:
                grad = f"forward runs under @{ast.unparse(target)}"
                return grad if not both else (f"{held}, {grad}" if held else "")
        return ""

    def _host_vision(self, cls: ast.ClassDef) -> str:
        """The classical-vision library (OpenCV, pycolmap, scikit-image, SciPy) that ``forward`` or a method it
        calls runs, or ""."""
        key = ("host-vision",)
        got = self.src.cache.get(key)
        if got is None:
            got = self.src.cache[key] = {a for a, qs in self.src.imports.items() for q in qs
                                         if q.startswith(HOST_VISION) and not q.startswith("cv2.dnn")}
        aliases: set[str] = got  # type: ignore[assignment]
        if not aliases:
            return ""
        init = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
        for node in (n for f in [*init, *_forward_methods(cls)] for n in ast.walk(f)):
            if isinstance(node, ast.Call):
                f = node.func
                while isinstance(f, ast.Attribute):
                    f = f.value
                if isinstance(f, ast.Name) and f.id in aliases and not self.src.is_local(f) \
                        and "dnn" not in ast.unparse(node.func):
                    return f"`{ast.unparse(node.func)}`"
        return ""

    def _runtime_used(self, cls: ast.ClassDef) -> str:
        """The inference runtime a class drives (it imports one, or names a module-level import of one), or ""."""
        if self._runtime_aliases is None:
            text = self.src.text
            self._runtime_aliases = {}
            if _RUNTIME_RE.search(text) is not None or "tensorflow.lite" in text:
                for alias, quals in self.src.imports.items():
                    for q in quals:
                        if q.split(".")[0] in RUNTIMES or q.startswith(("cv2.dnn", "tensorflow.lite")):
                            self._runtime_aliases[alias] = q.split(".")[0]
                self._runtime_aliases[""] = ""  # the file names a runtime: look inside its classes
        if not self._runtime_aliases:
            return ""
        body = "\n".join(self.src.lines[cls.lineno - 1:cls.end_lineno or cls.lineno])
        m = _RUNTIME_RE.search(body)
        if m is not None and re.search(r"\bimport\b", body):
            line = next((ln for ln in body.splitlines() if m.group(0) in ln and "import" in ln), "")
            if line:
                return m.group(0)
        for alias, module in self._runtime_aliases.items():
            if alias and re.search(rf"\b{re.escape(alias)}\b", body):
                return module
        return ""

    def _base_qualnames(self, base: ast.expr) -> list[str]:
        if isinstance(base, ast.Subscript):
            base = base.value
        return sorted(self.src.qualnames(base))

    def module_status(self, cls: ast.ClassDef, _seen: frozenset[int] = frozenset()) -> tuple[ModuleStatus, str]:
        """(status, explanation) from the class's bases: in this file, through imports, across the run."""
        bases = [b for b in cls.bases]
        if not bases:
            return ModuleStatus.NOT_MODULE, "no base class"
        result, why = ModuleStatus.NOT_MODULE, "bases " + ", ".join(ast.unparse(b) for b in bases)
        for b in bases:
            text = ast.unparse(b)
            st = ModuleStatus.UNKNOWN
            if isinstance(b, ast.Name) and b.id in self._by_name and b.id not in self.src.imports:
                inner = self._by_name[b.id]
                if inner is not cls and id(inner) not in _seen:
                    st, _ = self.module_status(inner, _seen | {id(cls)})
            else:
                quals = self._base_qualnames(b)
                sts = [status_of_qualname(q) for q in quals]
                if ModuleStatus.MODULE in sts:
                    st = ModuleStatus.MODULE
                elif sts and all(s is ModuleStatus.NOT_MODULE for s in sts):
                    st = ModuleStatus.NOT_MODULE
                elif self.index is not None:
                    last = text.split("[", 1)[0].rsplit(".", 1)[-1]
                    st = self.index.module_status(last)
            if st is ModuleStatus.MODULE:
                return st, f"base {text}"
            if st is ModuleStatus.UNKNOWN:
                result, why = ModuleStatus.UNKNOWN, text
        return result, why

    # ------------------------------------------------------------ functions
    def function_decision(self, f: FunctionInfo) -> Decision:
        for dec in f.node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            names = self.src.qualnames(target)
            hit = names & SKIP_DECORATORS
            if hit:
                return Decision(False, f"decorated @{sorted(hit)[0]}: not what gets exported")
        if LOSS_METHOD.search(f.node.name.lower()) and f.node.name != "forward":
            return Decision(False, "training-only: a loss method (by its name)")
        gt = _submodules.ground_truth_method(f.node) if f.cls is not None else ""
        if gt:  # precision9: a method that requires ground truth (lint/analysis/submodules.py)
            return Decision(False, gt)
        sub = _reach.exported_through_attributes(self.index, f.cls.name, self.src.path) \
            if f.node.name == "forward" and f.cls is not None and self.index is not None else ""
        if sub:  # precision9: the run exports only submodules of this class (lint/analysis/reach.py)
            return Decision(False, sub)
        if f.node.name == "forward" and f.cls is not None and not (
                self.index and any(not r.method for r in self.index.root_for(f.cls.name))):
            losses = returned_losses(f.node)  # unless an exporter is called on the model itself
            if losses:
                return Decision(False, f"training-only: forward returns only losses (`{losses}`), so it is the "
                                "training step; inference goes through another method")
            other = self.inference_method(f.cls)
            if other:
                return Decision(False, f"training entry: inference goes through {other}, which does not call "
                                "forward")
        packs = self._packs.get(id(f.node))
        if packs is None:
            if self._names_samples is None:  # read the text once: most files name no data sample at all
                self._names_samples = _DATA_SAMPLE_TEXT.search(self.src.text) is not None
            packs = self._packs[id(f.node)] = \
                packs_data_samples(self.src.walk_function(f)) if self._names_samples else ""
        if packs:
            return Decision(False, packs)
        if f.cls is not None:
            d = self.class_decision(f.cls)
            if not d.exported:
                return d
            return Decision(True, f"method of {f.cls.name}")
        return Decision(True, "module-level function")

    def inference_method(self, cls: ast.ClassDef) -> str:
        """The inference method of a class whose ``forward`` is the training step, "" when there is none (see
        :func:`separate_inference_method`); never when an export root of the run exports the class itself
        (``torch.onnx.export(model, ...)`` traces ``forward``)."""
        got = self._inference.get(id(cls))
        if got is None:
            got = ""
            if not (self.index and any(not r.method for r in self.index.root_for(cls.name))):
                roots = self.index.entry_methods(cls.name) if self.index is not None else set()
                got = separate_inference_method(cls, lambda n: n in roots or self._method_called(n))
            self._inference[id(cls)] = got
        return got

    def training_helpers(self, cls: ast.ClassDef) -> set[str]:
        """Methods of the class that its excluded training ``forward`` reaches through ``self.<method>`` (directly
        or through other methods) and no exported entry of the file reaches: training-only helpers
        (``preprocess_batch``, ``update_mean_std``). Empty when ``forward`` is an entry."""
        fwd = next((f for f in self.src.functions if f.cls is cls and f.node.name == "forward"), None)
        if fwd is None or self.function_decision(fwd).exported:
            return set()
        reached = {g.node.name for g in self.src.forward_functions() if g.cls is cls}
        methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        users: dict[str, set[str]] = {}  # method -> the methods of the class that name it through ``self.``
        for caller, node in methods.items():
            for n in ast.walk(node):
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self" \
                        and n.attr in methods and n.attr != caller:
                    users.setdefault(n.attr, set()).add(caller)
        # only what forward reaches and nothing else names: a helper shared with a sampler (``p_sample`` beside a
        # loss-only forward) is not called "training-only", it is simply not reached from an entry
        training = {"forward"}
        candidates = _reached_methods(cls) - reached - training
        grew = True
        while grew:
            grew = False
            for m in sorted(candidates - training):
                if m in methods and users.get(m, set()) <= training:
                    training.add(m)
                    grew = True
        return training - {"forward"}

    def _method_called(self, name: str) -> bool:
        if self.index is not None and self.index.method_called(name):
            return True
        return re.search(rf"\.{re.escape(name)}[ \t]*\(", self.src.text) is not None

    def entry_functions(self) -> list[tuple[FunctionInfo, str]]:
        """Where the forward scope starts: ``forward`` of exported classes, entry methods named by roots, and
        module-level functions that the ``forward`` of a model class in another file of the run calls."""
        if self._entries is not None:
            return self._entries
        out: list[tuple[FunctionInfo, str]] = []
        top = {id(n) for n in self.src.tree.body}
        for f in self.src.functions:
            if f.cls is None:
                if self.index is not None and id(f.node) in top and self.function_decision(f).exported:
                    callers = self.index.forward_callers(f.node.name, self.src.path)
                    if callers:
                        c = callers[0]
                        out.append((f, f"called from the forward of {c.name} ({c.path}:{c.line})"))
                        self.cross_file.add(id(f.node))
                continue
            entry = f.node.name == "forward" or f.node.name == self.inference_method(f.cls)
            if not entry and self.index is not None:
                entry = f.node.name in self.index.entry_methods(f.cls.name)
            if not entry:
                continue
            d = self.function_decision(f)
            if d.exported:
                out.append((f, d.reason))
        self._entries = out
        return out

    def decision_at(self, node: ast.AST) -> Decision:
        """Whether the code at ``node`` is exported: the decision for its innermost enclosing function."""
        line = getattr(node, "lineno", 0)
        inner = None
        for f in self.src.functions:
            if f.node.lineno <= line <= (f.node.end_lineno or f.node.lineno):
                if inner is None or f.node.lineno >= inner.node.lineno:
                    inner = f
        if inner is None:
            return Decision(False, "module-level code: not inside a model")
        reached = {id(g.node) for g in self.src.forward_functions()}
        if id(inner.node) in reached:
            return Decision(True, f"reached from forward ({self.function_decision(inner).reason})")
        d = self.function_decision(inner)
        return Decision(False, d.reason if not d.exported else "not reached from an exported forward")


def branch_filter(src: SourceFile, test: ast.expr, params: frozenset[str] = frozenset()) -> tuple[bool, bool, str]:
    """(body is exported, else-branch is exported, why) for an ``if`` test; (True, True, "") when neither is
    ruled out. Training-only tests: ``self.training``; ``targets is not None`` on a target-named parameter;
    ``mode == "loss"``. Tracing-aware guards: the branch where the predicate is false is eager-only."""
    t = _classify(src, test, params)
    if t is None:
        return True, True, ""
    side, why = t
    return (side, not side, why)


def _has_tensor_mode(src: SourceFile) -> bool:
    """Whether the file dispatches on a ``"tensor"`` mode (mmengine's convention), read once per file."""
    key = ("tensor_mode",)
    got = src.cache.get(key)
    if got is None:
        got = src.cache[key] = re.search(r"""(==|!=|\bin)\s*[\[(]?\s*['"](tensor|loss)['"]""", src.text) is not None
    return bool(got)


def _classify(src: SourceFile, test: ast.expr, params: frozenset[str]) -> tuple[bool, str] | None:
    """(True, why): only the body runs at export; (False, why): only the else-branch does."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _classify(src, test.operand, params)
        return (not inner[0], inner[1]) if inner is not None else None
    if isinstance(test, ast.BoolOp):
        decided = [_classify(src, v, params) for v in test.values]
        for inner in decided:
            if inner is None:
                continue
            # ``a and b``: when a is false at export, the body never runs; ``a or b``: when a is true it always does
            if isinstance(test.op, ast.And) and inner[0] is False:
                return inner
            if isinstance(test.op, ast.Or) and inner[0] is True:
                return inner
        if isinstance(test.op, ast.And):
            # ``not self.training and not self.active_on_eval``: in eval mode the body runs unless a switch of the
            # module asks for training behaviour at eval too (an opt-in that is off by default)
            if any(d is not None and d[0] is True and d[1].startswith("training-only") for d in decided) and all(
                    d is not None or _negated_switch(v) for v, d in zip(test.values, decided)):
                why = next(d[1] for d in decided if d is not None and d[0] is True)
                switches = ", ".join(ast.unparse(v.operand) for v, d in zip(test.values, decided)  # type: ignore[attr-defined]
                                     if d is None)
                return True, f"{why}, unless {switches} keeps training behaviour on at eval"
        return None
    if isinstance(test, ast.Name) and not params & {test.id}:
        bound = _bound_flag(src, test.id)
        busy: set[str] = src.cache.setdefault(("flags-busy",), set())  # type: ignore[assignment]
        if bound is not None and test.id not in busy:  # ``a = b and c; b = a or d`` must not recurse forever
            busy.add(test.id)
            try:
                inner = _classify(src, bound, params)
            finally:
                busy.discard(test.id)
            if inner is not None:
                return inner[0], f"{inner[1]} (through `{test.id}`)"
    version = _torch_version_test(src, test)
    if version is not None:
        return version
    if isinstance(test, ast.Attribute) and test.attr == "training" and isinstance(test.value, ast.Name) \
            and test.value.id == "self":
        return False, "training-only branch (self.training)"
    if isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name) and test.value.id == "self":
        if EXPORT_SWITCH.match(test.attr):
            return True, f"the module's export switch (self.{test.attr}): an export takes the side it selects"
        if LOSS_METHOD.search(test.attr.lower()):
            return False, f"training-only branch (self.{test.attr}: a loss switch)"
        if HOST_OFFLOAD.search(test.attr):
            return False, (f"host-offload branch (self.{test.attr}): a memory-saving path that parks tensors on the "
                           "host, not taken by an export")
    if isinstance(test, ast.Call) and not test.args and src.qualnames(test.func) & TRACING_PREDICATES:
        return True, f"{TRACING_GUARD} ({ast.unparse(test.func)}())"
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(left, ast.Name) and left.id in TARGET_NAMES and left.id in params \
                and isinstance(right, ast.Constant) and right.value is None:
            if isinstance(op, ast.IsNot):
                return False, f"training-only branch ({left.id} is not None)"
            if isinstance(op, ast.Is):
                return True, f"training-only branch ({left.id} is not None)"
        if _is_device_type(left) and _constants(right) and _constants(right) <= OTHER_DEVICES:
            devices = "/".join(sorted(_constants(right)))
            if isinstance(op, (ast.Eq, ast.In)):
                return False, f"a branch for the {devices} device, not the one an export runs on"
            if isinstance(op, (ast.NotEq, ast.NotIn)):
                return True, f"a branch for the {devices} device, not the one an export runs on"
        if isinstance(left, (ast.Name, ast.Attribute)) and _constants(right) \
                and {c.lower() for c in _constants(right)} <= OTHER_RUNTIMES:
            runtimes = "/".join(sorted(_constants(right)))
            if isinstance(op, (ast.Eq, ast.In)):
                return False, f"a branch for {runtimes}, another runtime than the ONNX export TensorRT reads"
            if isinstance(op, (ast.NotEq, ast.NotIn)):
                return True, f"a branch for {runtimes}, another runtime than the ONNX export TensorRT reads"
        if isinstance(right, ast.Constant) and isinstance(right.value, str) and "loss" in right.value.lower():
            if isinstance(op, ast.Eq):
                return False, f"training-only branch ({ast.unparse(test)})"
            if isinstance(op, ast.NotEq):
                return True, f"training-only branch ({ast.unparse(test)})"
        if isinstance(left, ast.Name) and left.id in params and isinstance(right, ast.Constant) \
                and right.value == "predict" and _has_tensor_mode(src):
            # the mode convention of mmengine's BaseModel.forward: "tensor" returns the raw network outputs (what
            # an export records), "predict" post-processes them into data samples for eager inference; only
            # where the file has a "tensor" mode (elsewhere "predict" may be the one inference path)
            why = f"eager post-processing branch ({ast.unparse(test)}; \"tensor\" mode is what gets exported)"
            if isinstance(op, ast.Eq):
                return False, why
            if isinstance(op, ast.NotEq):
                return True, why
    return None


def _negated_switch(node: ast.expr) -> bool:
    """``not self.flag``: a configuration switch of the module, off unless someone turns it on."""
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Attribute) \
        and isinstance(node.operand.value, ast.Name) and node.operand.value.id == "self"


def _bound_flag(src: SourceFile, name: str) -> ast.expr | None:
    """The test a local flag is bound to (``x_is_mps = x.device.type == "mps"``), when every assignment of that
    name in the file binds the same kind of test (a comparison or a call without arguments); None otherwise."""
    key = ("flags",)
    flags: dict[str, list[ast.expr]] | None = src.cache.get(key)  # type: ignore[assignment]
    if flags is None:
        flags = {}
        # assignments are statements; only ``:=`` binds inside expressions, so the whole tree is walked only then
        for n in nodes_of(src.tree) if ":=" in src.text else statements_of(src.tree):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        flags.setdefault(t.id, []).append(n.value)
            elif isinstance(n, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)) and isinstance(n.target, ast.Name):
                flags.setdefault(n.target.id, []).append(n.value or n.target)  # type: ignore[arg-type]
        src.cache[key] = flags
    values = flags.get(name, [])
    if len(values) != 1 or not isinstance(values[0], (ast.Compare, ast.Call, ast.BoolOp, ast.UnaryOp)):
        return None
    return values[0]


# a torch version read: ``torch.__version__``, mmcv's ``TORCH_VERSION``, ``digit_version(TORCH_VERSION)``,
# ``version.parse(torch.__version__)``, ``LooseVersion(torch.__version__)``
_TORCH_VERSION_NAMES = frozenset({"TORCH_VERSION", "torch_version", "TORCH_VER", "_TORCH_VERSION"})
# releases older than any torch a TensorRT 8.6+ deployment exports with (torch_tensorrt 1.4 needs torch 2.0)
_OLD_TORCH = (2, 0)


def _reads_torch_version(src: SourceFile, node: ast.expr) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr == "__version__" and "torch" in src.qualnames(n.value):
            return True
        if isinstance(n, ast.Name) and n.id in _TORCH_VERSION_NAMES:
            return True
    return False


def _version_constant(node: ast.expr) -> tuple[int, ...] | None:
    """``"1.8"``, ``(1, 8)``, ``digit_version("1.8")``, ``version.parse("1.8.0")`` -> (1, 8); None otherwise."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        m = re.match(r"^(\d+)\.(\d+)", node.value)
        return (int(m.group(1)), int(m.group(2))) if m else None
    if isinstance(node, ast.Tuple) and node.elts and all(isinstance(e, ast.Constant) and isinstance(e.value, int)
                                                         for e in node.elts):
        return tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
    return None


def _torch_version_test(src: SourceFile, test: ast.expr) -> tuple[bool, str] | None:
    """A check of the torch version against a release older than 2.0: the side for older torch is a fallback
    no export with current torch takes (``if digit_version(TORCH_VERSION) >= digit_version("1.8"): ... else:``)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if _reads_torch_version(src, right) and _version_constant(left) is not None:
        left, right = right, left
        op = {ast.Gt: ast.Lt(), ast.GtE: ast.LtE(), ast.Lt: ast.Gt(), ast.LtE: ast.GtE()}.get(type(op), op)
    if not _reads_torch_version(src, left):
        return None
    v = _version_constant(right)
    if v is None or tuple(v[:2]) >= _OLD_TORCH:
        return None
    why = f"a fallback for torch older than {'.'.join(map(str, v))} ({ast.unparse(test)}), not taken with current torch"
    if isinstance(op, (ast.Gt, ast.GtE)):
        return True, why
    if isinstance(op, (ast.Lt, ast.LtE)):
        return False, why
    return None


def describe(src: SourceFile) -> list[str]:
    """What ``trtlint --show-scope`` prints for one file: every class and function with its decision, and the
    branches of exported functions that an export never records."""
    scope = src.scope
    exported = {id(f.node): f for f in src.forward_functions()}
    lines = [src.path]
    for cls in src.classes:
        d = scope.class_decision(cls)
        lines.append(f"  {'exported' if d.exported else 'excluded'}  class {cls.name} (line {cls.lineno}): {d.reason}")
    for f in src.functions:
        name = f"{f.cls.name}.{f.node.name}" if f.cls is not None else f.node.name
        if id(f.node) in exported:
            how = next((why if id(f.node) in scope.cross_file else "entry point"
                        for g, why in scope.entry_functions() if g is f), "called from exported code")
            lines.append(f"  exported  {name} (line {f.node.lineno}): {how}")
            params = src._params(f)
            from ..source import _debug_only

            for node in nodes_of(f.node):
                if isinstance(node, ast.If) and not node.orelse and _debug_only(f.node, node):
                    lines.append(f"    skipped `if` at line {node.lineno}: debug-only branch (a NaN/Inf check that "
                                 "only reports; a normal input never takes it)")
                    continue
                if isinstance(node, ast.If):
                    keep_body, keep_else, why = src.branch(node.test, params)
                    if not why:
                        continue
                    taken = node.body if keep_body else node.orelse
                    dropped = node.orelse if keep_body else node.body
                    if dropped:
                        side = "body" if not keep_body else "else-branch"
                        lines.append(f"    skipped {side} of `if` at line {node.lineno}: {why}")
                    if taken and why.startswith(TRACING_GUARD):
                        side = "body" if keep_body else "else-branch"
                        lines.append(f"    {side} of `if` at line {node.lineno}: the exported side of a tracing "
                                     "guard, written for the exporter (values read on the host there are frozen on "
                                     "purpose: no TRT102/TRT103)")
                    if taken and isinstance(taken[-1], (ast.Return, ast.Raise)):
                        lines.append(f"    skipped what follows `if` at line {node.lineno} (the exported side "
                                     f"leaves the function): {why}")
        elif f.cls is None:
            index = scope.index
            trainers = index.training_callers(f.node.name, src.path) if index is not None else []
            if index is not None and trainers and f.node in src.tree.body:
                c = trainers[0]
                lines.append(f"  excluded  {name} (line {f.node.lineno}): training-only: called only from the "
                             f"training forward of {c.name} ({c.path}:{c.line}; {index.training_forward(c)})")
            continue  # otherwise a plain helper nobody exports
        elif not scope.class_decision(f.cls).exported:
            continue  # reported with its class
        else:
            d = scope.function_decision(f)
            if not d.exported:
                lines.append(f"  excluded  {name} (line {f.node.lineno}): {d.reason}")
            elif f.node.name in scope.training_helpers(f.cls):
                lines.append(f"  excluded  {name} (line {f.node.lineno}): training-only: called only from the "
                             "training entry forward and the helpers only it calls")
    return lines


def describe_run(index: RunIndex | None) -> list[str]:
    """The run-level part of ``--show-scope``: export roots and their reach."""
    if index is None:
        return []
    if not index.roots:
        return ["export roots: none found in the linted files (every nn.Module counts as exported; name them "
                "with [tool.trtlint] models = [...])"]
    out = ["export roots:"]
    for r in index.roots:
        where = f" at {r.path}:{r.line}" if r.line else ""
        what = r.name or "unresolved"
        method = f".{r.method}" if r.method else ""
        out.append(f"  {r.via}({r.expr}){where} -> {what}{method}")
    reach = index.reach
    if reach is None:
        why = index.opaque or "a root is not defined in the linted files"
        out.append(f"reach: unknown ({why}): every nn.Module counts as exported")
    else:
        n = len(reach)
        out.append(f"reach: {n} class and function name{'s' if n != 1 else ''}; model code outside it is not linted")
    out.append(declared_line(index))
    return out


def declared_line(index: RunIndex) -> str:
    """What keeps the model-code rules' severity (lint/analysis/declared.py)."""
    from .declared import CONFIG_VIA, declared_reach

    if not any(r.via == CONFIG_VIA for r in index.roots):
        return ("severity: no [tool.trtlint] models declared: TRT101-TRT106 report notes (name the exported models "
                "to make their findings in those models errors and warnings)")
    names = sorted(declared_reach(index))
    shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    shown = shown or "nothing of the linted files"
    return f"severity: TRT101-TRT106 keep errors and warnings in what the declared models reach ({shown}); notes elsewhere"


# ---------------------------------------------------------------- structural signals of non-exported classes
TARGETS_WHY = "training-only: forward requires training targets"
# a required ``forward`` parameter named like training targets: an exported forward takes inputs, not labels
TARGET_PARAM = re.compile(r"^(targets?|labels?|gt|gts|gt_\w+|\w+_targets?|local_labels?|label_part|ground_truths?|"
                          r"y_true)$")
# a module of a package or file named for losses (``losses/ghm.py``, ``loss/regularizer/co2.py``, ``iou_loss.py``)
LOSS_PATH = re.compile(r"(^|[/\\_])loss(es)?([/\\_.]|$)", re.IGNORECASE)
# torch.distributed collectives: they need a process group, which an export (one process) does not record
COLLECTIVES = frozenset({"all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce", "broadcast",
                         "broadcast_object_list", "reduce", "reduce_scatter", "reduce_scatter_tensor", "all_to_all",
                         "all_to_all_single", "barrier", "gather", "scatter", "send", "recv"})
# estimator libraries: a module wrapping one runs fit/predict on the host, there is no graph to export
ESTIMATORS = ("sklearn", "cuml", "xgboost", "lightgbm", "faiss")


def _project_path(path: str) -> str:
    """The path as the project sees it: relative to the working directory when it lies below it, so that the
    folders above the project (``/home/me/loss-experiments/...``) say nothing about its code."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return os.path.basename(path)
    if rel.startswith(".."):
        return os.path.basename(path)
    return rel


# what a forward building a list of dicts must contain, checked on its text before its tree is walked
_DICT_LIST_TEXT = re.compile(r"\.append\(\s*(\{|dict\()|\[\s*(\{|dict\()|\]\s*\[\s*['\"]")


def _file_imports(src: SourceFile) -> tuple[bool, set[str], set[str]]:
    """(the file may call torch.distributed, aliases of estimator libraries, aliases of PIL), once per file."""
    key = ("scope-imports",)
    got = src.cache.get(key)
    if got is None:
        quals = [(a, q) for a, qs in src.imports.items() for q in qs]
        got = src.cache[key] = (
            "distributed" in src.text,  # ``import torch.distributed as dist`` or ``torch.distributed.x(...)``
            {a for a, q in quals if q.split(".")[0] in ESTIMATORS},
            {a for a, q in quals if q == "PIL" or q.startswith("PIL.")},
        )
    return got  # type: ignore[return-value]


def _forward_of(cls: ast.ClassDef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    return next((n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "forward"),
                None)


def _forward_methods(cls: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """``forward`` and the methods of the class it calls through ``self.m(...)``, transitively (loss methods
    left out); every method when the class has no ``forward``."""
    methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if "forward" not in methods:
        return list(methods.values())
    out: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    work, seen = ["forward"], set()
    while work:
        name = work.pop()
        if name in seen or name not in methods or (LOSS_METHOD.search(name.lower()) and name != "forward"):
            continue
        seen.add(name)
        out.append(methods[name])
        for n in ast.walk(methods[name]):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
                work.append(n.attr)
    return out


# names of a model's inference entry beside a training ``forward`` (``inference``, ``infer_batch``,
# ``generate_speech``, ``sample``, ``decode``)
INFERENCE_METHOD = re.compile(r"(inference|infer|generate)(_\w+)?|sample|decode")
# the training and evaluation steps of a trainer API (Coqui's ``train_step``/``eval_step``, Lightning's
# ``training_step``/``validation_step``): their call of ``self.forward`` on a batch is no sign that inference goes
# through ``forward``
TRAINING_STEP = re.compile(r"(train|training|eval|evaluation|val|valid|validation|test)_step")
# settings of a sampling loop, not data: an inference method's required parameter annotated as a Python scalar
# (``sampling_temp: float``, ``max_sampling_time: int``) or named as such a setting (``temperature``, ``top_k``,
# ``noise_scale``, ``length_scale``, ``max_len``, ``duration_threshold``)
SCALAR_ANNOTATION = re.compile(r"^(Optional\[)?(int|float|bool|str)\]?$")
SAMPLING_SETTING = re.compile(r"^(temperature|temp|\w+_temp|top_[kp]|noise_scale\w*|length_scale|\w*_threshold|"
                              r"threshold|max_\w+|min_\w+|num_steps|n_steps|steps|seed)$")


def _calls_forward(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``fn`` may call the module's own ``forward``: ``self(...)``, ``self.forward(...)``, ``self.__call__``,
    or ``self`` handed on as a value (``model = self if self._fsdp is None else self._fsdp``, then
    ``model(...)``, as audiocraft's ``LMModel.generate`` does; ``helper(self, x)``). ``self.<attr>``,
    ``return self`` and ``super(Cls, self)`` do not count."""
    attr_of, skip = set(), set()
    for n in nodes_of(fn):
        if isinstance(n, ast.Attribute):
            attr_of.add(id(n.value))
            if isinstance(n.value, ast.Name) and n.value.id == "self" and n.attr in ("forward", "__call__"):
                return True
        elif isinstance(n, ast.Return) and isinstance(n.value, ast.Name):
            skip.add(id(n.value))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "super":
            skip.update(id(a) for a in n.args)
    return any(isinstance(n, ast.Name) and n.id == "self" and isinstance(n.ctx, ast.Load)
               and id(n) not in attr_of and id(n) not in skip for n in nodes_of(fn))


def separate_inference_method(cls: ast.ClassDef, called: Callable[[str], bool]) -> str:
    """The name of a method of ``cls`` itself named for inference (:data:`INFERENCE_METHOD`) when the class's
    ``forward`` is its training step and inference goes around it (Coqui TTS's ``inference``, XTTS's
    ``generate``, RADTTS's ``infer``): no method of the class calls ``forward`` (``self(...)``,
    ``self.forward``), ``forward`` does not reach any inference-named method through ``self.<method>``
    (a ``forward`` that dispatches to ``self.inference`` at eval time is the exported entry), and ``forward``
    requires more arguments than the inference method requires data (the training targets; its sampling
    settings, :func:`_data_params`, do not count); the constructor and a trainer's ``train_step``/``eval_step``
    calling ``self.forward`` do not count as inference through forward; the inference method requires at least
    one datum (a ``sample(batch_size=16)`` loop from noise is no entry), takes no
    training targets (``generate_labels(gt_bbox)``) and is called somewhere in the run (``.infer(...)``: an
    unused ``inference`` beside a forward that the model calls is no evidence). "" otherwise, for a class
    without its own ``forward``, and for a ``forward`` that returns only losses (excluded on its own; the
    sampling loop beside it, a diffusion wrapper's ``sample``, is not made an entry)."""
    methods = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not any(m.name == "forward" for m in methods):
        return ""
    candidates = [m.name for m in methods if INFERENCE_METHOD.fullmatch(m.name)
                  and not LOSS_METHOD.search(m.name.lower())
                  and not any(TARGET_PARAM.match(p) for p in _required_params(m))]
    # a constructor does not run inference (``setattr(self, k, v)``, a dummy pass to size layers), and a trainer's
    # step calls forward on a training batch
    if not candidates or any(_calls_forward(m) for m in methods
                             if m.name != "__init__" and not TRAINING_STEP.fullmatch(m.name)):
        return ""
    if any(c in _reached_methods(cls) for c in candidates):
        return ""
    # teacher forcing: forward takes the targets (ground-truth mel, codes, lengths) on top of the inputs, so it
    # requires more arguments than the inference method
    fwd = _forward_of(cls)
    assert fwd is not None
    if returned_losses(fwd):  # excluded by itself; its sampler (a diffusion ``sample`` loop) is no entry either
        return ""
    n_fwd = len(_required_params(fwd))
    by_name = {m.name: m for m in methods}
    # an entry takes an input: a ``sample(batch_size=16)`` loop that starts from noise has none to export
    return next((c for c in candidates if 0 < len(_data_params(by_name[c])) < n_fwd and called(c)), "")


def _data_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The required parameters of an inference method that carry data: sampling settings (annotated as Python
    scalars, ``sampling_temp: float``, or named as settings, ``temperature``, ``max_len``) left out."""
    a = fn.args
    ann = {p.arg: p.annotation for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
    out = []
    for n in _required_params(fn):
        t = ann.get(n)
        if t is not None and SCALAR_ANNOTATION.match(ast.unparse(t).replace("typing.", "")):
            continue
        if t is None and SAMPLING_SETTING.match(n):
            continue
        out.append(n)
    return out


def _reached_methods(cls: ast.ClassDef) -> set[str]:
    """Names of the methods of the class that ``forward`` reaches through ``self.<name>``, transitively, loss
    methods included (mmengine's ``forward`` dispatches to ``loss``, which calls ``generate_labels``)."""
    methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    work, seen = ["forward"], set()
    while work:
        name = work.pop()
        if name in seen or name not in methods:
            continue
        seen.add(name)
        for n in ast.walk(methods[name]):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
                work.append(n.attr)
    return seen


def _first_param(cls: ast.ClassDef) -> str:
    """The first parameter after ``self`` of the class's ``forward`` ("" without one)."""
    fwd = _forward_of(cls)
    args = fwd.args.args[1:] if fwd is not None else []
    return args[0].arg if args else ""


def _required_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = fn.args
    pos = [*a.posonlyargs, *a.args]
    required = [p.arg for p in pos[:len(pos) - len(a.defaults)]]
    required += [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]
    return [n for n in required if n not in ("self", "cls")]


def _is_dict_value(node: ast.AST) -> bool:
    return isinstance(node, ast.Dict) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                                          and node.func.id == "dict")


def _returns_list_of_dicts(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The name (or ``[...]``) a forward returns when it is a list of dicts built in Python ("" otherwise):
    ``[{"boxes": b} for ...]``, a list filled by ``.append({...})``, or a parameter whose items get string keys
    assigned (``results[i]["masks"] = ...``)."""
    appended: set[str] = set()
    keyed: set[str] = set()
    comps: set[str] = set()
    for node in nodes_of(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append" \
                and isinstance(node.func.value, ast.Name) and node.args and _is_dict_value(node.args[0]):
            appended.add(node.func.value.id)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) \
                        and isinstance(t.slice.value, str) and isinstance(t.value, ast.Subscript) \
                        and isinstance(t.value.value, ast.Name):
                    keyed.add(t.value.value.id)
                if isinstance(t, ast.Name) and isinstance(node.value, ast.ListComp) and _is_dict_value(node.value.elt):
                    comps.add(t.id)
    for node in nodes_of(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            v = node.value
            if isinstance(v, ast.ListComp) and _is_dict_value(v.elt):
                return "[{...} for ...]"
            if isinstance(v, ast.Name) and v.id in appended | keyed | comps:
                return v.id
    return ""


def training_or_eager_shape(src: SourceFile, cls: ast.ClassDef) -> str:
    """Structural reasons why a class is not exported model code, "" when none holds:

    - its ``forward`` requires a parameter named like training targets (``labels``, ``targets``, ``gt_*``):
      margin losses, sampled classifiers, loss helpers;
    - it is defined in a module of a package or file named for losses (``losses/``, ``*_loss.py``);
    - it calls ``torch.distributed`` collectives (``all_gather``, ``broadcast``, ...): distributed training or
      evaluation code, which needs a process group that an export does not record;
    - it names an estimator library (scikit-learn, cuML, XGBoost, LightGBM, faiss): fit/predict on the host;
    - its ``forward`` returns a list of dicts built in Python or makes PIL images: eager post-processing of a
      model's outputs (an exported graph returns tensors);
    - its ``forward`` calls a model it is given as an argument (``forward(self, imgs, model)``): a test-time
      wrapper (flip/transpose ensembles) run eagerly around the exported network.
    """
    fwd = _forward_of(cls)
    if fwd is not None:
        targets = [n for n in _required_params(fwd) if TARGET_PARAM.match(n)]
        if targets:
            return f"{TARGETS_WHY} (`{targets[0]}`)"
    if LOSS_PATH.search(_project_path(src.path)):
        return "training-only: defined in a loss module (by its path)"
    dist_imported, estimator_aliases, pil = _file_imports(src)
    if dist_imported:
        for node in (n for f in _forward_methods(cls) for n in ast.walk(f)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in COLLECTIVES:
                quals = src.qualnames(node.func)
                hit = next((q for q in quals if q.startswith("torch.distributed.")), None)
                if hit:
                    return (f"distributed training or evaluation code (calls {hit}): an export records one process, "
                            "without a process group")
    if estimator_aliases and fwd is not None:
        # in __init__ and what forward reaches: a mixture model fitted in a training label assigner does not count
        init = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
        used = next((n.id for f in [*init, *_forward_methods(cls)] for n in ast.walk(f)
                     if isinstance(n, ast.Name) and n.id in estimator_aliases), None)
        if used:
            return f"wraps an estimator ({used}): it runs fit/predict on the host, there is no graph to export"
    if fwd is not None:
        text = "\n".join(src.lines[fwd.lineno - 1:fwd.end_lineno or fwd.lineno])
        lod = _returns_list_of_dicts(fwd) if _DICT_LIST_TEXT.search(text) else ""
        if lod:
            return (f"eager post-processing: forward returns a list of dicts built in Python (`{lod}`), not tensors "
                    "an exported graph can return")
        if pil and any(isinstance(n, ast.Name) and n.id in pil for n in ast.walk(fwd)):
            return "eager post-processing: forward makes PIL images"
        a = fwd.args
        params = [p for p in (*a.posonlyargs, *a.args[1:], *a.kwonlyargs) if MODEL_PARAM.search(p.arg)]
        models = {p.arg for p in params}
        # called in forward or in the methods it hands the model to, or annotated as a module or callable
        called: str | None = (models and next((n.func.id for n in nodes_of(cls) if isinstance(n, ast.Call)
                                               and isinstance(n.func, ast.Name) and n.func.id in models), None)) or next(
            (p.arg for p in params if p.annotation is not None
             and re.search(r"Module|Callable", ast.unparse(p.annotation))), None)
        if called:
            return (f"a test-time wrapper: forward runs the model it is given (`{called}(...)`), eagerly around the "
                    "network that gets exported")
    return ""


# parameters that carry a model: a forward that calls one wraps that model (test-time ensembles)
MODEL_PARAM = re.compile(r"^(model|models|net|network|generator|module|predictor)$")
# what builds or reads OpenMMLab data samples: packing outputs into them is eager post-processing
DATA_SAMPLE_CLASS = re.compile(r"DataSample$")
_DATA_SAMPLE_TEXT = Prefiltered(r"DataSample|\.pred_(instances|sem_seg|panoptic_seg|track_instances|img|heatmap|"
                                r"label|score|text)\b", ("DataSample", ".pred_"))
DATA_SAMPLE_FIELDS = frozenset({"pred_instances", "pred_sem_seg", "pred_panoptic_seg", "pred_track_instances",
                                "pred_img", "pred_heatmap", "pred_label", "pred_score", "pred_text"})


def packs_data_samples(nodes: list[ast.AST]) -> str:
    """Why a function is eager post-processing of a model's outputs into OpenMMLab data samples ("" if it is
    not): the code it runs at export (``nodes``: its body without the branches an export skips, such as
    ``mode == "predict"``) builds ``*DataSample(...)`` objects or reads or writes their prediction fields
    (``pred_instances``, ``pred_sem_seg``, ...). Data samples are Python containers: an exported graph returns
    tensors, and mmengine's export path (``mode="tensor"``) stops before this packing."""
    for n in nodes:
        if isinstance(n, ast.Call):
            f = n.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if DATA_SAMPLE_CLASS.search(name):
                return f"eager post-processing: it builds {name} objects (data samples are not graph outputs)"
        elif isinstance(n, ast.Attribute) and n.attr in DATA_SAMPLE_FIELDS and not _rooted_self(n):
            return (f"eager post-processing: it packs or reads predictions in data samples (`.{n.attr}`), which "
                    "are not graph outputs")
    return ""


def _loss_value(node: ast.expr | None) -> bool:
    """A value named as a loss: ``loss``, ``loss_tag``, ``self.losses``, ``(loss_a, loss_b)``, ``loss_a + loss_b``,
    ``{"loss_cls": ...}``, ``dict(loss_cls=...)``, or what a loss function returns (``self.p_losses(x, t)``,
    ``F.mse_loss(...)``, ``self.criterion(out, y)``)."""
    if isinstance(node, ast.Name):
        return LOSS_METHOD.search(node.id.lower()) is not None
    if isinstance(node, ast.Attribute):
        return LOSS_METHOD.search(node.attr.lower()) is not None
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts) and all(_loss_value(e) for e in node.elts)
    if isinstance(node, ast.BinOp):
        return _loss_value(node.left) and _loss_value(node.right)
    if isinstance(node, ast.Dict):
        return bool(node.keys) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                       and LOSS_METHOD.search(k.value.lower()) for k in node.keys)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return bool(node.keywords) and all(k.arg and LOSS_METHOD.search(k.arg.lower()) for k in node.keywords)
    if isinstance(node, ast.Call):  # self.p_losses(x, t), F.mse_loss(...), self.criterion(out, y)
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        return LOSS_METHOD.search(name.lower()) is not None or name.lower().endswith("criterion")
    return False


def returned_losses(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The value a function returns when every ``return`` of it returns losses only (``return loss_t2t,
    loss_tag``), "" otherwise: such a ``forward`` is a training step (the model's inference entry point has
    another name, ``generate``/``predict``), and an export of it would record the loss computation."""
    returns: list[ast.Return] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(n, ast.Return):
            returns.append(n)
        stack.extend(ast.iter_child_nodes(n))
    if not returns or not all(_loss_value(r.value) for r in returns):
        return ""
    return ast.unparse(returns[0].value)[:60]  # type: ignore[arg-type]


def _rooted_self(n: ast.Attribute) -> bool:
    v: ast.expr = n.value
    return isinstance(v, ast.Name) and v.id == "self"


from . import reach as _reach  # noqa: E402  (precision9)
from . import submodules as _submodules  # noqa: E402  (precision9: it imports this module)
