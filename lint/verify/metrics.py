"""Output parity: Polygraphy's comparator decides pass/fail; cosine, top-1 and NaN/Inf counts are added here.

numpy and polygraphy only (no torch). One :class:`Parity` per output and comparison.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

#: Default tolerances per precision (documented in docs/verify.md). FP32 differences come from kernel choice
#: and reduction order; FP16 carries a 10-bit mantissa (relative step ~1e-3) that compounds over layers; INT8
#: Q/DQ loses far more, and its number that matters is top-1 agreement rather than element-wise closeness.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "fp32": (1e-4, 1e-3),
    "fp16": (1e-2, 1e-2),
    "int8": (1e-1, 1e-1),
}


@dataclass
class Parity:
    """One output of one candidate compared with its reference."""

    output: str
    reference: str
    candidate: str
    precision: str
    passed: bool
    atol: float
    rtol: float
    max_abs: float
    max_rel: float
    cosine: float | None
    top1: float | None  # fraction of rows whose argmax agrees, for classifier-shaped outputs
    nan: int  # NaN in the candidate beyond those in the reference
    inf: int
    shape_mismatch: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def _quiet_polygraphy() -> None:
    from polygraphy.logger import G_LOGGER

    G_LOGGER.module_severity = G_LOGGER.CRITICAL


def is_classifier_shaped(shape: tuple[int, ...]) -> bool:
    """(batch, classes) with more than one class: the shape whose argmax is a prediction."""
    return len(shape) == 2 and shape[1] > 1


def compare_outputs(
    reference: Mapping[str, np.ndarray],
    candidate: Mapping[str, np.ndarray],
    *,
    ref_name: str,
    cand_name: str,
    precision: str,
    atol: float,
    rtol: float,
) -> list[Parity]:
    """Compare every output the reference has; a missing or reshaped candidate output fails."""
    from polygraphy.comparator import IterationResult

    _quiet_polygraphy()
    try:  # Polygraphy 0.53+; CompareFunc.simple before (deprecated since)
        from polygraphy.comparator.compare import SimpleCompareFunc

        func = SimpleCompareFunc(atol=atol, rtol=rtol, check_error_stat="elemwise")
    except ImportError:
        from polygraphy.comparator import CompareFunc

        func = CompareFunc.simple(atol=atol, rtol=rtol, check_error_stat="elemwise")
    out: list[Parity] = []
    for name, ref in reference.items():
        ref = np.asarray(ref)
        cand = candidate.get(name)
        if cand is None or np.shape(cand) != ref.shape:
            got = "missing" if cand is None else f"shape {tuple(np.shape(cand))}"
            out.append(Parity(name, ref_name, cand_name, precision, False, atol, rtol, math.inf, math.inf,
                              None, None, 0, 0, shape_mismatch=f"{got}, expected {tuple(ref.shape)}"))
            continue
        cand = np.asarray(cand)
        r64, c64 = ref.astype(np.float64), cand.astype(np.float64)
        nan = int(np.isnan(c64).sum() - np.isnan(r64).sum())
        inf = int(np.isinf(c64).sum() - np.isinf(r64).sum())
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            verdict = func(IterationResult({name: ref.astype(np.float32)}, runner_name=ref_name),
                           IterationResult({name: cand.astype(np.float32)}, runner_name=cand_name))[name]
        finite = np.isfinite(r64) & np.isfinite(c64)
        with np.errstate(all="ignore"):
            diff = np.abs(r64 - c64)
            rel = diff / np.maximum(np.abs(r64), 1e-12)
        max_abs = float(diff[finite].max()) if finite.any() else (0.0 if ref.size == 0 else math.inf)
        max_rel = float(rel[finite].max()) if finite.any() else (0.0 if ref.size == 0 else math.inf)
        if nan > 0 or inf > 0:
            max_abs = max_rel = math.inf
        cosine = None
        if finite.any():
            a, b = r64[finite].ravel(), c64[finite].ravel()
            denom = float(np.linalg.norm(a) * np.linalg.norm(b))
            cosine = float(np.dot(a, b) / denom) if denom > 0 else (1.0 if not a.any() and not b.any() else 0.0)
        top1 = None
        if is_classifier_shaped(ref.shape):
            top1 = float((ref.argmax(axis=1) == cand.argmax(axis=1)).mean())
        passed = bool(verdict) and nan <= 0 and inf <= 0
        out.append(Parity(name, ref_name, cand_name, precision, passed, atol, rtol, max_abs, max_rel, cosine, top1,
                          max(nan, 0), max(inf, 0)))
    return out
