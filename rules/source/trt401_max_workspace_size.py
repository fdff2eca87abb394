from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Edit, Finding, Fix, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import attribute_uses, fact, imports_tensorrt, reportable, status, trt_alias


class MaxWorkspaceSize(SourceRule):
    """`config.max_workspace_size`: deprecated in TensorRT 8.3 and removed in 10.0.

    ## What it does
    In files that import `tensorrt`, flags reads and writes of `max_workspace_size`: a warning for targets from
    8.3, an error from 10.0 (`--target`). Quiet in a branch that tests the TensorRT version (`trt.__version__`,
    `hasattr(config, "set_memory_pool_limit")`, a `try` that falls back on `AttributeError`) and on objects
    that are not TensorRT's (`self.max_workspace_size` of the user's own class, `args.max_workspace_size`).
    An assignment `config.max_workspace_size = n` is fixed to
    `config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, n)`.

    ## Why it matters for TensorRT
    On TensorRT 10 the attribute no longer exists: the build script dies with `AttributeError` before any
    engine is built. The memory-pool API replaced it in 8.4.

    ## Example
    ```python
    config.max_workspace_size = 1 << 30
    ```

    ## Use instead
    ```python
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1 << 30)
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Core/BuilderConfig.html
    - TensorRT 8.3 and 10.0 release notes (deprecation, removal), via compat_matrix.yaml
    """

    code = "TRT401"
    name = "max-workspace-size"
    severity = Severity.ERROR
    target_aware = True
    fixable = True
    tags = ("tensorrt-api",)
    requires_text = ("max_workspace_size",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        severity, why = status("max_workspace_size", src.target)
        if severity is None:
            return
        assigns = {
            id(t): node
            for node in ast.walk(src.tree)
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            for t in node.targets
        }
        for attr in attribute_uses(src, "max_workspace_size"):
            if not reportable(src, attr):
                continue
            fix = None
            stmt = assigns.get(id(attr))
            if stmt is not None:
                line, col, end_line, end_col = src.pos(stmt)
                new = (f"{src.segment(attr.value)}.set_memory_pool_limit({trt_alias(src)}.MemoryPoolType.WORKSPACE, "
                       f"{src.segment(stmt.value)})")
                fix = Fix("use set_memory_pool_limit(MemoryPoolType.WORKSPACE, ...)", (Edit(line, col, end_line, end_col, new),))
            yield self.finding(
                f"`max_workspace_size` is {why}", src.path, *src.pos(attr), severity=severity,
                hint=fact("max_workspace_size")["replacement"], fix=fix,
            )
