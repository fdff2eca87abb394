from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

STANDARD = ("", "ai.onnx")


class UnsupportedOperator(OnnxRule):
    """An operator the target TensorRT's ONNX parser cannot import, or a custom domain that needs a plugin.

    ## What it does
    Looks up every node (subgraphs included) in the `--target` release's operator table: operators marked
    unsupported or absent are errors, as are nodes of other domains (`com.microsoft`, `ai.onnx.ml`, custom
    ones) unless the model defines them as local functions. Where the exporter left
    `pkg.torch.onnx.stack_trace` metadata, the finding names the PyTorch source line.

    ## Why it matters for TensorRT
    `parser.parse()` stops at the first node it has no importer for (`No importer registered for op`), so
    the build never starts. Custom domains import only through a plugin registered with the same name.

    ## Example
    A model with `Unique` (every release), or `NonZero` on TensorRT 8.0.

    ## Use instead
    Rewrite the PyTorch code so the exporter emits supported operators (see the message), raise the target, or
    implement and register a TensorRT plugin for the operator.

    ## References
    - onnx-tensorrt docs/operators.md of each release, via compat_matrix.yaml
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/extending-custom-layers.html
    """

    code = "TRT303"
    name = "unsupported-operator"
    severity = Severity.ERROR
    target_aware = True
    tags = ("onnx", "operators")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        if m.target is None:
            return
        tv = m.target.trt_str
        functions = {(f.domain, f.name) for f in m.model.functions}
        seen: set[tuple[str, str]] = set()
        for node, sub in m.nodes():
            if (node.domain, node.op_type) in functions:
                continue
            domain = node.domain or ""
            key = (domain, node.op_type)
            if domain not in STANDARD:
                if key in seen:
                    continue
                seen.add(key)
                yield m.finding(
                    self, f"{m.where(node, sub)} is in domain '{domain}': TensorRT {tv} imports it only through a "
                    "plugin registered under that name",
                    hint="register a TensorRT plugin for it, or export without the custom op",
                )
                continue
            supported = m.target.supports_op(node.op_type)
            if supported:
                continue
            why = "marks it unsupported" if supported is False else "does not list it"
            yield m.finding(
                self, f"{m.where(node, sub)}: the TensorRT {tv} operator table {why}, so the ONNX parse fails",
                hint="rewrite the PyTorch code to avoid it, raise --target, or provide a plugin",
            )
