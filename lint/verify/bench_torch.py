"""The benchmark's measuring side (child process, imports torch): PyTorch eager fp32/fp16, ONNX Runtime, the INT8
Q/DQ model on ONNX Runtime, and each TensorRT engine that was built."""
from __future__ import annotations

import os
import resource
from dataclasses import asdict
from typing import Any, Callable

import numpy as np

from ..graph.child import Emit
from ..graph.spec import GraphSpec
from .bench import BenchRow, percentiles_ms, time_fn
from .pipeline import VerifyOptions


def _diff(ref: dict[str, np.ndarray], out: dict[str, np.ndarray]) -> tuple[float | None, float | None]:
    from .metrics import is_classifier_shaped

    name = next(iter(ref))
    if name not in out or out[name].shape != ref[name].shape:
        return None, None
    r, c = ref[name].astype(np.float64), out[name].astype(np.float64)
    top1 = float((r.argmax(1) == c.argmax(1)).mean()) if is_classifier_shaped(r.shape) else None
    return float(np.abs(r - c).max()), top1


def benchmark(model: Any, spec: GraphSpec, output_names: list[str], onnx_path: str, state: dict[str, Any],
              opts: VerifyOptions, emit: Emit) -> None:
    import onnxruntime
    import torch

    from ..graph.load import bind, make_inputs
    from .backends import OnnxRuntimeBackend, TensorRTBackend, TorchBackend

    cuda = spec.device.startswith("cuda")
    sync: Callable[[], None] = torch.cuda.synchronize if cuda else (lambda: None)
    small, large = make_inputs(spec, "min", seed=7), make_inputs(spec, "max", seed=8)
    batch = int(next(iter(large.values())).shape[0]) if large and next(iter(large.values())).dim() else 1
    np_small = {k: v.cpu().numpy() for k, v in small.items()}
    np_large = {k: v.cpu().numpy() for k, v in large.items()}
    names = [i.name for i in spec.inputs]
    rows: list[BenchRow] = []
    ref_large: dict[str, np.ndarray] = {}
    dev_name = torch.cuda.get_device_name(spec.device) if cuda else f"CPU ({os.cpu_count()} cores)"

    for half in (False, True):
        emit("progress", message=f"benchmark: PyTorch eager {'fp16' if half else 'fp32'}")
        tb = TorchBackend(model, names, output_names, device=spec.device, half=half)
        row = BenchRow("PyTorch eager", tb.precision, spec.device)
        for which, feeds in (("small", small), ("large", large)):
            t_in = [t.half() if half and t.is_floating_point() else t for t in tb.to_tensors({k: v.cpu().numpy() for k, v in feeds.items()})]
            a, kw = bind(tb.module, dict(zip(names, t_in)))
            if cuda:
                torch.cuda.reset_peak_memory_stats()

            def call() -> Any:
                with torch.inference_mode():
                    return tb.module(*a, **kw)

            times = time_fn(call, sync=sync, warmup=20 if cuda else 3)
            if which == "small":
                row.p50_ms, row.p99_ms = percentiles_ms(times)
            else:
                row.throughput, row.batch = batch / float(np.median(times)), batch
                if cuda:
                    row.peak_mem_mib = torch.cuda.max_memory_allocated() / 2**20
                else:
                    row.mem_note = "n/a (CPU)"
                out = tb.run({k: v.cpu().numpy() for k, v in large.items()})
                if not half:
                    ref_large = out
                row.max_abs_diff, row.top1_agree = _diff(ref_large, out)
        rows.append(row)
        del tb
        if cuda:
            torch.cuda.empty_cache()

    def polygraphy_row(label: str, precision: str, device: str, backend: Any, note: str = "",
                       build_s: float | None = None, engine_mib: float | None = None) -> BenchRow:
        emit("progress", message=f"benchmark: {label} {precision}")
        row = BenchRow(label, precision, device, note=note, build_s=build_s, engine_mib=engine_mib)
        try:
            row.p50_ms, row.p99_ms = percentiles_ms(time_fn(lambda: backend.run(np_small), warmup=2))
            times = time_fn(lambda: backend.run(np_large), warmup=1, min_iters=3)
            row.throughput, row.batch = batch / float(np.median(times)), batch
            row.max_abs_diff, row.top1_agree = _diff(ref_large, backend.run(np_large))
        finally:
            backend.close()
        return row

    rss_note = "n/a (CPU EP); process peak RSS {:,.0f} MiB"
    rows.append(polygraphy_row("ONNX Runtime", "fp32", "cpu", OnnxRuntimeBackend(onnx_path),
                               note=f"CPUExecutionProvider, onnxruntime {onnxruntime.__version__}"))
    rows[-1].mem_note = rss_note.format(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if state.get("qdq"):
        rows.append(polygraphy_row("ONNX Runtime", "int8 Q/DQ", "cpu",
                                   OnnxRuntimeBackend(state["qdq"], name="onnxruntime-int8-qdq", precision="int8"),
                                   note="the Q/DQ model on the CPU EP: accuracy only, CPU INT8 speed says nothing "
                                        "about TensorRT"))
        rows[-1].mem_note = rss_note.format(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    for precision, res in state.get("engines", {}).items():
        rows.append(polygraphy_row("TensorRT", precision, spec.device, TensorRTBackend(res.engine, precision=precision),
                                   note="Polygraphy TrtRunner: host<->device copies included", build_s=res.seconds,
                                   engine_mib=len(res.engine) / 2**20))
    meta = {"model": spec.entry.text, "device_name": dev_name, "torch": torch.__version__,
            "onnxruntime": onnxruntime.__version__, "tensorrt": state.get("tensorrt_version"),
            "shapes": {i.name: {"min": list(i.min), "max": list(i.max)} for i in spec.inputs},
            "notes": [f"latency at the --min-shapes batch, throughput at the --max-shapes batch ({batch}); "
                      "warm-up first, torch.cuda.synchronize before each clock read on CUDA",
                      "max abs diff / top-1 vs PyTorch eager fp32 on the same large batch"]}
    emit("bench", rows=[asdict(r) for r in rows], meta=meta)
