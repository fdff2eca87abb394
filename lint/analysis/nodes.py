"""Every node under an AST node, walked once: rules and scope checks read the same classes and functions many times."""
from __future__ import annotations

import ast
from collections import deque


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def statements_of(node: ast.AST) -> list[ast.AST]:
    """The statements under ``node`` (with except handlers and match cases, which hold statements), in the order
    ``ast.walk`` visits them, without entering expressions: an assignment is always a statement, and expressions are
    most of a tree's nodes. Kept on the node like :func:`nodes_of`."""
    got: list[ast.AST] | None = getattr(node, "_trtlint_stmts", None)
    if got is None:
        got = []
        todo = deque([node])
        while todo:
            n = todo.popleft()
            got.append(n)
            for _, value in ast.iter_fields(n):
                if isinstance(value, list):
                    todo.extend(v for v in value if isinstance(v, _BLOCKS))
        node._trtlint_stmts = got  # type: ignore[attr-defined]
    return got


def nodes_of(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))`` (the same nodes, in the same order), kept on the node after the first call. Walking
    the tree again is most of the cost of those reads. Trees are never changed after parsing (fixes edit text)."""
    got: list[ast.AST] | None = getattr(node, "_trtlint_nodes", None)
    if got is None:
        got = list(ast.walk(node))
        node._trtlint_nodes = got  # type: ignore[attr-defined]
    return got
