from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import VerifyRule, VerifyRun


class TensorRTBuildFailed(VerifyRule):
    """TensorRT parsed the model but built no engine.

    ## What it does
    Reports a `build_serialized_network` that returned None, or a build that could not be configured (a dynamic
    input without `--min-shapes/--max-shapes`), with the reason and the precision.

    ## Why it matters for TensorRT
    A parse that succeeds is not a build: tactic selection can fail for lack of workspace, an unsupported
    precision for a layer, or a shape range no kernel covers.

    ## Example
    A dynamic batch with no optimization profile, or `--workspace` too small for any tactic of a large layer.

    ## Use instead
    Give the shape range, raise `--workspace`, or run `trtexec --verbose` on the ONNX file to see the builder's log.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-dynamic-shapes.html
    """

    code = "TRT510"
    name = "tensorrt-build-failed"

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("build-failed"):
            yield self.at(run, rec, f"TensorRT built no {rec.get('precision')} engine: {rec.get('reason')}",
                          hint="give the shape range, raise --workspace, or read `trtexec --verbose`")
