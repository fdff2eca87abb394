from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import attribute_uses, fact, imports_tensorrt, status, version_guarded

FLAGS = {"INT8": "BuilderFlag.INT8", "FP16": "BuilderFlag.FP16"}


class WeakTypingFlags(SourceRule):
    """`BuilderFlag.FP16`/`BuilderFlag.INT8` on a target that builds strongly typed networks only (TensorRT 11).

    ## What it does
    In files that import `tensorrt`, flags `BuilderFlag.FP16` and `BuilderFlag.INT8` for targets from
    TensorRT 11.0, outside branches that test the TensorRT version.

    ## Why it matters for TensorRT
    TensorRT 11 removed weakly typed builds: the builder no longer chooses layer precisions from flags, it
    follows the tensor types in the network. The flags are gone, and an FP32 ONNX model builds an FP32 engine.

    ## Example
    ```python
    config.set_flag(trt.BuilderFlag.FP16)
    ```

    ## Use instead
    Put the precision into the model: export FP16 (`model.half()` before export, or convert the ONNX model with
    onnxconverter-common / modelopt autocast), quantize explicitly with Q/DQ for INT8, and build with
    `NetworkDefinitionCreationFlag.STRONGLY_TYPED`.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/advanced.html#strongly-typed-networks
    - TensorRT 11.0 release notes, via compat_matrix.yaml
    """

    code = "TRT407"
    name = "weak-typing-flags"
    severity = Severity.ERROR
    target_aware = True
    tags = ("tensorrt-api", "precision")
    requires_text = ("BuilderFlag",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        for attr_name, api in FLAGS.items():
            severity, why = status(api, src.target)
            if severity is None:
                continue
            for attr in attribute_uses(src, attr_name):
                if getattr(attr.value, "attr", getattr(attr.value, "id", "")) == "BuilderFlag" and not version_guarded(src, attr):
                    yield self.finding(f"`{api}` is {why}: TensorRT 11 builds strongly typed networks only",
                                       src.path, *src.pos(attr), severity=severity, hint=fact(api)["replacement"])
