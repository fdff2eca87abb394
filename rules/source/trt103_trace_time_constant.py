from __future__ import annotations

import ast
import re
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.analysis.nodes import nodes_of
from trtlint.source import Kind, SourceFile

from ._helpers import is_scripted

NONDETERMINISM = {
    "random.": "Python's `random`",
    "numpy.random.": "NumPy's random generator",
    "time.": "`time`",
    "datetime.": "`datetime`",
    "uuid.": "`uuid`",
}


# calls of those modules that give no value to freeze
NO_VALUE = frozenset({"time.sleep"})
# marks a draw that fills an optional argument's default (see _optional_default)
OPTIONAL = "optional:"


class TraceTimeConstant(SourceRule):
    """A Python value computed at trace time in `forward`: it becomes a constant of the exported graph.

    ## What it does
    In `forward` and what it calls, flags Python or NumPy randomness and clock reads, which tracing
    evaluates once; and (as notes) shape values turned into Python numbers that then size the graph:
    `int(x.shape[0])`/`float(x.size(1))`, loops over `range(x.size(0))`, and `for t in tensor` loops, which trace
    unrolls for the example's size; and a shape turned into a tensor with
    `torch.tensor(x.size())`/`torch.tensor(x.shape)`, which tracing records as a constant (torch warns "torch.tensor
    results are registered as constants in the trace"). Randomness behind a training or configuration switch
    (`if self.style_mode == "mix" and random.random() < p:`, a draw read only under `self.training`, a draw in a
    class that gates its randomness with a switch elsewhere, or one under a parameter named as a training or
    augmentation switch, `if augment:`) is a note: whether the switch is off at export is
    configuration the linter cannot see; so is a draw that only fills the default of an optional argument
    (`if inject_index is None: inject_index = random.randint(...)`): an export that passes the argument draws
    nothing. Loops in a `@torch.jit.script` function are compiled, not unrolled, and are not reported. Code that
    only runs in training mode, or on the eager side
    of a tracing guard, is skipped; `time`/`random` count only where they name the imported module, not a local
    variable. Only exported code is read: `forward` of `nn.Module` subclasses and what it calls, without losses,
    runtime wrappers, training-only branches and the eager side of tracing guards (docs/export-scope.md; `trtlint
    --show-scope` shows what counts); the exporter's side of a tracing guard freezes values on purpose.

    **Severity: a note unless the exported model is declared.** A reading of the source cannot establish that
    this code is ever exported: on the six real-code corpora judged at their first measurement, 4 of 53 of
    this rule's errors and warnings were hazards a deployment engineer would act on
    (`benchmarks/corpus/held_out.py`), and those an export call of the linted files reached were no more often
    right. So its findings are notes unless `[tool.trtlint] models` names a model whose code reaches them; there
    the finding is a warning, or a note for the cases above that say so. `trtlint graph` proves the hazard by running the model.

    ## Why it matters for TensorRT
    The exported ONNX graph and the engine built from it keep the example input's value: a "random" choice
    is made once for ever, and a dimension declared dynamic is pinned by a constant (TensorRT then rejects
    other shapes, or the engine computes with the traced size). Shape arithmetic on tensors stays symbolic.

    ## Example
    ```python
    def forward(self, x):
        n = int(x.shape[0])
        outs = [self.head(x[i]) for i in range(x.size(0))]
        return torch.stack(outs).view(n, -1)
    ```

    ## Use instead
    Keep shapes symbolic and vectorise: `self.head(x).flatten(1)`; pass `x.size(0)` directly to `view`/`reshape`
    (or `-1`); draw randomness with `torch.rand` (or only in training mode).

    ## References
    - https://pytorch.org/docs/stable/onnx_torchscript.html#avoiding-pitfalls
    - https://pytorch.org/docs/stable/generated/torch.jit.trace.html
    """

    code = "TRT103"
    name = "trace-time-constant"
    severity = Severity.WARNING
    needs_declared_export = True
    tags = ("tracing", "dynamic-shapes")
    requires_text = ("forward",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        pending: list[tuple[ast.Call, str, str, ast.ClassDef | None]] = []
        switched: set[int] = set()  # classes whose randomness a switch gates somewhere
        yield from self._check(src, pending, switched)
        for node, hit, switch, cls in pending:
            if switch.startswith(OPTIONAL):
                param = switch[len(OPTIONAL):]
                yield self.finding(
                    f"{hit} in forward fills the default of the optional argument `{param}` (under `if {param} is "
                    f"None:`): an export that does not pass `{param}` keeps one draw, one that passes it draws nothing",
                    src.path, *src.pos(node), severity=Severity.NOTE,
                    hint=f"pass `{param}` explicitly in the exported call (or keep the branch out of the exported "
                    "path), or draw with torch.randint",
                )
                continue
            if not switch and cls is not None and id(cls) in switched:
                switch = "the class gates its randomness with a switch elsewhere"
            if switch:
                yield self.finding(
                    f"{hit} in forward runs once at trace time, behind a training or configuration switch "
                    f"({switch}): harmless if the switch is off when exporting, else the graph keeps one draw",
                    src.path, *src.pos(node), severity=Severity.NOTE,
                    hint="check the switch is off in the exported configuration (eval(), the module's mode), or "
                    "draw with torch.rand/torch.randint",
                )
            else:
                yield self.finding(
                    f"{hit} in forward runs once at trace time: the exported graph keeps that one value",
                    src.path, *src.pos(node),
                    hint="use torch.rand/torch.randint (traced as graph ops) or keep it out of forward",
                )

    def _check(self, src: SourceFile, pending: list[tuple[ast.Call, str, str, ast.ClassDef | None]],
               switched: set[int]) -> Iterator[Finding]:
        for f in src.forward_functions():
            kinds = src.kinds(f)
            parents: dict[int, ast.AST] | None = None
            scripted: bool | None = None
            for node in src.walk_function(f):
                if id(node) in src.for_exporter:
                    continue  # the exporter's side of a tracing guard: what it freezes, it freezes on purpose
                if isinstance(node, ast.Call):
                    names = src.qualnames(node.func)
                    hit = next((label for n in names for p, label in NONDETERMINISM.items() if n.startswith(p)
                                and n not in NO_VALUE), None) if _imported_root(src, node.func) else None
                    if hit:
                        if parents is None:
                            parents = {id(c): p for p in nodes_of(f.node) for c in ast.iter_child_nodes(p)}
                        switch = _switch_of(f.node, node, parents) if "random" in hit else ""
                        param = _optional_default(f.node, node, parents) if "random" in hit else ""
                        if param:
                            pending.append((node, hit, OPTIONAL + param, None))
                            continue
                        if switch and f.cls is not None:
                            switched.add(id(f.cls))
                        pending.append((node, hit, switch, f.cls if "random" in hit else None))
                    elif (
                        names & {"torch.tensor", "torch.as_tensor", "torch.LongTensor", "torch.IntTensor"}
                        and node.args
                        and src.kind(node.args[0], kinds) == Kind.SHAPE
                        and _reads_shape(node.args[0])
                    ):
                        yield self.finding(
                            f"`{src.segment(node.func)}(...)` of a tensor's shape freezes it as a constant of the "
                            "exported graph: another input size reuses the example's",
                            src.path, *src.pos(node),
                            hint="pass x.size(i) straight to view/reshape/expand, or use torch._shape_as_tensor(x) "
                            "where a tensor of the shape is needed (traced symbolically)",
                        )
                    elif (
                        isinstance(node.func, ast.Name)
                        and node.func.id in ("int", "float")
                        and node.func.id not in src.imports
                        and node.args
                        and src.kind(node.args[0], kinds) == Kind.SHAPE
                        and _reads_shape(node.args[0])
                    ):
                        yield self.finding(
                            f"`{node.func.id}()` of a tensor dimension freezes it as a trace-time constant; "
                            "a dynamic axis exported through it is pinned to the example's size",
                            src.path, *src.pos(node), severity=Severity.NOTE,
                            hint="pass x.size(i) (or -1) straight to view/reshape/expand",
                        )
                elif isinstance(node, (ast.For, ast.comprehension)):
                    if scripted is None:
                        scripted = is_scripted(src, f)
                    if scripted:
                        continue  # a @torch.jit.script function keeps its loops as graph loops (prim::Loop)
                    it = node.iter
                    if (
                        isinstance(it, ast.Call)
                        and isinstance(it.func, ast.Name)
                        and it.func.id == "range"
                        and any(src.kind(a, kinds) == Kind.SHAPE and _reads_shape(a) for a in it.args)
                    ):
                        yield self.finding(
                            f"loop over `{src.segment(it)}` is unrolled by tracing for the example's size",
                            src.path, *src.pos(it), severity=Severity.NOTE,
                            hint="vectorise over that dimension, or export with torch.export/torch.jit.script",
                        )
                    elif not isinstance(it, (ast.Tuple, ast.List, ast.Set)) and src.kind(it, kinds) == Kind.TENSOR:
                        yield self.finding(
                            f"iterating over tensor `{src.segment(it)}` is unrolled by tracing for the example's size",
                            src.path, *src.pos(it), severity=Severity.NOTE,
                            hint="use batched tensor ops (unbind/split only where the count is fixed by design)",
                        )


def _switch(test: ast.AST) -> str:
    """The training or configuration switch a test reads (``self.training``, ``self.mode == "mix"``,
    ``self.use_x``), or ""."""
    for n in ast.walk(test):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
            return f"self.{n.attr}"
    return ""


# parameters that switch training-time augmentation on (``augment=self.cape_augment`` passed only in training)
_AUGMENT_PARAM = re.compile(r"^(is_)?(train|training|augment|augmentation|augmented|do_augment|use_augment)$")


def _param_switch(fn: ast.AST, test: ast.AST) -> str:
    """A parameter of ``fn`` named as a training or augmentation switch (``if augment:``) that a test reads,
    or ""."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    a = fn.args
    names = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
    for n in ast.walk(test):
        if isinstance(n, ast.Name) and n.id in names and _AUGMENT_PARAM.match(n.id):
            return f"the parameter `{n.id}`"
    return ""


def _switch_of(fn: ast.AST, call: ast.AST, parents: dict[int, ast.AST]) -> str:
    """The switch that gates a random draw: a ``self.`` attribute read by a test around it (or beside it in an
    ``and``), or, for a draw bound to a name (``p = random.uniform(0, 1)``), by every test that reads the name
    (LayerDrop's ``if self.training and p < self.layerdrop``); "" if none does."""
    child: ast.AST = call
    node = parents.get(id(call))
    while node is not None and node is not fn:
        if isinstance(node, (ast.If, ast.IfExp, ast.While)):
            sw = _switch(node.test) or _param_switch(fn, node.test)
            if sw:
                return sw
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for v in node.values:
                if v is not child:
                    sw = _switch(v)
                    if sw:
                        return sw
        child, node = node, parents.get(id(node))
    bound = parents.get(id(call))
    if isinstance(bound, ast.Assign) and len(bound.targets) == 1 and isinstance(bound.targets[0], ast.Name):
        name = bound.targets[0].id
        uses = [n for n in nodes_of(fn) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        tests = [t.test for t in nodes_of(fn) if isinstance(t, (ast.If, ast.IfExp, ast.While))]
        switches = set()
        for u in uses:
            test = next((t for t in tests if any(x is u for x in ast.walk(t))), None)
            if test is None or not _switch(test):
                return ""
            switches.add(_switch(test))
        if switches:
            return sorted(switches)[0]
    return ""


def _optional_default(fn: ast.AST, call: ast.AST, parents: dict[int, ast.AST]) -> str:
    """The parameter a random draw fills in when the caller leaves it out (``if inject_index is None:
    inject_index = random.randint(...)``, StyleGAN's style-mixing point), or ""."""
    bound = parents.get(id(call))
    if not (isinstance(bound, ast.Assign) and len(bound.targets) == 1 and isinstance(bound.targets[0], ast.Name)):
        return ""
    name = bound.targets[0].id
    args = getattr(fn, "args", None)
    if args is None or name not in {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}:
        return ""
    node = parents.get(id(bound))
    while node is not None and node is not fn:
        if isinstance(node, ast.If):
            t = node.test
            if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Is) \
                    and isinstance(t.left, ast.Name) and t.left.id == name \
                    and isinstance(t.comparators[0], ast.Constant) and t.comparators[0].value is None \
                    and any(b is bound for b in node.body):
                return name
        node = parents.get(id(node))
    return ""


def _imported_root(src: SourceFile, fn: ast.AST) -> bool:
    """``time.time()`` names the module only where ``time`` is imported and not rebound locally (``time = []``)."""
    while isinstance(fn, ast.Attribute):
        fn = fn.value
    return isinstance(fn, ast.Name) and fn.id in src.imports and not src.is_local(fn)


def _reads_shape(node: ast.AST) -> bool:
    """True if the expression reads a dimension (``.shape``, ``.size()``, ``len()``) rather than rank or dtype."""
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr == "shape":
            return True
        if isinstance(n, ast.Call) and (
            (isinstance(n.func, ast.Attribute) and n.func.attr in ("size", "numel"))
            or (isinstance(n.func, ast.Name) and n.func.id == "len")
        ):
            return True
    return False
