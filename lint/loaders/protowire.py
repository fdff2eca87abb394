"""Just enough of the protobuf wire format to drop large tensor payloads from an ONNX file before parsing it.

An ONNX model is one protobuf message: parsing it copies every weight into memory. The rules need the graph,
the types and the dims, plus small constants (shape vectors), so the loader rewrites the bytes of
``ModelProto.graph.initializer[*]`` without their ``raw_data``/typed-data payloads above a size, and parses
the rest. Field numbers are those of onnx.proto3 (ModelProto.graph = 7, GraphProto.initializer = 5,
TensorProto.raw_data = 9, float/int32/string/int64/double/uint64 data = 4/5/6/7/10/11, name = 8).
"""
from __future__ import annotations

import mmap

MODEL_GRAPH = 7
GRAPH_INITIALIZER = 5
TENSOR_NAME = 8
TENSOR_PAYLOADS = frozenset({4, 5, 6, 7, 9, 10, 11})


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


def fields(buf: memoryview, start: int, end: int):
    """(field number, wire type, start of the whole field, start of the value, end of the field)."""
    pos = start
    while pos < end:
        tag_start = pos
        tag, pos = _varint(buf, pos, end)
        num, wt = tag >> 3, tag & 7
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


def _strip_tensor(buf: memoryview, start: int, end: int, limit: int) -> tuple[bytes, str, bool]:
    out = bytearray()
    name, stripped = "", False
    for num, wt, fstart, vstart, fend in fields(buf, start, end):
        if num == TENSOR_NAME and wt == 2:
            name = bytes(buf[vstart:fend]).decode("utf-8", "replace")
        if num in TENSOR_PAYLOADS and wt == 2 and fend - vstart > limit:
            stripped = True
            continue
        out += buf[fstart:fend]
    return bytes(out), name, stripped


def _strip_graph(buf: memoryview, start: int, end: int, limit: int, names: set[str]) -> bytes:
    out = bytearray()
    for num, wt, fstart, vstart, fend in fields(buf, start, end):
        if num == GRAPH_INITIALIZER and wt == 2:
            body, name, stripped = _strip_tensor(buf, vstart, fend, limit)
            if stripped:
                names.add(name)
                out += buf[fstart:vstart - _varint_len(fend - vstart)]
                out += _encode_varint(len(body)) + body
                continue
        out += buf[fstart:fend]
    return bytes(out)


def _varint_len(n: int) -> int:
    return len(_encode_varint(n))


def strip_weights(data: "bytes | memoryview | mmap.mmap", limit: int) -> tuple[bytes, set[str]]:
    """The model's bytes without initializer payloads larger than ``limit``, and the names of those initializers."""
    buf = memoryview(data)
    out = bytearray()
    names: set[str] = set()
    for num, wt, fstart, vstart, fend in fields(buf, 0, len(buf)):
        if num == MODEL_GRAPH and wt == 2:
            graph = _strip_graph(buf, vstart, fend, limit, names)
            out += buf[fstart:vstart - _varint_len(fend - vstart)]
            out += _encode_varint(len(graph)) + graph
        else:
            out += buf[fstart:fend]
    return bytes(out), names
