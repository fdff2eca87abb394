"""Python's cyclic garbage collector, paused while a run lints and run once per file instead.

Parsing allocates hundreds of thousands of AST nodes per file. With the collector on, every few thousand allocations
start a collection, and the older generations hold every tree and cache the run keeps, so those collections walk the
same objects again and again: on the source benchmark (211 files of torchvision and timm) ``ast.parse`` alone took
4.5 s with the collector on and 1.2 s with it off, and the whole one-process run 9.6 s against 5.7 s
(``benchmarks/bench_source.py``, 2-core CPU machine). Reference counting still frees most objects at once; what only
the collector frees (cycles, such as the node lists kept on AST nodes) is collected after each file, which walks only
what that file left alive, so memory stays bounded on runs of any size.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic collections off inside the block; the caller's setting is restored after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def file_done() -> None:
    """Free the cycles the last file left behind (called while the collector is paused): the young generations hold
    only what was allocated since the last call (older survivors were moved on), so the cost follows that file's
    size, not the run's."""
    gc.collect(1)
