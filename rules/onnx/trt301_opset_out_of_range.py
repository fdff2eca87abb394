from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule


class OpsetOutOfRange(OnnxRule):
    """The model's default-domain opset is outside what the target TensorRT's ONNX parser reads.

    ## What it does
    Compares the `ai.onnx` opset the model imports with the opset range of the `--target` TensorRT release
    (from its onnx-tensorrt operator table in `compat_matrix.yaml`).

    ## Why it matters for TensorRT
    The parser refuses models above its ceiling (TensorRT 8.6 reads up to opset 17, 10.0/10.1 up to 20,
    10.14 and later up to 24) and has no importers for opsets below its floor. Torch 2.9 and later export
    opset 18 to 20 by default.

    ## Example
    A model exported with `opset_version=20`, checked with `--target trt8.6`.

    ## Use instead
    Re-export with an opset in range (`torch.onnx.export(..., opset_version=17)`), or convert with
    `onnx.version_converter.convert_version(model, 17)` and check the result again.

    ## References
    - onnx-tensorrt docs/operators.md of each release (header line), via compat_matrix.yaml
    """

    code = "TRT301"
    name = "opset-out-of-range"
    severity = Severity.ERROR
    target_aware = True
    tags = ("onnx", "compatibility")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        if m.target is None or m.opset is None:
            return
        lo, hi = m.target.opset_range()
        if not lo <= m.opset <= hi:
            yield m.finding(
                self, f"the model uses opset {m.opset}; the TensorRT {m.target.trt_str} ONNX parser reads opsets {lo}-{hi}",
                hint=f"re-export with opset_version={min(max(m.opset, lo), hi)}",
            )
