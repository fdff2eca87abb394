"""Find the first tensor, in topological order, where a candidate backend diverges from the reference.

Marking every intermediate tensor as an output at once changes what the builder fuses and can exhaust memory, so
tensors are marked a chunk at a time (Polygraphy's ``debug reduce``/``--mark`` approach, done here in-process): the
first chunk that contains a diverging tensor names it. Backend-agnostic: the caller passes two functions that
run with a list of extra output names.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

RunWith = Callable[[Sequence[str]], Mapping[str, np.ndarray]]


def diverges(ref: np.ndarray, cand: np.ndarray, atol: float, rtol: float) -> bool:
    if ref.shape != cand.shape:
        return True
    r, c = ref.astype(np.float64), cand.astype(np.float64)
    if (~np.isfinite(c) & np.isfinite(r)).any():
        return True
    with np.errstate(all="ignore"):
        return bool((np.abs(r - c) > atol + rtol * np.abs(r)).any())


def first_divergent(tensors: Sequence[str], run_ref: RunWith, run_cand: RunWith, *, atol: float, rtol: float,
                    chunk: int = 32) -> str | None:
    """The first of ``tensors`` (topological order) whose candidate value diverges, or None."""
    for start in range(0, len(tensors), chunk):
        names = list(tensors[start:start + chunk])
        ref, cand = run_ref(names), run_cand(names)
        for name in names:
            if name in ref and name in cand and diverges(np.asarray(ref[name]), np.asarray(cand[name]), atol, rtol):
                return name
    return None
