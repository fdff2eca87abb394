from __future__ import annotations

import re
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import dims, is_dynamic

GENERATED = re.compile(r"^(unk__\d+|s\d+|[A-Za-z]+_dim_\d+|.*_[0-9]+_o_.*)$")  # names the tools invent


class DynamicAxisPinned(OnnxRule):
    """A dimension declared dynamic at the inputs is pinned to a constant inside the graph, or lost at the outputs.

    ## What it does
    For models with dynamic input dimensions: finds `Reshape` and `Expand` nodes whose target shape is a
    constant that fixes a dimension which shape inference shows to be dynamic (the classic traced
    `x.view(1, -1)`, which bakes the example's batch size into the graph); outputs whose batch dimension is
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
            # Reshape: 0 copies and -1 infers; Expand: 1 keeps the input's size
            keeps = {0, -1} if node.op_type == "Reshape" else {1}
            for axis, (d, t) in enumerate(zip(data, target)):
                if isinstance(d, str) and t not in keeps and t > 0:
                    yield m.finding(
                        self, f"{m.where(node, sub)} fixes axis {axis} to {t}, but that axis is dynamic ('{d}') "
                        "upstream: other sizes fail at run time",
                        hint="use flatten(1) / view(x.size(0), -1) / reshape(-1, ...) so the shape follows the input",
                    )
                    break
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
