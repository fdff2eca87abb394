from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import GraphRule, Observations


class Float64OrComplex(GraphRule):
    """An op produced a float64 or complex tensor while `forward` ran.

    ## What it does
    Checks the output dtype of every ATen op of the eager runs (a `TorchDispatchMode`) and reports float64 and
    complex results at the user's line, naming the producing op.

    ## Why it matters for TensorRT
    TensorRT has no FP64 or complex tensors. Its ONNX parser casts DOUBLE to FLOAT (a warning here: values
    beyond FP32's range clamp and the precision the code asked for is gone); complex values cannot be
    represented at all (an error).

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
            if "complex" in rec["dtype"]:
                yield self.at(obs, rec, f"{rec['op']} produces a {rec['dtype']} tensor in `forward`: TensorRT has no "
                              "complex tensors", hint="use a real-valued formulation (e.g. a DFT as a matmul)")
            else:
                yield self.at(obs, rec, f"{rec['op']} produces a {rec['dtype']} tensor in `forward`: TensorRT has no "
                              "FP64, its ONNX parser casts it to FP32", hint="compute in float32",
                              severity=Severity.WARNING)
