from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import GraphRule, Observations


class DataDependentShapeAtRuntime(GraphRule):
    """An op whose output shape depends on tensor values ran in `forward`.

    ## What it does
    Watches the ATen ops of eager runs with a `TorchDispatchMode` and reports `nonzero`, `unique`,
    `unique_consecutive`, `masked_select`, `repeat_interleave` with a tensor of repeats, and boolean-mask indexing
    (`x[mask]`) at the user's line. A warning where the target TensorRT imports NonZero (8.5 and later), an error
    before.

    ## Why it matters for TensorRT
    A data-dependent shape needs an output allocator and makes everything after it dynamic; older TensorRT
    releases cannot import NonZero at all.

    ## Example
    `boxes = boxes[scores > 0.5]` in `forward`.

    ## Use instead
    Mask instead of select (`torch.where(mask, x, 0)`), or pad to a fixed size (`torch.topk`, `nonzero_static`).

    ## References
    - onnx-tensorrt docs/operators.md (NonZero), via compat_matrix.yaml
    - PyTorch docs, torch.utils._python_dispatch.TorchDispatchMode
    """

    code = "TRT204"
    name = "data-dependent-shape-at-runtime"
    severity = Severity.WARNING
    target_aware = True
    tags = ("graph", "dynamic-shapes")

    def check(self, obs: Observations) -> Iterator[Finding]:
        t = obs.target
        supported = t is None or t.supports_op("NonZero") is not False
        tv = t.trt_str if t is not None else "?"
        for rec in obs.of("dd_shape"):
            effect = (f"TensorRT {tv} needs an output allocator and everything after it becomes dynamic" if supported
                      else f"TensorRT {tv} cannot import NonZero")
            yield self.at(obs, rec, f"{rec['op']} ran in `forward`: its output shape depends on the data; {effect}",
                          hint="mask with torch.where instead of selecting, or pad to a fixed size",
                          severity=Severity.WARNING if supported else Severity.ERROR)
