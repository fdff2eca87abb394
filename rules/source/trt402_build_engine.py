from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import fact, imports_tensorrt, reportable, status


class BuildEngineRemoved(SourceRule):
    """`builder.build_engine(network, config)`: deprecated in TensorRT 8.0 and removed in 10.0.

    ## What it does
    In files that import `tensorrt`, flags calls of a `build_engine` method with TensorRT's two arguments
    (`network, config`): a warning for targets from 8.0, an error from 10.0. Quiet on the user's own
    `build_engine` (`self.build_engine(...)` in a class that defines it, an instance of a class of the file) and
    in a branch that tests the TensorRT version.

    ## Why it matters for TensorRT
    TensorRT 10 has no `IBuilder.build_engine`: the script fails with `AttributeError`. The replacement returns
    a serialized plan (`IHostMemory`), not an engine, so the code after it changes too: this is not a rename.

    ## Example
    ```python
    engine = builder.build_engine(network, config)
    ```

    ## Use instead
    ```python
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise RuntimeError("TensorRT build failed")
    engine = trt.Runtime(logger).deserialize_cuda_engine(plan)
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Core/Builder.html
    - TensorRT 8.0 and 10.0 release notes, via compat_matrix.yaml
    """

    code = "TRT402"
    name = "build-engine-removed"
    severity = Severity.ERROR
    target_aware = True
    tags = ("tensorrt-api",)
    requires_text = ("build_engine",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        severity, why = status("build_engine", src.target)
        if severity is None:
            return
        for call in src.calls:
            if isinstance(call.func, ast.Attribute) and call.func.attr == "build_engine":
                # IBuilder.build_engine(network, config): a user's own build_engine takes other arguments
                if len(call.args) + len(call.keywords) != 2 or not reportable(src, call.func):
                    continue
                yield self.finding(
                    f"`build_engine` is {why}", src.path, *src.pos(call.func), severity=severity,
                    hint=fact("build_engine")["replacement"],
                )
