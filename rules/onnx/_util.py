"""Helpers shared by the ONNX rules."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

DTYPE_NAMES = {
    1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING", 9: "BOOL",
    10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
    17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4",
    23: "FLOAT4E2M1",
}


def attr(node: Any, name: str) -> Any:
    """An attribute's Python value (strings decoded), or None if absent."""
    from onnx import helper

    for a in node.attribute:
        if a.name == name:
            v = helper.get_attribute_value(a)
            if isinstance(v, bytes):
                return v.decode("utf-8", "replace")
            if isinstance(v, list) and v and isinstance(v[0], bytes):
                return [x.decode("utf-8", "replace") for x in v]
            return v
    return None


@lru_cache(maxsize=None)
def input_index(op_type: str, opset: int, name: str) -> int | None:
    """Position of a named formal input of an operator at an opset (None where it is an attribute there)."""
    import onnx.defs

    try:
        schema = onnx.defs.get_schema(op_type, opset, "")
    except Exception:
        return None
    for i, formal in enumerate(schema.inputs):
        if formal.name == name:
            return i
    return None


def dims(type_proto: Any) -> list[int | str | None] | None:
    """Shape of a tensor type as ints (static), strings (dim_param) or None (unknown); None for unknown rank."""
    if type_proto is None or not type_proto.HasField("tensor_type"):
        return None
    tt = type_proto.tensor_type
    if not tt.HasField("shape"):
        return None
    out: list[int | str | None] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            out.append(d.dim_value)
        elif d.HasField("dim_param"):
            out.append(d.dim_param)
        else:
            out.append(None)
    return out


def is_dynamic(d: int | str | None) -> bool:
    return not isinstance(d, int) or d <= 0
