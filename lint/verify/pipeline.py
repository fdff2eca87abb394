"""The verify stage over an ONNX file: ONNX Runtime, TensorRT (where it imports), the INT8 Q/DQ model.

Torch-free: the PyTorch reference, when there is one, arrives as plain numpy outputs from the child process
(:mod:`trtlint.verify.child`). Results leave as records ``emit(type, **fields)``; the rules in
``trtlint.rules.verify`` turn them into findings.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .backends import TRT_INSTALL_HINT, OnnxRuntimeBackend, tensorrt_unavailable
from .metrics import DEFAULT_TOLERANCES, Parity, compare_outputs

Emit = Callable[..., None]
Feeds = dict[str, np.ndarray]
FeedSet = tuple[str, Feeds]  # (label, inputs)
Profile = dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]
PRECISIONS = ("fp32", "fp16", "int8")


@dataclass
class VerifyOptions:
    """Everything the verify stage needs besides the model and its shapes (JSON-serialisable)."""

    precisions: list[str] = field(default_factory=lambda: ["fp32", "fp16"])
    atol: dict[str, float] = field(default_factory=dict)  # per precision; defaults in metrics.DEFAULT_TOLERANCES
    rtol: dict[str, float] = field(default_factory=dict)
    workspace: int | None = None  # bytes
    timing_cache: str | None = None
    save_engine: str | None = None
    calib_data: list[str] = field(default_factory=list)
    benchmark: bool = False
    work_dir: str = "."
    seed: int = 0

    def tol(self, precision: str) -> tuple[float, float]:
        a, r = DEFAULT_TOLERANCES[precision]
        return self.atol.get(precision, a), self.rtol.get(precision, r)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "VerifyOptions":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def worst(parities: Sequence[Parity], label: str, acc: dict[str, tuple[Parity, str]]) -> None:
    """Keep, per output, the worst comparison seen so far (a failure beats a pass, then the larger error)."""
    for p in parities:
        key = p.output
        old = acc.get(key)
        if old is None or (old[0].passed and not p.passed) or (old[0].passed == p.passed and p.max_abs > old[0].max_abs):
            acc[key] = (p, label)


def emit_parity(emit: Emit, acc: Mapping[str, tuple[Parity, str]], n_sets: int) -> None:
    for p, label in acc.values():
        emit("parity", **p.to_dict(), inputs=label, input_sets=n_sets)


def compare_sets(ref: Sequence[Mapping[str, np.ndarray]], cand: Sequence[Mapping[str, np.ndarray]],
                 feed_sets: Sequence[FeedSet], *, ref_name: str, cand_name: str, precision: str,
                 tol: tuple[float, float]) -> dict[str, tuple[Parity, str]]:
    acc: dict[str, tuple[Parity, str]] = {}
    for (label, _), r, c in zip(feed_sets, ref, cand):
        worst(compare_outputs(r, c, ref_name=ref_name, cand_name=cand_name, precision=precision,
                              atol=tol[0], rtol=tol[1]), label, acc)
    return acc


# ---------------------------------------------------------------------------------------------------- inputs
def onnx_io(onnx_path: str) -> tuple[list[tuple[str, int, list[int | str]]], list[str]]:
    """Graph inputs (name, ONNX elem type, dims with symbolic names as strings) and output names."""
    import onnx

    g = onnx.load(onnx_path, load_external_data=False).graph
    inits = {t.name for t in g.initializer}
    ins = []
    for v in g.input:
        if v.name in inits:
            continue
        t = v.type.tensor_type
        dims: list[int | str] = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim]
        ins.append((v.name, t.elem_type, dims))
    return ins, [o.name for o in g.output]


def onnx_feed_sets(onnx_path: str, profile: Profile, seed: int = 0) -> tuple[list[FeedSet], list[str]]:
    """Seeded inputs from Polygraphy's DataLoader at the profile's opt shapes (and min/max where they differ);
    an input with dynamic dims and no shape flag gets 1 for each (said in the returned notes)."""
    import onnx
    from polygraphy.comparator import DataLoader
    from polygraphy.common import TensorMetadata

    from .backends import quiet

    quiet()
    notes: list[str] = []
    try:
        ins, _ = onnx_io(onnx_path)
    except Exception as exc:  # DecodeError and friends: not a model
        raise ValueError(f"{onnx_path}: not a readable ONNX model ({type(exc).__name__}); `trtlint {onnx_path}` "
                         "says more") from None
    which_list = ["opt"]
    if any(lo != hi for lo, _, hi in profile.values()):
        which_list += ["min", "max"]
    sets: list[FeedSet] = []
    for k, which in enumerate(which_list):
        meta = TensorMetadata()
        for name, elem, dims in ins:
            dtype = onnx.helper.tensor_dtype_to_np_dtype(elem)
            if name in profile:
                shape = list(profile[name][("min", "opt", "max").index(which)])
            else:
                shape = [d if isinstance(d, int) and d > 0 else 1 for d in dims]
                if k == 0 and any(not (isinstance(d, int) and d > 0) for d in dims):
                    notes.append(f"input {name!r} has dynamic dims {dims} and no --shapes: ran with 1 for each")
            meta.add(name, dtype, shape)
        loader = DataLoader(seed=seed + k, iterations=1, input_metadata=meta)
        sets.append((f"{which} shapes, seed {seed + k}", {n: np.asarray(v) for n, v in loader[0].items()}))
    return sets, notes


# ---------------------------------------------------------------------------------------------------- origin
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def node_origin(onnx_path: str, index: int, name: str) -> tuple[str | None, int | None, str]:
    """(file, line) the exporter recorded for a node (``pkg.torch.onnx.stack_trace``), and a label for it."""
    import onnx

    from ..loaders.onnx import STACK_TRACE_KEY

    try:
        nodes = list(onnx.load(onnx_path, load_external_data=False).graph.node)
    except Exception:
        return None, None, f"node {name or index}"
    node = next((n for n in nodes if name and n.name == name), None)
    if node is None and 0 <= index < len(nodes):
        node = nodes[index]
    if node is None:
        return None, None, f"node {name or index}"
    label = f"node '{node.name or index}' ({node.op_type})"
    for p in node.metadata_props:
        if p.key == STACK_TRACE_KEY and p.value:
            frames = [f for f in _FRAME.findall(p.value) if not re.search(r"[/\\](torch|trtlint)[/\\]", f[0])]
            if frames:
                return frames[-1][0], int(frames[-1][1]), label
    return None, None, label


# ---------------------------------------------------------------------------------------------------- stage
def run_backend(backend: Any, feed_sets: Sequence[FeedSet]) -> list[dict[str, np.ndarray]]:
    try:
        return [backend.run(feeds) for _, feeds in feed_sets]
    finally:
        backend.close()


def verify_onnx(onnx_path: str, feed_sets: Sequence[FeedSet], opts: VerifyOptions, emit: Emit, *,
                reference: Sequence[Mapping[str, np.ndarray]] | None = None, ref_name: str = "pytorch-fp32",
                profile: Profile | None = None,
                reduced: tuple[Sequence[FeedSet], Sequence[Mapping[str, np.ndarray]]] | None = None) -> dict[str, Any]:
    """ONNX Runtime (fp32) against the reference (PyTorch fp32, or ONNX Runtime itself when there is none), each
    TensorRT precision where TensorRT imports, and the INT8 Q/DQ model through ONNX Runtime. fp32 is compared on
    ``feed_sets`` (value scales that flip frozen branches included); fp16/int8 on ``reduced`` (input sets of the
    model's nominal scale, with their reference outputs), since accuracy at inputs ten times out of range (or out
    of the calibrated range) says nothing about deployment. Returns what the benchmark needs."""
    state: dict[str, Any] = {"engines": {}, "qdq": None}
    emit("progress", message="running ONNX Runtime")
    ort_out = run_backend(OnnxRuntimeBackend(onnx_path), feed_sets)
    if reference is not None:
        emit_parity(emit, compare_sets(reference, ort_out, feed_sets, ref_name=ref_name, cand_name="onnxruntime",
                                       precision="fp32", tol=opts.tol("fp32")), len(feed_sets))
    else:
        reference, ref_name = ort_out, "onnxruntime"
    red_sets, red_ref = reduced if reduced is not None else (feed_sets, reference)
    why = tensorrt_unavailable()
    if why is not None:
        emit("backend-skipped", backend="tensorrt", reason=why, hint=TRT_INSTALL_HINT,
             precisions=[p for p in opts.precisions])
    else:
        import tensorrt

        state["tensorrt_version"] = tensorrt.__version__
        for precision in (p for p in opts.precisions if p in ("fp32", "fp16")):
            sets, ref = (feed_sets, reference) if precision == "fp32" else (red_sets, red_ref)
            _verify_trt(onnx_path, precision, sets, ref, ref_name, opts, emit, profile or {}, state)
    if "int8" in opts.precisions:
        _verify_int8(onnx_path, red_sets, red_ref, ref_name, opts, emit, profile or {}, state, why is None)
    return state


def _verify_trt(onnx_path: str, precision: str, feed_sets: Sequence[FeedSet],
                reference: Sequence[Mapping[str, np.ndarray]], ref_name: str, opts: VerifyOptions, emit: Emit,
                profile: Profile, state: dict[str, Any]) -> None:
    from .backends import TensorRTBackend
    from .trt_build import build_engine

    emit("progress", message=f"building a TensorRT {precision} engine")
    res = build_engine(onnx_path, precision, profile=profile, workspace=opts.workspace, timing_cache=opts.timing_cache)
    for e in res.parser_errors:
        file, line, label = node_origin(onnx_path, e.node_index, e.node_name)
        emit("parser-error", precision=precision, desc=e.desc, code=e.code, node=label, node_op=e.node_op,
             file=file, line=line)
    if res.unsupported:
        emit("backend-skipped", backend="tensorrt", reason=res.error, hint="", precisions=[precision])
        return
    if res.engine is None:
        if not res.parser_errors:
            emit("build-failed", precision=precision, reason=res.error)
        return
    state["engines"][precision] = res
    emit("build", precision=precision, seconds=res.seconds, bytes=len(res.engine), strongly_typed=res.strongly_typed)
    if opts.save_engine:
        save_engine(onnx_path, res, opts.save_engine if len(opts.precisions) == 1 else
                    _with_suffix(opts.save_engine, precision), profile, emit)
    cand = run_backend(TensorRTBackend(res.engine, precision=precision), feed_sets)
    acc = compare_sets(reference, cand, feed_sets, ref_name=ref_name, cand_name=f"tensorrt-{precision}",
                       precision=precision, tol=opts.tol(precision))
    emit_parity(emit, acc, len(feed_sets))
    if precision != "fp32" and any(not p.passed for p, _ in acc.values()):
        _bisect_trt(onnx_path, precision, feed_sets[0][1], opts, emit, profile)


def _bisect_trt(onnx_path: str, precision: str, feeds: Feeds, opts: VerifyOptions, emit: Emit,
                profile: Profile) -> None:
    """Mark intermediate tensors as outputs a chunk at a time, on ONNX Runtime and on the engine, and name the
    first tensor that diverges beyond the precision's tolerance."""
    import onnx

    from .backends import TensorRTBackend
    from .bisect import first_divergent
    from .trt_build import build_engine

    model = onnx.load(onnx_path, load_external_data=False)
    tensors = [o for n in model.graph.node for o in n.output if o]

    def run_ref(names: Sequence[str]) -> Mapping[str, np.ndarray]:
        return onnxruntime_with_outputs(onnx_path, names, feeds)

    def run_cand(names: Sequence[str]) -> Mapping[str, np.ndarray]:
        res = build_engine(onnx_path, precision, profile=profile, workspace=opts.workspace,
                           timing_cache=opts.timing_cache, mark_outputs=names)
        if res.engine is None:
            return {}
        return run_backend(TensorRTBackend(res.engine, precision=precision), [("", feeds)])[0]

    emit("progress", message=f"bisecting the TensorRT {precision} engine for the first diverging layer")
    atol, rtol = opts.tol(precision)
    name = first_divergent(tensors, run_ref, run_cand, atol=atol, rtol=rtol)
    if name is None:
        return
    producer = next((i for i, n in enumerate(model.graph.node) if name in n.output), -1)
    node = model.graph.node[producer] if producer >= 0 else None
    file, line, label = node_origin(onnx_path, producer, node.name if node is not None else "")
    emit("layer-divergence", precision=precision, tensor=name, node=label, file=file, line=line)


def onnxruntime_with_outputs(onnx_path: str, names: Sequence[str], feeds: Feeds) -> dict[str, np.ndarray]:
    """Run ONNX Runtime with ``names`` (intermediate tensors) marked as graph outputs (Polygraphy ModifyOutputs)."""
    from polygraphy.backend.onnx import BytesFromOnnx, ModifyOutputs, OnnxFromPath
    from polygraphy.backend.onnxrt import OnnxrtRunner, SessionFromOnnx

    from .backends import PolygraphyBackend

    model = ModifyOutputs(OnnxFromPath(onnx_path), outputs=list(names))
    backend = PolygraphyBackend(lambda: OnnxrtRunner(SessionFromOnnx(BytesFromOnnx(model))))
    return run_backend(backend, [("", feeds)])[0]


def _with_suffix(path: str, precision: str) -> str:
    root, ext = os.path.splitext(path)
    return f"{root}.{precision}{ext or '.engine'}"


def save_engine(onnx_path: str, res: Any, path: str, profile: Profile, emit: Emit) -> None:
    import tensorrt as trt

    from .manifest import gpu_info, write_manifest
    from .trt_build import deserialize, engine_signature, file_sha256

    with open(path, "wb") as fh:
        fh.write(res.engine)
    engine = deserialize(res.engine)
    manifest = {
        "tensorrt": trt.__version__, "gpu": gpu_info(), "precision": res.precision,
        "strongly_typed": res.strongly_typed,
        "profile": {k: {"min": list(v[0]), "opt": list(v[1]), "max": list(v[2])} for k, v in profile.items()},
        "signature": engine_signature(engine) if engine is not None else None,
        "onnx": os.path.basename(onnx_path), "onnx_sha256": file_sha256(onnx_path),
        "engine_sha256": file_sha256(path), "version_compatible": False, "hardware_compatible": False,
    }
    emit("engine-saved", path=path, manifest=write_manifest(path, manifest))


def _verify_int8(onnx_path: str, feed_sets: Sequence[FeedSet], reference: Sequence[Mapping[str, np.ndarray]],
                 ref_name: str, opts: VerifyOptions, emit: Emit, profile: Profile, state: dict[str, Any],
                 have_trt: bool) -> None:
    from .int8 import count_qdq, load_calibration, quantize_qdq, random_calibration

    names = list(feed_sets[0][1])
    if opts.calib_data:
        calib = load_calibration(opts.calib_data, names)
        emit("calibration", random=False, batches=len(calib), files=[os.path.basename(f) for f in opts.calib_data])
    else:
        smallest = min(feed_sets, key=lambda fs: sum(v.size for v in fs[1].values()))[1]  # calibration memory
        calib = random_calibration(smallest, seed=opts.seed)
        emit("calibration", random=True, batches=len(calib), files=[])
    qdq_path = os.path.join(opts.work_dir, os.path.splitext(os.path.basename(onnx_path))[0] + ".int8.qdq.onnx")
    emit("progress", message="quantizing to INT8 Q/DQ (ONNX Runtime static quantization, QDQ format)")
    quantize_qdq(onnx_path, qdq_path, calib)
    state["qdq"] = qdq_path
    emit("qdq", path=qdq_path, qdq_nodes=count_qdq(qdq_path))
    cand = run_backend(OnnxRuntimeBackend(qdq_path, name="onnxruntime-int8-qdq", precision="int8"), feed_sets)
    emit_parity(emit, compare_sets(reference, cand, feed_sets, ref_name=ref_name, cand_name="onnxruntime-int8-qdq",
                                   precision="int8", tol=opts.tol("int8")), len(feed_sets))
    if have_trt:
        _verify_trt(qdq_path, "int8", feed_sets, reference, ref_name, opts, emit, profile, state)


def dump(obj: Any) -> str:
    return json.dumps(obj, default=str)
