from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import DTYPE_NAMES, data_inputs, elem_type

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# ONNX dtype -> the type_support key of compat_matrix.yaml
GATED = {16: "BFLOAT16", 17: "FLOAT8E4M3FN", 22: "INT4", 23: "FLOAT4E2M1"}
NEVER = {4: "UINT16", 5: "INT16", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 18: "FLOAT8E4M3FNUZ",
         19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 25: "UINT2", 26: "INT2", 27: "FLOAT6E2M3",
         28: "FLOAT6E3M2"}


class UnsupportedDtype(OnnxRule):
    """Tensor data types the target TensorRT cannot represent, or converts lossily.

    ## What it does
    Reports, for the `--target` release: DOUBLE tensors (cast to FLOAT with clamping: a warning); INT64
    initializers holding values outside the INT32 range on 8.x, which casts INT64 to INT32 (Slice bounds
    excepted, where clamping is the intended meaning); UINT8 anywhere but at network inputs and outputs;
    BF16 and FP8 before 9.0, INT4 before 10.0, FP4 before 10.8; and types TensorRT never supports
    (16-bit and unsigned 32/64-bit integers, complex, other FP8 variants, 2-bit integers, FP6). Per operator,
    each node's data inputs (input 0 and the inputs typed like it) are checked against the types the release's operator
    table lists for that operator (INT64 read as INT32 on 8.x, which casts it), and against the types its
    importer refuses outright in the parser source (`notInvalidType`, e.g. UINT8 into `Pad` or `Resize`). Where
    the table omits a type that the importer's own type assertion accepts (BOOL into `NonZero` on 10.x), the
    source wins and nothing is reported.
    INT64 initializers above 4 KB are not loaded (trtlint never reads weights) and so not range-checked; shape
    and index constants are small.

    ## Why it matters for TensorRT
    The parser either rejects the tensor (`Unsupported ONNX data type`) or converts it: an INT64 constant above
    2^31 clamped to INT32 changes the computation without an error. Types are also per operator: `MaxPool` has
    no INT32 or UINT8 path, `Clip` on 8.6 takes FP32, FP16 and INT8 only; the layer refuses the rest while the
    network is built from the ONNX graph.

    ## Example
    A graph constant `torch.tensor(2**40)` exported as an INT64 initializer, built with `--target trt8.6`.

    ## Use instead
    Keep integer constants within INT32 (or target TensorRT 9+), use FLOAT instead of DOUBLE in the model
    (`model.float()` before export), and convert UINT8 images to FLOAT at the input.

    ## References
    - onnx-tensorrt docs/operators.md (supported data types, per operator) of each release, via compat_matrix.yaml
    - onnx-tensorrt operator importers (`notInvalidType` calls) of each release, via compat_matrix.yaml
    - TensorRT release notes (INT64 from 9.0, INT4 from 10.0, FP4 from 10.8)
    """

    code = "TRT305"
    name = "unsupported-dtype"
    severity = Severity.ERROR
    target_aware = True
    tags = ("onnx", "dtypes")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        if m.target is None:
            return
        entry = m.target.trt_entry()
        tv = m.target.trt_str
        support = entry.get("type_support", {})
        io = {v.name for v in (*m.graph.input, *m.graph.output)}
        types: dict[str, int] = {}
        for name, t in m.value_types.items():
            if t is not None and t.HasField("tensor_type"):
                types[name] = t.tensor_type.elem_type
        for name, t in m.initializers.items():
            types[name] = t.data_type
        reported: set[int] = set()
        doubles = [n for n, dt in types.items() if dt == 11]
        if doubles:
            yield m.finding(self, f"{len(doubles)} DOUBLE tensor(s) (first: '{doubles[0]}'): TensorRT {tv} casts them to "
                            "FLOAT, clamping to +-FLT_MAX", severity=Severity.WARNING,
                            hint="call model.float() (and avoid float64 tensors) before export")
        for name, dt in sorted(types.items()):
            label = DTYPE_NAMES.get(dt, str(dt))
            if dt in NEVER and dt not in reported:
                reported.add(dt)
                yield m.finding(self, f"tensor '{name}' is {label}, which TensorRT does not support")
            elif dt in GATED and not support.get(GATED[dt], False) and dt not in reported:
                reported.add(dt)
                yield m.finding(self, f"tensor '{name}' is {label}, which TensorRT {tv} does not support yet")
            elif dt == 2 and name not in io:
                yield m.finding(self, f"tensor '{name}' is UINT8 inside the network: TensorRT supports UINT8 only "
                                "for network inputs and outputs", hint="cast to FLOAT (or INT32) right at the input")
        if entry.get("int64", {}).get("mode") == "cast-to-int32":
            yield from self._int64_range(m, tv)
        yield from self._per_operator(m, tv, entry, io)

    def _per_operator(self, m, tv: str, entry: dict, io: set[str]) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        """Each node's data-input types against its operator's row of the table and its importer's refusals."""
        table = m.target.operators()
        refused = (entry.get("parser") or {}).get("refused_input_types") or {}
        asserted = (entry.get("parser") or {}).get("asserted_input_types") or {}
        support = entry.get("type_support", {})
        cast64 = entry.get("int64", {}).get("mode") == "cast-to-int32"
        opset = m.opset or 13
        hits: dict[tuple[str, str], list[str]] = {}
        why: dict[tuple[str, str], str] = {}
        for node, sub in m.nodes():
            if node.domain not in ("", "ai.onnx"):
                continue
            info = table.get(node.op_type)
            if not info or not info.get("supported"):
                continue  # TRT303's finding
            formal, variadic = data_inputs(node.op_type, opset)
            if not formal:
                continue
            last = max(formal)
            for i, name in enumerate(node.input):
                if not name or not (i in formal or (variadic and i > last and last in formal)):
                    continue
                dt = elem_type(m, name)
                if dt is None or dt == 11 or dt in NEVER or (dt in GATED and not support.get(GATED[dt], False)):
                    continue  # unknown, or reported for the whole network above
                if dt == 2 and name not in io:
                    continue  # reported above (UINT8 inside the network)
                label = DTYPE_NAMES.get(dt, str(dt))
                refuses = refused.get(node.op_type, {}).get(str(i)) or []
                allowed = info.get("types") or []
                looked_up = "INT32" if cast64 and label == "INT64" else label
                key = (node.op_type, label)
                if label in refuses:
                    why[key] = (f"its importer refuses {label} for input {i} (parser source, "
                                f"{(entry.get('parser') or {}).get('source', '')})")
                elif allowed and looked_up not in allowed and label not in asserted.get(node.op_type, ()):
                    why.setdefault(key, f"the TensorRT {tv} operator table lists {', '.join(allowed)} for it")
                else:
                    continue
                hits.setdefault(key, []).append(m.where(node, sub))
        for (op, label), where in sorted(hits.items()):
            more = f" (and {len(where) - 1} more {op} node(s))" if len(where) > 1 else ""
            yield m.finding(self, f"{where[0]} takes {label}{more}: {why[(op, label)]}",
                            hint=f"cast to a type {op} supports on TensorRT {tv} before it, or change the dtype in "
                            "the PyTorch code")

    def _int64_range(self, m, tv: str) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        slice_bounds = {n.input[i] for n, _ in m.nodes() if n.op_type == "Slice" for i in (1, 2) if len(n.input) > i}
        for name, _ in m.graph_initializers_int64():
            if name in slice_bounds:
                continue
            value = m.constant(name)
            if value is not None and value.size and (value.max() > INT32_MAX or value.min() < INT32_MIN):
                yield m.finding(self, f"INT64 initializer '{name}' holds {int(value.max() if value.max() > INT32_MAX else value.min())}, "
                                f"outside INT32: TensorRT {tv} casts INT64 to INT32 and clamps it",
                                hint="keep integer constants within INT32, or target TensorRT 9.0+ (native INT64)")
