from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule


class IrVersionTooNew(OnnxRule):
    """The model's ONNX IR version is newer than the one the target TensorRT's parser was built against.

    ## What it does
    Compares `model.ir_version` with the IR version of the ONNX release that introduced the target parser's
    highest opset (`compat_matrix.yaml`, from `onnx.helper.VERSION_TABLE`).

    ## Why it matters for TensorRT
    The parser links a fixed ONNX protobuf definition. A newer IR version may carry fields it does not know
    (new types, functions, metadata); it warns and may then misread or reject the model.

    ## Example
    A model saved by onnx 1.19 (IR 12), checked with `--target trt8.6` (built around IR 8).

    ## Use instead
    Export with the onnx release matching the target, or lower the IR version where the model uses nothing
    newer (`model.ir_version = 8`) and validate with `onnx.checker.check_model`.

    ## References
    - https://github.com/onnx/onnx/blob/main/docs/Versioning.md
    """

    code = "TRT302"
    name = "ir-version-too-new"
    severity = Severity.WARNING
    target_aware = True
    tags = ("onnx", "compatibility")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        if m.target is None:
            return
        limit = int(m.target.trt_entry()["ir_version"]["max"])
        if m.model.ir_version > limit:
            yield m.finding(
                self, f"IR version {m.model.ir_version} is newer than TensorRT {m.target.trt_str}'s parser knows "
                f"(IR {limit})", hint=f"save with an onnx release of IR {limit}, or set model.ir_version = {limit}",
            )
