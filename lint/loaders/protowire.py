"""Just enough of the protobuf wire format to drop large tensor payloads from an ONNX file before parsing it.

An ONNX model is one protobuf message: parsing it copies every weight into memory. The rules need the graph,
the types and the dims, plus small constants (shape vectors), so the loader rewrites the bytes of every
``TensorProto`` in the model -- graph initializers, ``Constant`` values and other attribute tensors
(``t``/``tensors``), sparse tensors (``sparse_initializer``, ``sparse_tensor``/``sparse_tensors``), in every
subgraph (``g``/``graphs``), in model-local functions and in training info -- without their
``raw_data``/typed-data payloads above a size, and parses the rest. A tensor whose payload was dropped gets
``doc_string`` = :data:`STRIPPED_MARK`, so nothing mistakes it for a real (empty) value.

Field numbers are those of onnx.proto (checked against ``onnx.*Proto.DESCRIPTOR`` in the tests).
"""
from __future__ import annotations

import mmap
from typing import Iterator

# message kinds
MODEL, GRAPH, NODE, ATTR, TENSOR, SPARSE, FUNCTION, TRAINING = range(8)

#: For each message kind that can hold tensors: field number -> kind of the sub-message in it.
SCHEMA: dict[int, dict[int, int]] = {
    MODEL: {7: GRAPH, 20: TRAINING, 25: FUNCTION},  # graph, training_info, functions
    TRAINING: {1: GRAPH, 2: GRAPH},  # initialization, algorithm
    GRAPH: {1: NODE, 5: TENSOR, 15: SPARSE},  # node, initializer, sparse_initializer
    NODE: {5: ATTR},  # attribute
    FUNCTION: {7: NODE, 11: ATTR},  # node, attribute_proto
    ATTR: {5: TENSOR, 6: GRAPH, 10: TENSOR, 11: GRAPH, 22: SPARSE, 23: SPARSE},  # t g tensors graphs sparse_*
    SPARSE: {1: TENSOR, 2: TENSOR},  # values, indices
}
TENSOR_NAME = 8
TENSOR_DOC = 12
TENSOR_PAYLOADS = frozenset({4, 5, 6, 7, 9, 10, 11})  # float int32 string int64 raw double uint64
STRIPPED_MARK = "trtlint: payload not loaded"
MAX_DEPTH = 100  # messages nested in messages: protobuf's own parser stops at 100 too
MAX_TENSOR_FIELDS = 1_000_000  # unpacked repeated values: real exporters always pack them


class WireError(ValueError):
    pass


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise WireError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint too long")


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def fields(buf: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(field number, wire type, start of the whole field, start of the value, end of the field)."""
    pos = start
    while pos < end:
        tag_start = pos
        tag, pos = _varint(buf, pos, end)
        num, wt = tag >> 3, tag & 7
        if num == 0:
            raise WireError("field number 0")
        if wt == 0:
            _, pos2 = _varint(buf, pos, end)
            value_start = pos
        elif wt == 1:
            value_start, pos2 = pos, pos + 8
        elif wt == 2:
            length, value_start = _varint(buf, pos, end)
            pos2 = value_start + length
        elif wt == 5:
            value_start, pos2 = pos, pos + 4
        else:
            raise WireError(f"unsupported wire type {wt}")
        if pos2 > end:
            raise WireError("field runs past the end of the message (truncated file?)")
        yield num, wt, tag_start, value_start, pos2
        pos = pos2


def _strip_tensor(buf: memoryview, start: int, end: int, limit: int, names: set[str]) -> bytes | None:
    """The tensor without payload fields whose bytes (packed or not) exceed ``limit``; None if unchanged."""
    sizes: dict[int, int] = {}
    name = ""
    count = 0
    for num, wt, fstart, vstart, fend in fields(buf, start, end):
        count += 1
        if count > MAX_TENSOR_FIELDS:
            raise WireError(f"a tensor with over {MAX_TENSOR_FIELDS} unpacked fields")
        if num in TENSOR_PAYLOADS:
            sizes[num] = sizes.get(num, 0) + (fend - fstart)
        elif num == TENSOR_NAME and wt == 2:
            name = bytes(buf[vstart:fend]).decode("utf-8", "replace")
    drop = {num for num, size in sizes.items() if size > limit}
    if not drop:
        return None
    out = bytearray()
    for num, _wt, fstart, _vstart, fend in fields(buf, start, end):
        if num not in drop:
            out += buf[fstart:fend]
    mark = STRIPPED_MARK.encode()
    out += _encode_varint(TENSOR_DOC << 3 | 2) + _encode_varint(len(mark)) + mark  # last one wins
    if name:
        names.add(name)
    return bytes(out)


def _rewrite(kind: int, buf: memoryview, start: int, end: int, limit: int, names: set[str], depth: int) -> bytes | None:
    """The message's bytes with large tensor payloads dropped anywhere inside it; None if nothing changed."""
    if depth > MAX_DEPTH:
        raise WireError(f"messages nested more than {MAX_DEPTH} deep")
    if kind == TENSOR:
        return _strip_tensor(buf, start, end, limit, names)
    subs = SCHEMA[kind]
    out: bytearray | None = None
    copied = start  # bytes before this offset are already in ``out`` (or unchanged, when out is None)
    for num, wt, fstart, vstart, fend in fields(buf, start, end):
        sub = subs.get(num)
        if sub is None or wt != 2:
            continue
        body = _rewrite(sub, buf, vstart, fend, limit, names, depth + 1)
        if body is None:
            continue
        if out is None:
            out = bytearray()
        out += buf[copied:fstart]
        out += _encode_varint(num << 3 | 2) + _encode_varint(len(body)) + body
        copied = fend
    if out is None:
        return None
    out += buf[copied:end]
    return bytes(out)


def strip_weights(data: "bytes | memoryview | mmap.mmap", limit: int) -> tuple[bytes, set[str]]:
    """The model's bytes without tensor payloads larger than ``limit`` anywhere in it, and the names of the
    (named) tensors whose payload was dropped."""
    buf = memoryview(data)  # type: ignore[arg-type]
    names: set[str] = set()
    light = _rewrite(MODEL, buf, 0, len(buf), limit, names, 0)
    return (bytes(buf) if light is None else light), names
