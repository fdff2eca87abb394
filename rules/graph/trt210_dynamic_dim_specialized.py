from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations


class DynamicDimSpecialized(GraphRule):
    """A dimension declared dynamic (`--min-shapes`/`--max-shapes`) is specialized to a constant by the export.

    ## What it does
    Exports with `torch.export` and one `Dim` per declared dynamic axis; a constraint violation (the code forces
    the axis to a constant or a narrower range) is reported at the user line the exporter blames. After the ONNX
    export, a static batch axis on an output of a model with a dynamic batch is reported too.

    ## Why it matters for TensorRT
    An engine's optimization profile can only vary an axis that stays dynamic in the ONNX graph; a specialized
    axis makes every other size fail at run time, or the build reject the profile.

    ## Example
    `x.view(4, -1)` or `x.reshape(x.shape[0] if self.fixed else 4, -1)` in `forward` with a dynamic batch.

    ## Use instead
    Sizes from the tensor (`x.flatten(1)`, `x.view(x.size(0), -1)`), and no Python `int` of a shape.

    ## References
    - PyTorch docs, torch.export ("Expressing Dynamism", constraint violations)
    - NVIDIA TensorRT docs, "Working with Dynamic Shapes"
    """

    code = "TRT210"
    name = "dynamic-dim-specialized"
    tags = ("graph", "dynamic-shapes")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("specialized"):
            yield self.at(obs, rec, f"torch.export cannot keep the declared dynamic dimensions: {rec['error']}",
                          hint="derive sizes from the tensor (x.flatten(1), x.size(0)) instead of constants")
        for rec in obs.of("onnx_static_output"):
            yield self.at(obs, rec, f"ONNX output '{rec['output']}' has a static axis {rec['axis']} (= {rec['value']}) "
                          "although the batch axis of the inputs is dynamic: the engine cannot vary it",
                          hint="derive sizes from the tensor (x.flatten(1), x.size(0)) instead of constants")
