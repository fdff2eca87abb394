from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import dims


class ShapeInferenceFailed(OnnxRule):
    """ONNX shape inference (strict mode) fails on the model, or leaves output ranks unknown.

    ## What it does
    Runs `onnx.shape_inference.infer_shapes(strict_mode=True, data_prop=True)` on the graph with its large
    weights stripped, and reports an inference error (a warning) or outputs whose rank stays unknown (a note).

    ## Why it matters for TensorRT
    TensorRT runs its own shape analysis while parsing. What ONNX's reference inference cannot type is usually
    an inconsistent graph (a hand-edited model, a broken custom op, mismatched dtypes after surgery) and fails
    the parse or the build with a less specific message. Unknown output ranks make the engine's bindings
    impossible to plan.

    ## Example
    A graph edited with onnx-graphsurgeon where an `Add` now mixes FLOAT and FLOAT16 inputs.

    ## Use instead
    Fix the node the message names; run `onnx.checker.check_model(model, full_check=True)` after any surgery;
    declare output shapes.

    ## References
    - https://onnx.ai/onnx/api/shape_inference.html
    """

    code = "TRT307"
    name = "shape-inference-failed"
    severity = Severity.WARNING
    tags = ("onnx", "shapes")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        inferred, why = m.inferred
        if inferred is None:
            yield m.finding(self, f"strict ONNX shape inference fails: {why}",
                            hint="fix the node it names; check with onnx.checker.check_model(full_check=True)")
            return
        for out in inferred.graph.output:
            if dims(out.type) is None and out.type.HasField("tensor_type"):
                yield m.finding(self, f"output '{out.name}' has an unknown rank after shape inference",
                                severity=Severity.NOTE, hint="declare the output's shape at export")
