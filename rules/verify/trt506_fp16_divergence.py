from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import VerifyRule, VerifyRun


class Fp16Divergence(VerifyRule):
    """The first module whose half-precision output drifts from fp32 beyond the FP16 tolerance.

    ## What it does
    In the same hooked fp32 / half-precision PyTorch pass as TRT505, when nothing overflows, names the first
    module whose half-precision output differs from fp32 by more than the fp16 `--atol` (default 1e-2)
    relative to the activation's range, with the error it saw.

    ## Why it matters for TensorRT
    An FP16 engine's accuracy is lost where the error first grows; later layers only carry it on. Naming that
    module says which layer to keep in fp32.

    ## Example
    A softmax over long sequences, or a variance computed as E[x²] - E[x]², in half precision.

    ## Use instead
    Keep the named module in fp32 (a cast in the model for strongly typed networks), or reformulate it in a
    numerically stable way.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/accuracy-considerations.html
    """

    code = "TRT506"
    name = "half-precision-divergence"
    severity = Severity.WARNING

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("fp16-layer"):
            if rec.get("status") != "diverge":
                continue
            yield self.at(run, rec, f"module '{rec.get('module') or '<model>'}' ({rec.get('module_type')}) is the first "
                                    f"to diverge in half precision: error {float(rec.get('rel_err', 0)):.3g} of its "
                                    f"activation range (tolerance {rec.get('tol', 0.01)}; pass on {rec.get('device')}, "
                                    f"torch {rec.get('torch')})",
                          hint="keep this module in fp32, or compute it in a numerically stable way")
