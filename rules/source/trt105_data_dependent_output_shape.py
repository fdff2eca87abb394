from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import Kind, SourceFile

# torch call -> the ONNX operator it exports to
FUNCS = {
    "torch.nonzero": "NonZero",
    "torch.argwhere": "NonZero",
    "torch.unique": "Unique",
    "torch.unique_consecutive": "Unique",
    "torch.masked_select": "NonZero",
}
METHODS = {"nonzero": "NonZero", "unique": "Unique", "masked_select": "NonZero", "argwhere": "NonZero"}


class DataDependentOutputShape(SourceRule):
    """An operation in `forward` whose output shape depends on tensor values.

    ## What it does
    Flags `torch.nonzero`/`.nonzero()`, `torch.argwhere`, `torch.unique`, `torch.masked_select`, single-argument
    `torch.where(cond)` and boolean-mask indexing `x[x > t]` in `forward`. The severity follows `--target`: an error
    where the target TensorRT's ONNX parser cannot import the operator (`Unique` in every release, `NonZero` before
    8.5), a warning where it can. Only exported code is read: `forward` of `nn.Module` subclasses and what it calls,
    without losses, runtime wrappers, training-only branches and the eager side of tracing guards
    (docs/export-scope.md; `trtlint --show-scope` shows what counts).


    **Severity: a note unless the exported model is declared.** A reading of the source cannot establish that
    this code is ever exported: on the six real-code corpora judged at their first measurement, 66 of 145 of
    this rule's errors and warnings were hazards a deployment engineer would act on
    (`benchmarks/corpus/held_out.py`), and those an export call of the linted files reached were no more often
    right. So its findings are notes unless `[tool.trtlint] models` names a model whose code reaches them; there
    the finding is a warning, or an error where the target's parser cannot import the op. `trtlint graph` proves the hazard by running the model.

    ## Why it matters for TensorRT
    TensorRT plans memory from shapes known at build time. Data-dependent shapes need the `NonZero` layer
    (from TensorRT 8.5) and an output allocator at run time; every op downstream becomes dynamic, which
    blocks fusions and slows the engine. Where the operator is missing, the ONNX parse fails outright.

    ## Example
    ```python
    def forward(self, x):
        return x[x > 0].sum()
    ```

    ## Use instead
    Keep shapes static with masking: `torch.where(x > 0, x, 0).sum()`, or `(x * (x > 0)).sum()`; pad to a
    fixed maximum (for detections, TopK over scores with a fixed K).

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-dynamic-shapes.html
    - onnx-tensorrt docs/operators.md (NonZero, Unique rows), via compat_matrix.yaml
    """

    code = "TRT105"
    name = "data-dependent-output-shape"
    severity = Severity.WARNING
    needs_declared_export = True
    target_aware = True
    tags = ("dynamic-shapes",)
    requires_text = ("forward",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        for f in src.forward_functions():
            kinds = src.kinds(f)
            for node in src.walk_function(f):
                op, what = self._match(src, node, kinds)
                if op:
                    yield self._report(src, node, op, what)

    @staticmethod
    def _match(src: SourceFile, node: ast.AST, kinds: dict[str, Kind]) -> tuple[str, str]:
        if isinstance(node, ast.Call):
            names = src.qualnames(node.func)
            for n in names:
                if n in FUNCS:
                    return FUNCS[n], f"`{n}`"
            if "torch.where" in names and len(node.args) == 1 and not node.keywords:
                return "NonZero", "single-argument `torch.where(cond)`"
            fn = node.func
            if (
                isinstance(fn, ast.Attribute)
                and fn.attr in METHODS
                and src.kind(fn.value, kinds) == Kind.TENSOR
            ):
                return METHODS[fn.attr], f"`.{fn.attr}()`"
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)  # x[mask] = v is a masked fill (ONNX Where): static shape
            and src.kind(node.value, kinds) == Kind.TENSOR
        ):
            idx = node.slice
            if _is_mask(src, idx, kinds):
                return "NonZero", "boolean-mask indexing"
        return "", ""

    def _report(self, src: SourceFile, node: ast.AST, op: str, what: str) -> Finding:
        target = src.target
        supported = target.supports_op(op) if target is not None else None
        tv = target.trt_str if target is not None else "?"
        if supported is False:
            return self.finding(
                f"{what} exports to ONNX `{op}`, which the TensorRT {tv} ONNX parser cannot import",
                src.path, *src.pos(node), severity=Severity.ERROR,
                hint="keep the shape static: torch.where(mask, x, 0), a fixed-K TopK, or padding to a maximum",
            )
        return self.finding(
            f"{what} gives a data-dependent output shape (ONNX `{op}`): TensorRT {tv} needs an output allocator and "
            "makes everything downstream dynamic",
            src.path, *src.pos(node),
            hint="keep the shape static: torch.where(mask, x, 0), a fixed-K TopK, or padding to a maximum",
        )


def _is_mask(src: SourceFile, idx: ast.AST, kinds: dict[str, Kind]) -> bool:
    if isinstance(idx, ast.Compare) and src.kind(idx, kinds) == Kind.TENSOR:
        return not all(isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in idx.ops)
    if isinstance(idx, ast.UnaryOp) and isinstance(idx.op, ast.Invert):
        return src.kind(idx.operand, kinds) == Kind.TENSOR
    if isinstance(idx, ast.BinOp) and isinstance(idx.op, (ast.BitAnd, ast.BitOr)):
        return _is_mask(src, idx.left, kinds) or _is_mask(src, idx.right, kinds)
    if isinstance(idx, ast.Call) and isinstance(idx.func, ast.Attribute) and idx.func.attr in ("bool", "logical_not"):
        return src.kind(idx.func.value, kinds) == Kind.TENSOR
    return False
