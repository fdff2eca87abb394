from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import Kind, SourceFile

FACTORIES = frozenset(
    f"torch.{n}"
    for n in ("zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye", "rand", "randn",
              "randint", "tensor", "as_tensor")
)
AS_TENSOR = frozenset({"torch.as_tensor"})


def _cuda_literal(src: SourceFile, node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value == "cuda" or node.value.startswith("cuda:")
    if isinstance(node, ast.Call) and "torch.device" in src.qualnames(node.func) and node.args:
        return _cuda_literal(src, node.args[0])
    return False


class HardCodedDevice(SourceRule):
    """A device written into `forward`: `.cuda()`, `.to("cuda")`, `device="cuda:0"`, or a new tensor with no device.

    ## What it does
    In `forward` and what it calls, flags `.cuda()`, `.to("cuda")`/`.to(torch.device("cuda:0"))`, `device="cuda..."`
    literals (warnings), and, as notes, tensors created by `torch.zeros`/`ones`/`arange`/ `full`/`tensor`/...
    without a `device=` argument, which land on the CPU whatever device the inputs are on (`torch.as_tensor(t)` of a
    tensor keeps that tensor's device and is not reported). Only exported code is
    read: `forward` of `nn.Module` subclasses and what it calls, without losses, runtime wrappers, training-only
    branches and the eager side of tracing guards (docs/export-scope.md; `trtlint --show-scope` shows what counts).


    **Severity: a note unless the exported model is declared.** A reading of the source cannot establish that
    this code is ever exported: on the six real-code corpora judged at their first measurement, 21 of 45 of
    this rule's errors and warnings were hazards a deployment engineer would act on
    (`benchmarks/corpus/held_out.py`), and those an export call of the linted files reached were no more often
    right. So its findings are notes unless `[tool.trtlint] models` names a model whose code reaches them; there
    the finding is a warning. `trtlint graph` proves the hazard by running the model.

    ## Why it matters for TensorRT
    Traced and scripted graphs record the device: a TorchScript module traced on `cuda:0` fails or copies on
    another device, and a CPU-created constant forces a device copy (or a device-mismatch error) at run time.
    The ONNX path drops devices, but the mismatch breaks the PyTorch reference run that verifies the engine.

    ## Example
    ```python
    def forward(self, x):
        pos = torch.arange(x.size(1)).cuda()
        return x + pos
    ```

    ## Use instead
    Follow the input's device: `torch.arange(x.size(1), device=x.device)`; move the model once, outside forward.

    ## References
    - https://pytorch.org/docs/stable/notes/cuda.html#device-agnostic-code
    """

    code = "TRT104"
    name = "hard-coded-device"
    severity = Severity.WARNING
    needs_declared_export = True
    tags = ("portability",)
    requires_text = ("forward",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        hint = "use the input's device: `device=x.device` or `.to(x.device)`; move the model once, outside forward"
        for f in src.forward_functions():
            kinds = src.kinds(f)
            for node in src.walk_function(f):
                if not isinstance(node, ast.Call):
                    continue
                fn = node.func
                if isinstance(fn, ast.Attribute) and fn.attr == "cuda" and not any(
                    q.startswith("torch.") for q in src.qualnames(fn)
                ):
                    yield self.finding("`.cuda()` in forward pins the tensor to the current CUDA device",
                                       src.path, *src.pos(node), hint=hint)
                    continue
                if isinstance(fn, ast.Attribute) and fn.attr == "to" and node.args and _cuda_literal(src, node.args[0]):
                    yield self.finding(f"`.to({src.segment(node.args[0])})` in forward hard-codes the device",
                                       src.path, *src.pos(node), hint=hint)
                    continue
                dev = next((k.value for k in node.keywords if k.arg == "device"), None)
                if dev is not None and _cuda_literal(src, dev):
                    yield self.finding(f"`device={src.segment(dev)}` in forward hard-codes the device",
                                       src.path, *src.pos(dev), hint=hint)
                elif dev is None and src.call_matches(node, FACTORIES) and not _is_scalar_constant(node) \
                        and not (src.call_matches(node, AS_TENSOR) and node.args
                                 and src.kind(node.args[0], kinds) == Kind.TENSOR):
                    # (``torch.as_tensor(t)`` of a tensor keeps the tensor's device)
                    yield self.finding(
                        f"`{src.segment(node.func)}(...)` in forward has no `device=`: the tensor is created on the CPU",
                        src.path, *src.pos(node), severity=Severity.NOTE, hint=hint,
                    )


def _is_scalar_constant(call: ast.Call) -> bool:
    """``torch.tensor(2.0)``: a scalar constant is folded by every exporter; nothing to move."""
    return len(call.args) == 1 and isinstance(call.args[0], ast.Constant)
