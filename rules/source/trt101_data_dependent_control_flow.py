from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import FunctionInfo, Kind, SourceFile, reports_only

from ._helpers import is_scripted

WHAT = {
    ast.If: "`if`",
    ast.While: "`while`",
    ast.Assert: "`assert`",
    ast.IfExp: "a conditional expression",
    ast.BoolOp: "an `and`/`or` short-circuit",
    ast.comprehension: "a comprehension filter",
}


def data_dependent_conditions(
    src: SourceFile, functions: list[FunctionInfo] | None = None, reports: bool = False
) -> Iterator[tuple[FunctionInfo, ast.AST, ast.AST]]:
    """(function, statement, condition) for each condition that depends on tensor *values* in forward code.

    An ``if`` whose body only reports (print, logging, warnings; see :func:`reports_only`) leaves the same graph on
    either side: it is yielded only with ``reports``."""
    for f in functions if functions is not None else src.forward_functions():
        kinds = src.kinds(f)
        tests: set[int] = set()
        params = src.params_of(f)
        for node in src.walk_function(f):
            conds: list[ast.expr] = []
            if isinstance(node, (ast.If, ast.IfExp)):
                keep_body, keep_else, _ = src.branch(node.test, params)
                if not (keep_body and keep_else):
                    # a training, mode or tracing check decides the branch (``rand() < p and self.training``):
                    # the export takes the same side whatever the tensors hold
                    tests.update(id(n) for n in ast.walk(node.test))
                    continue
                conds = [node.test]
            elif isinstance(node, (ast.While, ast.Assert)):
                conds = [node.test]
            elif isinstance(node, ast.comprehension):
                conds = list(node.ifs)
            elif isinstance(node, ast.BoolOp) and id(node) not in tests:
                conds = list(node.values[:-1])  # the last operand is returned, not tested
            if not reports and isinstance(node, ast.If) and reports_only(node):
                tests.update(id(n) for n in ast.walk(node.test))
                continue
            for cond in conds:
                tests.add(id(cond))
                if src.kind(cond, kinds) >= Kind.HOST:
                    yield f, node, cond


class DataDependentControlFlow(SourceRule):
    """Control flow in `forward` that depends on tensor values: tracing keeps one branch and drops the other.

    ## What it does
    Flags `if`, `elif`, `while`, `assert`, conditional expressions, `and`/`or` short-circuits and comprehension
    filters in `forward` (and the methods and functions it calls) whose condition depends on tensor *values*:
    reductions (`x.mean() > 0.5`), `.any()`/`.all()`, tensor comparisons, `torch.*` results, `.item()`, and names
    bound from them. Not flagged: `self.training`, Python arguments and config attributes, shape and rank checks
    (`x.dim()`, `x.ndim`, `x.shape[i]`, `x.size(i)`, `len(x)`), `isinstance`, `is None`, `torch.jit.is_scripting()`
    and friends, branches that only run in training mode, and the test of a branch that a training, mode or
    tracing switch decides (`if torch.rand(1) < p and self.training:` is false in eval whatever `rand()` gives). Kinds follow the statements: a name rebound to a
    Python value, or narrowed by `torch.is_tensor(x)`/`isinstance(x, Tensor)`, is not a tensor there;
    `all()`/`any()` of tensors are. A helper's parameter takes the kinds its callers in the file pass: one
    annotated `Tensor` that every call gives a shape value, a number or a configuration attribute of the module
    (`out_dim=self.vdim`, an int set in `__init__`) is a Python value, so `assert v.size(2) == out_dim // heads`
    is a shape check. The first parameter of `forward` is taken as the input tensor unless it is used as a Python
    int (a `range()` bound, the index of an `nn.ModuleList`/`ModuleDict`/`Sequential`) and never as a tensor.
    A flag that a submodule defined in the file returns beside its outputs (`none_flag, data = self.part(x)`,
    where `Part.forward`/`__call__` binds `none_flag` only to literals) is a Python value.
    An `if` without `else` whose body only reports (print, logging, warnings) is a note: a trace and the
    TorchScript ONNX exporter record the same graph on either side, while torch.export and the dynamo exporter
    still stop at the condition (measured with torch 2.14.1). Only exported code is read: `forward` of `nn.Module` subclasses and what it
    calls, without losses, runtime wrappers, training-only branches and the eager side of tracing guards
    (docs/export-scope.md; `trtlint --show-scope` shows what counts). In a `@torch.jit.script` function the
    condition is a note: scripting compiles the branch, a trace of a module that calls the function keeps it and
    the TorchScript ONNX exporter writes an ONNX `If` (measured with torch 2.14.1), while `torch.export` and the
    dynamo exporter still stop at the data-dependent condition.


    **Severity: a note unless the exported model is declared.** A reading of the source cannot establish that
    this code is ever exported: on the six real-code corpora judged at their first measurement, 69 of 153 of
    this rule's errors and warnings were hazards a deployment engineer would act on
    (`benchmarks/corpus/held_out.py`), and those an export call of the linted files reached were no more often
    right. So its findings are notes unless `[tool.trtlint] models` names a model whose code reaches them; there
    the finding is an error. `trtlint graph` proves the hazard by running the model.

    ## Why it matters for TensorRT
    `torch.jit.trace` (and the TorchScript-based `torch.onnx.export`) runs the model once and records only the
    branch the example input took; the other branch silently disappears from the ONNX graph and the TensorRT
    engine. `torch.export` refuses the model with a data-dependent guard error instead.

    ## Example
    ```python
    def forward(self, x):
        if x.mean() > 0.5:
            return self.a(x)
        return self.b(x)
    ```

    ## Use instead
    Compute both sides and select with a tensor op, or make the branch explicit to the exporter:
    ```python
    def forward(self, x):
        return torch.where(x.mean() > 0.5, self.a(x), self.b(x))
    ```
    or `torch.cond(x.mean() > 0.5, self.a, self.b, (x,))` with `torch.export`, or `torch.jit.script`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.jit.trace.html (tracing does not record control flow)
    - https://pytorch.org/docs/stable/generated/torch.cond.html
    - https://pytorch.org/docs/stable/export.html#data-dependent-control-flow
    """

    code = "TRT101"
    name = "data-dependent-control-flow"
    severity = Severity.ERROR
    needs_declared_export = True
    tags = ("tracing", "control-flow")
    requires_text = ("forward",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        scripted: dict[int, bool] = {}
        for f, node, cond in data_dependent_conditions(src, reports=True):
            what = WHAT.get(type(node), "a condition")
            where = src.where(f)
            if isinstance(node, ast.If) and reports_only(node):
                # measured with torch 2.14.1 (tests/test_claims_with_torch.py): torch.jit.trace and the TorchScript
                # ONNX exporter give the same graph whichever side the example takes; torch.export and the dynamo
                # exporter stop at the data-dependent condition (GuardOnDataDependentSymNode)
                yield self.finding(
                    f"{what} in {where} depends on tensor values (`{_short(src.segment(cond))}`) but its body only "
                    "reports (print/logging/warnings): a trace and the TorchScript ONNX exporter record the same "
                    "graph either way (without the report), while torch.export and the dynamo exporter (the default "
                    "of torch.onnx.export from torch 2.9) fail on the data-dependent condition",
                    src.path, *src.pos(cond), severity=Severity.NOTE,
                    hint="move the check out of forward (check the output after the call) if torch.export must "
                    "take this module",
                )
                continue
            if id(f.node) not in scripted:
                scripted[id(f.node)] = is_scripted(src, f)
            if scripted[id(f.node)]:
                # measured with torch 2.14.1 (tests/test_claims_with_torch.py): a traced module keeps the control
                # flow of a scripted function it calls (prim::If), the TorchScript ONNX exporter writes an ONNX
                # If; torch.export (and the dynamo ONNX exporter) trace through it and stop at the condition
                yield self.finding(
                    f"{what} in {where} depends on tensor values (`{_short(src.segment(cond))}`), in a "
                    "`@torch.jit.script` function: torch.jit.trace and the TorchScript ONNX exporter keep the "
                    "compiled branch (an ONNX `If`), but torch.export and the dynamo exporter (the default of "
                    "torch.onnx.export from torch 2.9) fail on the data-dependent condition",
                    src.path, *src.pos(cond), severity=Severity.NOTE,
                    hint="export with dynamo=False (or torch.jit.trace), or select with torch.where / torch.cond "
                    "if torch.export must take it",
                )
                continue
            yield self.finding(
                f"{what} in {where} depends on tensor values (`{_short(src.segment(cond))}`): "
                "tracing records only the branch the example input takes",
                src.path, *src.pos(cond),
                hint="select with torch.where(cond, a, b), use torch.cond with torch.export, or torch.jit.script "
                "this module",
            )


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
