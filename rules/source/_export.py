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
    """The Python value of a literal argument (or of the literal a name was bound to); MISSING otherwise."""
    if node is None:
        return MISSING
    value = binding(ec, node)
    try:
        return ast.literal_eval(value) if value is not None else MISSING
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return MISSING


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
