from __future__ import annotations

import ast
from typing import Iterator

from trtlint.compat import load_matrix
from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import attribute_uses, imports_tensorrt, reportable, status, version_guarded


def _entries() -> list[dict]:  # type: ignore[type-arg]
    return [e for e in load_matrix().get("api", []) if e.get("rule") == "TRT408"]


class RemovedTensorRTApi(SourceRule):
    """A TensorRT Python API that the target release removed (or deprecated), from NVIDIA's migration guides.

    ## What it does
    In files that import `tensorrt`, flags the Python APIs that `compat_matrix.yaml` lists as removed in
    TensorRT 10.0 (the binding-based I/O API such as `get_binding_shape`, `execute_async_v2`, `num_bindings`;
    `add_convolution`/`add_fully_connected` and the other pre-ND layers; `BuilderFlag.STRICT_TYPES`;
    `PreviewFeature.FASTER_DYNAMIC_SHAPES_0805`) and in 11.0 (`builder.platform_has_fast_fp16`/`_int8`/`_tf32`,
    the remaining weak-typing flags such as `BuilderFlag.BF16` and `OBEY_PRECISION_CONSTRAINTS`, dynamic ranges,
    layer precisions, `device_memory_size`, `supports_model`, ...): an error once the target has removed the
    API, a warning once it is deprecated. Each entry names its source: the Python bindings of NVIDIA/TensorRT at
    the release tags, as listed in NVIDIA's 8.x-to-10.x and 10.x-to-11.x Python migration guides. APIs with a
    rule of their own (TRT401-TRT407) are left to it.
    Enum members match only through their enum (`trt.BuilderFlag.BF16`); methods and attributes are not
    reported on objects of the user's own (`self` of a class that does not derive from TensorRT, instances of the
    file's classes, `args`), and common names (`execute`, `precision`, `dynamic_range`, `get_strides`) only on
    objects known to be TensorRT's. Code in a branch that tests the TensorRT version, or that falls back on
    `AttributeError`, is not reported.

    ## Why it matters for TensorRT
    A removed Python API is an `AttributeError` at the first line that touches it: the build or inference script
    stops before doing any work on the new release, typically in CI or on the deployment machine, not on the
    developer's.

    ## Example
    ```python
    if builder.platform_has_fast_fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    shape = engine.get_binding_shape(0)
    ```

    ## Use instead
    ```python
    # TensorRT 11: strongly typed; export the model in FP16 (or convert it with ModelOpt AutoCast)
    shape = engine.get_tensor_shape(engine.get_tensor_name(0))
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/api/migration/tensorrt-8x-to-10x-python-api-reference.html
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/api/migration/tensorrt-10x-to-11x-python-api-reference.html
    - compat_matrix.yaml (`api`, with the source of each entry)
    """

    code = "TRT408"
    name = "removed-tensorrt-api"
    severity = Severity.ERROR
    target_aware = True
    tags = ("tensorrt-api",)
    requires_text = ("tensorrt",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        for entry in _entries():
            severity, why = status(entry["name"], src.target)
            if severity is None:
                continue
            name: str = entry["name"]
            match: str = entry.get("match", "attribute")
            strict = match.endswith("!")
            match = match.rstrip("!")
            qualifier, _, attr_name = name.rpartition(".")
            if attr_name not in src.text:
                continue
            for attr in attribute_uses(src, attr_name):
                if match == "member":
                    owner = attr.value
                    owner_name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
                    if owner_name != qualifier or version_guarded(src, attr):
                        continue
                else:
                    if match == "method" and not self._called(src, attr):
                        continue
                    if not reportable(src, attr, strict=strict):
                        continue
                shown = f"`{name}`" if match == "member" else f"`{name}` ({entry['kind']})"
                yield self.finding(
                    f"{shown} is {why}", src.path, *src.pos(attr), severity=severity,
                    hint=f"use {entry['replacement']}" if not entry["replacement"].startswith(("none", "drop"))
                    else entry["replacement"],
                )

    @staticmethod
    def _called(src: SourceFile, attr: ast.Attribute) -> bool:
        calls = src.cache.get(("trt408_called",))
        if calls is None:
            calls = {id(c.func) for c in src.calls}
            src.cache[("trt408_called",)] = calls
        return id(attr) in calls  # type: ignore[operator]
