from __future__ import annotations

import re
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import dims, is_dynamic

GENERATED = re.compile(r"^(unk__\d+|s\d+|[A-Za-z]+_dim_\d+|.*_[0-9]+_o_.*)$")  # names the tools invent


Factor = tuple[int, tuple[str, ...]]  # a dimension as coefficient x symbols: '10*batch' -> (10, ('batch',))


def _factor(d: int | str | None) -> Factor | None:
    if isinstance(d, int):
        return (d, ()) if d > 0 else None
    if not d:
        return None
    coef, syms = 1, []
    for part in d.replace(" ", "").split("*"):
        if part.isdigit():
            coef *= int(part)
        elif part.isidentifier():
            syms.append(part)
        else:
            return (1, (d,))  # an expression we do not read: one opaque symbol
    return coef, tuple(sorted(syms))


def _expand_pin(data: list, target: list[int]) -> tuple[int, str, int] | None:
    """Expand aligns from the right and keeps an input's size where the target says 1."""
    for axis, (d, t) in enumerate(zip(reversed(data), reversed(target))):
        if isinstance(d, str) and t != 1 and t > 0:
            return len(data) - 1 - axis, d, t
    return None


def _reshape_pin(data: list, target: list[int]) -> tuple[int, str, int] | None:
    """Where a constant Reshape target pins a dynamic input dimension, as (axis, dim, value); None if it follows it.

    Without a -1 the output is static (0 copies the input's size): a dynamic dimension not copied is pinned, and
    the Reshape itself fails at any other size. With a -1 the volume is kept at every size, so the Reshape alone
    never fails; positions may shift as static dimensions merge or split (attention heads: [L, batch, h, d] to
    [-1, h*d], then back to [L, -1, h*d]), which is fine. What is not fine is the traced `x.view(1, -1)`: a
    dynamic axis 0 given a static size, with the dynamic size folded into another axis beside static ones
    (features) instead of being split off exactly.
    """
    copied = {i for i, t in enumerate(target) if t == 0}
    if -1 not in target:
        for axis, d in enumerate(data):
            if isinstance(d, str) and axis not in copied and axis < len(target) and target[axis] > 0:
                return axis, d, target[axis]
        return None
    if not data or not isinstance(data[0], str) or 0 in copied or target[0] <= 0:
        return None
    first, factors = _factor(data[0]), [_factor(d) for d in data]
    if first is None or not first[1] or any(f is None for f in factors):
        return None
    coef = 1
    syms: list[str] = []
    for f in factors:
        coef *= f[0]  # type: ignore[index]
        syms += f[1]  # type: ignore[index]
    known = 1
    for i, t in enumerate(target):
        if t == 0:
            c, s_ = factors[i]  # type: ignore[misc]
            known *= c
            for x in s_:
                syms.remove(x)
        elif t > 0:
            known *= t
    if coef % known:
        return None  # not a volume shape inference agrees with: leave it to TRT307
    rest = coef // known  # the -1 dimension is rest x the remaining symbols
    if set(first[1]) <= set(syms) and first[0] % target[0] == 0 and rest == first[0] // target[0]:
        return None  # axis 0 split exactly: (10*batch) -> (10, batch)
    return 0, data[0], target[0]


class DynamicAxisPinned(OnnxRule):
    """A dimension declared dynamic at the inputs is pinned to a constant inside the graph, or lost at the outputs.

    ## What it does
    For models with dynamic input dimensions: finds `Reshape` and `Expand` nodes whose target shape is a
    constant that fixes a dimension which shape inference shows to be dynamic (the classic traced
    `x.view(1, -1)`, which bakes the example's batch size into the graph). A Reshape target with a -1 keeps the
    volume at every size, so it counts only when it gives a dynamic axis 0 a static size and folds the batch into
    another axis (not when static dimensions merge or split around it, as in attention heads); Expand aligns from
    the right and keeps sizes where the target says 1. Also outputs whose batch dimension is
    static while an input's is dynamic; and dynamic output dimensions named with a `dim_param` no input uses.

    ## Why it matters for TensorRT
    TensorRT builds with an optimization profile over the dynamic range, then fails at the first batch size
    other than the traced one (`reshape changes volume`), or, for an Expand, silently broadcasts to the wrong
    size. A static output batch under a dynamic input is the symptom of such a pin somewhere upstream.

    ## Example
    ```python
    def forward(self, x):
        return self.fc(x.view(1, -1))  # traced with batch 1
    ```

    ## Use instead
    `x.flatten(1)` or `x.view(x.size(0), -1)` (or `reshape(-1, features)`), which export as shape-derived
    Reshape targets.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-dynamic-shapes.html
    - https://pytorch.org/docs/stable/onnx_torchscript.html#avoiding-pitfalls
    """

    code = "TRT306"
    name = "dynamic-axis-pinned"
    severity = Severity.ERROR
    tags = ("onnx", "dynamic-shapes")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        init = set(m.initializers)
        inputs = [v for v in m.graph.input if v.name not in init]
        in_dims = {v.name: dims(v.type) or [] for v in inputs}
        if not any(is_dynamic(d) for ds in in_dims.values() for d in ds):
            return
        types = m.value_types
        for node, sub in m.nodes():
            if node.op_type not in ("Reshape", "Expand") or len(node.input) < 2:
                continue
            shape = m.constant(node.input[1])
            data = dims(types.get(node.input[0]))
            if shape is None or data is None or node.input[0] in init:
                continue
            target = [int(v) for v in shape.ravel().tolist()]
            pinned = (_reshape_pin(data, target) if node.op_type == "Reshape" else _expand_pin(data, target))
            if pinned is not None:
                axis, d, t = pinned
                yield m.finding(
                    self, f"{m.where(node, sub)} fixes axis {axis} to {t}, but that axis is dynamic ('{d}') "
                    "upstream: other sizes fail at run time",
                    hint="use flatten(1) / view(x.size(0), -1) / reshape(-1, ...) so the shape follows the input",
                )
        batch_dynamic = [n for n, ds in in_dims.items() if ds and is_dynamic(ds[0])]
        in_params = {d for ds in in_dims.values() for d in ds if isinstance(d, str)}
        for out in m.graph.output:
            ds = dims(out.type)
            if not ds:
                continue
            if batch_dynamic and isinstance(ds[0], int) and ds[0] > 0:
                yield m.finding(
                    self, f"output '{out.name}' has a static batch ({ds[0]}) while input '{batch_dynamic[0]}' has a "
                    "dynamic one", severity=Severity.WARNING,
                    hint="export with the output in dynamic_axes too, and look for a pinned reshape upstream",
                )
            for d in ds:
                if isinstance(d, str) and in_params and d not in in_params and not GENERATED.match(d):
                    yield m.finding(self, f"output '{out.name}' uses dim_param '{d}', which no input declares",
                                    severity=Severity.NOTE,
                                    hint="name the output's dynamic axes like the inputs' (e.g. both 'batch')")
                    break
