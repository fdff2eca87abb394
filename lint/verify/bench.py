"""``--benchmark``: latency p50/p99 at batch 1, throughput at a larger batch, peak memory, accuracy difference.

Timing: warm-up runs first, then timed runs until a time budget or an iteration cap; ``sync`` (e.g.
``torch.cuda.synchronize``) is called before reading the clock so that GPU work is counted. Rendering is torch-free.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence

import numpy as np


@dataclass
class BenchRow:
    backend: str  # "PyTorch eager", "ONNX Runtime", "TensorRT"
    precision: str
    device: str
    p50_ms: float | None = None  # batch-1 latency
    p99_ms: float | None = None
    throughput: float | None = None  # samples/s at ``batch``
    batch: int | None = None
    peak_mem_mib: float | None = None
    mem_note: str = ""
    max_abs_diff: float | None = None  # vs PyTorch eager fp32 on the large batch
    top1_agree: float | None = None
    build_s: float | None = None
    engine_mib: float | None = None
    note: str = ""


def time_fn(fn: Callable[[], Any], *, sync: Callable[[], None] = lambda: None, warmup: int = 5,
            budget_s: float = 3.0, max_iters: int = 200, min_iters: int = 5) -> list[float]:
    """Seconds per call of ``fn``."""
    for _ in range(warmup):
        fn()
    sync()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_iters and (len(times) < min_iters or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return times


def percentiles_ms(times: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(times) * 1e3
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def _fmt(v: float | None, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def render_markdown(rows: Sequence[BenchRow], meta: dict[str, Any]) -> str:
    head = ["backend", "precision", "device", "p50 ms (b=1)", "p99 ms (b=1)", "throughput /s", "peak memory",
            "max abs diff", "top-1 agree", "build s", "engine MiB"]
    lines = [f"**trtlint verify --benchmark**: {meta.get('model', '?')} on {meta.get('device_name', '?')} "
             f"(torch {meta.get('torch', '?')}, onnxruntime {meta.get('onnxruntime', '?')}, "
             f"TensorRT {meta.get('tensorrt') or 'not installed'})", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        thr = "n/a" if r.throughput is None else f"{r.throughput:,.0f} (b={r.batch})"
        mem = r.mem_note or ("n/a" if r.peak_mem_mib is None else f"{r.peak_mem_mib:,.0f} MiB")
        top1 = "n/a" if r.top1_agree is None else f"{r.top1_agree:.1%}"
        lines.append("| " + " | ".join([r.backend, r.precision, r.device, _fmt(r.p50_ms, ".2f"), _fmt(r.p99_ms, ".2f"),
                                        thr, mem, _fmt(r.max_abs_diff, ".2e"), top1, _fmt(r.build_s, ".1f"),
                                        _fmt(r.engine_mib, ".1f")]) + " |")
    notes = [f"- {r.backend} {r.precision}: {r.note}" for r in rows if r.note]
    notes += [f"- {n}" for n in meta.get("notes", [])]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def render_json(rows: Sequence[BenchRow], meta: dict[str, Any]) -> str:
    return json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=2, sort_keys=True) + "\n"


def rows_from_records(records: Sequence[dict[str, Any]]) -> list[BenchRow]:
    return [BenchRow(**{k: v for k, v in r.items() if k in BenchRow.__dataclass_fields__}) for r in records]
