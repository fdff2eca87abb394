from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import VerifyRule, VerifyRun


class Fp16Overflow(VerifyRule):
    """A module's activations exceed the FP16 range: an FP16 engine overflows there.

    ## What it does
    Runs the model in fp32 and a half-precision copy on the same inputs (on the GPU wherever there is one),
    with a forward hook on every module, and names the first module, in execution order, whose fp32 output
    exceeds ±65504 or whose half-precision output turns Inf/NaN where fp32 was finite. The finding sits at the
    line where the user's code builds that module (`self.fc = nn.Linear(...)`), or at the module's `forward`.
    `trtlint graph` reports the same range hazard as TRT207 while linting; this is the verify stage's account,
    beside the output parity of the half-precision model (TRT504).

    ## Why it matters for TensorRT
    FP16's largest finite value is 65504. Past it TensorRT produces Inf, and the Inf becomes NaN a layer later;
    the engine builds and runs without a word. The half-precision PyTorch pass predicts this without TensorRT.

    ## Example
    ```python
    self.expand = nn.Linear(64, 64)   # weights or inputs that push activations past 65504
    ```

    ## Use instead
    Rescale (normalise earlier, fold a scale into the next layer), keep the module in fp32 (cast in a strongly
    typed network), or clamp before it.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/advanced.html#strongly-typed-networks
    - IEEE 754 binary16: largest finite value 65504
    """

    code = "TRT505"
    name = "half-precision-overflow"

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("fp16-layer"):
            if rec.get("status") not in ("overflow", "nonfinite"):
                continue
            what = (f"fp32 activations reach {float(rec.get('fp32_absmax', 0)):.4g}, beyond FP16's 65504"
                    if rec.get("status") == "overflow" else "the half-precision output turns Inf/NaN")
            yield self.at(run, rec, f"module '{rec.get('module') or '<model>'}' ({rec.get('module_type')}) overflows "
                                    f"FP16: {what} (first such module of {rec.get('layers')}; half-precision pass on "
                                    f"{rec.get('device')}, torch {rec.get('torch')})",
                          hint="rescale or clamp before this module, or keep it in fp32")
