"""Small helpers shared by source rules."""
from __future__ import annotations

import ast

from trtlint.finding import Edit, Fix
from trtlint.source import FunctionInfo, SourceFile


def enclosing_function(src: SourceFile, node: ast.AST) -> FunctionInfo | None:
    """The innermost function whose body holds ``node`` (by line span)."""
    line = getattr(node, "lineno", 0)
    best: FunctionInfo | None = None
    for f in src.functions:
        if f.node.lineno <= line <= (f.node.end_lineno or f.node.lineno):
            if best is None or f.node.lineno >= best.node.lineno:
                best = f
    return best


def is_scripted(src: SourceFile, f: FunctionInfo) -> bool:
    """The function is compiled by ``@torch.jit.script``: its branches and loops stay control flow of the graph
    (a traced caller keeps them too), instead of being unrolled or frozen by a trace."""
    for dec in f.node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if "torch.jit.script" in src.qualnames(target):
            return True
    return False


def scope_nodes(src: SourceFile, scope: FunctionInfo | None) -> list[ast.AST]:
    """Nodes of a function body (or of the module outside functions), in source order.

    Cached on the file: several export rules look at the same scope, once per call they examine."""
    key = ("scope_nodes", id(scope.node) if scope is not None else None)
    cached = src.cache.get(key)
    if isinstance(cached, list):
        return cached
    roots = scope.node.body if scope is not None else src.tree.body
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if hasattr(node, "lineno"):
            out.append(node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    src.cache[key] = out
    return out


def before(a: ast.AST, b: ast.AST) -> bool:
    return (a.lineno, a.col_offset) < (b.lineno, b.col_offset)  # type: ignore[attr-defined]


def call_arg(call: ast.Call, index: int, *names: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return None


def method_name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def append_fix(src: SourceFile, node: ast.AST, suffix: str, description: str) -> Fix:
    """A fix that appends ``suffix`` right after ``node`` (wrapping it in parentheses where needed)."""
    line, col, end_line, end_col = src.pos(node)
    if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        return Fix(description, (Edit(end_line, end_col, end_line, end_col, suffix),))
    return Fix(description, (Edit(line, col, line, col, "("), Edit(end_line, end_col, end_line, end_col, ")" + suffix)))
