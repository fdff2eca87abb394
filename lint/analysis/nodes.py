"""Every node under an AST node, walked once: rules and scope checks read the same classes and functions many times."""
from __future__ import annotations

import ast


def nodes_of(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))`` (the same nodes, in the same order), kept on the node after the first call. Walking
    the tree again is most of the cost of those reads. Trees are never changed after parsing (fixes edit text)."""
    got: list[ast.AST] | None = getattr(node, "_trtlint_nodes", None)
    if got is None:
        got = list(ast.walk(node))
        node._trtlint_nodes = got  # type: ignore[attr-defined]
    return got
