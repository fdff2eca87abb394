"""Helpers shared by the ONNX rules."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

DTYPE_NAMES = {
    1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING", 9: "BOOL",
    10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
    17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4",
    23: "FLOAT4E2M1", 24: "FLOAT8E8M0", 25: "UINT2", 26: "INT2", 27: "FLOAT6E2M3", 28: "FLOAT6E3M2",
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


@lru_cache(maxsize=None)
def data_inputs(op_type: str, opset: int) -> tuple[tuple[int, ...], bool]:
    """Positions of the formal inputs typed like input 0 (the tensor the operator table's types describe), and
    whether the last formal input is variadic (so every extra actual input is typed like it)."""
    import onnx.defs

    try:
        schema = onnx.defs.get_schema(op_type, opset, "")
    except Exception:
        return (), False
    if not schema.inputs:
        return (), False
    first = schema.inputs[0].type_str
    allowed = {c.type_param_str: set(c.allowed_type_strs) for c in schema.type_constraints}.get(first, {first})
    if allowed <= {"tensor(int64)", "tensor(int32)"} or allowed == {"tensor(bool)"}:
        return (), False  # a shape or condition input (ConstantOfShape, Where, ...): the table describes the data
    same = tuple(i for i, f in enumerate(schema.inputs) if f.type_str == first)
    variadic = schema.inputs[-1].option == onnx.defs.OpSchema.FormalParameterOption.Variadic
    return same, variadic


def elem_type(m: Any, name: str) -> int | None:
    """The element type of a value: from its initializer, else from shape inference."""
    t = m.initializers.get(name)
    if t is not None:
        return int(t.data_type)
    tp = m.value_types.get(name)
    if tp is not None and tp.HasField("tensor_type") and tp.tensor_type.elem_type:
        return int(tp.tensor_type.elem_type)
    return None
