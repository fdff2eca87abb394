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


PARAMS = """\
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor


def helper(v: Tensor, out_dim: Optional[Tensor] = None, scale: Optional[Tensor] = None, w: Tensor = None):
    return v


class M(nn.Module):
    def __init__(self, dim, heads, weight):
        super().__init__()
        self.vdim = dim if dim is not None else 64
        self.head_dim = self.vdim // heads
        self.proj = nn.Linear(dim, dim)
        self.w = self.proj.weight
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(heads)])

    def forward(self, x):
        a = helper(x, self.vdim, scale=x.shape[-1], w=self.w)
        return helper(a, self.head_dim * 2, w=3)


class Gen(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

    def forward(self, step, x):
        return self.heads[step - 1](x)


class Loop(nn.Module):
    def forward(self, n, x):
        for _ in range(n):
            x = x + 1
        return x


class Read(nn.Module):
    def forward(self, idx, x):
        return x[idx.sum()] + self.heads[idx]
"""


def _param_kinds(code: str) -> dict[tuple[str, str], Kind]:
    src = SourceFile("m.py", code, ast.parse(code))
    out: dict[tuple[str, str], Kind] = {}
    for f in src.forward_functions():
        kinds = src.kinds(f)
        for p in f.node.args.args:
            if p.arg != "self":
                out[(f.node.name if f.cls is None else f"{f.cls.name}.{f.node.name}", p.arg)] = kinds[p.arg]
    return out


def test_tensor_annotation_yields_to_plain_values_from_every_call() -> None:
    k = _param_kinds(PARAMS)
    assert k[("helper", "v")] is Kind.TENSOR
    # every call passes a configuration attribute (or arithmetic of them): a Python value, not a tensor
    assert k[("helper", "out_dim")] <= Kind.SHAPE
    # one call leaves `scale` at its default (None): the annotation stands
    assert k[("helper", "scale")] is Kind.TENSOR
    # `self.w` is a parameter of a submodule (`self.proj.weight`), not configuration: the annotation stands
    assert k[("helper", "w")] is Kind.TENSOR


def test_first_forward_parameter_used_as_an_int_is_not_the_input() -> None:
    k = _param_kinds(PARAMS)
    assert k[("Gen.forward", "step")] is Kind.PY  # indexes an nn.ModuleList
    assert k[("Loop.forward", "n")] is Kind.PY  # a range() bound
    assert k[("Read.forward", "idx")] is Kind.TENSOR  # read as a tensor (idx.sum()) wins


def test_python_attrs_follow_configuration_only() -> None:
    from trtlint.source import python_attrs

    tree = ast.parse(PARAMS)
    cls = next(c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and c.name == "M")
    assert python_attrs([cls]) == {"vdim", "head_dim"}


def test_a_list_whose_length_bounds_a_range_is_not_an_int() -> None:
    code = "import torch.nn as nn\n\n\nclass Neck(nn.Module):\n    def forward(self, feats):\n" \
           "        return [f * 2 for f in feats[:1]] + [feats[i] for i in range(len(feats))]\n"
    assert _param_kinds(code)[("Neck.forward", "feats")] is Kind.TENSOR
