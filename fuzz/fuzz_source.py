#!/usr/bin/env python3
"""Coverage-guided fuzzing of the source front end (reading, decoding, parsing, the per-file index, every
source rule, every report format) with atheris.

    python fuzz/fuzz_source.py -seed=1 -max_total_time=30 /tmp/corpus fuzz/seeds/source fixtures/source

The first corpus folder is where libFuzzer writes new inputs; the others are read-only seeds. A crash is an
exception out of trtlint, an internal error (TRT900), or a report that is not inert (see _common.py).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["trtlint"]):
    from _common import check_one, instrument_trtlint, preload

preload("source")  # import every rule now, so that the instrumentation below reaches them
# instrument_imports alone misses most of trtlint when it is installed editable (setuptools' finder loads it),
# so every trtlint function loaded by now is instrumented as well.
instrument_trtlint()

_DIR = Path(tempfile.mkdtemp(prefix="trtlint-fuzz-source-"))
_PATH = _DIR / "fuzzed.py"


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    _PATH.write_bytes(data)
    check_one(_PATH, "source")


def main() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
