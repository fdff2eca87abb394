"""Flow-sensitive value kinds: the kind of a name where it is read, not the highest kind it ever has."""
from __future__ import annotations

import ast

from trtlint.source import Kind, SourceFile

CODE = """\
import time
import torch
import torch.nn as nn


class M(nn.Module):
    def forward(self, x, t, mask=None, cfg=None):
        n = x.sum()
        a = n                      # 9: tensor
        n = 3
        b = n                      # 11: Python value again
        if torch.is_tensor(t):
            c = t                  # 13: tensor inside the guard
        else:
            d = t                  # 15: Python value in the else-branch
        e = mask.sum()             # 16: any parameter read as a tensor is one
        p, q = (x, 1) if b else (x, 2)
        f = q                      # 18: element kinds of a conditional tuple stay apart
        time = x.size(0)
        g = time                   # 20: the local hides the module
        if isinstance(cfg, (int, float)):
            h = cfg                # 22: narrowed to a Python value
        return a, b, c, d, e, f, g, h
"""


def _kinds_at(code: str) -> dict[tuple[int, str], Kind]:
    tree = ast.parse(code)
    src = SourceFile("m.py", code, tree)
    (f,) = [f for f in src.forward_functions() if f.node.name == "forward"]
    kinds = src.kinds(f)
    out: dict[tuple[int, str], Kind] = {}
    for node in ast.walk(f.node):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            out[(node.lineno, node.value.id)] = src.kind(node.value, kinds)
    return out


def test_kinds_follow_rebinding_guards_and_shadowing() -> None:
    k = _kinds_at(CODE)
    assert k[(9, "n")] is Kind.TENSOR
    assert k[(11, "n")] is Kind.PY
    assert k[(13, "t")] is Kind.TENSOR
    assert k[(15, "t")] is Kind.PY
    assert k[(18, "q")] is Kind.PY
    assert k[(20, "time")] is Kind.SHAPE
    assert k[(22, "cfg")] is Kind.PY


def test_a_local_named_like_a_module_is_not_the_module() -> None:
    src = SourceFile("m.py", CODE, ast.parse(CODE))
    (f,) = src.forward_functions()
    src.kinds(f)
    reads = [n for n in ast.walk(f.node) if isinstance(n, ast.Name) and n.id == "time" and isinstance(n.ctx, ast.Load)]
    assert reads and all(src.qualnames(n) == {"time"} and src.is_local(n) for n in reads)
    module_level = SourceFile("m.py", "import time\nprint(time.time())\n", ast.parse("import time\nprint(time.time())\n"))
    call = next(n for n in ast.walk(module_level.tree) if isinstance(n, ast.Attribute))
    assert module_level.qualnames(call) == {"time.time"}
