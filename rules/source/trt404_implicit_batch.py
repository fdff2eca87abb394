from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

import ast

from ._trt_api import attribute_uses, fact, imports_tensorrt, reportable, status


class ImplicitBatch(SourceRule):
    """Implicit-batch API (`builder.max_batch_size`): removed in TensorRT 10.0.

    ## What it does
    In files that import `tensorrt`, flags `max_batch_size` for targets from TensorRT 10.0: assignments unless
    the object is the user's own (`self`, `args`), reads only on objects known to be TensorRT's
    (`builder = trt.Builder(...)`, an engine from `deserialize_cuda_engine`). Quiet in a branch that tests the
    TensorRT version.

    ## Why it matters for TensorRT
    Implicit-batch networks are gone from TensorRT 10: the attribute raises `AttributeError`, and a batch
    dimension must be part of the network's input shapes, made dynamic with an optimization profile.

    ## Example
    ```python
    builder.max_batch_size = 32
    ```

    ## Use instead
    ```python
    profile = builder.create_optimization_profile()
    profile.set_shape("input", (1, 3, 224, 224), (16, 3, 224, 224), (32, 3, 224, 224))
    config.add_optimization_profile(profile)
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-dynamic-shapes.html
    - TensorRT 10.0 release notes, via compat_matrix.yaml
    """

    code = "TRT404"
    name = "implicit-batch"
    severity = Severity.ERROR
    target_aware = True
    tags = ("tensorrt-api",)
    requires_text = ("max_batch_size",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        severity, why = status("max_batch_size", src.target)
        if severity is None:
            return
        for attr in attribute_uses(src, "max_batch_size"):
            # a read of a `max_batch_size` is reported only on a known TensorRT object: the name is common
            if not reportable(src, attr, strict=isinstance(attr.ctx, ast.Load)):
                continue
            yield self.finding(f"implicit-batch `max_batch_size` is {why}", src.path, *src.pos(attr),
                               severity=severity, hint=fact("max_batch_size")["replacement"])
