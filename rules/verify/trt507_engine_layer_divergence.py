from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import VerifyRule, VerifyRun


class EngineLayerDivergence(VerifyRule):
    """The first layer of a TensorRT fp16/int8 engine whose output diverges from ONNX Runtime fp32.

    ## What it does
    When an fp16 or int8 engine fails parity (TRT504), marks intermediate tensors as network outputs a chunk at
    a time, on the engine and on ONNX Runtime, and names the first tensor in topological order that is beyond
    the precision's tolerance, with its ONNX node and the PyTorch line the exporter recorded for it.

    ## Why it matters for TensorRT
    Marking outputs changes what TensorRT fuses, so a bisection is approximate, but it turns "the logits are
    wrong" into a layer to keep in higher precision.

    ## Example
    A `LayerNormalization` whose fp16 reduction loses the mean of large activations.

    ## Use instead
    Keep the named layer in fp32 (a cast in the ONNX model for a strongly typed network; `ILayer.precision`
    with `BuilderFlag.OBEY_PRECISION_CONSTRAINTS` on TensorRT 10), or fix its range in the model.

    ## References
    - https://github.com/NVIDIA/TensorRT/tree/main/tools/Polygraphy/examples/cli/debug (layer-wise comparison)
    """

    code = "TRT507"
    name = "engine-layer-divergence"
    severity = Severity.WARNING

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("layer-divergence"):
            yield self.at(run, rec, f"the TensorRT {rec.get('precision')} engine first diverges from ONNX Runtime at "
                                    f"tensor '{rec.get('tensor')}' of {rec.get('node')}",
                          hint="keep this layer in fp32 or fix its activation range")
