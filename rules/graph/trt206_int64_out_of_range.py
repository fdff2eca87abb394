from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations


class Int64OutOfRange(GraphRule):
    """An int64 tensor held a value outside the int32 range while `forward` ran.

    ## What it does
    Checks the int64 results of the ATen ops of the eager runs and reports a value beyond ±2^31 at the user's
    line, with the producing op and the value seen.

    ## Why it matters for TensorRT
    TensorRT before 10.0 has no INT64 tensors: its ONNX parser casts INT64 down to INT32, and a value beyond the
    int32 range is clamped or wraps, silently changing the result. TensorRT 10 adds INT64 to some layers only,
    so the cast still happens around the others.

    ## Example
    `ids = x.long() * 2**33` or a hash of token ids in `forward`.

    ## Use instead
    Keep integer values within int32 (modular arithmetic, smaller strides), or move the computation out of the
    engine.

    ## References
    - onnx-tensorrt README (INT64 cast down to INT32 for TensorRT versions without native INT64)
    - NVIDIA TensorRT 10 release notes (INT64 support for a subset of layers)
    """

    code = "TRT206"
    name = "int64-out-of-range"
    tags = ("graph", "dtype")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("int64_range"):
            yield self.at(obs, rec, f"{rec['op']} produces int64 value {rec['value']} in `forward`, outside the int32 "
                          "range: where TensorRT computes it in INT32 the value is clamped or wraps",
                          hint="keep integer values within int32 or compute them outside the engine")
