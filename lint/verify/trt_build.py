"""The TensorRT path: parse an ONNX file, build a serialized engine per precision, describe it in a manifest.

Written against the TensorRT 10 / 11 Python API (checked against NVIDIA's API reference and Polygraphy's
``backend/trt`` loaders, which make the same calls). **This project's CI has no TensorRT and no GPU: this module
is not exercised there**; its tests run only where ``import tensorrt`` works (``tests/test_verify_trt.py``).

``tensorrt`` is imported inside the functions, never at module import.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

Shape = tuple[int, ...]


@dataclass
class ParserError:
    """One ONNX parser error, with the failing node where the parser names it (TensorRT 10+)."""

    desc: str
    code: str
    node_index: int  # -1 when the error belongs to no node
    node_name: str
    node_op: str


@dataclass
class BuildResult:
    precision: str
    engine: bytes | None
    seconds: float
    parser_errors: list[ParserError] = field(default_factory=list)
    error: str = ""  # why no engine came out (parser errors aside)
    strongly_typed: bool = False
    unsupported: bool = False  # this TensorRT cannot build this precision from this model: a skip, not a failure


def trt_version() -> tuple[int, int]:
    import tensorrt as trt

    major, minor = (int(x) for x in trt.__version__.split(".")[:2])
    return major, minor


def _weak_typing_removed() -> bool:
    """TensorRT 11 builds strongly typed networks only: BuilderFlag.FP16/INT8 are gone."""
    import tensorrt as trt

    return trt_version() >= (11, 0) or not hasattr(trt.BuilderFlag, "FP16")


def parse_network(trt: Any, builder: Any, logger: Any, onnx_path: str, strongly_typed: bool) -> tuple[Any, Any, list[ParserError]]:
    flags = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if strongly_typed else 0
    network = builder.create_network(flags)  # explicit batch is the only mode in TensorRT 10+
    parser = trt.OnnxParser(network, logger)
    errors: list[ParserError] = []
    # parse_from_file, not parse(bytes): the parser then finds external weights beside the model
    if not parser.parse_from_file(os.path.abspath(onnx_path)):
        for i in range(parser.num_errors):
            e = parser.get_error(i)
            errors.append(ParserError(
                desc=str(e.desc()), code=str(e.code()).split(".")[-1], node_index=int(e.node()),
                node_name=str(e.node_name()) if hasattr(e, "node_name") else "",
                node_op=str(e.node_operator()) if hasattr(e, "node_operator") else "",
            ))
        if not errors:
            errors.append(ParserError("the ONNX parser failed without saying why", "UNKNOWN", -1, "", ""))
    return network, parser, errors


def build_engine(
    onnx_path: str,
    precision: str,
    *,
    profile: Mapping[str, tuple[Shape, Shape, Shape]] | None = None,
    workspace: int | None = None,
    timing_cache: str | None = None,
    mark_outputs: Sequence[str] = (),
) -> BuildResult:
    """Build ``onnx_path`` at ``precision`` (fp32, fp16, or int8 for a Q/DQ model).

    fp32 and int8 (explicit Q/DQ) build strongly typed networks: the tensor types decide. fp16 needs weak typing
    with ``BuilderFlag.FP16`` (TensorRT 10); on TensorRT 11, which removed it, an FP32 model cannot give an FP16
    engine and the result says so. ``profile`` maps input names to (min, opt, max) shapes; ``workspace`` caps
    the workspace memory pool in bytes; ``timing_cache`` is read if it exists and written back after the build;
    ``mark_outputs`` marks intermediate tensors as outputs (the layer bisection).
    """
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.ERROR)
    start = time.perf_counter()
    strongly = precision in ("fp32", "int8") or _weak_typing_removed()
    if precision == "fp16" and _weak_typing_removed():
        return BuildResult(precision, None, 0.0, error=(
            f"TensorRT {trt.__version__} builds strongly typed networks only: an FP16 engine needs an FP16 ONNX "
            "model (export after model.half(), or convert with modelopt autocast)"), strongly_typed=True,
            unsupported=True)
    builder = trt.Builder(logger)
    network, _parser, errors = parse_network(trt, builder, logger, onnx_path, strongly)
    if errors:
        return BuildResult(precision, None, time.perf_counter() - start, parser_errors=errors, strongly_typed=strongly)
    if mark_outputs:
        by_name = {}
        for li in range(network.num_layers):
            layer = network.get_layer(li)
            for oi in range(layer.num_outputs):
                by_name[layer.get_output(oi).name] = layer.get_output(oi)
        for name in mark_outputs:
            if name in by_name and not by_name[name].is_network_output:
                network.mark_output(by_name[name])
    config = builder.create_builder_config()
    if workspace:
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace))
    if precision == "fp16" and not strongly:
        config.set_flag(trt.BuilderFlag.FP16)
    if hasattr(trt.BuilderFlag, "TF32"):  # on by default; fp32 means fp32 here (Polygraphy clears it too)
        config.clear_flag(trt.BuilderFlag.TF32)
    dynamic = [network.get_input(i) for i in range(network.num_inputs) if -1 in tuple(network.get_input(i).shape)]
    if dynamic or profile:
        prof = builder.create_optimization_profile()
        for inp in (network.get_input(i) for i in range(network.num_inputs)):
            if profile and inp.name in profile:
                lo, opt, hi = profile[inp.name]
            elif -1 in tuple(inp.shape):
                return BuildResult(precision, None, time.perf_counter() - start, strongly_typed=strongly, error=(
                    f"input {inp.name!r} has dynamic shape {tuple(inp.shape)}: give --min-shapes/--opt-shapes/"
                    "--max-shapes for it"))
            else:
                lo = opt = hi = tuple(inp.shape)
            prof.set_shape(inp.name, lo, opt, hi)
        config.add_optimization_profile(prof)
    cache_bytes = b""
    if timing_cache and os.path.isfile(timing_cache):
        with open(timing_cache, "rb") as fh:
            cache_bytes = fh.read()
    cache = config.create_timing_cache(cache_bytes)
    config.set_timing_cache(cache, ignore_mismatch=False)
    serialized = builder.build_serialized_network(network, config)
    seconds = time.perf_counter() - start
    if serialized is None:
        return BuildResult(precision, None, seconds, strongly_typed=strongly,
                           error="build_serialized_network returned None (the builder's log says why)")
    if timing_cache:
        with open(timing_cache, "wb") as fh:
            fh.write(memoryview(config.get_timing_cache().serialize()))
    return BuildResult(precision, bytes(serialized), seconds, strongly_typed=strongly)


def deserialize(engine_bytes: bytes) -> Any:
    """An ICudaEngine, or None when this TensorRT/GPU refuses the plan."""
    import tensorrt as trt

    runtime = trt.Runtime(trt.Logger(trt.Logger.ERROR))
    return runtime.deserialize_cuda_engine(engine_bytes)


def engine_signature(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Inputs and outputs of a deserialized engine: name, dtype, shape (-1 for dynamic axes)."""
    import tensorrt as trt

    sig: dict[str, list[dict[str, Any]]] = {"inputs": [], "outputs": []}
    for i in range(engine.num_io_tensors):
        name = engine.get_tensor_name(i)
        mode = engine.get_tensor_mode(name)
        kind = "inputs" if mode == trt.TensorIOMode.INPUT else "outputs"
        sig[kind].append({"name": name, "dtype": str(engine.get_tensor_dtype(name)).split(".")[-1].lower(),
                          "shape": [int(d) for d in engine.get_tensor_shape(name)]})
    return sig


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
