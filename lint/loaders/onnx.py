"""Read an ONNX model's graph without its external weights, and check where those weights claim to live.

External data is never read: only the ``location``/``offset``/``length`` entries are checked against the model's
folder and the sizes of the files they name. Embedded weights are parsed with the graph (protobuf has no lazy
fields), but shape inference runs on a copy whose large initializers are stripped to their dims.
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


@dataclass
class ExternalRef:
    tensor: str
    location: str
    offset: int
    length: int | None


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
        if t is None or t.data_location == 1 or name in self.stripped:  # external, or payload not loaded
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
            for t in light.graph.initializer:
                if t.data_location == 1:
                    _strip(t)
        try:
            return onnx.shape_inference.infer_shapes(light, check_type=True, strict_mode=True, data_prop=True), ""
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
    try:
        size = os.path.getsize(path)
        if size == 0:
            return InvalidOnnx.at(display, "the file is empty (0 bytes): not an ONNX model")
        if size > PROTOBUF_LIMIT:
            return InvalidOnnx.at(display, f"the file is {size / 2**30:.1f} GiB; a protobuf model cannot exceed 2 GiB",
                                  hint="save large models with external data (onnx.save(..., save_as_external_data=True))")
        with open(path, "rb") as fh:
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
    except (WireError, DecodeError, RuntimeError, ValueError, IndexError) as exc:
        return InvalidOnnx.at(display, f"not a valid ONNX model (truncated or corrupt): {exc}",
                              hint="re-export the model or download it again")
    finally:
        mapped.close()
    if not model.HasField("graph") or (not model.graph.node and not model.graph.output):
        return InvalidOnnx.at(display, "decodes as protobuf but holds no ONNX graph (wrong file, or truncated)")
    if not model.opset_import and model.ir_version == 0:
        return InvalidOnnx.at(display, "no IR version and no opset: not an ONNX model")
    loaded = OnnxModel(path=path, display=display, model=model, target=target, stripped=stripped)
    loaded.external = list(_external_refs(model))
    return loaded


def _external_refs(model: Any) -> Iterator[ExternalRef]:
    def tensors(graph: Any) -> Iterator[Any]:
        yield from graph.initializer
        for node in graph.node:
            for a in node.attribute:
                if a.HasField("t"):
                    yield a.t
                if a.HasField("g"):
                    yield from tensors(a.g)
                for g in a.graphs:
                    yield from tensors(g)

    for t in tensors(model.graph):
        if t.data_location != 1:
            continue
        info = {e.key: e.value for e in t.external_data}
        try:
            offset = int(info.get("offset", 0) or 0)
            length = int(info["length"]) if info.get("length") else None
        except ValueError:
            offset, length = -1, None
        yield ExternalRef(tensor=t.name, location=info.get("location", ""), offset=offset, length=length)

