from __future__ import annotations

import ast
import re
from typing import Iterator

from trtlint.analysis import EXPORTERS, TAKES_EXPORTED
from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._export import onnx_exporter
from ._helpers import append_fix, before, call_arg, enclosing_function, scope_nodes

# calls that return a module fresh in training mode
FACTORY_PREFIXES = ("torchvision.models.", "timm.create_model", "torch.hub.load", "transformers.")


class ExportWithoutEval(SourceRule):
    """A model is exported or traced in training mode, by an exporter that keeps that mode.

    ## What it does
    Finds `torch.jit.trace` (`trace_module`), `torch.export.export`, `torch.onnx.export` (and
    `torch.onnx.dynamo_export`, `torch_tensorrt.compile`, `torch2trt`) called on a model that no `.eval()` or
    `.train(False)` reaches before the call in the same
    scope: a model built or loaded there and never switched (also through `.to(...)`/`.cuda()` chains and a
    submodule of it, `torch.jit.trace(model.backbone, x)`), a constructor call passed directly, `model.eval`
    written without the call, or `model.train()` called after `eval()`. Models that arrive as parameters or
    attributes are left alone (the caller may have switched them), and so is a wrapper built around a model that
    was already put in eval mode, or a wrapper class of the file whose `__init__` adds no `torch.nn` layer of its
    own and holds models made elsewhere (returned by `.deploy()`/`.eval()`, or taken from another object such as
    `YOLO(path).model`): their mode was decided where they were made. A wrapper class whose `__init__` builds
    nothing (no layer, no model: it only stores what it is given) has the mode of what it holds, so one around a
    loader's result (`Postnet(load_and_setup_model(...))`) or around the calling object (`Temp(self)` in a
    predictor's export method) is left alone too; around a model built fresh in the same scope it is reported.
    `torch_tensorrt.dynamo.compile` and
    `torch_tensorrt.ts.compile` take a program that was exported already (an `ExportedProgram`, a
    `ScriptModule`): the call that exported it is the one checked.
    What each exporter does with the mode was measured with torch 2.14.1 (`tests/test_claims_with_torch.py`):
    - `torch.jit.trace` and `torch.export.export` record whatever mode the model is in: error.
    - `torch.onnx.export(..., dynamo=False)` (the TorchScript exporter, the default before torch 2.9) switches
      the model to eval itself (`training=TrainingMode.EVAL` is its default), so a missing `.eval()` is reported
      only with `training=TrainingMode.TRAINING` or `PRESERVE`.
    - `torch.onnx.export` with the dynamo exporter (`dynamo=True`, the default from torch 2.9) keeps the model in
      training mode: Dropout stays active and `if self.training:` branches take the training path (BatchNorm is
      exported with its running statistics). An error when the target's torch (or `dynamo=True`) selects it, a
      warning when the target names no torch. Not reported for a model built from a class of the run whose
      classes the run shows in full (no model-zoo import, only plain `torch.nn` layers besides its own) and
      none has a Dropout, drop-path, `self.training` branch or `.train()` call: its graph is the eval graph.
    `torch.jit.script` is reported as a note: scripting keeps both modes (the branch on `self.training` stays
    in the graph), so the mode only matters when the scripted module is later saved or exported.


    **Severity: a note unless the exported model is declared.** A reading of the source cannot establish that
    this code is ever exported: on the six real-code corpora judged at their first measurement, 8 of 32 of
    this rule's errors and warnings were hazards a deployment engineer would act on
    (`benchmarks/corpus/held_out.py`), and those an export call of the linted files reached were no more often
    right. So its findings are notes unless `[tool.trtlint] models` names a model whose code reaches them; there
    the finding is an error, or a warning where the exporter is not named
    (`torch.onnx.export` without `dynamo=`, whose default depends on the torch version). `trtlint graph` proves the hazard by running the model.

    ## Why it matters for TensorRT
    In training mode Dropout is active and BatchNorm normalises with batch statistics. An exporter that keeps
    the mode records that behaviour: the graph carries random Dropout masks or training-mode BatchNorm, and the
    engine's outputs no longer match the PyTorch model in eval mode.

    ## Example
    ```python
    model = torchvision.models.resnet18()
    traced = torch.jit.trace(model, x)
    ```

    ## Use instead
    ```python
    model = torchvision.models.resnet18().eval()
    traced = torch.jit.trace(model, x)
    ```
    The automatic fix inserts `.eval()` at the export call (`torch.jit.trace(model.eval(), ...)`).

    ## References
    - https://pytorch.org/docs/stable/onnx_torchscript.html (`training=TrainingMode.EVAL` default)
    - https://pytorch.org/docs/stable/generated/torch.jit.trace.html
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    """

    code = "TRT106"
    name = "export-without-eval"
    severity = Severity.ERROR
    needs_declared_export = True
    fixable = True
    tags = ("export",)
    requires_text = ("export", "trace", "script", "compile", "torch2trt")
    requires_names = tuple(EXPORTERS)  # findings come only from calls to these

    def check(self, src: SourceFile) -> Iterator[Finding]:
        for call in src.calls:
            names = src.qualnames(call.func)
            api = next((EXPORTERS[n] for n in names if n in EXPORTERS), None)
            if api is None or api in TAKES_EXPORTED:
                continue
            model = call_arg(call, 0, "model", "mod", "f", "obj", "func", "module")
            if model is None:
                continue
            severity: Severity | None = None
            if api == "torch.onnx.export":
                mode = _training_kw(call)
                if mode is None:  # a non-literal training=: its mode is decided elsewhere
                    continue
                exporter = onnx_exporter(src, call)
                if mode == "EVAL" and exporter == "torchscript":
                    continue  # the TorchScript exporter switches to eval itself
                if mode == "EVAL":
                    keeps = ("keeps the model in training mode: Dropout stays active and `if self.training:` branches "
                             "take the training path (BatchNorm is exported with its running statistics)")
                    consequence = f"the dynamo exporter {keeps}"
                    if exporter is None:
                        consequence = (f"torch 2.9 and later export with the dynamo exporter by default, which {keeps}; "
                                       "the TorchScript exporter (`dynamo=False`) would switch to eval itself")
                        severity = Severity.WARNING
                else:
                    consequence = (f"`training=TrainingMode.{mode}` exports the training-mode behaviour (active Dropout, "
                                   "BatchNorm on batch statistics, `self.training` branches)")
            elif api == "torch.jit.script":
                consequence = ("the scripted module keeps `training=True`, so whoever saves or exports it must call "
                               "`.eval()`")
                severity = Severity.NOTE
            else:
                consequence = (f"`{api}` records the training-mode behaviour (active Dropout, BatchNorm on batch "
                               "statistics, `self.training` branches) into the graph")
            problem = self._problem(src, call, model)
            if problem and api == "torch.onnx.export" and mode == "EVAL":
                cls = _model_class(src, call, model)
                if cls and _mode_free(src, cls):
                    continue  # no Dropout, no training branch: the dynamo exporter's graph is the eval graph
            if problem:
                yield self.finding(
                    f"{problem}; {consequence}",
                    src.path, *src.pos(model),
                    severity=severity,
                    hint="call `.eval()` on the model before exporting (and keep `.train()` out of the way)",
                    fix=append_fix(src, model, ".eval()", "call .eval() on the model passed to the exporter"),
                )

    def _problem(self, src: SourceFile, call: ast.Call, model: ast.expr) -> str:
        if isinstance(model, ast.Call):
            inner = _strip_moves(model)
            if not _is_eval_call(model) and isinstance(inner, ast.Call) and _builds_model(src, inner) \
                    and not _wraps_eval_model(src, call, inner):
                return f"`{src.segment(model)}` builds a model in training mode and passes it straight in"
            return ""
        if not isinstance(model, (ast.Name, ast.Attribute)):
            return ""
        target = ast.unparse(model)
        scope = enclosing_function(src, call)
        sub = ""
        if isinstance(model, ast.Attribute) and not _rebinds(src, scope, target, call):
            # model.backbone of a model built here: the submodule is in the mode of its parent
            root = model
            while isinstance(root, ast.Attribute):
                root = root.value
            if not isinstance(root, ast.Name) or root.id in ("self", "cls"):
                return ""  # self.model and friends: where it was switched is out of sight
            sub, target = target, root.id
            if _switched(src, scope, sub, call) or not _root_is_module(src, scope, target, call):
                return ""
        if scope is not None:
            params = {a.arg for a in (*scope.node.args.posonlyargs, *scope.node.args.args, *scope.node.args.kwonlyargs)}
            if target in params and not _rebinds(src, scope, target, call):
                return ""
        state, where, bound = _mode_before(src, scope, target, call)
        if state == "train":
            return f"`{target}.train()` at line {where} switches the model back to training mode"
        if state == "eval-not-called":
            return f"`{target}.eval` at line {where} is not called (missing `()`), so the model stays in training mode"
        if state == "fresh" and bound:
            return (f"`{sub}` is a submodule of `{target}` (bound at line {where}), which is never switched to eval mode"
                    if sub else f"`{target}` (bound at line {where}) is never switched to eval mode")
        return ""


# what behaves differently in training mode apart from BatchNorm (which the dynamo ONNX exporter records with its
# running statistics, measured with torch 2.14.1): Dropout and its kin, ``self.training`` branches, ``.train()``
_MODE_DEPENDENT = re.compile(r"dropout|drop_?path|drop_?block|stochastic_?depth|layer_?drop|\.training\b|"
                             r"\.train\(|rrelu", re.IGNORECASE)
# a file that imports a model zoo may build a network whose layers the run does not show
_ZOO_IMPORT = re.compile(r"^\s*(from|import)\s+(torchvision|timm|transformers|torch\.hub|diffusers|mmdet|mmcv|"
                         r"mmengine|pretrainedmodels|efficientnet_pytorch|segmentation_models_pytorch)\b",
                         re.MULTILINE)
# torch.nn layers that compute the same in both modes (BatchNorm: see above); any other class the run does not
# define makes the answer unknown
_MODE_FREE_LAYERS = frozenset({
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Linear", "Bilinear",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "GroupNorm", "LayerNorm", "InstanceNorm1d",
    "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU",
    "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Hardtanh", "Softmax",
    "LogSoftmax", "Softplus", "Identity", "Sequential", "ModuleList", "ModuleDict", "MaxPool1d", "MaxPool2d",
    "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Upsample", "UpsamplingNearest2d",
    "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "Flatten", "Unflatten", "Embedding", "ZeroPad2d",
    "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "Parameter", "Tensor", "Module",
    "ValueError", "TypeError", "RuntimeError", "NotImplementedError", "AssertionError", "KeyError", "OrderedDict",
})


def _model_class(src: SourceFile, call: ast.Call, model: ast.expr) -> str:
    """The class a model passed to an exporter was built from in the same scope (``Detector`` for
    ``model = Detector(80, 3).to(dev)`` or ``Detector(...)`` passed in), "" when not a constructor call."""
    value: ast.AST | None = model
    if isinstance(model, ast.Name):
        value = None
        scope = enclosing_function(src, call)
        for node in scope_nodes(src, scope):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and before(node, call) and _assigns(node, model.id):
                value = node.value
    inner = _strip_moves(value) if value is not None else None
    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id[:1].isupper():
        return inner.func.id
    return ""


def _mode_free(src: SourceFile, name: str) -> bool:
    """Whether the run shows every class the model ``name`` is built from (its body's calls and bases, through
    the run) and none has a Dropout, a ``self.training`` branch or a ``.train()`` call: its graph is then the
    same in both modes for an exporter that records BatchNorm with its running statistics. False when a class is
    not in the run (other than plain ``torch.nn`` layers) or a file imports a model zoo."""
    index = src.index
    if index is None or name not in index.blocks:
        return False
    seen: set[str] = set()
    todo = [name]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        blocks = index.blocks.get(n)
        if not blocks:
            if n[:1].isupper() and n not in _MODE_FREE_LAYERS:
                return False  # a class the run does not define: its layers are out of sight
            continue
        for b in blocks:
            text = b._text[b._start:b._end]
            if _MODE_DEPENDENT.search(text) or _ZOO_IMPORT.search(b._text):
                return False
            if any(c.startswith(("build_", "create_", "make_", "get_")) and c not in index.blocks for c in b.calls):
                return False
            todo.extend(b.calls)
            todo.extend(base.rsplit(".", 1)[-1] for base in b.bases)
    return True


def _training_kw(call: ast.Call) -> str | None:
    """The literal ``training=`` of a ``torch.onnx.export`` call (EVAL when absent); None when not a literal."""
    kw = next((k.value for k in call.keywords if k.arg == "training"), None)
    if kw is None:
        return "EVAL"
    if isinstance(kw, ast.Attribute) and kw.attr in ("EVAL", "TRAINING", "PRESERVE"):
        return kw.attr
    return None


MOVES = ("to", "cuda", "cpu", "half", "float", "double", "bfloat16", "requires_grad_", "to_empty", "share_memory")


def _strip_moves(node: ast.AST) -> ast.AST:
    """``Net().to(device).half()`` -> ``Net()``: moving or casting a module keeps its mode."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MOVES:
        node = node.func.value
    return node


def _mode_before(src: SourceFile, scope: object, target: str, call: ast.Call) -> tuple[str, int, bool]:
    state, where, bound = "unknown", 0, False
    for node in scope_nodes(src, scope):  # type: ignore[arg-type]
        if not before(node, call):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _assigns(node, target):
            if _ends_after(node, call):
                continue  # `model = Wrapper(model)` around the call asked about: the binding comes after it
            value = node.value
            bound = True
            inner = _strip_moves(value) if value is not None else None
            if value is not None and _is_eval_call(value):
                state = "eval"
            elif isinstance(inner, ast.Name) and inner.id == target:
                pass  # model = model.to(device): same module, same mode
            elif isinstance(inner, ast.Call) and any(
                n.startswith(("torch.jit.", "torch.export.")) for n in src.qualnames(inner.func)
            ):
                state = "unknown"  # a traced/scripted/exported program: its mode was fixed where it was made
            elif isinstance(inner, ast.Call) and _builds_model(src, inner) and not _wraps_eval_model(src, call, inner):
                state = "fresh"
            else:
                state = "unknown"  # a copy, a lookup, a helper's result: its mode is decided elsewhere
            where = node.lineno
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and ast.unparse(node.func.value) == target:
            if _is_eval_call(node):
                state, where = "eval", node.lineno
            elif node.func.attr == "train":
                state, where = "train", node.lineno
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "eval"
            and ast.unparse(node.value.value) == target
        ):
            state, where = "eval-not-called", node.lineno
    return state, where, bound


def _ends_after(node: ast.AST, call: ast.AST) -> bool:
    """``node`` is not finished before ``call`` starts (it encloses it): ``model = Wrapper(model)``."""
    end = (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)
    return end > (call.lineno, call.col_offset)  # type: ignore[attr-defined]


def _root_is_module(src: SourceFile, scope: object, target: str, call: ast.Call) -> bool:
    """The object a traced submodule hangs off was built here by a known model factory or nn.Module class."""
    value = None
    for node in scope_nodes(src, scope):  # type: ignore[arg-type]
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and before(node, call) and _assigns(node, target):
            value = node.value
    inner = _strip_moves(value) if value is not None else None
    return isinstance(inner, ast.Call) and _builds_known_module(src, inner)


def _switched(src: SourceFile, scope: object, target: str, call: ast.Call) -> bool:
    """``target.eval()`` (or ``.train(False)``) called before ``call`` in the scope."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and ast.unparse(n.func.value) == target
        and _is_eval_call(n) and before(n, call)
        for n in scope_nodes(src, scope)  # type: ignore[arg-type]
    )


_MODEL_WORDS = ("model", "module", "net", "backbone", "encoder", "decoder", "head", "detector", "classifier")


def _wraps_eval_model(src: SourceFile, call: ast.Call, ctor: ast.Call) -> bool:
    """``Wrapper(model)`` around a model put in eval mode before, or around a model that comes from elsewhere (a
    parameter, an attribute): not a training-mode export of a model built here."""
    if _holds_models_made_elsewhere(src, ctor):
        return True
    scope = enclosing_function(src, call)
    params = set()
    if scope is not None:
        params = {a.arg for a in (*scope.node.args.posonlyargs, *scope.node.args.args, *scope.node.args.kwonlyargs)}
    plain = _plain_wrapper(src, ctor)
    pairs: list[tuple[str | None, ast.AST]] = [*((None, a) for a in ctor.args),
                                               *((k.arg, k.value) for k in ctor.keywords)]
    for kw, arg in pairs:
        arg = _strip_moves(arg)
        if _is_eval_call(arg):
            return True
        if isinstance(arg, (ast.Name, ast.Attribute)):
            text = ast.unparse(arg)
            state, _, bound = _mode_before(src, scope, text, ctor)
            if state == "eval":
                return True
            named_model = any(w in name.lower() for name in (text.rsplit(".", 1)[-1], kw or "") for w in _MODEL_WORDS)
            if plain and state != "fresh" and (text == "self" or isinstance(arg, ast.Attribute)
                                               or (arg.id in params and not bound) or (bound and state == "unknown")):
                return True  # a wrapper that builds nothing, around an object made elsewhere (``Temp(self)``)
            # a parameter or attribute, or the result of a helper, registry or lookup (``sam_registry[k](...)``):
            # the mode was decided where the model was made, as for that value exported directly
            from_elsewhere = isinstance(arg, ast.Attribute) or (arg.id in params and not bound) \
                or (bound and state == "unknown")
            if named_model and from_elsewhere:
                return True
    return False


def _init_of_file_class(src: SourceFile, ctor: ast.Call) -> ast.FunctionDef | None:
    """The ``__init__`` of the class of this file that ``ctor`` (``Name(...)``) constructs, if there is one."""
    if not isinstance(ctor.func, ast.Name):
        return None
    cls = next((c for c in src.classes if c.name == ctor.func.id), None)
    if cls is None:
        return None
    return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)


def _plain_wrapper(src: SourceFile, ctor: ast.Call) -> bool:
    """``Wrapper(...)`` of a class of this file whose ``__init__`` builds nothing (no ``torch.nn`` layer, no
    constructor call): it only holds what it is given, so its mode is that of what it holds (a forward that calls
    ``self.parent.encode(...)`` or ``self.tacotron2.postnet``)."""
    init = _init_of_file_class(src, ctor)
    if init is None:
        return False
    for n in ast.walk(init):
        if not isinstance(n, ast.Call) or (isinstance(n.func, ast.Attribute) and n.func.attr == "__init__"):
            continue
        if _builds_model(src, n) or any(q.startswith("torch.nn.") for q in src.qualnames(n.func)):
            return False
    return True


# methods that hand back a model switched to inference: RT-DETR's ``deploy()`` calls ``self.eval()``
_INFERENCE_MODE_METHODS = frozenset({"eval", "deploy", "fuse", "switch_to_deploy"})


def _holds_models_made_elsewhere(src: SourceFile, ctor: ast.Call) -> bool:
    """``Wrapper()`` of a class of this file whose ``__init__`` builds no layer of its own and holds models made
    elsewhere: returned by ``.deploy()``/``.eval()`` or taken from another object (``YOLO(path).model``, which
    the loader hands over in eval mode). The mode was decided where those models were made, as for the model
    exported directly; a wrapper that adds a layer (``torch.nn.*``) is in training mode itself and still counts."""
    init = _init_of_file_class(src, ctor)
    if init is None:
        return False
    held = False
    for node in ast.walk(init):
        if isinstance(node, ast.Call) and any(q.startswith("torch.nn.") for q in src.qualnames(node.func)):
            return False  # a layer of its own
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                                                and t.value.id == "self" for t in node.targets):
            v = _strip_moves(node.value)
            if _is_eval_call(v) or (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)
                                    and v.func.attr in _INFERENCE_MODE_METHODS and not v.args):
                held = True
            elif isinstance(v, ast.Attribute) and not (isinstance(v.value, ast.Name) and v.value.id == "self"):
                held = True
    return held


def _builds_known_module(src: SourceFile, call: ast.Call) -> bool:
    """A model factory, a full-model ``torch.load``, or a class that the export scope knows to be an nn.Module."""
    names = src.qualnames(call.func)
    if any(n.startswith(FACTORY_PREFIXES) or n == "torch.load" for n in names):
        return True
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    scope = getattr(src, "scope", None)
    cls = next((c for c in src.classes if c.name == name), None)
    try:
        if cls is not None and scope is not None:
            return getattr(scope.module_status(cls)[0], "name", "") == "MODULE"
        index = getattr(src, "index", None)
        if index is not None and name:
            return getattr(index.module_status(name), "name", "") == "MODULE"
    except Exception:
        return False
    return False


def _builds_model(src: SourceFile, call: ast.Call) -> bool:
    """A constructor (``Net(...)``), a model factory, or a full-model ``torch.load``: a module in training mode."""
    names = src.qualnames(call.func)
    if any(n.startswith(FACTORY_PREFIXES) or n in ("torch.load",) for n in names):
        return True
    last = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    return last[:1].isupper() and not last.isupper()


def _is_eval_call(node: ast.AST) -> bool:
    """``m.eval()``, ``m.train(False)`` and ``m.train(mode=False)`` (also at the end of a call chain)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr == "eval" and not node.args:
        return True
    if node.func.attr == "train":
        arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "mode"), None)
        return isinstance(arg, ast.Constant) and arg.value is False
    if node.func.attr in ("to", "cuda", "cpu", "half", "float", "requires_grad_", "to_empty"):
        return _is_eval_call(node.func.value)
    return False


def _assigns(node: ast.Assign | ast.AnnAssign, target: str) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for t in targets:
        for elt in t.elts if isinstance(t, ast.Tuple) else [t]:
            if ast.unparse(elt) == target:
                return True
    return False


def _rebinds(src: SourceFile, scope: object, target: str, call: ast.Call) -> bool:
    for node in scope_nodes(src, scope):  # type: ignore[arg-type]
        if not before(node, call):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _assigns(node, target):
            return True
    return False
