"""Submodules and methods that only training or evaluation code uses (docs/export-scope.md, section 1 and 2).

Two structural signals, read from callers rather than names:

* :func:`training_only_submodule`: a module class that the run builds only as an attribute of other model classes
  (``self.proposal_target_layer = ProposalTargetLayer(cfg)``) and whose every use in the holder class (and its
  subclasses of the run) sits on a training-only path: under ``if self.training:``, ``if training:`` on a
  parameter, ``targets is not None``; in a loss method or ``forward_train``; in a method that requires ground-truth
  arguments; in a call that passes ground truth; or in a method of the holder that only such places call. A
  single use elsewhere (or none at all, or a build of the class outside ``self.<attr> = ...``) keeps the class in
  scope.
* :func:`ground_truth_method`: a method other than ``forward`` that requires a ground-truth parameter
  (``gt_bboxes``, ``gt``, ``ground_truth``): target assignment or metric code of training and evaluation; an
  export has no ground truth to feed it.
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Iterator

from .index import _parse
from .nodes import nodes_of
from .scope import LOSS_METHOD, _classify

if TYPE_CHECKING:
    from ..source import SourceFile
    from .index import Block, RunIndex

# parameters that carry ground truth (narrower than scope.TARGET_PARAM: no ``labels``/``targets``, which some
# inference helpers take as decoded outputs; no ``*_gt`` suffix: OpenPCDet's ``num_points_in_gt`` counts points in
# predicted boxes at inference)
GROUND_TRUTH_PARAM = re.compile(r"^(gt|gts|gt_\w+|ground_truths?|y_true)$")
# a parameter that switches a method to its training behaviour (``def forward(self, batch, training=True)``,
# mmdet's ``forward(self, return_loss=True)``)
TRAINING_FLAG_PARAM = frozenset({"training", "is_training", "train", "return_loss", "compute_loss"})
# the training entry of a model beside its forward (mmdet's ``forward_train``); not Lightning's ``training_step``
# or mmengine's ``train_step``: a wrapper's step functions use the very network that gets exported
TRAINING_METHOD = re.compile(r"^forward_train$")
_ASSIGN_RE = re.compile(r"self\.(\w+)[ \t]*(?::[^=\n]+)?=[ \t]*(?:[\w.]+\.)?([A-Za-z_]\w*)[ \t]*\(")
_MAX_DEPTH = 6


def ground_truth_method(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """Why a method (not ``forward``) is training or evaluation code because it requires ground truth, or ""."""
    if fn.name == "forward":
        return ""
    gt = next((p for p in _required(fn) if GROUND_TRUTH_PARAM.match(p)), "")
    if not gt:
        return ""
    return (f"training or evaluation code: it requires ground truth (`{gt}`), which an exported graph is never "
            "given")


def _required(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = fn.args
    pos = [*a.posonlyargs, *a.args]
    out = [p.arg for p in pos[:len(pos) - len(a.defaults)]]
    out += [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]
    return [n for n in out if n not in ("self", "cls")]


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    a = fn.args
    return frozenset(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))


class _Holders:
    """Per-run cache: ``self.<attr> = Cls(...)`` assignments in class blocks, and parsed files."""

    def __init__(self, index: RunIndex) -> None:
        self.index = index
        self.by_class: dict[str, list[tuple[Block, str]]] = {}
        for blocks in index.blocks.values():
            for b in blocks:
                if b.kind != "class" or not b._text:
                    continue
                for m in _ASSIGN_RE.finditer(b._text, b._start, b._end):
                    self.by_class.setdefault(m.group(2), []).append((b, m.group(1)))
        self.files: dict[str, SourceFile | None] = {}
        self.decided: dict[str, str] = {}
        self._callers: dict[str, list[Block]] | None = None
        self._subclasses: dict[str, list[Block]] | None = None

    def callers(self, name: str) -> list[Block]:
        """The blocks of the run whose text calls ``name`` (built once: every decision asks)."""
        if self._callers is None:
            self._callers = {}
            for blocks in self.index.blocks.values():
                for b in blocks:
                    for c in b.calls:
                        self._callers.setdefault(c, []).append(b)
        return self._callers.get(name, [])

    def source(self, b: Block) -> SourceFile | None:
        if b.path not in self.files:
            tree = _parse(b._text)
            src = None
            if tree is not None:
                from ..source import SourceFile

                src = SourceFile(b.path, b._text, tree)
            self.files[b.path] = src
        return self.files[b.path]

    def class_node(self, b: Block) -> tuple[SourceFile, ast.ClassDef] | None:
        src = self.source(b)
        if src is None:
            return None
        for n in src.tree.body:
            if isinstance(n, ast.ClassDef) and n.name == b.name and n.lineno == b.line:
                return src, n
        return None

    def family(self, holder: Block) -> list[tuple[SourceFile, ast.ClassDef]]:
        """The holder class and the classes of the run that subclass it (directly or further down)."""
        out: list[tuple[SourceFile, ast.ClassDef]] = []
        names, todo = {holder.name}, [holder]
        got = self.class_node(holder)
        if got is not None:
            out.append(got)
        if self._subclasses is None:  # base name -> the classes of the run that name it as a base, in run order
            self._subclasses = {}
            for blocks in self.index.blocks.values():
                for b in blocks:
                    if b.kind == "class":
                        for base in dict.fromkeys(x.rsplit(".", 1)[-1] for x in b.bases):
                            self._subclasses.setdefault(base, []).append(b)
        while todo:
            cur = todo.pop()
            for b in self._subclasses.get(cur.name, ()):
                if b.name not in names:
                    names.add(b.name)
                    todo.append(b)
                    got = self.class_node(b)
                    if got is not None:
                        out.append(got)
        return out


def _holders(index: RunIndex) -> _Holders:
    got = index.__dict__.get("_submodule_holders")
    if got is None:
        got = index.__dict__["_submodule_holders"] = _Holders(index)
    return got  # type: ignore[no-any-return]


def _bare_calls(text: str, start: int, end: int, name: str) -> int:
    """Bare calls ``name(...)`` in ``text[start:end]`` (searched in place: blocks start at a line start)."""
    return len(re.compile(rf"(?<![\w.]){re.escape(name)}[ \t]*\(").findall(text, start, end))


def training_only_submodule(index: RunIndex | None, name: str, src: SourceFile) -> str:
    """Why the class ``name`` of ``src`` is a training-only submodule of another model class (see the module
    docstring), or "". Without a run index (one file linted alone), the holders are looked for in ``src``."""
    if index is None:
        got = src.cache.get(("submodule-index",))
        if got is None:
            from .index import RunIndex, scan_text

            got = src.cache[("submodule-index",)] = RunIndex()
            scan_text(src.path, src.text, got, src)
        index = got  # type: ignore[assignment]
    assert index is not None
    h = _holders(index)
    h.files.setdefault(src.path, src)
    if name in h.decided:
        return h.decided[name]
    h.decided[name] = ""  # a cycle (a class held, through its uses, by itself) decides nothing
    h.decided[name] = why = _decide(h, name)
    return why


def _decide(h: _Holders, name: str) -> str:
    holders = [(b, attr) for b, attr in h.by_class.get(name, ()) if b.name != name]
    if not holders:
        return ""
    # every build of the class in the run is such an assignment: ``layers.append(Cls())`` or a build in a
    # function elsewhere may put it on an inference path the callers below do not show
    per_block: dict[int, int] = {}
    for b, _ in holders:
        per_block[id(b)] = per_block.get(id(b), 0) + 1
    for b in h.callers(name):
        if b.name != name and _bare_calls(b._text, b._start, b._end, name) != per_block.get(id(b), 0):
            return ""
    where: list[str] = []
    for holder, attr in holders:
        family = h.family(holder)
        # the holder is a model with an inference path of its own (a ``forward`` in the family): a trainer, or a
        # Lightning module without forward, that uses the network only in its steps holds the exported model
        if not any(fn.name == "forward" for _, c in family for fn in _methods(c)):
            return ""
        uses = list(_uses(family, attr))
        if not uses:
            return ""
        for src, cls, fn, node, stack in uses:
            why = _training_context(src, family, fn, node, stack, 0, set())
            if not why:
                return ""
            where.append(f"{cls.name}.{fn.name}: {why}")
    first = holders[0]
    return (f"training-only: a submodule (`self.{first[1]}` of {first[0].name}) used only on training paths "
            f"({where[0]}{'; ...' if len(where) > 1 else ''})")


_Use = tuple["SourceFile", ast.ClassDef, ast.FunctionDef | ast.AsyncFunctionDef, ast.AST, list[ast.AST]]


def _walk(fn: ast.AST) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
    """Every node under ``fn`` with its ancestors (outermost first), not entering nested functions or classes."""
    todo: list[tuple[ast.AST, list[ast.AST]]] = [(c, [fn]) for c in ast.iter_child_nodes(fn)]
    while todo:
        node, stack = todo.pop()
        yield node, stack
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        todo.extend((c, [*stack, node]) for c in ast.iter_child_nodes(node))


def _attribute_names(fn: ast.AST) -> frozenset[str]:
    """Every ``.name`` an attribute access under ``fn`` uses (kept on the node)."""
    got: frozenset[str] | None = getattr(fn, "_trtlint_attrs", None)
    if got is None:
        got = frozenset(n.attr for n in nodes_of(fn) if isinstance(n, ast.Attribute))
        fn._trtlint_attrs = got  # type: ignore[attr-defined]
    return got


def _methods(cls: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _uses(family: list[tuple[SourceFile, ast.ClassDef]], attr: str) -> Iterator[_Use]:
    """Reads of ``self.<attr>`` in the methods of the holder family, ``__init__`` left out."""
    for src, cls in family:
        for fn in _methods(cls):
            if fn.name == "__init__" or attr not in _attribute_names(fn):
                continue  # the walk with ancestors is costly: only where the method names the attribute at all
            for node, stack in _walk(fn):
                if isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name) \
                        and node.value.id == "self" and isinstance(node.ctx, ast.Load):
                    yield src, cls, fn, node, stack


def _training_branch(src: SourceFile, node: ast.AST, stack: list[ast.AST], params: frozenset[str]) -> str:
    """The training-only test of an ``if`` around ``node`` (the side ``node`` is on is not taken in eval mode)."""
    chain = [*stack, node]
    for parent, child in zip(chain, chain[1:]):
        if not isinstance(parent, ast.If) or child is parent.test:
            continue
        in_body = any(child is s for s in parent.body)
        side = _flag_side(parent.test, params)
        if side is None:
            got = _classify(src, parent.test, params)
            if got is not None and got[1].startswith("training-only"):
                side = got[0]
        if side is not None and side != in_body:
            return f"under `if {ast.unparse(parent.test)[:60]}:`"
    return ""


def _flag_side(test: ast.expr, params: frozenset[str]) -> bool | None:
    """For a test on a training-flag parameter (``if training:``, ``if not return_loss:``): the side an
    inference call takes (True: the body), or None."""
    if isinstance(test, ast.Name) and test.id in TRAINING_FLAG_PARAM and test.id in params:
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _flag_side(test.operand, params)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        if any(_flag_side(v, params) is False for v in test.values):
            return False
    return None


def _passes_ground_truth(node: ast.AST, stack: list[ast.AST]) -> str:
    """The ground-truth argument of the call that uses ``node`` (``self.layer(x, gt_boxes)``), or ""."""
    chain = [*stack, node]
    for parent in reversed(chain):
        if isinstance(parent, ast.Call):
            for a in [*parent.args, *(k.value for k in parent.keywords)]:
                for n in ast.walk(a):
                    if isinstance(n, ast.Name) and GROUND_TRUTH_PARAM.match(n.id):
                        return n.id
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and GROUND_TRUTH_PARAM.match(n.value):
                        return n.value
            return ""
        if isinstance(parent, ast.stmt):
            return ""
    return ""


def _training_context(src: SourceFile, family: list[tuple[SourceFile, ast.ClassDef]],
                      fn: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.AST, stack: list[ast.AST], depth: int,
                      seen: set[str]) -> str:
    """Why the code at ``node`` in method ``fn`` runs only in training or evaluation, or ""."""
    if LOSS_METHOD.search(fn.name.lower()) and fn.name != "forward":
        return f"in the loss method {fn.name}"
    if TRAINING_METHOD.match(fn.name):
        return f"in {fn.name}"
    gt = ground_truth_method(fn)
    if gt:
        return f"in {fn.name}, which requires ground truth"
    branch = _training_branch(src, node, stack, _params(fn))
    if branch:
        return branch
    gt_arg = _passes_ground_truth(node, stack)
    if gt_arg:
        return f"given ground truth (`{gt_arg}`)"
    if fn.name == "forward" or depth >= _MAX_DEPTH or fn.name in seen or fn.name.startswith("__"):
        return ""
    # a helper of the holder: training-only when every call of it in the family is
    seen = seen | {fn.name}
    calls = [(s, c, m, n, st) for s, c, m, n, st in _uses(family, fn.name) if m.name != fn.name]
    if not calls:
        return ""
    for s, _c, m, n, st in calls:
        if not _training_context(s, family, m, n, st, depth + 1, seen):
            return ""
    s, c, m, n, st = calls[0]
    return f"in {fn.name}, called only {_training_context(s, family, m, n, st, depth + 1, seen)} in {c.name}.{m.name}"
