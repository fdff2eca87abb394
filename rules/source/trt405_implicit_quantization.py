from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import attribute_uses, fact, imports_tensorrt, reportable, status, version_guarded

CALIBRATORS = ("IInt8EntropyCalibrator2", "IInt8EntropyCalibrator", "IInt8MinMaxCalibrator", "IInt8LegacyCalibrator")


class ImplicitQuantization(SourceRule):
    """INT8 calibrators (implicit quantization): deprecated in TensorRT 10.1, removed in 11.0.

    ## What it does
    In files that import `tensorrt`, flags classes derived from `IInt8EntropyCalibrator2`,
    `IInt8EntropyCalibrator`, `IInt8MinMaxCalibrator`, `IInt8LegacyCalibrator`, and assignments of
    `config.int8_calibrator`: a warning for targets from 10.1, an error from 11.0. Quiet in a branch that
    tests the TensorRT version and on objects of the user's own (`self.int8_calibrator = ...`).

    ## Why it matters for TensorRT
    Implicit quantization lets the builder pick INT8 per layer from calibration ranges; NVIDIA deprecated it
    in 10.1 in favour of explicit Q/DQ nodes in the ONNX model, and TensorRT 11 removes it: the calibrator
    base classes no longer exist and the build script fails at import.

    ## Example
    ```python
    class Calib(trt.IInt8EntropyCalibrator2):
        ...
    config.int8_calibrator = Calib(batches)
    ```

    ## Use instead
    Quantize the model explicitly (TensorRT Model Optimizer `modelopt.torch.quantization`, or
    pytorch-quantization), export the Q/DQ nodes to ONNX, and build without a calibrator.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-quantized-types.html
    - TensorRT 10.1 and 11.0 release notes, via compat_matrix.yaml
    """

    code = "TRT405"
    name = "implicit-quantization"
    severity = Severity.WARNING
    target_aware = True
    tags = ("tensorrt-api", "quantization")
    requires_text = ("Calibrator", "int8_calibrator")

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        for cls in src.classes:
            for base in cls.bases:
                name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
                if name in CALIBRATORS and not version_guarded(src, cls):
                    severity, why = status(name, src.target)
                    if severity is not None:
                        yield self.finding(f"`{name}` (implicit INT8 calibration) is {why}", src.path,
                                           *src.pos(base), severity=severity, hint=fact(name)["replacement"])
        severity, why = status("int8_calibrator", src.target)
        if severity is not None:
            for attr in attribute_uses(src, "int8_calibrator"):
                if isinstance(attr.ctx, ast.Store) and reportable(src, attr):
                    yield self.finding(f"`int8_calibrator` (implicit quantization) is {why}", src.path,
                                       *src.pos(attr), severity=severity, hint=fact("int8_calibrator")["replacement"])
