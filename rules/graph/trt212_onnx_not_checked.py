from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import GraphRule, Observations


class OnnxNotChecked(GraphRule):
    """The ONNX step of the graph run was skipped, and says why.

    ## What it does
    Notes that the model was not exported to ONNX, so the ONNX rules and the ONNX Runtime check did not run:
    `onnx`/`onnxruntime` missing, or `torch.export` failed and the dynamo exporter needs it.

    ## Why it matters for TensorRT
    A gate must not look green for a check it never ran.

    ## Example
    `pip install "trtlint[graph]"` without the `[onnx]` extra.

    ## Use instead
    `pip install "trtlint[graph,onnx]"`, and fix the TRT209 findings first.

    ## References
    - README.md, "Graph mode"
    """

    code = "TRT212"
    name = "onnx-not-checked"
    severity = Severity.NOTE
    tags = ("graph", "onnx")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("onnx_skipped"):
            yield self.at(obs, rec, f"the ONNX step did not run: {rec['reason']}",
                          hint='pip install "trtlint[graph,onnx]"')
