"""One parsed Python file and the index every source rule reads (built once per file, in one pass).

The analysis runs on the standard library's ``ast``: measured on torchvision's and timm's model sources it
parses about ten times faster than LibCST's parser (README, 'Design notes'), and rules only need positions
and names. Fixes are exact text edits at ``ast`` positions.
"""
from __future__ import annotations

import ast
import re
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from .compat import Target
from .analysis.nodes import nodes_of, statements_of
from .analysis.scope import TRACING_GUARD

if TYPE_CHECKING:
    from .analysis.index import RunIndex
    from .analysis.scope import FileScope


class Kind(enum.IntEnum):
    """What a Python expression inside ``forward`` evaluates to, for the tracer. Higher wins when combined."""

    PY = 0  # a plain Python value (config, flags, modules, None)
    SHAPE = 1  # a Python int/tuple read from tensor metadata (shape, rank, dtype, device)
    HOST = 2  # a Python value read from tensor *data* (``.item()``, ``float(t)``): a host sync
    TENSOR = 3  # a tensor


SHAPE_ATTRS = frozenset(
    {"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad", "is_sparse", "is_quantized", "layout", "names"}
)
SHAPE_METHODS = frozenset(
    {
        "size", "dim", "ndimension", "numel", "nelement", "stride", "is_contiguous", "is_floating_point",
        "is_complex", "element_size", "get_device", "storage_offset", "data_ptr", "type", "is_pinned",
    }
)
HOST_METHODS = frozenset({"item", "tolist"})
TENSOR_ATTRS = frozenset({"T", "mT", "H", "mH", "data", "real", "imag", "grad"})
PY_CAST = frozenset({"float", "int", "bool", "complex"})
# torch functions returning Python values, not tensors
TORCH_PY_FUNCS = frozenset(
    {
        "torch.is_tensor", "torch.is_floating_point", "torch.is_complex", "torch.numel", "torch.is_storage",
        "torch.is_grad_enabled", "torch.is_inference_mode_enabled", "torch.is_autocast_enabled",
        "torch.get_default_dtype", "torch.result_type", "torch.promote_types", "torch.finfo", "torch.iinfo",
        "torch.device", "torch.Size", "torch.jit.is_scripting", "torch.jit.is_tracing", "torch._C._get_tracing_state",
        "torch.onnx.is_in_onnx_export", "torch.compiler.is_compiling", "torch.compiler.is_dynamo_compiling",
        "torch._dynamo.is_compiling", "torch.fx._symbolic_trace.is_fx_tracing", "torch.cuda.is_available",
        "torch.backends.cudnn.is_available", "torch.are_deterministic_algorithms_enabled",
        "torch._assert", "torch.broadcast_shapes", "torch.get_autocast_gpu_dtype", "torch.get_autocast_dtype",
        "torch.seed", "torch.initial_seed",  # Python ints (the seed), not tensors
    }
)
# parameters that carry per-sample metadata (OpenMMLab's data samples, image metas), never tensors themselves
META_PARAMS = frozenset({"data_samples", "batch_data_samples", "img_metas", "img_meta", "batch_img_metas",
                         "metainfo", "batch_input_metas"})
TENSOR_ANNOTATIONS = frozenset({"Tensor", "torch.Tensor", "torch.FloatTensor", "torch.LongTensor", "torch.BoolTensor"})
# attributes and methods that only a tensor has among the values a ``forward`` receives: a parameter read this
# way is a tensor (``mask.sum()``, ``scores.sigmoid()``), whatever its position
TENSOR_USES = frozenset({
    "shape", "ndim", "dim", "size", "view", "reshape", "permute", "transpose", "flatten", "unsqueeze", "squeeze",
    "sum", "mean", "softmax", "sigmoid", "float", "half", "long", "bool", "contiguous", "expand", "expand_as",
    "repeat", "masked_fill", "matmul", "argmax", "argmin", "amax", "amin", "clamp", "exp", "log", "detach",
    "new_zeros", "new_ones", "new_full", "new_tensor", "new_empty", "type_as", "chunk", "unbind", "norm", "abs",
    "sqrt", "numel", "topk", "gather", "nonzero", "item", "flip", "roll", "cumsum", "prod", "sign", "split_with_sizes",
    "view_as", "reshape_as", "is_floating_point", "dtype", "device", "T", "mT",
})
CONTAINER_USES = frozenset({"items", "keys", "values", "get", "append", "extend", "pop", "update", "format",
                            "startswith", "endswith", "lower", "upper", "strip", "join", "setdefault"})
TENSOR_TYPES = frozenset({"torch.Tensor", "Tensor", "torch.FloatTensor", "torch.LongTensor", "torch.BoolTensor",
                          "torch.nn.Parameter", "torch.nn.parameter.Parameter"})
TYPE_GUARDS = frozenset({"torch.is_tensor"})


class Kinds(dict):  # type: ignore[type-arg]
    """Kinds of a function's local names. The dict holds, per name, the highest kind any binding gives it;
    ``at`` holds the kind of each name *read* at that point of the flow (rebinding and type guards apply)."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[int, Kind] = {}


@dataclass
class FunctionInfo:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: ast.ClassDef | None
    kinds: Kinds | None = None


class SourceFile:
    """A parsed file plus lazily built indexes: imports, qualified names, functions reachable from ``forward``."""

    def __init__(self, path: str, text: str, tree: ast.Module, target: Target | None = None) -> None:
        self.path = path
        self.text = text
        self.tree = tree
        self.target = target
        self.lines = text.splitlines()
        self.imports: dict[str, set[str]] = {}
        self.classes: list[ast.ClassDef] = []
        self.functions: list[FunctionInfo] = []
        self._calls: list[ast.Call] | None = None
        self._index()
        self._forward: list[FunctionInfo] | None = None
        self._by_name: dict[tuple[str, str], list[FunctionInfo]] | None = None
        # helper reached from forward -> [(caller, call)]: its parameters take the kinds of the arguments
        self._callsites: dict[int, list[tuple[FunctionInfo, ast.Call]]] = {}
        # kinds table -> class of its function: `self.m(...)` resolves within that class and its bases
        self._owner: dict[int, ast.ClassDef | None] = {}
        self._return_kinds: dict[int, Kind] = {}
        self._walks: dict[tuple[int, bool], list[ast.AST]] = {}
        #: per-file memo for rule helpers (keys are tuples that start with the helper's name)
        self.cache: dict[tuple[object, ...], object] = {}
        #: the run-level index (set by the runner before rules run; None for a file linted on its own)
        self.index: RunIndex | None = None
        self._scope: FileScope | None = None
        # ``Name`` nodes that read a local variable whose name is also an import (``time``, ``random``)
        self._shadowed: set[int] = set()
        self._flow_locals: set[str] = set()
        self._flow_kinds: Kinds = Kinds()
        self._flow_params: frozenset[str] = frozenset()
        self._branches: dict[int, tuple[bool, bool, str]] = {}
        #: ids of nodes on the exported side of a tracing guard (``if torch.onnx.is_in_onnx_export(): ...``): code
        #: written for the exporter, where a value read on the host is frozen on purpose (TRT102/TRT103 skip them)
        self.for_exporter: set[int] = set()

    @property
    def scope(self) -> FileScope:
        """Which classes and functions of this file are exported model code, and why (see analysis.scope)."""
        if self._scope is None:
            from .analysis.scope import FileScope

            self._scope = FileScope(self, self.index)
        return self._scope

    # ---------------------------------------------------------------- positions
    def _char_col(self, line: int, byte_col: int) -> int:
        if line < 1 or line > len(self.lines):
            return byte_col + 1
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def pos(self, node: ast.AST) -> tuple[int, int, int, int]:
        """1-based (line, col, end_line, end_col) in characters; end_col is exclusive + 1 (ruff/SARIF style)."""
        line = getattr(node, "lineno", 1)
        col = self._char_col(line, getattr(node, "col_offset", 0))
        end_line = getattr(node, "end_lineno", None) or line
        end_col = self._char_col(end_line, getattr(node, "end_col_offset", None) or 0)
        return line, col, end_line, end_col

    def segment(self, node: ast.AST) -> str:
        """The node's source text (``ast.get_source_segment`` re-splits the whole file on every call)."""
        line, end_line = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if line is None or end_line is None or end_line > len(self.lines):
            return ""
        first, last = self.lines[line - 1].encode("utf-8"), self.lines[end_line - 1].encode("utf-8")
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if line == end_line:
            return first[start:end].decode("utf-8", "replace")
        middle = [ln for ln in self.lines[line:end_line - 1]]
        return "\n".join([first[start:].decode("utf-8", "replace"), *middle, last[:end].decode("utf-8", "replace")])

    # ---------------------------------------------------------------- indexing
    def _index(self) -> None:
        """Imports, classes and functions, from statements only (expressions are walked lazily, for calls)."""
        imports = self.imports
        stack: list[tuple[list[ast.stmt], ast.ClassDef | None]] = [(self.tree.body, None)]
        while stack:
            body, cls = stack.pop()
            for child in body:
                t = type(child)
                if t is ast.Import:
                    for a in child.names:  # type: ignore[attr-defined]
                        if a.asname:
                            imports.setdefault(a.asname, set()).add(a.name)
                        else:
                            head = a.name.split(".")[0]
                            imports.setdefault(head, set()).add(head)
                elif t is ast.ImportFrom:
                    mod = child.module or ""  # type: ignore[attr-defined]
                    if child.level:  # type: ignore[attr-defined]
                        mod = "." * child.level + mod  # type: ignore[attr-defined]
                    for a in child.names:  # type: ignore[attr-defined]
                        imports.setdefault(a.asname or a.name, set()).add(f"{mod}.{a.name}" if mod else a.name)
                elif t is ast.ClassDef:
                    self.classes.append(child)  # type: ignore[arg-type]
                    stack.append((child.body, child))  # type: ignore[attr-defined, arg-type]
                elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                    self.functions.append(FunctionInfo(child, cls))  # type: ignore[arg-type]
                    stack.append((child.body, None))  # type: ignore[attr-defined]
                else:
                    for name in _STMT_LISTS:
                        inner = getattr(child, name, None)
                        if inner:
                            stack.append((inner, cls))
                    for h in getattr(child, "handlers", ()) or ():
                        stack.append((h.body, cls))
                    for case in getattr(child, "cases", ()) or ():
                        stack.append((case.body, cls))
        self.classes.sort(key=lambda c: c.lineno)
        self.functions.sort(key=lambda f: f.node.lineno)

    @property
    def calls(self) -> list[ast.Call]:
        """Every call in the file, in source order (built on first use: only some rules need it)."""
        if self._calls is None:
            self._calls = sorted((n for n in nodes_of(self.tree) if isinstance(n, ast.Call)),
                                 key=lambda c: (c.lineno, c.col_offset))
        return self._calls

    def qualnames(self, node: ast.AST) -> set[str]:
        """Every dotted name an expression may refer to, through the file's imports (``F.relu`` -> torch.nn.functional.relu)."""
        if isinstance(node, ast.Name):
            if id(node) in self._shadowed:
                return {node.id}
            return set(self.imports.get(node.id, {node.id}))
        if isinstance(node, ast.Attribute):
            return {f"{q}.{node.attr}" for q in self.qualnames(node.value)}
        return set()

    def is_local(self, node: ast.Name) -> bool:
        """Whether a name read inside a function is a local variable that hides an import of the same name
        (known once the function's kinds are computed)."""
        return id(node) in self._shadowed

    def call_matches(self, call: ast.Call, names: frozenset[str] | set[str]) -> bool:
        return not self.qualnames(call.func).isdisjoint(names)

    # ---------------------------------------------------------------- forward scope
    def where(self, f: FunctionInfo) -> str:
        """How a finding names the exported function it is in: `forward`, the inference entry of a class whose
        forward is the training step, or a function called from them."""
        if f.node.name == "forward":
            return "`forward`"
        if f.cls is not None and f.node.name == self.scope.inference_method(f.cls):
            return f"`{f.node.name}` (the inference entry beside a training forward)"
        return f"`{f.node.name}` (called from forward)"

    def forward_functions(self) -> list[FunctionInfo]:
        """The exported functions of this file: ``forward`` of exported classes (see :attr:`scope`), entry
        methods named by export roots, and what they call in this file (``self.<method>``, module functions),
        except callees the scope rules out (``@torch.jit.unused``, loss methods)."""
        if self._forward is not None:
            return self._forward
        by_class: dict[int, dict[str, FunctionInfo]] = {}
        module_funcs: dict[str, FunctionInfo] = {}
        for f in self.functions:
            if f.cls is not None:
                by_class.setdefault(id(f.cls), {})[f.node.name] = f
            else:
                module_funcs.setdefault(f.node.name, f)
        module_level = {id(n) for n in self.tree.body}
        module_funcs = {k: v for k, v in module_funcs.items() if id(v.node) in module_level}
        scope = self.scope
        work: list[FunctionInfo] = [f for f, _ in scope.entry_functions()]
        seen: set[int] = set()
        result: list[FunctionInfo] = []
        while work:
            f = work.pop()
            if id(f.node) in seen:
                continue
            seen.add(id(f.node))
            result.append(f)
            methods = self._methods_of(f.cls, by_class) if f.cls is not None else {}
            for node in self.walk_function(f):  # calls made only in training mode do not count
                if isinstance(node, ast.Call):
                    fn = node.func
                    callee = None
                    if (
                        isinstance(fn, ast.Attribute)
                        and isinstance(fn.value, ast.Name)
                        and fn.value.id == "self"
                        and fn.attr in methods
                    ):
                        callee = methods[fn.attr]
                    elif isinstance(fn, ast.Name) and fn.id in module_funcs:
                        callee = module_funcs[fn.id]
                    if callee is not None and scope.function_decision(callee).exported:
                        self._callsites.setdefault(id(callee.node), []).append((f, node))
                        work.append(callee)
        result.sort(key=lambda f: f.node.lineno)
        self._forward = result
        return result

    def _methods_of(self, cls: ast.ClassDef, by_class: dict[int, dict[str, FunctionInfo]]) -> dict[str, FunctionInfo]:
        """Methods ``self.m`` may name: the class's own, then those of its bases in this file."""
        out: dict[str, FunctionInfo] = {}
        for c in reversed(self._lineage(cls)):
            out.update(by_class.get(id(c), {}))
        return out

    def walk_function(self, f: FunctionInfo, eval_path: bool = True) -> list[ast.AST]:
        """Nodes of a function body in source order (cached: every forward rule walks the same functions)."""
        key = (id(f.node), eval_path)
        nodes = self._walks.get(key)
        if nodes is None:
            nodes = self._walks[key] = list(self._walk_function(f, eval_path))
        return nodes

    def _walk_function(self, f: FunctionInfo, eval_path: bool = True) -> Iterator[ast.AST]:
        """Nodes of a function body, not descending into nested classes (nested functions are part of it).

        With ``eval_path`` the code an export never records is skipped (see :func:`analysis.scope.branch_filter`):
        training-only branches (``if self.training:`` bodies, ``if not self.training:`` else-branches, branches
        on ``targets is not None``, ``mode == "loss"``), the eager side of tracing-aware guards
        (``torch.jit.is_tracing()``, ``torch.onnx.is_in_onnx_export()``, ...) and what follows an early
        ``return`` in the exported branch (``if not self.training: return y`` ends the exported path). The nodes of
        the exported side of a tracing guard are walked and also collected in :attr:`for_exporter`.
        """
        params = self._params(f)
        stack: list[ast.AST] = list(reversed(self.live(f.node.body, params) if eval_path else f.node.body))
        while stack:
            node = stack.pop()
            if eval_path and isinstance(node, ast.If) and not node.orelse and _debug_only(f.node, node):
                continue  # ``if torch.isnan(x).any(): print(...)``: a normal input never takes it, it only reports
            yield node
            if isinstance(node, ast.ClassDef):
                continue
            if eval_path and isinstance(node, (ast.If, ast.IfExp)):
                keep_body, keep_else, why = self.branch(node.test, params)
                if not (keep_body and keep_else):
                    kept: list[ast.AST] = []  # the test is a mode or tracing check: nothing to lint in it
                    if isinstance(node, ast.If):
                        if why.startswith(TRACING_GUARD):  # written for the exporter: host reads there are deliberate
                            taken = node.body if keep_body else node.orelse
                            self.for_exporter.update(id(n) for t in taken for n in ast.walk(t))
                        kept += self.live(node.body, params) if keep_body else []
                        kept += self.live(node.orelse, params) if keep_else else []
                    else:
                        kept.append(node.body if keep_body else node.orelse)
                    stack.extend(reversed(kept))
                    continue
            if not (eval_path and isinstance(node, _BLOCK_STMTS)):
                stack.extend(reversed(list(ast.iter_child_nodes(node))))
                continue
            children: list[ast.AST] = []
            for _, value in ast.iter_fields(node):
                if isinstance(value, list):
                    if value and isinstance(value[0], ast.stmt):
                        children.extend(self.live(value, params))
                    else:
                        children.extend(v for v in value if isinstance(v, ast.AST))
                elif isinstance(value, ast.AST):
                    children.append(value)
            stack.extend(reversed(children))

    def branch(self, test: ast.expr, params: frozenset[str]) -> tuple[bool, bool, str]:
        """Which sides of an ``if`` an export runs (cached per test: the walk and the kinds both ask)."""
        key = id(test)
        got = self._branches.get(key)
        if got is None:
            from .analysis.scope import branch_filter

            got = self._branches[key] = branch_filter(self, test, params)
        return got

    def live(self, body: list[ast.stmt], params: frozenset[str]) -> list[ast.stmt]:
        """The statements of a block that an export runs: up to an ``if`` whose exported side always returns."""
        for i, stmt in enumerate(body):
            if type(stmt) is ast.If:
                keep_body, keep_else, _ = self.branch(stmt.test, params)  # type: ignore[attr-defined]
                if keep_body and keep_else:
                    continue
                taken = stmt.body if keep_body else stmt.orelse  # type: ignore[attr-defined]
                if taken and isinstance(taken[-1], (ast.Return, ast.Raise)):
                    return body[: i + 1]
        return body

    def params_of(self, f: FunctionInfo) -> frozenset[str]:
        """The parameter names of ``f`` (what :meth:`branch` reads target and mode parameters from)."""
        return self._params(f)

    @staticmethod
    def _params(f: FunctionInfo) -> frozenset[str]:
        a = f.node.args
        return frozenset(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))

    # ---------------------------------------------------------------- value kinds
    def kinds(self, f: FunctionInfo) -> Kinds:
        """Kind of each local name, following the statements (flow-sensitive): a rebinding changes a name's
        kind from that point on, ``torch.is_tensor(x)``/``isinstance(x, torch.Tensor)``/``x is None`` narrow
        it inside the branch they guard, branches join by taking the higher kind, and loops run twice so that
        names bound late settle. The kind of each name *read* is kept in ``Kinds.at`` (what :meth:`kind`
        uses); the dict itself holds the highest kind any binding gives a name."""
        if f.kinds is not None:
            return f.kinds
        kinds = Kinds()
        f.kinds = kinds  # visible (partial) to recursive queries while being computed
        self._owner[id(kinds)] = f.cls
        args = f.node.args
        params = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(params) - len(args.defaults)) + list(args.defaults)
        first = True
        sites = self._callsites.get(id(f.node)) if f.node.name != "forward" else None
        if f.cls is None and id(f.node) in self.scope.cross_file:
            first = False  # a helper of another file's forward: its parameters are tensors only when read so
        if sites:
            kinds.update(self._param_kinds_from_calls(f, params, sites))
            first = False  # every parameter is already decided by what callers pass
        used, not_tensor = self._tensor_uses(f) if not sites else (set(), set())
        if first and not sites:
            # ``def forward(self, pred_idx, idx)`` that indexes ``self.heads[pred_idx - 1]`` or loops over
            # ``range(steps)``: the first parameter is a Python int (a step, a codebook index), not the input
            containers = module_containers(self._lineage(f.cls)) if f.cls is not None else set()
            not_tensor = not_tensor | (int_uses(f.node, containers) - used)
        for p, d in zip(params, defaults):
            if p.arg in ("self", "cls") or p.arg in kinds:
                continue
            if _tensor_annotated(p):
                kinds[p.arg] = Kind.TENSOR
            elif first and p.annotation is None and d is None and p.arg not in not_tensor:
                kinds[p.arg] = Kind.TENSOR  # the first input of forward, unless read as a dict or a list
            elif p.annotation is None and (d is None or (isinstance(d, ast.Constant) and d.value is None)) \
                    and p.arg in used:
                kinds[p.arg] = Kind.TENSOR  # any parameter read as a tensor (``mask.sum()``) is one
            else:
                kinds[p.arg] = Kind.PY
            first = False
        for p in params:
            if p.arg in META_PARAMS and not _tensor_annotated(p):
                kinds[p.arg] = Kind.PY  # OpenMMLab's data samples and image metas: Python containers of metadata
        for p in args.kwonlyargs:
            ann = ast.unparse(p.annotation) if p.annotation is not None else ""
            kinds[p.arg] = Kind.TENSOR if ann in TENSOR_ANNOTATIONS else Kind.PY
        if args.vararg is not None:
            kinds[args.vararg.arg] = Kind.PY
        if args.kwarg is not None:
            kinds[args.kwarg.arg] = Kind.PY
        saved = (self._flow_locals, self._flow_kinds, self._flow_params)  # a callee's kinds are computed mid-flow
        self._flow_locals = self._local_names(f)
        self._flow_kinds = kinds
        self._flow_params = self._params(f)
        try:
            self._flow(f.node.body, dict(kinds))
        finally:
            self._flow_locals, self._flow_kinds, self._flow_params = saved  # type: ignore[assignment]
        return kinds

    def _local_names(self, f: FunctionInfo) -> set[str]:
        """Names bound in the function that are also imports of the file (``time = []``): parameters and
        stores, read from the cached walk of the function."""
        imports = self.imports
        a = f.node.args
        names = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs) if p.arg in imports}
        for extra in (a.vararg, a.kwarg):
            if extra is not None and extra.arg in imports:
                names.add(extra.arg)
        for n in self.walk_function(f):
            if type(n) is ast.Name and n.id in imports and type(n.ctx) is ast.Store:  # type: ignore[attr-defined]
                names.add(n.id)  # type: ignore[attr-defined]
            elif isinstance(n, (ast.Global, ast.Nonlocal)):
                names.difference_update(n.names)
        return names

    def _tensor_uses(self, f: FunctionInfo) -> tuple[set[str], set[str]]:
        """(names read as tensors: ``p.sum()``, ``p.shape``, ``p.view(...)``, ``p[:, 0]``; names read as containers or
        strings: ``p["key"]``, ``p.items()``, ``p.get(...)``). Passing a name to a call says nothing:
        ``torch.zeros(H, W)`` and ``self.down(x, H, W)`` take Python ints too."""
        tensor: set[str] = set()
        other: set[str] = set()
        for n in self.walk_function(f):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
                if n.attr in TENSOR_USES:
                    tensor.add(n.value.id)
                elif n.attr in CONTAINER_USES:
                    other.add(n.value.id)
            elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
                idx = n.slice
                if isinstance(idx, ast.Constant) and isinstance(idx.value, str):
                    other.add(n.value.id)
                elif (isinstance(idx, ast.Constant) and idx.value is Ellipsis) or (
                    isinstance(idx, ast.Tuple) and any(isinstance(e, ast.Slice) or (
                        isinstance(e, ast.Constant) and e.value is Ellipsis) for e in idx.elts)
                ):
                    tensor.add(n.value.id)  # ``x[..., 4]``, ``x[:, 0]``: multi-axis indexing
        return tensor, other - tensor

    # ---------------------------------------------------------------- the flow of kinds
    def _flow(self, body: list[ast.stmt], env: dict[str, Kind]) -> dict[str, Kind] | None:
        """Run the statements of a block over ``env``; None when the block always leaves (return/raise)."""
        cur: dict[str, Kind] | None = env
        for stmt in self.live(body, self._flow_params):
            if cur is None:
                return None
            cur = self._stmt(stmt, cur)
        return cur

    def _stmt(self, s: ast.stmt, env: dict[str, Kind]) -> dict[str, Kind] | None:
        t = type(s)
        if t is ast.Assign:
            self._expr(s.value, env)  # type: ignore[attr-defined]
            value = s.value  # type: ignore[attr-defined]
            parts = self._element_kinds(value, self._flow_kinds)
            k = self.kind(value, self._flow_kinds) if parts is None else max(parts, default=Kind.PY)
            for target in s.targets:  # type: ignore[attr-defined]
                if parts is not None and isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == len(parts):
                    for elt, pk in zip(target.elts, parts):
                        self._assign(elt, pk, env)
                else:
                    self._assign(target, k, env)
            return env
        if t is ast.AugAssign or t is ast.AnnAssign:
            if s.value is None:  # type: ignore[attr-defined]
                return env
            self._expr(s.value, env)  # type: ignore[attr-defined]
            self._expr(s.target, env, load_only=True)  # type: ignore[attr-defined]
            k = self.kind(s.value, self._flow_kinds)  # type: ignore[attr-defined]
            if t is ast.AugAssign and isinstance(s.target, ast.Name):  # type: ignore[attr-defined]
                k = max(k, env.get(s.target.id, Kind.PY))  # type: ignore[attr-defined]
            self._assign(s.target, k, env)  # type: ignore[attr-defined]
            return env
        if t is ast.If:
            self._expr(s.test, env)  # type: ignore[attr-defined]
            keep_body, keep_else, _ = self.branch(s.test, self._flow_params)  # type: ignore[attr-defined]
            on_true, on_false = self._narrow(s.test, env)  # type: ignore[attr-defined]
            a = self._flow(s.body, on_true) if keep_body else None  # type: ignore[attr-defined]
            b = self._flow(s.orelse, on_false) if keep_else else None  # type: ignore[attr-defined]
            return _join(a, b)
        if t is ast.For or t is ast.AsyncFor:
            self._expr(s.iter, env)  # type: ignore[attr-defined]
            it = self.kind(s.iter, self._flow_kinds)  # type: ignore[attr-defined]
            out: dict[str, Kind] | None = env
            for _ in range(2):
                inner = dict(out or env)
                self._assign(s.target, Kind.TENSOR if it == Kind.TENSOR else Kind.PY, inner)  # type: ignore[attr-defined]
                out = _join(out, self._flow(s.body, inner))  # type: ignore[attr-defined]
            return _join(out, self._flow(s.orelse, dict(out or env))) if s.orelse else out  # type: ignore[attr-defined]
        if t is ast.While:
            out = env
            for _ in range(2):
                self._expr(s.test, out or env)  # type: ignore[attr-defined]
                on_true, _f = self._narrow(s.test, out or env)  # type: ignore[attr-defined]
                out = _join(out, self._flow(s.body, on_true))  # type: ignore[attr-defined]
            return _join(out, self._flow(s.orelse, dict(out or env))) if s.orelse else out  # type: ignore[attr-defined]
        if t is ast.With or t is ast.AsyncWith:
            for item in s.items:  # type: ignore[attr-defined]
                self._expr(item.context_expr, env)
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, Kind.PY, env)
            return self._flow(s.body, env)  # type: ignore[attr-defined]
        if t is ast.Try or t.__name__ == "TryStar":
            after = self._flow(s.body, dict(env))  # type: ignore[attr-defined]
            start = _join(env, after) or dict(env)
            outs = [self._flow(s.orelse, dict(after)) if after is not None else None]  # type: ignore[attr-defined]
            for h in s.handlers:  # type: ignore[attr-defined]
                henv = dict(start)
                if h.name:
                    henv[h.name] = Kind.PY
                    self._flow_kinds.setdefault(h.name, Kind.PY)
                outs.append(self._flow(h.body, henv))
            joined: dict[str, Kind] | None = None
            for o in outs:
                joined = _join(joined, o)
            if s.finalbody:  # type: ignore[attr-defined]
                fin = self._flow(s.finalbody, dict(joined or start))  # type: ignore[attr-defined]
                return fin if joined is not None else None
            return joined
        if t is ast.Match:
            self._expr(s.subject, env)  # type: ignore[attr-defined]
            joined = None
            for case in s.cases:  # type: ignore[attr-defined]
                joined = _join(joined, self._flow(case.body, dict(env)))
            return _join(joined, env)
        if t is ast.Return or t is ast.Raise:
            for child in ast.iter_child_nodes(s):
                self._expr(child, env)
            return None
        if t is ast.Continue or t is ast.Break:
            return None
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            inner = dict(env)
            a = s.args  # type: ignore[attr-defined]
            for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
                inner[p.arg] = Kind.TENSOR if _tensor_annotated(p) else Kind.PY
            for d in (*a.defaults, *[d for d in a.kw_defaults if d is not None]):
                self._expr(d, env)
            self._flow(s.body, inner)  # type: ignore[attr-defined]
            self._assign(ast.Name(id=s.name, ctx=ast.Store()), Kind.PY, env)  # type: ignore[attr-defined]
            return env
        if t is ast.ClassDef:
            return env
        for child in ast.iter_child_nodes(s):
            self._expr(child, env)
        return env

    def _assign(self, target: ast.AST, k: Kind, env: dict[str, Kind]) -> None:
        """Rebind: from here on the name has kind ``k`` (and the summary keeps the highest kind seen)."""
        if isinstance(target, ast.Name):
            env[target.id] = k
            summary = self._flow_kinds
            if k > summary.get(target.id, Kind.PY) or target.id not in summary:
                summary[target.id] = max(k, summary.get(target.id, Kind.PY))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._assign(elt, k, env)
        elif isinstance(target, ast.Starred):
            self._assign(target.value, k, env)
        else:  # x.attr = v, x[i] = v: the names in it are read
            self._expr(target, env, load_only=True)

    def _expr(self, e: ast.AST, env: dict[str, Kind], load_only: bool = False) -> None:
        """Record the kind of every name read in an expression (comprehensions and lambdas get their own scope;
        ``:=`` binds in the enclosing one)."""
        at = self._flow_kinds.at
        stack: list[tuple[ast.AST, dict[str, Kind]]] = [(e, env)]
        while stack:
            n, scope = stack.pop()
            t = type(n)
            if t is ast.Name:
                if n.ctx.__class__ is not ast.Store or load_only:  # type: ignore[attr-defined]
                    at[id(n)] = scope.get(n.id, Kind.PY)  # type: ignore[attr-defined]
                    if n.id in self._flow_locals:  # type: ignore[attr-defined]
                        self._shadowed.add(id(n))
                continue
            if t in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
                inner = dict(scope)
                for gen in n.generators:  # type: ignore[attr-defined]
                    self._expr(gen.iter, inner)
                    it = self.kind(gen.iter, self._flow_kinds)
                    self._bind_local(gen.target, Kind.TENSOR if it == Kind.TENSOR else Kind.PY, inner)
                    for cond in gen.ifs:
                        self._expr(cond, inner)
                if t is ast.DictComp:
                    self._expr(n.key, inner)  # type: ignore[attr-defined]
                    self._expr(n.value, inner)  # type: ignore[attr-defined]
                else:
                    self._expr(n.elt, inner)  # type: ignore[attr-defined]
                continue
            if t is ast.Lambda:
                inner = dict(scope)
                a = n.args  # type: ignore[attr-defined]
                for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
                    inner[p.arg] = Kind.PY
                stack.append((n.body, inner))  # type: ignore[attr-defined]
                continue
            if t is ast.NamedExpr:
                self._expr(n.value, scope)  # type: ignore[attr-defined]
                self._assign(n.target, self.kind(n.value, self._flow_kinds), scope)  # type: ignore[attr-defined]
                continue
            if t is ast.IfExp:
                self._expr(n.test, scope)  # type: ignore[attr-defined]
                on_true, on_false = self._narrow(n.test, scope)  # type: ignore[attr-defined]
                stack.append((n.body, on_true))  # type: ignore[attr-defined]
                stack.append((n.orelse, on_false))  # type: ignore[attr-defined]
                continue
            if t is ast.BoolOp and isinstance(n.op, ast.And):  # type: ignore[attr-defined]
                cur = scope
                for v in n.values:  # type: ignore[attr-defined]
                    self._expr(v, cur)
                    cur, _ = self._narrow(v, cur)
                continue
            stack.extend((c, scope) for c in ast.iter_child_nodes(n))

    def _bind_local(self, target: ast.AST, k: Kind, scope: dict[str, Kind]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = k
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind_local(elt, k, scope)
        elif isinstance(target, ast.Starred):
            self._bind_local(target.value, k, scope)

    def _narrow(self, test: ast.expr, env: dict[str, Kind]) -> tuple[dict[str, Kind], dict[str, Kind]]:
        """(env where ``test`` holds, env where it does not): type guards and ``is None`` narrow a name."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            t, f = self._narrow(test.operand, env)
            return f, t
        if isinstance(test, ast.BoolOp):
            if isinstance(test.op, ast.And):
                cur = env
                for v in test.values:
                    cur, _ = self._narrow(v, cur)
                return cur, env
            cur = env
            for v in test.values:
                _, cur = self._narrow(v, cur)
            return env, cur
        name, when_true, when_false = None, None, None
        if isinstance(test, ast.Call) and test.args and isinstance(test.args[0], ast.Name):
            fn = test.func
            if self.qualnames(fn) & TYPE_GUARDS:
                name, when_true, when_false = test.args[0].id, Kind.TENSOR, Kind.PY
            elif isinstance(fn, ast.Name) and fn.id == "isinstance" and len(test.args) == 2:
                types = test.args[1]
                elts = types.elts if isinstance(types, ast.Tuple) else [types]
                tensorish = [bool(self.qualnames(t) & TENSOR_TYPES) for t in elts]
                name = test.args[0].id
                if all(tensorish):
                    when_true, when_false = Kind.TENSOR, Kind.PY
                elif not any(tensorish):
                    when_true = Kind.PY
                else:
                    when_false = Kind.PY
        elif (
            isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name)
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None
        ):
            name = test.left.id
            if isinstance(test.ops[0], ast.Is):
                when_true = Kind.PY
            elif isinstance(test.ops[0], ast.IsNot):
                when_false = Kind.PY
        if name is None:
            return env, env
        t_env, f_env = env, env
        if when_true is Kind.TENSOR and env.get(name) == Kind.SHAPE:
            when_true = None  # a shape value is a tensor only while tracing: code that checks is tracing-aware
        if when_true is not None:
            t_env = {**env, name: when_true}
        if when_false is not None:
            f_env = {**env, name: when_false}
        return t_env, f_env

    def _param_kinds_from_calls(
        self, f: FunctionInfo, params: list[ast.arg], sites: list[tuple[FunctionInfo, ast.Call]]
    ) -> dict[str, Kind]:
        """Kinds of a helper's parameters: the highest kind any call from forward code passes in."""
        names = [p.arg for p in params]
        if names and names[0] in ("self", "cls") and f.cls is not None:
            names = names[1:]
        out: dict[str, Kind] = {}
        # per parameter, how many call sites pass it a plain Python value (a shape read, a number, a configuration
        # attribute of the caller's module): when all do, a ``Tensor`` annotation does not hold in this file
        plain: dict[str, int] = {}
        for caller, call in sites:
            ck = self.kinds(caller)
            for name, arg in zip(names, call.args):
                if isinstance(arg, ast.Starred):
                    break
                out[name] = max(out.get(name, Kind.PY), self.kind(arg, ck))
                plain[name] = plain.get(name, 0) + self._plain_value(arg, ck, caller)
            for kw in call.keywords:
                if kw.arg in names:
                    out[kw.arg] = max(out.get(kw.arg, Kind.PY), self.kind(kw.value, ck))
                    plain[kw.arg] = plain.get(kw.arg, 0) + self._plain_value(kw.value, ck, caller)
        for p in params:
            if _tensor_annotated(p) and plain.get(p.arg, 0) == len(sites):
                # ``out_dim: Optional[Tensor]`` that every call passes ``self.vdim`` (an int set in __init__), or
                # ``W_img: Tensor`` given ``img.shape[-1]``: the values the function gets are Python values
                out[p.arg] = min(out.get(p.arg, Kind.PY), Kind.SHAPE)
            elif _tensor_annotated(p):
                out[p.arg] = Kind.TENSOR
            elif _python_scalar_annotated(p) and out.get(p.arg) == Kind.HOST:
                # ``def f(n: int)`` called with ``int(t)``: a Python number arrives; the host read that made it
                # is the caller's (and reported there)
                out[p.arg] = Kind.PY
            elif _python_ints_annotated(p) and out.get(p.arg, Kind.PY) >= Kind.HOST:
                # ``def f(hw: Tuple[int, int])`` given what an unresolved call returned (``x, hw = self.embed(x)``):
                # the annotation says Python ints, at most a shape
                out[p.arg] = Kind.SHAPE
            out.setdefault(p.arg, Kind.PY)
        return out

    def _plain_value(self, arg: ast.expr, kinds: dict[str, Kind], caller: FunctionInfo) -> int:
        """1 when a call passes a value that is plainly not a tensor: a shape read (``x.shape[-1]``, ``H`` from
        ``B, C, H, W = x.shape``), a number, or a configuration attribute of the caller's module (see
        :func:`python_attrs`); 0 otherwise (``None``, a tensor, anything unknown)."""
        if isinstance(arg, ast.Constant):
            return int(isinstance(arg.value, (int, float)) and not isinstance(arg.value, bool))
        if self.kind(arg, kinds) == Kind.SHAPE:
            return 1
        if self.kind(arg, kinds) != Kind.PY or not _python_expr(arg):
            return 0
        # arithmetic of numbers and configuration attributes (``self.head_dim * self.num_heads``): every leaf plain
        leaves = [n for n in ast.walk(arg) if isinstance(n, (ast.Name, ast.Attribute, ast.Constant))
                  and not (isinstance(n, ast.Name) and n.id == "self")]
        if any(isinstance(n, ast.Name) for n in leaves):
            return 0  # a local or parameter of unknown kind
        attrs: set[str] = set()
        if caller.cls is not None and any(isinstance(n, ast.Attribute) for n in leaves):  # only then needed
            key = ("python_attrs", id(caller.cls))
            got = self.cache.get(key)
            attrs = got if isinstance(got, set) else python_attrs(self._lineage(caller.cls))
            self.cache[key] = attrs
        for n in leaves:
            if isinstance(n, ast.Attribute):
                if not (_self_attr(n) and _self_attr(n) in attrs):
                    return 0
            elif isinstance(n, ast.Name):
                return 0  # a local or parameter of unknown kind
        return 1

    def _element_kinds(self, value: ast.AST, kinds: dict[str, Kind]) -> list[Kind] | None:
        """Per-element kinds of a tuple value: a tuple display, or a local call whose returns are all tuples."""
        if isinstance(value, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in value.elts):
            return [self.kind(e, kinds) for e in value.elts]
        if isinstance(value, ast.IfExp):  # ``a, b = (x, 1) if c else (y, 2)``: element by element
            left, right = self._element_kinds(value.body, kinds), self._element_kinds(value.orelse, kinds)
            if left is None or right is None or len(left) != len(right):
                return None
            return [max(x, y) for x, y in zip(left, right)]
        if isinstance(value, ast.Call):
            callees = self._local_callee(value.func, kinds)
            part = not callees
            if part:
                callees = self._submodule_calls(value.func, kinds)
            if not callees:
                return None
            result: list[Kind] | None = None
            whole = self.kind(value, kinds) if part else Kind.PY
            for f in callees:
                fk = self.kinds(f)
                params = self._params(f)
                for ret in _returns(f):
                    if not isinstance(ret, ast.Tuple) or any(isinstance(e, ast.Starred) for e in ret.elts):
                        return None
                    if part:
                        # a submodule's forward, whose parameters' kinds are guesses of its own: only an element
                        # that is plainly Python there (a literal, a local flag bound to one) is lowered
                        elts = [Kind.PY if isinstance(e, ast.Constant) or (
                            isinstance(e, ast.Name) and e.id not in params and _constant_local(f, e.id))
                            else whole for e in ret.elts]
                    else:
                        elts = [self.kind(e, fk) for e in ret.elts]
                    if result is None:
                        result = elts
                    elif len(result) != len(elts):
                        return None
                    else:
                        result = [max(a, b) for a, b in zip(result, elts)]
            return result
        return None

    def _bind(self, target: ast.AST, k: Kind, kinds: dict[str, Kind]) -> None:
        if isinstance(target, ast.Name):
            if k > kinds.get(target.id, Kind.PY) or target.id not in kinds:
                kinds[target.id] = max(k, kinds.get(target.id, Kind.PY))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind(elt, k, kinds)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, k, kinds)

    def kind(self, e: ast.AST, kinds: dict[str, Kind]) -> Kind:
        """What an expression evaluates to at trace time (see :class:`Kind`)."""
        t = type(e)
        if t is ast.Name:
            at = getattr(kinds, "at", None)
            if at is not None:
                k = at.get(id(e))
                if k is not None:
                    return k
            return kinds.get(e.id, Kind.PY)  # type: ignore[attr-defined]
        if t is ast.Constant:
            return Kind.PY
        if t is ast.Attribute:
            base = self.kind(e.value, kinds)  # type: ignore[attr-defined]
            if base == Kind.TENSOR:
                if e.attr in SHAPE_ATTRS:  # type: ignore[attr-defined]
                    return Kind.SHAPE
                return Kind.TENSOR if e.attr in TENSOR_ATTRS else Kind.PY  # type: ignore[attr-defined]
            return base if base == Kind.SHAPE else Kind.PY
        if t is ast.Subscript:
            base = self.kind(e.value, kinds)  # type: ignore[attr-defined]
            return base if base != Kind.PY else Kind.PY
        if t is ast.Call:
            return self._call_kind(e, kinds)  # type: ignore[arg-type]
        if t is ast.BinOp:
            return max(self.kind(e.left, kinds), self.kind(e.right, kinds))  # type: ignore[attr-defined]
        if t is ast.UnaryOp:
            return self.kind(e.operand, kinds)  # type: ignore[attr-defined]
        if t is ast.BoolOp:
            return max(self.kind(v, kinds) for v in e.values)  # type: ignore[attr-defined]
        if t is ast.Compare:
            if all(isinstance(op, (ast.Is, ast.IsNot)) for op in e.ops):  # type: ignore[attr-defined]
                return Kind.PY
            if all(isinstance(op, (ast.In, ast.NotIn)) for op in e.ops):  # type: ignore[attr-defined]
                return Kind.PY
            if any(isinstance(v, ast.Constant) and isinstance(v.value, (str, bytes))
                   for v in [e.left, *e.comparators]):  # type: ignore[attr-defined]
                return Kind.PY  # ``mode == "ema"``: a string is never a tensor, nor compared with one
            if any(isinstance(v, ast.Constant) and v.value is None
                   for v in [e.left, *e.comparators]):  # type: ignore[attr-defined]
                return Kind.PY  # ``x != None``: a tensor compared with None gives a Python bool (torch 2.14.1)
            return max(self.kind(v, kinds) for v in [e.left, *e.comparators])  # type: ignore[attr-defined]
        if t is ast.IfExp:
            return max(self.kind(e.body, kinds), self.kind(e.orelse, kinds))  # type: ignore[attr-defined]
        if t in (ast.Tuple, ast.List):
            return max((self.kind(v, kinds) for v in e.elts), default=Kind.PY)  # type: ignore[attr-defined]
        if t is ast.Starred:
            return self.kind(e.value, kinds)  # type: ignore[attr-defined]
        if t is ast.NamedExpr:
            return self.kind(e.value, kinds)  # type: ignore[attr-defined]
        if t in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
            return self.kind(e.elt, kinds)  # type: ignore[attr-defined]
        return Kind.PY

    def _local_callee(self, fn: ast.AST, kinds: dict[str, Kind] | None = None) -> list[FunctionInfo]:
        """Definitions in this file that ``self.m(...)`` or ``f(...)`` may call."""
        if self._by_name is None:
            self._by_name = {}
            top = {id(n) for n in self.tree.body}
            for f in self.functions:
                key = ("m", f.node.name) if f.cls is not None else ("f", f.node.name)
                if f.cls is not None or id(f.node) in top:
                    self._by_name.setdefault(key, []).append(f)
        if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id == "self":
            candidates = self._by_name.get(("m", fn.attr), [])
            cls = self._owner.get(id(kinds)) if kinds is not None else None
            if cls is None:
                return candidates
            # the class's own method, else one of its bases defined in this file; else unknown (inherited)
            lineage = self._lineage(cls)
            for c in lineage:
                own = [f for f in candidates if f.cls is c]
                if own:
                    return own
            return []
        if isinstance(fn, ast.Name) and fn.id not in self.imports:
            return self._by_name.get(("f", fn.id), [])
        return []

    def _submodule_calls(self, fn: ast.AST, kinds: dict[str, Kind]) -> list[FunctionInfo]:
        """What ``self.part(...)`` runs when the module sets ``self.part = Part(...)`` (only so) and this file defines
        ``Part``: its ``forward``, else its ``__call__`` (used for the kinds of the tuple a call returns)."""
        attr = _self_attr(fn)
        cls = self._owner.get(id(kinds))
        if not attr or cls is None:
            return []
        values: list[ast.expr] = []
        for c in self._lineage(cls):
            values += _assigned_self_attrs(c).get(attr, [])
        by_name = {c.name: c for c in self.classes}
        parts = [by_name.get(v.func.id) if isinstance(v, ast.Call) and isinstance(v.func, ast.Name)
                 and v.func.id not in self.imports else None for v in values]
        if not parts or any(p is None for p in parts):
            return []
        out: list[FunctionInfo] = []
        for part in parts:
            methods: dict[str, FunctionInfo] = {}
            for c in reversed(self._lineage(part)):  # type: ignore[arg-type]
                methods.update({f.node.name: f for f in self.functions if f.cls is c})
            entry = methods.get("forward") or methods.get("__call__")
            if entry is None:
                return []
            out.append(entry)
        return out

    def _lineage(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        """The class and its bases that this file defines, nearest first."""
        by_name = {c.name: c for c in self.classes}
        out, todo = [], [cls]
        while todo:
            c = todo.pop(0)
            if c in out:
                continue
            out.append(c)
            todo.extend(by_name[b.id] for b in c.bases if isinstance(b, ast.Name) and b.id in by_name)
        return out

    def return_kind(self, f: FunctionInfo) -> Kind:
        """The highest kind any ``return`` of ``f`` gives (TENSOR while being computed: recursion)."""
        key = id(f.node)
        if key in self._return_kinds:
            return self._return_kinds[key]
        self._return_kinds[key] = Kind.TENSOR
        kinds = self.kinds(f)
        result = max((self.kind(v, kinds) for v in _returns(f)), default=Kind.PY)
        self._return_kinds[key] = result
        return result

    def _call_kind(self, call: ast.Call, kinds: dict[str, Kind]) -> Kind:
        fn = call.func
        if isinstance(fn, ast.Attribute):
            recv = self.kind(fn.value, kinds)
            if recv == Kind.TENSOR:
                if fn.attr in SHAPE_METHODS:
                    return Kind.SHAPE
                if fn.attr in HOST_METHODS:
                    return Kind.HOST
                return Kind.TENSOR
            if recv == Kind.SHAPE:
                return Kind.SHAPE
        if isinstance(fn, ast.Name):
            if fn.id == "len" and fn.id not in self.imports:
                return Kind.SHAPE if call.args and self.kind(call.args[0], kinds) >= Kind.SHAPE else Kind.PY
            if fn.id in PY_CAST and fn.id not in self.imports:
                if not call.args:
                    return Kind.PY
                a = self.kind(call.args[0], kinds)
                return Kind.HOST if a >= Kind.HOST else a
            if fn.id in ("min", "max", "abs", "round", "sum", "all", "any") and fn.id not in self.imports:
                a = max((self.kind(x, kinds) for x in call.args), default=Kind.PY)
                return Kind.HOST if a >= Kind.HOST else a
        names = self.qualnames(fn)
        if any(n.startswith("torch.") for n in names):
            if names & TORCH_PY_FUNCS:
                return Kind.PY
            if any(n.startswith(("torch.jit.", "torch.onnx.", "torch._C.", "torch.cuda.", "torch.fx.")) for n in names):
                return Kind.PY
            if any(n.rsplit(".", 1)[-1].startswith(("is_", "get_")) for n in names):
                return Kind.PY
            if names & {"torch.tensor", "torch.as_tensor"} and call.args and _module_constant(call.args[0]):
                return Kind.PY  # ``torch.as_tensor(self.max_len)``: a constant of the module, as in the trace
            return Kind.TENSOR
        # a method or function of this file: what its ``return`` statements give
        local = self._local_callee(fn, kinds)
        if local:
            return max(self.return_kind(f) for f in local)
        # ``self.layer(x)``: a submodule applied to a tensor gives a tensor
        if (
            isinstance(fn, (ast.Attribute, ast.Subscript))
            and _rooted_at_self(fn)
            and any(self.kind(a, kinds) == Kind.TENSOR for a in call.args)
        ):
            return Kind.TENSOR
        return Kind.PY


def _join(a: dict[str, Kind] | None, b: dict[str, Kind] | None) -> dict[str, Kind] | None:
    """Where two paths meet: each name takes the higher kind (a path that left contributes nothing)."""
    if a is None:
        return b
    if b is None:
        return a
    out = dict(a)
    for k, v in b.items():
        if v > out.get(k, Kind.PY):
            out[k] = v
    return out


def _module_constant(node: ast.AST) -> bool:
    """Literals and the module's own attributes (``3``, ``self.max_len``, ``[self.h, self.w]``,
    ``self.n + 1``): what a tensor built from them holds is fixed at export, whatever the input."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Attribute):
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id == "self"
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_module_constant(e) for e in node.elts)
    if isinstance(node, ast.BinOp):
        return _module_constant(node.left) and _module_constant(node.right)
    if isinstance(node, ast.UnaryOp):
        return _module_constant(node.operand)
    return False


def _constant_local(f: FunctionInfo, name: str) -> bool:
    """``name`` is bound in ``f`` only by plain assignments of literals (``none_flag = True``)."""
    values: list[ast.AST] = []
    for n in nodes_of(f.node):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store):
            values.append(n)
    bound = [n.value for n in nodes_of(f.node) if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0], ast.Name) and n.targets[0].id == name]
    return bool(bound) and len(bound) == len(values) and all(isinstance(v, ast.Constant) for v in bound)


def _rooted_at_self(node: ast.AST) -> bool:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "self"


_STMT_LISTS = ("body", "orelse", "finalbody")
# statements holding statement lists (where an early exit can end the exported path)
_BLOCK_STMTS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef,
                ast.AsyncFunctionDef, ast.ExceptHandler, ast.match_case, ast.Match) + (
                    (getattr(ast, "TryStar"),) if hasattr(ast, "TryStar") else ())


def _tensor_annotated(p: ast.arg) -> bool:
    """``x: Tensor``, ``x: torch.Tensor``, ``x: Optional[torch.Tensor]``."""
    if p.annotation is None:
        return False
    return ast.unparse(p.annotation).replace("Optional[", "").rstrip("]") in TENSOR_ANNOTATIONS


NONFINITE_CHECKS = frozenset({"isnan", "isinf", "isfinite", "isneginf", "isposinf"})
REPORTS = frozenset({"print", "warn", "warning", "error", "info", "debug", "exception", "critical", "breakpoint",
                     "set_trace", "log"})


def _debug_only(fn: ast.AST, node: ast.If) -> bool:
    """A debug branch: the test checks for NaN/Inf (``x.isnan().any()``, ``torch.isinf(x).any()``) and the body
    reports (print, logging, warnings, raise, a debugger) without binding anything the rest of the function reads."""
    def last(call: ast.AST) -> str:
        f = call.func if isinstance(call, ast.Call) else None
        return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""

    if not any(isinstance(n, ast.Call) and last(n) in NONFINITE_CHECKS for n in ast.walk(node.test)):
        return False
    inside = {id(n) for b in node.body for n in ast.walk(b)}
    reports = False
    bound: set[str] = set()
    for n in (n for b in node.body for n in ast.walk(b)):
        if isinstance(n, ast.Raise) or (isinstance(n, ast.Call) and last(n) in REPORTS):
            reports = True
        elif isinstance(n, (ast.Return, ast.Yield, ast.Global, ast.Nonlocal)):
            return False
        elif isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, ast.Store):
            return False  # ``self.x = ...``/``x[i] = ...``: state that outlives the branch
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            bound.add(n.id)
    if not reports:
        return False
    return not any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in bound and id(n) not in inside
                   for n in nodes_of(fn))


# calls that only report (print, logging, warnings): what reaches them changes nothing in the graph
LOG_CALLS = frozenset({"print", "warn", "warning", "error", "info", "debug", "exception", "critical", "log",
                       "pprint"})


def _call_name(call: ast.AST) -> str:
    f = call.func if isinstance(call, ast.Call) else None
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def is_report_call(call: ast.AST) -> bool:
    """``print(...)``, ``logger.info(...)``, ``logging.warning(...)``, ``warnings.warn(...)``."""
    return isinstance(call, ast.Call) and _call_name(call) in LOG_CALLS


def reports_only(node: ast.If) -> bool:
    """An ``if`` without ``else`` whose body only reports: each statement is a print/logging/warnings call
    (or ``pass``). Nothing is bound, returned or raised, so the graph after it is the same on either side."""
    if node.orelse or not node.body:
        return False
    for stmt in node.body:
        if isinstance(stmt, ast.Pass):
            continue
        if not (isinstance(stmt, ast.Expr) and is_report_call(stmt.value)):
            return False
    return True


def report_reads(nodes: list[ast.AST]) -> set[int]:
    """Ids of the nodes inside the arguments of report calls (print, logging, warnings) among ``nodes``."""
    out: set[int] = set()
    for n in nodes:
        if is_report_call(n):
            for a in (*n.args, *(k.value for k in n.keywords)):  # type: ignore[attr-defined]
                out.update(id(c) for c in ast.walk(a))
    return out


MODULE_CONTAINERS = frozenset({"ModuleList", "ModuleDict", "Sequential", "ParameterList", "ParameterDict"})


def _self_attr(node: ast.AST) -> str:
    """``self.heads`` -> "heads"; "" for anything else."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return ""


def _assigned_self_attrs(cls: ast.ClassDef) -> dict[str, list[ast.expr]]:
    """Every value the class's methods assign to ``self.<attr>`` (plain assignments), per attribute. Read-only for
    callers: it is computed once per class node (the kinds of every call of a ``self.<part>`` ask for it)."""
    cached: dict[str, list[ast.expr]] | None = getattr(cls, "_trtlint_self_attrs", None)
    if cached is not None:
        return cached
    out: dict[str, list[ast.expr]] = {}
    cls._trtlint_self_attrs = out  # type: ignore[attr-defined]
    for n in statements_of(cls):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                name = _self_attr(t)
                if name:
                    out.setdefault(name, []).append(n.value)
        elif isinstance(n, (ast.AnnAssign, ast.AugAssign)) and n.value is not None:
            name = _self_attr(n.target)
            if name:
                out.setdefault(name, []).append(n.value)
    return out


def int_uses(fn: ast.AST, containers: set[str]) -> set[str]:
    """Names that ``fn`` uses as Python ints: a ``range()`` bound, or the index of one of the module's containers
    of submodules (``self.heads[i - 1]``, where ``self.heads`` is an ``nn.ModuleList``/``ModuleDict``/``Sequential``)."""
    out: set[str] = set()
    for n in nodes_of(fn):
        exprs: list[ast.AST] = []
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "range":
            exprs = list(n.args)
        elif isinstance(n, ast.Subscript) and _self_attr(n.value) in containers and not isinstance(n.slice, ast.Slice):
            exprs = [n.slice]
        for e in exprs:  # names in the arithmetic itself, not the arguments of a call (``range(len(feats))``)
            stack: list[ast.AST] = [e]
            while stack:
                m = stack.pop()
                if isinstance(m, ast.Name):
                    out.add(m.id)
                elif isinstance(m, (ast.BinOp, ast.UnaryOp)):
                    stack.extend(ast.iter_child_nodes(m))
    return out


def module_containers(classes: list[ast.ClassDef]) -> set[str]:
    """Attributes the classes assign an ``nn.ModuleList``/``ModuleDict``/``Sequential`` (a container of
    submodules, indexed by Python ints or strings)."""
    out: set[str] = set()
    for cls in classes:
        for name, values in _assigned_self_attrs(cls).items():
            if values and all(isinstance(v, ast.Call) and _call_name(v) in MODULE_CONTAINERS for v in values):
                out.add(name)
    return out


_PY_VALUE_CALLS = frozenset({"int", "float", "len", "round", "min", "max", "abs"})


def _python_expr(node: ast.AST) -> bool:
    """An expression built only from literals, names and ``self`` attributes with arithmetic, comparisons,
    conditionals and ``int()``/``len()``/``min()``...: a Python value when its names are (configuration)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            if not (isinstance(n.func, ast.Name) and n.func.id in _PY_VALUE_CALLS):
                return False
        elif not isinstance(n, (ast.Constant, ast.Name, ast.Attribute, ast.BinOp, ast.UnaryOp, ast.BoolOp,
                                ast.Compare, ast.IfExp, ast.expr_context, ast.operator, ast.unaryop, ast.boolop,
                                ast.cmpop)):
            return False
    return True


def python_attrs(classes: list[ast.ClassDef]) -> set[str]:
    """Attributes of ``self`` that hold Python configuration values (``self.vdim = vdim if vdim else dim``):
    every assignment in the classes is a :func:`_python_expr` and no method reads the attribute as a tensor
    (``self.vdim.view(...)``) or registers it as a buffer or parameter."""
    assigned: dict[str, list[ast.expr]] = {}
    for cls in classes:
        for name, values in _assigned_self_attrs(cls).items():
            assigned.setdefault(name, []).extend(values)
    out = {name for name, values in assigned.items() if values and all(_python_expr(v) for v in values)}
    changed = True
    while changed:  # ``self.head_dim = self.dim // self.heads`` is Python when ``self.dim`` and ``self.heads`` are
        changed = False
        for name in list(out):
            for v in assigned[name]:
                for n in ast.walk(v):
                    if isinstance(n, ast.Attribute) and _rooted_at_self(n) and _self_attr(n) not in out:
                        out.discard(name)  # ``self.conv.weight``, or an attribute that is not Python itself
                        changed = True
                        break
                if name not in out:
                    break
    for cls in classes:
        # per member (the methods' node lists are shared with the other checks that read them; order is irrelevant)
        for n in (n for member in (*cls.bases, *cls.keywords, *cls.decorator_list, *cls.body) for n in nodes_of(member)):
            if isinstance(n, ast.Attribute) and n.attr in TENSOR_USES:
                out.discard(_self_attr(n.value))
            elif isinstance(n, ast.Call) and _call_name(n) in ("register_buffer", "register_parameter") and n.args \
                    and isinstance(n.args[0], ast.Constant):
                out.discard(str(n.args[0].value))
    return out


def _python_scalar_annotated(p: ast.arg) -> bool:
    """``n: int``, ``x: float``, ``flag: Optional[bool]``: a parameter annotated as a Python scalar."""
    if p.annotation is None:
        return False
    return ast.unparse(p.annotation).replace("Optional[", "").rstrip("]") in ("int", "float", "bool", "complex")


_INTS_ANNOTATION = re.compile(r"^(Optional\[)?(Tuple|tuple|List|list|Sequence)\[int(, ?(int|\.\.\.))*\]\]?$")


def _python_ints_annotated(p: ast.arg) -> bool:
    """``hw: Tuple[int, int]``, ``size: List[int]``, ``shape: tuple[int, ...]``: Python ints, not a tensor."""
    return p.annotation is not None and _INTS_ANNOTATION.match(ast.unparse(p.annotation)) is not None


def _returns(f: FunctionInfo) -> Iterator[ast.expr]:
    stack: list[ast.AST] = list(f.node.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            yield node.value
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _is_self_training(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "training"
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _training_test(test: ast.AST) -> bool | None:
    """True: the body runs only in training mode; False: the else-branch does; None: neither."""
    if _is_self_training(test):
        return True
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and any(_is_self_training(v) for v in test.values):
        return True
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_self_training(test.operand):
        return False
    return None
