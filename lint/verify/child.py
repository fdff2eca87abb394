"""Child side of ``trtlint verify ENTRY``: runs inside the graph layer's harness (:mod:`trtlint.graph.harness`).

Loads the model (the graph layer's loader: factory, ``--weights`` with ``weights_only=True``), runs eager fp32 on
the graph layer's input variants, exports ONNX, hands the rest to :func:`trtlint.verify.pipeline.verify_onnx`,
then the half-precision prediction and the benchmark. Imports torch.
"""
from __future__ import annotations

import contextlib
import copy
import os
import re
import time
from dataclasses import asdict
from typing import Any, Iterator

import numpy as np

from ..graph.child import Emit
from ..graph.frames import UserError
from ..graph.spec import GraphSpec
from .pipeline import FeedSet, Profile, VerifyOptions, verify_onnx


def profile_of(spec: GraphSpec) -> Profile:
    return {i.name: (tuple(i.min), tuple(i.opt), tuple(i.max)) for i in spec.inputs}


def export_onnx(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any], spec: GraphSpec, output_names: list[str],
                path: str, target_torch: list[int] | None = None) -> str:
    """Export with the exporter the target torch defaults to (``--target torchX.Y``, else the installed torch):
    ``dynamo=True`` from torch 2.9, the TorchScript exporter before. Dynamic axes from the shape range.
    Returns which exporter ran."""
    import torch

    installed = tuple(int(x) for x in re.findall(r"\d+", torch.__version__)[:2])
    dynamo = tuple(target_torch or installed)[:2] >= (2, 9)
    dynamic_axes = {i.name: {ax: f"{i.name}_dim{ax}" for ax in i.dynamic_dims} for i in spec.inputs if i.dynamic_dims}
    kw: dict[str, Any] = {"input_names": [i.name for i in spec.inputs], "output_names": output_names,
                          "dynamic_axes": dynamic_axes or None}
    if kwargs:
        kw["kwargs"] = kwargs
    try:
        torch.onnx.export(model, args, path, dynamo=dynamo, **kw)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise UserError(f"torch.onnx.export ({'dynamo' if dynamo else 'TorchScript'} exporter, torch "
                        f"{torch.__version__}) failed: {type(exc).__name__}: {first}; `trtlint graph` names the "
                        "line that causes it", kind="export") from None
    return "dynamo" if dynamo else "torchscript"


@contextlib.contextmanager
def true_fp32() -> Iterator[None]:
    """fp32 references in real fp32: PyTorch lets cuDNN convolutions use TF32 (10-bit mantissa) by default on
    Ampere and newer GPUs, which differs from ONNX Runtime's fp32 by ~1e-3 relative."""
    import torch

    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _model_location(model: Any, user: Any) -> dict[str, Any]:
    """Where findings about the whole model go: its class's ``forward`` when that is the user's code."""
    import inspect

    try:
        f = inspect.getsourcefile(type(model))
        if f and user(f):
            return {"file": f, "line": inspect.getsourcelines(type(model).forward)[1]}
    except (TypeError, OSError):
        pass
    return {}


def run(spec: GraphSpec, emit: Emit, extra: dict[str, Any]) -> None:
    import torch

    from ..graph.frames import is_user_file
    from ..graph.load import bind, load_model, make_inputs, variants
    from .backends import TorchBackend, flatten_outputs
    from .fp16 import compare_half, layers_summary
    from .pipeline import compare_sets, emit_parity

    opts = VerifyOptions.from_dict(extra.get("options", {}))
    os.makedirs(opts.work_dir, exist_ok=True)
    emit("progress", message=f"importing {spec.entry.text}")
    torch.manual_seed(spec.seed)  # a factory with random weights gives the same model on every run
    model = load_model(spec).eval()  # verify judges the deployed (eval) model; `trtlint graph` flags training mode
    user = lambda f: is_user_file(f, spec.user_roots)  # noqa: E731
    emit("model", **_model_location(model, user), cls=type(model).__name__)
    sets = variants(spec)
    # nominal-scale inputs for the reduced-precision comparisons (min/opt/max sizes of dynamic dims)
    unit = [(f"{which} shapes, seed {10 + k}, scale 1", make_inputs(spec, which, seed=10 + k))
            for k, which in enumerate(("opt", "min", "max") if spec.dynamic else ("opt", "opt"))]
    emit("progress", message=f"running eager fp32 on {len(sets) + len(unit)} input sets ({spec.device})")
    output_names: list[str] = []

    def eager(inputs: dict[str, Any]) -> dict[str, np.ndarray]:
        nonlocal output_names
        args, kwargs = bind(model, inputs)
        flat = flatten_outputs(model(*args, **kwargs))
        if not output_names:
            output_names = ["output"] if len(flat) == 1 else [f"output_{i}" for i in range(len(flat))]
        return {n: t.detach().float().cpu().numpy() for n, t in zip(output_names, flat)}

    with torch.inference_mode(), true_fp32():
        reference = [eager(inputs) for _, inputs in sets]
        unit_ref = [eager(inputs) for _, inputs in unit]
    if not output_names:
        raise UserError("the model returned no tensors; nothing to compare", kind="model")
    feed_sets: list[FeedSet] = [(label, {k: v.detach().cpu().numpy() for k, v in inputs.items()}) for label, inputs in sets]
    unit_sets: list[FeedSet] = [(label, {k: v.detach().cpu().numpy() for k, v in inputs.items()}) for label, inputs in unit]

    onnx_path = extra.get("onnx_out") or os.path.join(opts.work_dir, "model.onnx")
    emit("progress", message="exporting ONNX")
    args, kwargs = bind(model, make_inputs(spec, "opt"))
    t0 = time.perf_counter()
    exporter = export_onnx(model, args, kwargs, spec, output_names, onnx_path, extra.get("target_torch"))
    emit("export", path=onnx_path, exporter=exporter, torch=torch.__version__, seconds=time.perf_counter() - t0)

    state = verify_onnx(onnx_path, feed_sets, opts, emit, reference=reference, ref_name="pytorch-fp32",
                        profile=profile_of(spec), reduced=(unit_sets, unit_ref))

    if "fp16" in opts.precisions:
        # the half-precision pass runs on the GPU where one is available, whatever --device says
        half_dev = "cuda" if spec.device == "cpu" and torch.cuda.is_available() else spec.device
        m32 = model if half_dev == spec.device else copy.deepcopy(model).to(half_dev)
        emit("progress", message=f"half-precision PyTorch pass beside fp32 ({half_dev})")
        half = TorchBackend(m32, [i.name for i in spec.inputs], output_names, device=half_dev, half=True)
        cand = [half.run(f) for _, f in unit_sets]
        emit_parity(emit, compare_sets(unit_ref, cand, unit_sets, ref_name="pytorch-fp32", cand_name="pytorch-fp16",
                                       precision="fp16", tol=opts.tol("fp16")), len(unit_sets))
        del half
        rank = {"overflow": 0, "nonfinite": 0, "diverge": 1, "ok": 2}
        best: tuple[Any, list[Any], str] | None = None
        for label, inputs in unit:  # the per-module pass on every nominal input set; the most severe verdict wins
            a, kw = bind(m32, {k: v.to(half_dev) for k, v in inputs.items()})
            with true_fp32():
                first, verdicts = compare_half(m32, a, kw, tol=opts.tol("fp16")[0], user_file=user)
            if best is None or rank[first.status] < rank[best[0].status]:
                best = (first, verdicts, label)
            if first.status in ("overflow", "nonfinite"):
                break
        assert best is not None
        first, verdicts, label = best
        del m32
        emit("fp16-layer", **asdict(first), device=half_dev, torch=torch.__version__, tol=opts.tol("fp16")[0],
             layers=len(verdicts), worst=layers_summary(verdicts), inputs=label)
    if opts.benchmark:
        from .bench_torch import benchmark

        benchmark(model, spec, output_names, onnx_path, state, opts, emit)
