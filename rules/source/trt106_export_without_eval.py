from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._helpers import append_fix, before, call_arg, enclosing_function, scope_nodes

EXPORTERS = {
    "torch.onnx.export": "torch.onnx.export",
    "torch.onnx.dynamo_export": "torch.onnx.dynamo_export",
    "torch.jit.trace": "torch.jit.trace",
    "torch.jit.trace_module": "torch.jit.trace_module",
    "torch.jit.script": "torch.jit.script",
    "torch.export.export": "torch.export.export",
    "torch_tensorrt.compile": "torch_tensorrt.compile",
    "torch2trt.torch2trt": "torch2trt",
}
# calls that return a module fresh in training mode
FACTORY_PREFIXES = ("torchvision.models.", "timm.create_model", "torch.hub.load", "transformers.")


class ExportWithoutEval(SourceRule):
    """A model is exported, traced or scripted while it may still be in training mode.

    ## What it does
    Finds `torch.onnx.export`, `torch.jit.trace`, `torch.jit.script`, `torch.export.export` (and
    `torch_tensorrt.compile`) called on a model that no `.eval()` or `.train(False)` reaches before the call in
    the same scope: a model built or loaded there and never switched, a constructor call passed directly,
    `model.eval` written without the call, or `model.train()` called after `eval()`.
    Models that arrive as function parameters are left alone: the caller may have switched them.
    `torch.jit.script` is reported as a note: scripting keeps both modes (the branch on `self.training` stays
    in the graph), so the mode only matters when the scripted module is later saved or exported.

    ## Why it matters for TensorRT
    In training mode Dropout is active and BatchNorm normalises with batch statistics. The exporter records
    that behaviour: the ONNX graph carries training-mode BatchNorm (which TensorRT rejects or folds wrongly)
    or random Dropout masks, and the engine's outputs no longer match the PyTorch model in eval mode.

    ## Example
    ```python
    model = torchvision.models.resnet18()
    torch.onnx.export(model, x, "resnet18.onnx")
    ```

    ## Use instead
    ```python
    model = torchvision.models.resnet18().eval()
    torch.onnx.export(model, x, "resnet18.onnx")
    ```
    The automatic fix inserts `.eval()` at the export call (`torch.onnx.export(model.eval(), ...)`).

    ## References
    - https://pytorch.org/docs/stable/onnx_torchscript.html ("call model.eval() before exporting")
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    """

    code = "TRT106"
    name = "export-without-eval"
    severity = Severity.ERROR
    fixable = True
    tags = ("export",)
    requires_text = ("export", "trace", "script", "compile", "torch2trt")

    def check(self, src: SourceFile) -> Iterator[Finding]:
        for call in src.calls:
            names = src.qualnames(call.func)
            api = next((EXPORTERS[n] for n in names if n in EXPORTERS), None)
            if api is None:
                continue
            model = call_arg(call, 0, "model", "mod", "f", "obj", "func", "module")
            if model is None:
                continue
            problem = self._problem(src, call, model)
            if problem:
                scripted = api == "torch.jit.script"
                consequence = (
                    "the scripted module keeps `training=True`, so whoever saves or exports it must call `.eval()`"
                    if scripted
                    else f"`{api}` records training-mode Dropout and BatchNorm into the graph"
                )
                yield self.finding(
                    f"{problem}; {consequence}",
                    src.path, *src.pos(model),
                    severity=Severity.NOTE if scripted else None,
                    hint="call `.eval()` on the model before exporting (and keep `.train()` out of the way)",
                    fix=append_fix(src, model, ".eval()", "call .eval() on the model passed to the exporter"),
                )

    def _problem(self, src: SourceFile, call: ast.Call, model: ast.expr) -> str:
        if isinstance(model, ast.Call):
            if not _is_eval_call(model) and _builds_model(src, model):
                return f"`{src.segment(model)}` builds a model in training mode and passes it straight in"
            return ""
        if not isinstance(model, (ast.Name, ast.Attribute)):
            return ""
        target = ast.unparse(model)
        scope = enclosing_function(src, call)
        if scope is not None and isinstance(model, ast.Name):
            params = {a.arg for a in (*scope.node.args.posonlyargs, *scope.node.args.args, *scope.node.args.kwonlyargs)}
            if model.id in params and not _rebinds(src, scope, model.id, call):
                return ""
        if isinstance(model, ast.Attribute) and not _rebinds(src, scope, target, call):
            return ""  # self.model and friends: where it was switched is out of sight
        state, where, bound = "unknown", 0, False
        for node in scope_nodes(src, scope):
            if not before(node, call):
                continue
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and _assigns(node, target):
                value = node.value
                bound = True
                if value is not None and _is_eval_call(value):
                    state = "eval"
                elif isinstance(value, ast.Call) and any(
                    n.startswith(("torch.jit.", "torch.export.")) for n in src.qualnames(value.func)
                ):
                    state = "unknown"  # a traced/scripted/exported program: its mode was fixed where it was made
                elif isinstance(value, ast.Call) and _builds_model(src, value):
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
        if state == "train":
            return f"`{target}.train()` at line {where} switches the model back to training mode"
        if state == "eval-not-called":
            return f"`{target}.eval` at line {where} is not called (missing `()`), so the model stays in training mode"
        if state == "fresh" and bound:
            return f"`{target}` (bound at line {where}) is never switched to eval mode"
        return ""


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
