from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.analysis.nodes import nodes_of
from trtlint.source import PY_CAST, Kind, SourceFile, _tensor_annotated, report_reads

from ._helpers import enclosing_function

METHODS = {
    "item": "`.item()` copies one value to the host",
    "tolist": "`.tolist()` copies the tensor to a Python list on the host",
    "numpy": "`.numpy()` converts to a NumPy array on the host",
    "cpu": "`.cpu()` moves the tensor to host memory",
}


PACK_FUNCS = frozenset({"pack_padded_sequence"})


class HostSyncInForward(SourceRule):
    """A CPU round-trip or host sync inside `forward` (or a method `forward` calls).

    ## What it does
    Flags, in `forward` and the methods and module functions it calls, every call that takes tensor data to the
    host: `.item()`, `.tolist()`, `.numpy()`, `.cpu()` (so also `.detach().cpu()`), `.to("cpu")`,
    `float()`/`int()`/`bool()` of a tensor, NumPy functions applied to tensors, `torch.from_numpy` of an array
    made from tensor values, and `torch.tensor(...)` built from tensor values (`torch.tensor([a.max(), b.max()])`,
    `torch.tensor(x.sum().item())`), so also `int(mask.sum())` on any
    `forward` parameter read as a tensor. Shape reads (`x.shape[0]`, `x.size(1)`) are not flagged, nor the
    lengths handed to `pack_padded_sequence` (which must be on the CPU: the move is an op of the trace), nor
    `torch.tensor(t)` of one tensor: it copies `t` on its device, and the trace, the TorchScript ONNX exporter and
    torch.export record the copy, which follows new inputs (measured with torch 2.14.1), nor a read of a tensor
    built only from Python numbers and ranks (`torch.cat([torch.tensor([dim]), torch.arange(dim + 1,
    x.dim())]).tolist()`, a permutation of axes): it holds no tensor data and no dimension size, so every export
    sees the same value. One built from a dimension's size (`torch.arange(x.size(1)).tolist()`) is still reported. Only exported code is read: `forward` of
    `nn.Module` subclasses and what it calls, without losses, runtime wrappers, training-only branches and the eager
    side of tracing guards (docs/export-scope.md; `trtlint --show-scope` shows what counts). On the exporter's side
    of a tracing guard (`if torch.onnx.is_in_onnx_export(): ...`) a host read is taken as a deliberate constant.
    A read of the module's own tensor (`self.scale.n_levels.item()`: a buffer or configuration tensor that no
    method but `__init__` assigns or changes in place) is a note: the trace records its current value, which is
    the right one while it stays fixed; torch.export refuses it where the value sizes a tensor (torch 2.14.1).
    A host read whose value only reaches print, logging or warnings (inside their arguments, or through a name
    read nowhere else) is a note: the traced and TorchScript ONNX graphs are the same without it, but it still
    syncs the stream, and torch.export fails where the value is formatted as a number (`f"{v:.2f}"`, `"%f" % v`,
    `float(t)`), as the dynamo exporter did for `%` formatting (measured with torch 2.14.1). A `float()` of a parameter annotated `Tensor` that every call in the file gives a shape
    value or a number reads no tensor (see TRT101 on parameter kinds). A bare device copy (`.cpu()`,
    `.to("cpu")`) is a note too: it syncs the stream in PyTorch, but a trace
    records it as an op (the traced module follows new inputs), the TorchScript ONNX exporter writes a no-op
    `Cast` and the dynamo exporter nothing (measured on an H100 with torch 2.11); what freezes a value is reading
    it (`.numpy()`, `.item()`, `.tolist()`, `float(t)`), reported where it happens.


    **Severity: a note unless the exported model is declared.** A reading of the source cannot establish that
    this code is ever exported: on the six real-code corpora judged at their first measurement, 89 of 434 of
    this rule's errors and warnings were hazards a deployment engineer would act on
    (`benchmarks/corpus/held_out.py`), and those an export call of the linted files reached were no more often
    right. So its findings are notes unless `[tool.trtlint] models` names a model whose code reaches them; there
    the finding is an error, or a note for the cases above that say so. `trtlint graph` proves the hazard by running the model.

    ## Why it matters for TensorRT
    `torch.jit.trace` and the TorchScript ONNX exporter record the value read on the host as a constant: the
    engine silently reproduces the example input's value forever. `torch.export` stops with a data-dependent
    error, and on the GPU each sync drains the stream, so the pipeline stalls.

    ## Example
    ```python
    def forward(self, x):
        scale = x.abs().max().item()
        return x / scale
    ```

    ## Use instead
    Keep values on the device as (0-d) tensors and use tensor operations:
    ```python
    def forward(self, x):
        scale = x.abs().amax()
        return x / scale
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.jit.trace.html (tracing records values as constants)
    - https://pytorch.org/docs/stable/onnx_torchscript.html#avoiding-pitfalls
    """

    code = "TRT102"
    name = "host-sync-in-forward"
    severity = Severity.ERROR
    needs_declared_export = True
    tags = ("tracing", "performance")
    requires_text = ("forward",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        for f in src.forward_functions():
            kinds = src.kinds(f)
            where = src.where(f)
            typed = _typed_not_tensor(f.node)
            # lengths handed to pack_padded_sequence must be on the CPU (torch's documented requirement): the move
            # is an op of the trace and freezes nothing
            packed = {id(a) for c in src.walk_function(f) if isinstance(c, ast.Call)
                      and isinstance(c.func, (ast.Name, ast.Attribute))
                      and (c.func.id if isinstance(c.func, ast.Name) else c.func.attr) in PACK_FUNCS
                      for a in [*c.args[1:2], *(k.value for k in c.keywords if k.arg == "lengths")]}
            logged = _reaches_reports_only(src.walk_function(f))
            for node in src.walk_function(f):
                if id(node) in packed:
                    continue
                if not isinstance(node, ast.Call) or id(node) in src.for_exporter:
                    continue  # (on the exporter's side of a tracing guard a host read is a deliberate constant)
                fn = node.func
                if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id in typed:
                    continue  # `x: Instances` ... `x.to("cpu")`: a method of that type, not of a tensor
                what = self._what(src, node, kinds)
                own = _own_tensor(node, f.cls) if what and f.cls is not None else ""
                if own:
                    yield self.finding(
                        f"{what} in {where}, of the module's own tensor `{own}` (a buffer or configuration tensor "
                        "that forward does not change): a trace records its current value, right while it stays "
                        "fixed after export; torch.export refuses it where the value sizes a tensor",
                        src.path, *src.pos(node), severity=Severity.NOTE,
                        hint="keep the value as a Python attribute set in __init__ (or register it as a buffer "
                        "and use it as a tensor) if torch.export must take this forward",
                    )
                    continue
                if what and id(node) in logged:
                    # measured with torch 2.14.1 (tests/test_claims_with_torch.py): the trace and the TorchScript ONNX
                    # exporter give the same graph; torch.export fails where the value is formatted as a number
                    # (`:.2f`, `%`, float()); the dynamo exporter fell back and succeeded for `:.3f` and float() but
                    # failed for `%` formatting
                    yield self.finding(
                        f"{what} in {where}, but the value only reaches print/logging/warnings: a trace and the "
                        "TorchScript ONNX exporter record nothing of it (the graph does not depend on it), yet it "
                        "syncs the GPU stream in PyTorch, and torch.export fails where it is formatted as a number "
                        "(`:.2f`, `%`, `float()`), as may the dynamo exporter",
                        src.path, *src.pos(node), severity=Severity.NOTE,
                        hint="log outside forward (from the outputs), or keep the report out of the exported path",
                    )
                    continue
                if what and _is_cpu_move(src, node):
                    # measured on an H100 (torch 2.11, CUDA): a trace records the copy as an op (aten::to), the
                    # traced module follows new inputs; the TorchScript ONNX exporter writes a no-op Cast, the
                    # dynamo exporter nothing. What breaks a trace is reading the values (.numpy(), .item()), which
                    # is reported where it happens.
                    yield self.finding(
                        f"{what} in {where}: the GPU stream syncs and what follows runs on the CPU in PyTorch; an "
                        "export records it as a device copy (nothing in ONNX), not as a constant",
                        src.path, *src.pos(node), severity=Severity.NOTE,
                        hint="keep tensors on the device inside forward; move results to the host after the call",
                    )
                    continue
                if what:
                    yield self.finding(
                        f"{what} in {where}: tracing freezes the value as a constant and the GPU stream stalls",
                        src.path, *src.pos(node),
                        hint="keep it on the device as a tensor (torch.where, clamp, amax, ...); "
                        "compute Python values once, outside forward",
                    )

    @staticmethod
    def _what(src: SourceFile, call: ast.Call, kinds: dict[str, Kind]) -> str:
        fn = call.func
        if isinstance(fn, ast.Attribute):
            if fn.attr in METHODS and not call.args and not isinstance(fn.value, ast.Constant):
                if src.kind(fn.value, kinds) != Kind.SHAPE and not _static_tensor(src, fn.value, kinds, call):
                    return METHODS[fn.attr]
            if fn.attr == "to" and call.args and _is_cpu_literal(src, call.args[0]):
                return '`.to("cpu")` moves the tensor to host memory'
        if isinstance(fn, ast.Name) and fn.id in PY_CAST and fn.id not in src.imports and call.args:
            if src.kind(call.args[0], kinds) == Kind.TENSOR:
                return f"`{fn.id}()` of a tensor reads its value on the host"
        names = src.qualnames(fn)
        if "torch.from_numpy" in names and any(
                src.kind(n, kinds) >= Kind.HOST for a in call.args for n in ast.walk(a)
                if isinstance(n, (ast.Name, ast.Attribute, ast.Call))):
            # from an array made of tensor values; one made of Python metadata (``np.array(lengths)``) reads none
            return "`torch.from_numpy` builds a tensor from host data"
        if any(n.startswith("numpy.") for n in names) and any(src.kind(a, kinds) == Kind.TENSOR for a in call.args):
            return "a NumPy function applied to a tensor copies it to the host"
        if names & {"torch.tensor", "torch.as_tensor"} and call.args:
            k = src.kind(call.args[0], kinds)
            # ``torch.as_tensor(t)`` of a tensor returns it (cast or moved on the device): no host copy; nor does
            # ``torch.tensor(t)`` of one tensor, which the trace, the TorchScript ONNX exporter and torch.export
            # record as a copy that follows new inputs (torch 2.14.1, tests/test_claims_with_torch.py). A list of
            # tensors (``torch.tensor([a.max(), b.max()])``) is read element by element on the host.
            if k == Kind.HOST or (k == Kind.TENSOR and "torch.tensor" in names and _holds_elements(src, call)):
                return f"`{src.segment(fn)}(...)` of tensor values round-trips through the host"
        return ""


_DISPLAYS = (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.Set)
# torch functions whose values follow from their (number) arguments alone, and those that only rearrange or
# combine the tensors they are given
_RANGES = frozenset({"torch.arange", "torch.linspace", "torch.logspace", "torch.tensor", "torch.as_tensor"})
_COMBINE = frozenset({"torch.cat", "torch.concat", "torch.concatenate", "torch.stack", "torch.argsort", "torch.flip",
                      "torch.roll", "torch.sort"})
_REARRANGE = frozenset({"long", "int", "float", "flip", "argsort", "view", "reshape", "flatten", "to", "unsqueeze",
                        "squeeze", "clone", "detach", "contiguous"})


def _static_tensor(src: SourceFile, node: ast.AST, kinds: dict[str, Kind], at: ast.AST, depth: int = 0) -> bool:
    """A tensor built only from Python numbers and shape values (``torch.cat([torch.tensor([dim]),
    torch.arange(dim + 1, x.dim())])``, a permutation of axes): reading it back on the host reads no tensor data,
    only what the Python code already knew. A name counts when the function binds it once, to such a tensor."""
    if depth > 8:
        return False
    if isinstance(node, ast.Name):
        f = enclosing_function(src, at)
        if f is None:
            return False
        values = [n.value for n in nodes_of(f.node) if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None
                  and any(isinstance(t, ast.Name) and t.id == node.id
                          for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
        other = any(isinstance(n, (ast.AugAssign, ast.For, ast.comprehension, ast.NamedExpr))
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in ast.walk(n.target))
                    for n in nodes_of(f.node))
        return len(values) == 1 and not other and _static_tensor(src, values[0], kinds, at, depth + 1)
    if not isinstance(node, ast.Call):
        return False
    names = src.qualnames(node.func)
    if names & {"torch.tensor", "torch.as_tensor"} and not (node.args and isinstance(node.args[0], (ast.List, ast.Tuple))):
        return False  # ``torch.tensor(values)``: a name may hold a list of tensors
    if names & _RANGES:
        parts = [*node.args, *(k.value for k in node.keywords if k.arg not in ("dtype", "device", "requires_grad"))]
        leaves = [e for a in parts for e in (a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a])]
        fn_node = getattr(enclosing_function(src, at), "node", None)
        return bool(node.args) and all(_python_or_rank(src, e, kinds, fn_node, set()) and _plain(e) for e in leaves)
    if names & _COMBINE and node.args:
        first = node.args[0]
        items = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
        return all(_static_tensor(src, e, kinds, at, depth + 1) for e in items)
    fn = node.func
    if isinstance(fn, ast.Attribute) and fn.attr in _REARRANGE:
        return _static_tensor(src, fn.value, kinds, at, depth + 1)
    return False


def _python_or_rank(src: SourceFile, node: ast.AST, kinds: dict[str, Kind], fn: ast.AST | None,
                    seen: set[str]) -> bool:
    """A Python value, or arithmetic of them and of ranks (``len(x.size())``, ``x.dim()``, ``x.ndim``, a name bound
    only to such values in ``fn``): fixed in every export. A dimension's size (``x.size(1)``) is not: a dynamic axis
    changes it."""
    k = src.kind(node, kinds)
    if k == Kind.PY:
        return True
    if k != Kind.SHAPE:
        return False
    if isinstance(node, ast.Name):
        if node.id in seen:
            return True  # ``dim = len(size) + dim``: the other bindings decide
        if fn is None or len(seen) > 8:
            return False
        seen.add(node.id)
        values = [n.value for n in nodes_of(fn) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == node.id for tt in n.targets for t in ast.walk(tt))]
        if any(isinstance(n, ast.Assign) and isinstance(t, (ast.Tuple, ast.List)) and any(
                isinstance(e, ast.Name) and e.id == node.id for e in ast.walk(t)) for n in nodes_of(fn)
               if isinstance(n, ast.Assign) for t in n.targets):
            return False  # ``b, c, h, w = x.shape``: unpacked sizes
        return bool(values) and all(_python_or_rank(src, v, kinds, fn, seen) for v in values)
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return all(_python_or_rank(src, c, kinds, fn, seen) for c in ast.iter_child_nodes(node)
                   if isinstance(c, ast.expr))
    if isinstance(node, ast.Attribute):
        return node.attr == "ndim"
    if isinstance(node, ast.Call):
        fn = node.func
        if isinstance(fn, ast.Attribute):
            return fn.attr in ("dim", "ndimension") and not node.args
        if isinstance(fn, ast.Name) and fn.id == "len" and len(node.args) == 1:
            arg = node.args[0]  # ``len(x.shape)``: the rank; ``len(t)`` of a tensor is its first size
            return src.kind(arg, kinds) == Kind.SHAPE and not _size_pick(arg)
    return False


def _size_pick(node: ast.AST) -> bool:
    """``x.shape[1:]`` stays a shape tuple (its length is a rank), ``x.shape[1]`` is a size."""
    return isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice)


def _plain(node: ast.AST) -> bool:
    """Numbers, names and attributes with arithmetic and ``len()``: no call that could hide a tensor."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name) and n.func.id in ("len", "int", "abs")):
            if not (isinstance(n.func, ast.Attribute) and n.func.attr in ("dim", "size", "numel")):
                return False
    return True


def _holds_elements(src: SourceFile, call: ast.Call) -> bool:
    """Whether the first argument of ``torch.tensor(...)`` may be a Python sequence of values (a list display, a
    comprehension, or a name some statement of the function binds to one, or that is appended to) rather than
    one tensor (``torch.tensor(self.make_grid(h, w))``)."""
    arg = call.args[0]
    if isinstance(arg, _DISPLAYS):
        return True
    if not isinstance(arg, ast.Name):
        return not isinstance(arg, (ast.Call, ast.BinOp, ast.Attribute, ast.Subscript, ast.UnaryOp))
    from ._helpers import enclosing_function

    f = enclosing_function(src, call)
    body = f.node if f is not None else src.tree
    for n in ast.walk(body):
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == arg.id for t in n.targets):
            if not isinstance(n.value, (ast.Call, ast.BinOp, ast.Attribute, ast.Subscript, ast.UnaryOp)):
                return True

        elif isinstance(n, (ast.AugAssign, ast.AnnAssign, ast.For, ast.comprehension, ast.NamedExpr)):
            target = n.target
            if any(isinstance(t, ast.Name) and t.id == arg.id for t in ast.walk(target)):
                return True
        elif isinstance(n, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == arg.id for tt in n.targets for t in ast.walk(tt)):
                return True  # unpacked from a tuple: unknown
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "extend") \
                and isinstance(n.func.value, ast.Name) and n.func.value.id == arg.id:
            return True
    return False


def _reaches_reports_only(nodes: list[ast.AST]) -> set[int]:
    """Ids of the nodes whose value only reaches print/logging/warnings: inside the arguments of a report call
    (``print(f"{loss.item():.2f}")``), or the value of ``v = ...`` where every later read of ``v`` in the walked
    code is (``m = x.mean().item()`` ... ``logger.info("%s", m)``). ``v`` must be bound once, by that statement."""
    inside = report_reads(nodes)
    out = set(inside)
    stores: dict[str, list[ast.AST]] = {}
    loads: dict[str, list[ast.Name]] = {}
    for n in nodes:
        if isinstance(n, ast.Name):
            (stores if isinstance(n.ctx, ast.Store) else loads).setdefault(n.id, []).append(n)  # type: ignore[arg-type]
        elif isinstance(n, (ast.AugAssign, ast.Global, ast.Nonlocal)):
            return out  # rebinding in place or outer scopes: keep to the direct case
    for n in nodes:
        if not (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)):
            continue
        name = n.targets[0].id
        reads = loads.get(name, [])
        if len(stores.get(name, [])) == 1 and reads and all(id(r) in inside for r in reads):
            out.update(id(c) for c in ast.walk(n.value))
    return out


def _is_cpu_move(src: SourceFile, call: ast.Call) -> bool:
    """``t.cpu()`` or ``t.to("cpu")``: a device copy, not a read of the values."""
    fn = call.func
    if not isinstance(fn, ast.Attribute):
        return False
    return (fn.attr == "cpu" and not call.args) or (fn.attr == "to" and bool(call.args)
                                                     and _is_cpu_literal(src, call.args[0]))


def _self_chain(node: ast.expr) -> str:
    """``self.a.b`` -> "a" (the first attribute) for a pure attribute chain rooted at ``self``; "" otherwise."""
    first = ""
    while isinstance(node, ast.Attribute):
        first = node.attr
        node = node.value
    return first if isinstance(node, ast.Name) and node.id == "self" and first else ""


def _mutated_attrs(cls: ast.ClassDef) -> set[str]:
    """First attributes of ``self`` that a method other than ``__init__`` assigns or changes in place
    (``self.ptr = ...``, ``self.queue[i] = ...``, ``self.count += 1``, ``self.buf.copy_(...)``): state, not
    configuration. Computed once per class, where a read of the module's own tensor asks."""
    got: set[str] | None = getattr(cls, "_trtlint_mutated", None)
    if got is not None:
        return got
    out: set[str] = set()
    cls._trtlint_mutated = out  # type: ignore[attr-defined]
    for m in cls.body:
        if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) or m.name == "__init__":
            continue
        for n in nodes_of(m):
            targets: list[ast.expr] = []
            if isinstance(n, ast.Assign):
                targets = list(n.targets)
            elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
                targets = [n.target]
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr.endswith("_") \
                    and not n.func.attr.startswith("_"):
                targets = [n.func.value]
            for t in targets:
                for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                    while isinstance(e, (ast.Subscript, ast.Starred)):
                        e = e.value
                    name = _self_chain(e) if isinstance(e, ast.Attribute) else ""
                    if name:
                        out.add(name)
    return out


def _own_tensor(call: ast.Call, cls: ast.ClassDef) -> str:
    """The receiver of ``self.scale.n_levels.item()`` (also ``.tolist()``, ``.numpy()``, ``.cpu()``) when it is a
    tensor of the module itself that no method but ``__init__`` changes, as written; "" otherwise."""
    fn = call.func
    if not (isinstance(fn, ast.Attribute) and fn.attr in METHODS and isinstance(fn.value, ast.Attribute)):
        return ""
    first = _self_chain(fn.value)
    return ast.unparse(fn.value) if first and first not in _mutated_attrs(cls) else ""


def _typed_not_tensor(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters annotated with a type that is not a tensor (``Instances``, ``np.ndarray``, ``List[Tensor]``)."""
    out = set()
    a = fn.args
    for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
        if p.annotation is not None and not _tensor_annotated(p):
            out.add(p.arg)
    return out


def _is_cpu_literal(src: SourceFile, node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and node.value == "cpu":
        return True
    if isinstance(node, ast.Call) and "torch.device" in src.qualnames(node.func) and node.args:
        return _is_cpu_literal(src, node.args[0])
    return False
