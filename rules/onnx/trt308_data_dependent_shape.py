from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import dims


class DataDependentShape(OnnxRule):
    """Loops and data-dependent shapes that the target TensorRT handles poorly or rejects.

    ## What it does
    Reports `NonZero` (a data-dependent output shape: a warning where the target imports it at all),
    `Loop` nodes with scan outputs whose trip count is not a constant (TensorRT: "scan output length cannot
    be dynamic": an error), and `If` nodes whose two branches give an output of different ranks (an error).

    ## Why it matters for TensorRT
    Data-dependent shapes need an output allocator and turn everything downstream dynamic; dynamic scan
    outputs and rank-changing branches cannot be expressed in a TensorRT network and fail the parse.

    ## Example
    `torch.nonzero(x)` in `forward`; a scripted `for` loop appending to a list whose length depends on data.

    ## Use instead
    Masking instead of selection (`torch.where`), fixed-size padding, loops with constant trip counts
    (or unrolled), and branches that return the same rank.

    ## References
    - onnx-tensorrt docs/operators.md (Loop, If, NonZero rows), via compat_matrix.yaml
    """

    code = "TRT308"
    name = "data-dependent-shape"
    severity = Severity.WARNING
    target_aware = True
    tags = ("onnx", "dynamic-shapes")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        tv = m.target.trt_str if m.target is not None else "?"
        for node, sub in m.nodes():
            if node.op_type == "NonZero" and (m.target is None or m.target.supports_op("NonZero")):
                yield m.finding(self, f"{m.where(node, sub)} has a data-dependent output shape: TensorRT {tv} needs an "
                                "output allocator and every op after it becomes dynamic",
                                hint="mask with Where instead of selecting, or pad to a fixed size")
            elif node.op_type == "Loop":
                carried = max(len(node.input) - 2, 0)
                scans = len([o for o in node.output if o]) - carried
                trip = node.input[0] if node.input else ""
                if scans > 0 and (not trip or m.constant(trip) is None):
                    yield m.finding(self, f"{m.where(node, sub)} has {scans} scan output(s) and no constant trip count: "
                                    f"TensorRT {tv} cannot build a dynamic scan-output length", severity=Severity.ERROR,
                                    hint="give the loop a constant trip count or unroll it")
            elif node.op_type == "If":
                branches = {a.name: a.g for a in node.attribute if a.name in ("then_branch", "else_branch")}
                if len(branches) == 2:
                    for i, (a, b) in enumerate(zip(branches["then_branch"].output, branches["else_branch"].output)):
                        da, db = dims(a.type), dims(b.type)
                        if da is not None and db is not None and len(da) != len(db):
                            yield m.finding(self, f"{m.where(node, sub)}: output {i} has rank {len(da)} in the then-branch "
                                            f"and {len(db)} in the else-branch; TensorRT requires equal ranks",
                                            severity=Severity.ERROR, hint="make both branches return the same rank")
