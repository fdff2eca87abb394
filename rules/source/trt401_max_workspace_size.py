from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Edit, Finding, Fix, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import attribute_uses, fact, imports_tensorrt, reportable, status, trt_alias, trt_class

# Only IBuilderConfig binds `max_workspace_size` in TensorRT's open-source Python bindings (NVIDIA/TensorRT
# python/src/infer/pyCore.cpp, release/8.0 through release/8.6; none from 10.0). IBuilder's own attribute of
# TensorRT 7 is not bound from 8.0 on, and ICudaEngine never binds it.
_NOT_BOUND_FROM = (8, 0)
_ENGINE_HINT = ("the workspace limit is a build setting: set it on the builder config before building "
                "(`config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, size)`); an engine reports the "
                "device memory it needs as `device_memory_size_v2` (TensorRT 10.1+) or `device_memory_size`")
_BUILD_SETTING_HINT = ("the workspace limit is a build setting: set it on the builder config "
                       "(`config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, size)`)")
_BUILDER_HINT = ("the workspace limit moved to the builder config: `config = builder.create_builder_config()`, "
                 "`config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, size)`, then build with "
                 "`builder.build_serialized_network(network, config)`")


class MaxWorkspaceSize(SourceRule):
    """`config.max_workspace_size`: deprecated in TensorRT 8.3 and removed in 10.0.

    ## What it does
    In files that import `tensorrt`, flags reads and writes of `max_workspace_size`: on the builder config a
    warning for targets from 8.3, an error from 10.0 (`--target`). On an object that is not the builder config
    (the `IBuilder` of TensorRT 7 code, an `ICudaEngine`, known from the factory the name is bound to, else from
    the name) it is an error for targets from 8.0, whose Python bindings bind the attribute on `IBuilderConfig`
    only; the message names that class and no fix is offered. Quiet in a branch that tests the TensorRT version (`trt.__version__`,
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
            cls = trt_class(src, attr.value)
            if cls not in (None, "IBuilderConfig"):
                if src.target is not None and src.target.trt >= _NOT_BOUND_FROM:  # every target of the matrix
                    yield self.finding(
                        f"`{cls}.max_workspace_size` does not exist in TensorRT's Python API from 8.0 on (target "
                        f"{src.target.trt_str}): the line raises AttributeError",
                        src.path, *src.pos(attr), severity=Severity.ERROR,
                        hint={"ICudaEngine": _ENGINE_HINT, "IBuilder": _BUILDER_HINT}.get(cls, _BUILD_SETTING_HINT),
                    )
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
