from __future__ import annotations

from typing import Iterator

from trtlint.compat import vstr
from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._export import export_calls, literal


class ExportOpsetOutOfRange(SourceRule):
    """`torch.onnx.export` asks for an opset the target TensorRT (or torch) cannot handle.

    ## What it does
    Compares a literal `opset_version` with the opset range of the `--target` TensorRT's ONNX parser (from
    `compat_matrix.yaml`) and, when the target names torch, with the range that torch release exports. With a
    target torch and no `opset_version`, it checks that torch's default opset instead (a warning).

    ## Why it matters for TensorRT
    The ONNX parser refuses a model whose default-domain opset is above the range it was built for
    (TensorRT 8.6 reads up to opset 17, 10.0/10.1 up to 20), and the export itself fails for an opset the torch
    release does not know. Torch 2.9 and later export opset 18-20 by default, beyond TensorRT 8.x.

    ## Example
    ```python
    # --target trt8.6
    torch.onnx.export(model, x, "m.onnx", opset_version=20)
    ```

    ## Use instead
    ```python
    torch.onnx.export(model, x, "m.onnx", opset_version=17)
    ```

    ## References
    - onnx-tensorrt docs/operators.md of each TensorRT release (opset range), via compat_matrix.yaml
    - torch/onnx/_constants.py of each torch release, via compat_matrix.yaml
    """

    code = "TRT108"
    name = "export-opset-out-of-range"
    severity = Severity.ERROR
    target_aware = True
    tags = ("export", "compatibility")
    requires_text = ("onnx",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        target = src.target
        if target is None:
            return
        lo, hi = target.opset_range()
        tentry = target.torch_entry()
        for ec in export_calls(src):
            node = ec.kw("opset_version")
            opset = literal(ec, node)
            dynamo = literal(ec, ec.kw("dynamo"))
            if isinstance(opset, int) and node is not None:
                pos = src.pos(node)
                if not lo <= opset <= hi:
                    yield self.finding(
                        f"opset {opset} is outside what the TensorRT {target.trt_str} ONNX parser reads ({lo}-{hi})",
                        src.path, *pos, hint=f"export with opset_version={min(max(opset, lo), hi)}",
                    )
                if tentry and tentry.get("opset_max") and opset > int(tentry["opset_max"]):
                    yield self.finding(
                        f"torch {vstr(target.torch or ())} exports opsets up to {tentry['opset_max']}, not {opset}",
                        src.path, *pos, hint=f"use opset_version <= {tentry['opset_max']} or a newer torch",
                    )
            elif node is None and tentry:
                use_dynamo = dynamo is True or (dynamo is not False and tentry.get("dynamo_default"))
                default = tentry.get("dynamo_opset") if use_dynamo else tentry.get("opset_default")
                if isinstance(default, int) and not lo <= default <= hi:
                    exporter = "dynamo" if use_dynamo else "TorchScript"
                    yield self.finding(
                        f"no `opset_version`: torch {vstr(target.torch or ())}'s {exporter} exporter defaults to "
                        f"opset {default}, outside TensorRT {target.trt_str}'s {lo}-{hi}",
                        src.path, *src.pos(ec.call.func), severity=Severity.WARNING,
                        hint=f"pass opset_version={hi} explicitly",
                    )
