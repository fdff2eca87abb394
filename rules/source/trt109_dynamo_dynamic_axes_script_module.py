from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._export import export_calls, is_script_module, literal
from ._helpers import call_arg


class DynamoDynamicAxesScriptModule(SourceRule):
    """A traced or scripted module exported with `dynamic_axes` through the dynamo exporter (torch >= 2.9 default).

    ## What it does
    Finds `torch.onnx.export` calls that pass `dynamic_axes` and a `torch.jit.trace`/`torch.jit.script`/
    `torch.jit.load` result as the model while the dynamo exporter is in use: `dynamo=True`, or no `dynamo`
    argument with a `--target` torch of 2.9 or later (a warning when the target names no torch).

    ## Why it matters for TensorRT
    From torch 2.9, `torch.onnx.export` defaults to `dynamo=True`, which translates `dynamic_axes` into
    `torch.export` dynamic shapes. A `ScriptModule` has no Python `forward` signature to map them onto, and the
    export stops with "Failed to convert 'dynamic_axes' to 'dynamic_shapes'". Export scripts written for older
    torch break on upgrade.

    ## Example
    ```python
    traced = torch.jit.trace(model.eval(), x)
    torch.onnx.export(traced, x, "m.onnx", input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    ```

    ## Use instead
    Export the `nn.Module` itself with `dynamic_shapes`, or keep the TorchScript exporter explicitly:
    ```python
    torch.onnx.export(traced, x, "m.onnx", input_names=["x"], dynamic_axes={"x": {0: "batch"}}, dynamo=False)
    ```

    ## References
    - https://pytorch.org/docs/stable/onnx_export.html (dynamo=True default from 2.9; dynamic_shapes)
    - torch/onnx/__init__.py of torch 2.9 (export(dynamo=True)), via compat_matrix.yaml
    """

    code = "TRT109"
    name = "dynamo-dynamic-axes-script-module"
    severity = Severity.ERROR
    target_aware = True
    tags = ("export", "torch-version")
    requires_text = ("dynamic_axes",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        target = src.target
        tentry = target.torch_entry() if target is not None else None
        for ec in export_calls(src):
            if ec.kw("dynamic_axes") is None:
                continue
            model = call_arg(ec.call, 0, "model")
            if not is_script_module(src, ec.call, model):
                continue
            dynamo = literal(ec, ec.kw("dynamo"))
            if dynamo is False:
                continue
            if dynamo is True:
                why, severity = "`dynamo=True`", None
            elif tentry is not None:
                if not tentry.get("dynamo_default"):
                    continue
                why, severity = f"torch {tentry['version']} defaults to `dynamo=True`", None
            else:
                why, severity = "torch 2.9 and later default to `dynamo=True`", Severity.WARNING
            yield self.finding(
                f"exporting a TorchScript module with `dynamic_axes` fails under the dynamo exporter ({why}): "
                "\"Failed to convert 'dynamic_axes' to 'dynamic_shapes'\"",
                src.path, *src.pos(ec.call.func), severity=severity,
                hint="export the nn.Module with dynamic_shapes=..., or pass dynamo=False to keep the TorchScript exporter",
            )
