from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import VerifyRule, VerifyRun


class TensorRTBuildSkipped(VerifyRule):
    """No TensorRT engine was built: TensorRT cannot be imported here (or cannot build this precision).

    ## What it does
    Says, once per run, that the TensorRT backend was skipped, why (`tensorrt` not installed, its import
    failing, or a precision this TensorRT cannot build from this model), and how to get it. Everything else
    still runs: ONNX Runtime against PyTorch, the INT8 Q/DQ model on ONNX Runtime, the half-precision
    PyTorch pass that predicts FP16 accuracy.

    ## Why it matters for TensorRT
    Parity against ONNX Runtime is evidence about the export, not about an engine: TensorRT's parser, its layer
    fusions and its reduced-precision kernels are not exercised. A verify run must not be read as a build.

    ## Example
    `trtlint verify model.onnx` on a machine without the `tensorrt` package.

    ## Use instead
    Run the same command where TensorRT 10+ is installed (NVIDIA's container `nvcr.io/nvidia/tensorrt`, or the
    `tensorrt-cu12` wheels) on the GPU you deploy to. Notes do not change `trtlint verify`'s exit code.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/installing-tensorrt/installing.html
    """

    code = "TRT501"
    name = "tensorrt-build-skipped"
    severity = Severity.NOTE

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("backend-skipped"):
            what = ", ".join(rec.get("precisions") or []) or "any precision"
            yield self.at(run, rec, f"TensorRT build skipped ({what}): {rec.get('reason')}; no engine was built or "
                                    "run; the parity reported comes from ONNX Runtime and PyTorch only", hint=str(rec.get("hint", "")))
