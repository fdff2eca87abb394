from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations


class OnnxRuntimeMismatch(GraphRule):
    """The exported ONNX model, run by ONNX Runtime (CPU), disagrees with eager PyTorch or fails to run.

    ## What it does
    Runs the exported ONNX model with ONNX Runtime's CPU provider at the min and max shapes (the static shapes
    for a static model) and compares each output with eager PyTorch (rtol 1e-3, atol 1e-4), naming the output
    that differs and by how much; a session that cannot load or run at those shapes is reported too.

    ## Why it matters for TensorRT
    TensorRT builds from the ONNX graph. If the graph already differs from the model, or breaks at the edge of
    the dynamic range, the engine cannot be right.

    ## Example
    A model exported with a frozen branch, or a Reshape that only works at the example's batch size.

    ## Use instead
    Fix the export at the reported line (see the TRT201, TRT209 and TRT210 findings of the same run).

    ## References
    - ONNX Runtime docs, InferenceSession (CPUExecutionProvider)
    """

    code = "TRT211"
    name = "onnx-runtime-mismatch"
    tags = ("graph", "onnx")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("onnx_parity"):
            yield self.at(obs, rec, f"the exported ONNX model at the {rec['shape']} shapes differs from eager: "
                          f"{rec['output']} {rec['detail']}", hint="fix the export (see the other findings of this run)")
