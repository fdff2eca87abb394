from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations


class Fp16Overflow(GraphRule):
    """A module's activations exceed the FP16 range (|x| > 65504), or a real half-precision pass overflows.

    ## What it does
    Records the largest |activation| of every leaf module over the example inputs (and `--calib-data` files)
    with forward hooks, and reports modules beyond 65504, FP16's largest finite value, at the line that built
    the module. With `--device cuda` it also runs the model in half precision and names the first module whose
    output turns inf or NaN.

    ## Why it matters for TensorRT
    An FP16 engine stores that activation as inf; everything after the layer is garbage (NaN) while the FP32
    model looks fine.

    ## Example
    A layer without normalisation whose outputs grow to 1e5 (unscaled sums, large logits before a softmax).

    ## Use instead
    Normalise or rescale (LayerNorm, a scale factor), or keep that layer in FP32 (strongly typed network with an
    explicit cast, or per-layer precision constraints).

    ## References
    - IEEE 754 binary16: largest finite value 65504
    - NVIDIA TensorRT docs, "Reduced Precision" (per-layer precision control)
    """

    code = "TRT207"
    name = "fp16-overflow"
    tags = ("graph", "precision")

    def check(self, obs: Observations) -> Iterator[Finding]:
        flagged = set()
        for rec in obs.of("fp16_pass"):
            if rec.get("status") == "overflow":
                flagged.add(rec["module"])
                yield self.at(obs, rec, f"a half-precision pass on {rec['device']} first overflows to inf/NaN at "
                              f"`{rec['module']}` ({rec['cls']}): an FP16 engine breaks at this layer",
                              hint="rescale or normalise before this layer, or keep it in FP32")
        for rec in obs.of("fp16_range"):
            if rec["module"] in flagged:
                continue
            yield self.at(obs, rec, f"`{rec['module']}` ({rec['cls']}) outputs |x| up to {rec['absmax']:.3g}, beyond "
                          "FP16's 65504: an FP16 engine overflows to inf at this layer",
                          hint="rescale or normalise before this layer, or keep it in FP32")
