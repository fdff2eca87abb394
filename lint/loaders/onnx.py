"""Read an ONNX model's graph without its external weights, and check where those weights claim to live.

External data is never read: only the ``location``/``offset``/``length`` entries of every tensor that can hold
them (initializers, attribute tensors, sparse tensors, in subgraphs and functions) are checked against the model's
folder and the ``stat`` of the files they name. Embedded payloads above 4 KB are dropped at the wire level before
parsing (:mod:`.protowire`), wherever they sit, so shape inference and the rules see dims and types only.
"""
from __future__ import annotations

import mmap
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator

from ..compat import Target
from ..finding import Finding, Severity
from ..rules.tool.trt905_unreadable_path import UnreadablePath
from ..rules.tool.trt906_invalid_onnx import InvalidOnnx

# A single protobuf message cannot exceed 2 GiB; larger .onnx files are not valid models.
PROTOBUF_LIMIT = 2**31 - 1
SMALL_TENSOR_BYTES = 4096  # initializers kept for shape inference's data propagation (shape vectors)
STACK_TRACE_KEY = "pkg.torch.onnx.stack_trace"


#: Shape inference's data propagation materialises integer tensors; above this many declared elements in one
#: integer value it is skipped (a 78-byte model declaring a 10-million-element input cost 1.4 GB with it).
DATA_PROP_MAX_ELEMENTS = 1 << 16
# bits per element of the fixed-size ONNX data types (TensorProto.DataType), for "shorter than the tensor"
DTYPE_BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 14: 64, 15: 128,
              16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8}


@dataclass
class ExternalRef:
    """One tensor's external-data entry, as written in the model (nothing here has been opened)."""

    tensor: str  # a readable label: the tensor's name, or where an unnamed one sits
    location: str  # decoded with surrogateescape when the bytes are not UTF-8
    offset: int | None  # None when the entry is not an integer (``raw_offset`` keeps the text)
    length: int | None  # None when absent (or not an integer: see ``raw_length``)
    raw_offset: str = ""
    raw_length: str = ""
    location_utf8: bool = True
    expected_bytes: int | None = None  # from dims and data type, when both are known


@dataclass
class OnnxModel:
    """One model: its proto without external weights, the target, and lazily built indexes."""

    path: str
    display: str
    model: Any  # onnx.ModelProto
    target: Target | None
    external: list[ExternalRef] = field(default_factory=list)
    stripped: set[str] = field(default_factory=set)  # initializers whose (large) payload was not loaded
    load_findings: list[Finding] = field(default_factory=list)

    # ------------------------------------------------------------------ basics
    @property
    def graph(self) -> Any:
        return self.model.graph

    @cached_property
    def opsets(self) -> dict[str, int]:
        return {(o.domain or "ai.onnx"): o.version for o in self.model.opset_import}

    @property
    def opset(self) -> int | None:
        return self.opsets.get("ai.onnx")

    def nodes(self) -> Iterator[tuple[Any, str]]:
        """Every node, subgraphs (If/Loop/Scan bodies) included, with a readable path of where it sits."""
        yield from _walk(self.graph, "")

    @cached_property
    def initializers(self) -> dict[str, Any]:
        out = {t.name: t for t in self.graph.initializer}
        for node, _ in self.nodes():
            if node.op_type == "Constant" and node.output:
                for a in node.attribute:
                    if a.name == "value" and a.HasField("t"):
                        out[node.output[0]] = a.t
        return out

    def graph_initializers_int64(self) -> Iterator[tuple[str, Any]]:
        for name, t in self.initializers.items():
            if t.data_type == 7:
                yield name, t

    def constant(self, name: str) -> Any:
        """The value of an initializer or Constant output as a numpy array, or None (external or unknown)."""
        t = self.initializers.get(name)
        if t is None or t.data_location == 1 or name in self.stripped or is_stripped(t):  # external, or not loaded
            return None
        from onnx import numpy_helper

        try:
            return numpy_helper.to_array(t)
        except Exception:
            return None

    def where(self, node: Any, sub: str = "") -> str:
        """``node 'name' (OpType)``, plus the PyTorch source line the exporter recorded, if any."""
        label = f"node '{node.name or '?'}' ({node.op_type})"
        if sub:
            label += f" in {sub}"
        origin = self.origin(node)
        return f"{label} [from {origin}]" if origin else label

    def origin(self, node: Any) -> str:
        for p in node.metadata_props:
            if p.key == STACK_TRACE_KEY and p.value:
                return _last_user_frame(p.value)
        return ""

    def finding(self, rule: Any, message: str, *, hint: str = "", severity: Severity | None = None) -> Finding:
        return rule.finding(message, self.display, 1, 1, hint=hint, severity=severity)

    # ------------------------------------------------------------------ shapes
    @cached_property
    def inferred(self) -> tuple[Any | None, str]:
        """(model with inferred value_info, '') or (None, why strict shape inference failed)."""
        import onnx

        light = self.model  # large payloads were never loaded; external ones are dropped on a copy
        if self.external:
            light = onnx.ModelProto()
            light.CopyFrom(self.model)
            for t, _ in _all_tensors(light):
                if t.data_location == 1:
                    _strip(t)
        data_prop = _data_prop_is_cheap(light)
        try:
            return onnx.shape_inference.infer_shapes(light, check_type=True, strict_mode=True,
                                                     data_prop=data_prop), ""
        except Exception as exc:  # InferenceError, ValidationError, and protobuf errors alike
            return None, " ".join(str(exc).split())[:300]

    @cached_property
    def value_types(self) -> dict[str, Any]:
        """TypeProto of every named value known after inference (inputs, outputs, value_info)."""
        model = self.inferred[0] or self.model
        g = model.graph
        out = {v.name: v.type for v in (*g.input, *g.output, *g.value_info)}
        for t in g.initializer:
            out.setdefault(t.name, None)
        return out


def is_stripped(t: Any) -> bool:
    """Whether the loader dropped this tensor's payload (it keeps dims and type only)."""
    from .protowire import STRIPPED_MARK

    return bool(t.doc_string == STRIPPED_MARK)


def _data_prop_is_cheap(model: Any) -> bool:
    """Whether shape inference may propagate values: not when any integer value (the kind data propagation
    materialises) declares or infers more than DATA_PROP_MAX_ELEMENTS elements. A first pass without data
    propagation, not strict, gives the inferred types cheaply."""
    import onnx

    try:
        typed = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=False)
    except Exception:
        typed = model

    def values(g: Any) -> Iterator[Any]:
        yield from (*g.input, *g.output, *g.value_info)
        for node in g.node:
            for a in node.attribute:
                if a.HasField("g"):
                    yield from values(a.g)
                for sub in a.graphs:
                    yield from values(sub)

    for v in values(typed.graph):
        tt = v.type.tensor_type
        if not v.type.HasField("tensor_type") or tt.elem_type not in (6, 7, 12, 13) or not tt.HasField("shape"):
            continue
        n = 1
        for d in tt.shape.dim:
            if d.HasField("dim_value"):
                n *= max(d.dim_value, 0)
        if n > DATA_PROP_MAX_ELEMENTS:
            return False
    return True


def _all_tensors(model: Any) -> Iterator[tuple[Any, str]]:
    """Every TensorProto in the model with a readable label: initializers, sparse initializers, attribute
    tensors (``t``, ``tensors``, ``sparse_tensor(s)``), in every subgraph, function and training graph."""

    def label(t: Any, where: str) -> str:
        return _text(t.name)[0] or where

    def sparse(st: Any, where: str) -> Iterator[tuple[Any, str]]:
        name = _text(st.values.name)[0] or where
        yield st.values, name
        yield st.indices, f"{name} (indices)"

    def attrs(attributes: Any, owner: str, prefix: str) -> Iterator[tuple[Any, str]]:
        for a in attributes:
            where = f"{prefix}{owner} attribute '{a.name}'"
            if a.HasField("t"):
                yield a.t, label(a.t, where)
            for i, t in enumerate(a.tensors):
                yield t, label(t, f"{where}[{i}]")
            if a.HasField("sparse_tensor"):
                yield from sparse(a.sparse_tensor, where)
            for i, st in enumerate(a.sparse_tensors):
                yield from sparse(st, f"{where}[{i}]")
            if a.HasField("g"):
                yield from graph(a.g, f"{prefix}{owner}.{a.name}/")
            for i, g in enumerate(a.graphs):
                yield from graph(g, f"{prefix}{owner}.{a.name}[{i}]/")

    def graph(g: Any, prefix: str) -> Iterator[tuple[Any, str]]:
        for i, t in enumerate(g.initializer):
            yield t, label(t, f"{prefix}initializer[{i}]")
        for i, st in enumerate(g.sparse_initializer):
            yield from sparse(st, f"{prefix}sparse_initializer[{i}]")
        for node in g.node:
            yield from attrs(node.attribute, f"node '{node.name or node.op_type}'", prefix)

    yield from graph(model.graph, "")
    for f in model.functions:
        prefix = f"function '{f.domain}.{f.name}'/"
        yield from attrs(f.attribute_proto, "function", prefix)
        for node in f.node:
            yield from attrs(node.attribute, f"node '{node.name or node.op_type}'", prefix)
    for i, info in enumerate(model.training_info):
        yield from graph(info.initialization, f"training_info[{i}].initialization/")
        yield from graph(info.algorithm, f"training_info[{i}].algorithm/")


def _strip(t: Any) -> None:
    """Drop a tensor's payload but keep its dims and type (shape inference needs no weights)."""
    t.ClearField("raw_data")
    for f in ("float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data"):
        t.ClearField(f)
    t.ClearField("external_data")
    t.data_location = 0


def _walk(graph: Any, prefix: str) -> Iterator[tuple[Any, str]]:
    for node in graph.node:
        yield node, prefix
        for a in node.attribute:
            if a.type == 5 and a.HasField("g"):  # GRAPH
                yield from _walk(a.g, f"{prefix}{node.name or node.op_type}.{a.name}/")
            elif a.type == 10:  # GRAPHS
                for i, g in enumerate(a.graphs):
                    yield from _walk(g, f"{prefix}{node.name or node.op_type}.{a.name}[{i}]/")


def _last_user_frame(trace: str) -> str:
    """The innermost frame of model code (not torch's own files), as ``pkg/file.py:line``."""
    import re

    frames = re.findall(r'File "([^"]+)", line (\d+)', trace)
    model_frames = [f for f in frames if not re.search(r"[/\\]torch[/\\]", f[0])] or frames
    if not model_frames:
        return ""
    path, line = model_frames[-1]
    marker = "site-packages/"
    if marker in path.replace("\\", "/"):
        shown = path.replace("\\", "/").split(marker, 1)[1]
    else:
        rel = os.path.relpath(path) if os.path.isabs(path) else path
        shown = rel if not rel.startswith("..") else os.path.basename(path)
    return f"{shown}:{line}"


def load_onnx(path: str, display: str, target: Target | None) -> OnnxModel | Finding:
    from .source import open_regular

    fd = open_regular(path, display)  # non-blocking, regular files only: a named pipe cannot hang the run
    if isinstance(fd, Finding):
        return fd
    try:
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                return InvalidOnnx.at(display, "the file is empty (0 bytes): not an ONNX model")
            if size > PROTOBUF_LIMIT:
                return InvalidOnnx.at(display, f"the file is {size / 2**30:.1f} GiB; a protobuf model cannot exceed "
                                      "2 GiB", hint="save large models with external data "
                                      "(onnx.save(..., save_as_external_data=True))")
            head = fh.read(64)
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        return UnreadablePath.at(display, f"cannot read {display}: {getattr(exc, 'strerror', None) or exc}")
    if head.startswith(b"version https://git-lfs"):
        mapped.close()
        return InvalidOnnx.at(display, "this is a Git LFS pointer, not the model", hint="git lfs pull")
    import onnx
    from google.protobuf.message import DecodeError

    from .protowire import WireError, strip_weights

    model = onnx.ModelProto()
    try:
        light, stripped = strip_weights(mapped, SMALL_TENSOR_BYTES)  # large weights are never copied
        model.ParseFromString(light)
    except (WireError, DecodeError, RuntimeError, ValueError, IndexError, RecursionError) as exc:
        return InvalidOnnx.at(display, f"not a valid ONNX model (truncated or corrupt): {exc}",
                              hint="re-export the model or download it again")
    finally:
        try:
            mapped.close()
        except BufferError:  # a view still held by a traceback: the map goes with it
            pass
    if not model.HasField("graph") or (not model.graph.node and not model.graph.output):
        return InvalidOnnx.at(display, "decodes as protobuf but holds no ONNX graph (wrong file, or truncated)")
    if not model.opset_import and model.ir_version == 0:
        return InvalidOnnx.at(display, "no IR version and no opset: not an ONNX model")
    external = list(_external_refs(model))  # before the names are made text: it reports bytes that are not UTF-8
    _strings_as_text(model)
    loaded = OnnxModel(path=path, display=display, model=model, target=target, stripped=stripped)
    loaded.external = external
    return loaded


def _repeated(fd: Any) -> bool:
    flag = getattr(fd, "is_repeated", None)  # protobuf >= 5.29; ``label`` is gone in 7
    return bool(flag) if flag is not None else fd.label == fd.LABEL_REPEATED


def _strings_as_text(msg: Any) -> None:
    """ONNX strings are proto2 ``string``s: protobuf parses bytes that are not UTF-8 and hands them back as
    ``bytes``, which no rule expects (found by fuzz/fuzz_onnx.py). Such values become text with the bad bytes
    as ``\\xNN`` escapes, everywhere in the model."""
    for fd, value in msg.ListFields():
        if fd.type == fd.TYPE_STRING:
            if _repeated(fd):
                if any(isinstance(v, bytes) for v in value):
                    fixed = [_text(v)[0].encode("utf-8", "backslashreplace").decode("utf-8") for v in value]
                    del value[:]
                    value.extend(fixed)
            elif isinstance(value, bytes):
                setattr(msg, fd.name, value.decode("utf-8", "backslashreplace"))
        elif fd.type == fd.TYPE_MESSAGE:
            if _repeated(fd):
                for item in value:
                    _strings_as_text(item)
            else:
                _strings_as_text(value)


def _text(value: Any) -> tuple[str, bool]:
    """A protobuf string field as text; proto2 strings that are not UTF-8 arrive as bytes."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), True
        except UnicodeDecodeError:
            return value.decode("utf-8", "surrogateescape"), False
    return str(value), True


def _int(text: str) -> int | None:
    try:
        return int(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _external_refs(model: Any) -> Iterator[ExternalRef]:
    for t, where in _all_tensors(model):
        if t.data_location != 1:
            continue
        info: dict[str, str] = {}
        utf8 = True
        for e in t.external_data:
            key, _ = _text(e.key)
            value, ok = _text(e.value)
            info[key] = value
            if key == "location":
                utf8 = ok
        raw_offset, raw_length = info.get("offset", ""), info.get("length", "")
        expected = None
        bits = DTYPE_BITS.get(t.data_type)
        if bits is not None:
            n = 1
            for d in t.dims:
                n *= d
            expected = (max(n, 0) * bits + 7) // 8
        yield ExternalRef(tensor=where, location=info.get("location", ""),
                          offset=_int(raw_offset) if raw_offset else 0, length=_int(raw_length),
                          raw_offset=raw_offset, raw_length=raw_length, location_utf8=utf8, expected_bytes=expected)
