from __future__ import annotations

from typing import Any, Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import attr, input_index


class OperatorRestriction(OnnxRule):
    """A node breaks a restriction the target TensorRT states for its operator.

    ## What it does
    Evaluates the machine-checkable restrictions that `compat_matrix.yaml` extracted from the target
    release's operator table: attribute values (`Resize` coordinate transformation, mode and nearest mode,
    `TopK` `sorted`, `ScatterND` `reduction`, ...), inputs that must be initializers or constants (`axes` of
    `Slice`/`Squeeze`/`Unsqueeze`/`Reduce*`, ...), zero points of `QuantizeLinear`/`DequantizeLinear` that must
    be zero, `TopK`'s K below 3840, all-ones `dilations`, and unsupported extra outputs. Restrictions the
    parser source enforces but the table omits are checked too, with the source as reference: the `axes` input
    of `ReduceSum` (opset 13) and of the other `Reduce*` importers that read it must be an initializer on 8.x
    and 9.x (`reduceTensor` asserts it), which the 8.x/9.x tables do not say. Where the source accepts what a
    table leaves out (`Resize` `mode="cubic"` from 8.5 on), the source wins.

    ## Why it matters for TensorRT
    The parser checks these while importing and fails the parse with an assertion that names the node but not
    the PyTorch code; some (asymmetric zero points) are silently wrong instead.

    ## Example
    An opset 18 `Resize` with `antialias=1` (what antialiased downsampling exports to), which TensorRT 10.x does
    not support; `x.topk(5000)` exceeds TopK's K limit.

    ## Use instead
    Pick the supported variant (`F.interpolate(..., antialias=False)`), split a large TopK, quantize symmetrically, and make shape
    arguments constants in the PyTorch code.

    ## References
    - onnx-tensorrt docs/operators.md (Restrictions column) of each release, via compat_matrix.yaml
    - onnx-tensorrt `onnx2trt_utils.cpp`/`importerUtils.cpp` `reduceTensor` of each release, cited per check
    """

    code = "TRT304"
    name = "operator-restriction"
    severity = Severity.ERROR
    target_aware = True
    tags = ("onnx", "operators")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        if m.target is None:
            return
        table = m.target.operators()
        opset = m.opset or 13
        produced_by_constant = {o for n, _ in m.nodes() if n.op_type == "Constant" for o in n.output}
        for node, sub in m.nodes():
            if node.domain not in ("", "ai.onnx"):
                continue
            checks = (table.get(node.op_type) or {}).get("checks")
            if not checks:
                continue
            for check in checks:
                problem = _evaluate(m, node, check, opset, produced_by_constant)
                if problem:
                    hint = (f"enforced by the parser source, not stated in the table: {check['reference']}"
                            if check.get("reference") else
                            f"TensorRT's restriction: {table[node.op_type].get('restrictions', '')}")
                    yield m.finding(self, f"{m.where(node, sub)}: {problem} (TensorRT {m.target.trt_str})", hint=hint)


def _input(node: Any, check: dict[str, Any], opset: int) -> str | None:
    idx = input_index(node.op_type, opset, check["input"])
    if idx is None or idx >= len(node.input) or not node.input[idx]:
        return None
    return node.input[idx]


def _evaluate(m: Any, node: Any, check: dict[str, Any], opset: int, constants: set[str]) -> str:
    kind = check["check"]
    if kind == "attr_in":
        value = attr(node, check["attr"])
        if value is not None and value not in check["values"]:
            allowed = ", ".join(map(str, check["values"]))
            return f"{check['attr']}={value!r} is not supported (supported: {allowed})"
    elif kind == "attr_all_ones":
        value = attr(node, check["attr"])
        if value and any(v != 1 for v in value):
            return f"{check['attr']}={list(value)} must be empty or all ones"
    elif kind == "max_outputs":
        used = [o for o in node.output if o]
        if len(used) > check["count"]:
            return f"only the first {check['count']} output(s) are supported, the model uses {len(used)}"
    elif kind == "input_constant":
        name = _input(node, check, opset)
        if name is not None and name not in m.initializers and name not in constants:
            how = "a network input" if name in {i.name for i in m.graph.input} else "computed"
            return f"input `{check['input']}` must be an initializer or constant, but '{name}' is {how}"
    elif kind == "input_zero":
        name = _input(node, check, opset)
        if name is not None:
            value = m.constant(name)
            if value is not None and value.size and (value != 0).any():
                return f"`{check['input']}` must be zero (symmetric quantization), it is {value.ravel()[:4].tolist()}"
    elif kind == "input_max":
        name = _input(node, check, opset)
        if name is None and check["input"] == "K":  # TopK before opset 10: an attribute
            k = attr(node, "k")
            if isinstance(k, int) and k > check["max"]:  # a malformed model may give k another type
                return f"K={k} exceeds the limit ({check['max'] + 1} and above are unsupported)"
        elif name is not None:
            value = m.constant(name)
            if value is not None and value.size and int(value.max()) > check["max"]:
                return f"`{check['input']}`={int(value.max())} exceeds the limit ({check['max'] + 1} and above are unsupported)"
    return ""
