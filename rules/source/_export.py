"""Reading `torch.onnx.export(...)` calls: literal arguments, what a name was bound to, example-input ranks."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Iterator

from trtlint.source import SourceFile

from ._helpers import before, call_arg, enclosing_function, scope_nodes

ONNX_EXPORT = frozenset({"torch.onnx.export"})
SCRIPTERS = frozenset({"torch.jit.trace", "torch.jit.script", "torch.jit.load", "torch.jit.trace_module",
                       "torch.jit.freeze", "torch.jit.optimize_for_inference"})
MISSING = object()


@dataclass
class ExportCall:
    call: ast.Call
    scope_nodes: list[ast.AST]

    def kw(self, name: str) -> ast.expr | None:
        return next((k.value for k in self.call.keywords if k.arg == name), None)


def onnx_exporter(src: SourceFile, call: ast.Call) -> str | None:
    """``"dynamo"`` or ``"torchscript"``: which exporter a ``torch.onnx.export`` call runs; None when unknown."""
    kw = next((k.value for k in call.keywords if k.arg == "dynamo"), None)
    if isinstance(kw, ast.Constant) and isinstance(kw.value, bool):
        return "dynamo" if kw.value else "torchscript"
    if kw is not None:
        return None
    tentry = src.target.torch_entry() if src.target is not None else None
    if tentry is None:
        return None
    return "dynamo" if tentry.get("dynamo_default") else "torchscript"


def export_calls(src: SourceFile) -> Iterator[ExportCall]:
    for call in src.calls:
        if src.call_matches(call, ONNX_EXPORT):
            yield ExportCall(call, scope_nodes(src, enclosing_function(src, call)))


def binding(ec: ExportCall, node: ast.AST | None) -> ast.AST | None:
    """For a name, the value of its last assignment before the call (in the same scope); else the node itself."""
    if not isinstance(node, ast.Name):
        return node
    value: ast.AST | None = None
    for n in ec.scope_nodes:
        if isinstance(n, ast.Assign) and before(n, ec.call):
            for t in n.targets:
                if isinstance(t, ast.Name) and t.id == node.id:
                    value = n.value
    return value if value is not None else node


def literal(ec: ExportCall, node: ast.AST | None) -> Any:
    """The Python value of a literal argument (or of the literal a name was bound to); MISSING otherwise.

    A name bound to a dict or list literal follows what the scope does to it before the call:
    ``d.update({...})``, ``d[k] = v``, ``names.append(x)``/``extend``/``+=`` with literal arguments are applied;
    any other use that may change it (a non-literal update, a call that receives it, a loop that fills it)
    makes the value unknown (MISSING)."""
    if node is None:
        return MISSING
    value = binding(ec, node)
    try:
        result = ast.literal_eval(value) if value is not None else MISSING
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return MISSING
    if isinstance(node, ast.Name) and isinstance(result, (dict, list)):
        return _mutations(ec, node.id, result)
    return result


def _lit(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return MISSING


def _mutations(ec: ExportCall, name: str, value: Any) -> Any:
    """Apply the literal mutations of ``name`` between its last binding and the export call (see ``literal``)."""
    start = None
    for n in ec.scope_nodes:
        if isinstance(n, ast.Assign) and before(n, ec.call) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
            start = n
    if start is None:
        return value
    for n in ec.scope_nodes:
        if not (before(start, n) and before(n, ec.call)) or n is start:
            continue
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) \
                and n.func.value.id == name:
            args = [_lit(a) for a in n.args]
            if any(a is MISSING for a in args) or n.keywords:
                return MISSING
            if isinstance(value, dict) and n.func.attr == "update" and len(args) == 1 and isinstance(args[0], dict):
                value = {**value, **args[0]}
            elif isinstance(value, list) and n.func.attr == "append" and len(args) == 1:
                value = [*value, args[0]]
            elif isinstance(value, list) and n.func.attr == "extend" and len(args) == 1 and isinstance(args[0], (list, tuple)):
                value = [*value, *args[0]]
            elif n.func.attr in ("get", "items", "keys", "values", "copy", "index", "count"):
                continue
            else:
                return MISSING
        elif isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == name for t in n.targets
        ):
            t = next(t for t in n.targets if isinstance(t, ast.Subscript))
            key, val = _lit(t.slice), _lit(n.value)
            if key is MISSING or val is MISSING or not isinstance(value, dict):
                return MISSING
            value = {**value, key: val}
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id == name:
            more = _lit(n.value)
            if isinstance(value, list) and isinstance(more, (list, tuple)):
                value = [*value, *more]
            else:
                return MISSING
        elif isinstance(n, ast.Call) and any(isinstance(a, ast.Name) and a.id == name for a in n.args) and n is not ec.call:
            return MISSING  # handed to a function that may fill it
        elif isinstance(n, (ast.For, ast.While, ast.With)) and any(
            isinstance(x, ast.Name) and x.id == name for x in ast.walk(n)
        ):
            continue  # its inner statements are visited on their own
    return value


def example_ranks(src: SourceFile, ec: ExportCall) -> list[int | None]:
    """Rank of each example input where it is written as ``torch.randn(1, 3, 224, 224)`` and the like."""
    args = binding(ec, call_arg(ec.call, 1, "args"))
    items = list(args.elts) if isinstance(args, (ast.Tuple, ast.List)) else [args]
    ranks: list[int | None] = []
    for item in items:
        item = binding(ec, item)
        rank = None
        if isinstance(item, ast.Call) and any(
            q in src.qualnames(item.func) for q in ("torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty")
        ):
            dims = item.args
            if len(dims) == 1 and isinstance(dims[0], (ast.Tuple, ast.List)):
                dims = dims[0].elts
            if dims and not any(isinstance(d, ast.Starred) for d in dims):
                rank = len(dims)
        ranks.append(rank)
    return ranks


def model_binding(src: SourceFile, call: ast.Call, model: ast.AST) -> ast.AST:
    """What the model argument was built from: follows a name to its assignment, and ``.eval()``/``.to()`` chains."""
    scope = scope_nodes(src, enclosing_function(src, call))
    node: ast.AST = model
    for _ in range(4):
        if isinstance(node, ast.Name):
            ec = ExportCall(call, scope)
            bound = binding(ec, node)
            if bound is node:
                break
            node = bound  # type: ignore[assignment]
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("eval", "train", "to", "cuda", "cpu", "half", "float")
        ):
            node = node.func.value
            continue
        break
    return node


def is_script_module(src: SourceFile, call: ast.Call, model: ast.AST | None) -> bool:
    if model is None:
        return False
    built = model_binding(src, call, model)
    return isinstance(built, ast.Call) and src.call_matches(built, SCRIPTERS)


# ---------------------------------------------------------------- export summaries (for the profile rules)
@dataclass
class ExportSummary:
    """What one ``torch.onnx.export`` call says about the ONNX model it writes."""

    path: str
    line: int
    onnx: str | None  # basename of the .onnx file when written as a literal, else None
    file_expr: str  # the source of the file argument (to link an export and a build in one file by variable)
    input_names: list[str] | None  # None: not given or not a literal
    dynamic: dict[str, set[int]] | None  # input name -> dynamic axes; None when unknown
    dynamic_given: bool  # dynamic_axes= or dynamic_shapes= is passed at all
    ranks: list[int | None]
    dims: list[list[int] | None]  # the example inputs' shapes where written as torch.randn(1, 3, 224, 224)


def onnx_basename(src: SourceFile, node: ast.AST | None, scope: list[ast.AST] | None = None, call: ast.AST | None = None) -> str | None:
    """The basename of a ``*.onnx`` string in an expression (or in what a name in it was bound to)."""
    if node is None:
        return None
    todo: list[ast.AST] = [node]
    seen = 0
    while todo and seen < 8:
        n = todo.pop()
        seen += 1
        for sub in ast.walk(n):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.endswith(".onnx"):
                return sub.value.replace("\\", "/").rsplit("/", 1)[-1]
            if isinstance(sub, ast.Name) and scope is not None and call is not None:
                ec = ExportCall(call, scope)  # type: ignore[arg-type]
                bound = binding(ec, sub)
                if bound is not sub and bound is not None:
                    todo.append(bound)
    return None


def _example_dims(src: SourceFile, ec: ExportCall) -> list[list[int] | None]:
    args = binding(ec, call_arg(ec.call, 1, "args"))
    items = list(args.elts) if isinstance(args, (ast.Tuple, ast.List)) else [args]
    out: list[list[int] | None] = []
    for item in items:
        item = binding(ec, item)
        dims = None
        if isinstance(item, ast.Call) and any(
            q in src.qualnames(item.func) for q in ("torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty")
        ):
            raw = item.args
            if len(raw) == 1 and isinstance(raw[0], (ast.Tuple, ast.List)):
                raw = raw[0].elts
            vals = [d.value if isinstance(d, ast.Constant) and isinstance(d.value, int) else None for d in raw]
            dims = vals if vals and None not in vals else None  # type: ignore[assignment]
        out.append(dims)
    return out


def export_summaries(src: SourceFile) -> list[ExportSummary]:
    cached = src.cache.get(("export_summaries",))
    if cached is not None:
        return cached  # type: ignore[return-value]
    out: list[ExportSummary] = []
    for ec in export_calls(src):
        f = call_arg(ec.call, 2, "f")
        names = literal(ec, ec.kw("input_names"))
        names = [n for n in names if isinstance(n, str)] if isinstance(names, (list, tuple)) else None
        axes_node, shapes_node = ec.kw("dynamic_axes"), ec.kw("dynamic_shapes")
        axes = literal(ec, axes_node)
        dynamic: dict[str, set[int]] | None = None
        if axes_node is None and shapes_node is None:
            dynamic = {}
        elif isinstance(axes, dict) and shapes_node is None:
            dynamic = {str(k): {a for a in (v if isinstance(v, (dict, list, tuple)) else []) if isinstance(a, int)}
                       for k, v in axes.items()}
        out.append(ExportSummary(
            src.path, ec.call.lineno, onnx_basename(src, f, ec.scope_nodes, ec.call),
            ast.unparse(f) if f is not None else "", names, dynamic,
            axes_node is not None or shapes_node is not None, example_ranks(src, ec), _example_dims(src, ec),
        ))
    src.cache[("export_summaries",)] = out
    return out


def run_export_summaries(src: SourceFile) -> list[ExportSummary]:
    """Export summaries of this file and of the other files of the run (through part A's run index)."""
    found = list(export_summaries(src))
    index = getattr(src, "index", None)
    files = getattr(index, "export_files", None) if index is not None else None
    if isinstance(files, dict):
        for path, other in files.items():
            if path == src.path or other is None:
                continue
            try:
                found.extend(export_summaries(other))
            except Exception:  # another file's oddities must not break this one
                continue
    return found
