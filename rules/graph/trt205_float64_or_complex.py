from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations


class Float64OrComplex(GraphRule):
    """An op produced a float64 or complex tensor while `forward` ran.

    ## What it does
    Checks the output dtype of every ATen op of the eager runs (a `TorchDispatchMode`) and reports float64 and
    complex results at the user's line, naming the producing op.

    ## Why it matters for TensorRT
    TensorRT has no FP64 or complex tensors: the ONNX parser rejects DOUBLE (or casts it with a warning where it
    can), and complex values cannot be represented at all.

    ## Example
    `x.double()`, `torch.tensor(0.5, dtype=torch.float64)`, `torch.fft.rfft(x)` in `forward`.

    ## Use instead
    float32 (or float16) throughout; for FFTs, real-valued formulations (e.g. a DFT as a matmul).

    ## References
    - NVIDIA TensorRT docs, "Types and Precision" (supported data types)
    - onnx-tensorrt docs/operators.md (DOUBLE not supported)
    """

    code = "TRT205"
    name = "float64-or-complex"
    tags = ("graph", "dtype")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("dtype"):
            yield self.at(obs, rec, f"{rec['op']} produces a {rec['dtype']} tensor in `forward`: TensorRT has no "
                          f"{'complex' if 'complex' in rec['dtype'] else 'FP64'} tensors",
                          hint="compute in float32 (or float16)")
