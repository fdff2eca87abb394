"""The atheris fuzzers (fuzz/) run here for a bounded time with a fixed seed: a crash, an internal error or a
report that is not inert fails the test with the fuzzer's output. Skipped, with the reason, where atheris
cannot be installed (it ships wheels for CPython on Linux x86-64 only)."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT

SECONDS = int(os.environ.get("TRTLINT_FUZZ_SECONDS", "20"))
FUZZERS = {
    "fuzz_source.py": [ROOT / "fuzz" / "seeds" / "source", FIXTURES / "source", FIXTURES / "hostile" / "source"],
    "fuzz_onnx.py": [FIXTURES / "onnx", FIXTURES / "hostile" / "onnx"],
}


@pytest.mark.parametrize("harness", sorted(FUZZERS))
def test_fuzzer_bounded_run(harness: str, tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (no wheel for this platform); the fuzz harnesses did not run")
    if harness == "fuzz_onnx.py" and importlib.util.find_spec("onnx") is None:
        pytest.skip("onnx is not installed")
    new = tmp_path / "corpus"  # libFuzzer writes new inputs to the first folder; the seeds stay untouched
    new.mkdir()
    args = [sys.executable, str(ROOT / "fuzz" / harness), "-seed=1", f"-max_total_time={SECONDS}",
            "-rss_limit_mb=2048", "-max_len=65536", "-timeout=30", f"-artifact_prefix={tmp_path}/",
            str(new), *map(str, FUZZERS[harness])]
    p = subprocess.run(args, capture_output=True, text=True, timeout=SECONDS + 240, cwd=tmp_path)
    log = p.stdout + p.stderr
    assert p.returncode == 0, log[-6000:]
    assert "DONE" in log and "Done " in log, log[-3000:]
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*")), log[-6000:]


REGRESSIONS = sorted((ROOT / "fuzz" / "regressions").rglob("*.*"))


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_fuzzer_findings_stay_fixed(path: Path, tmp_path: Path) -> None:
    """Every input a fuzzer ever crashed on (fuzz/regressions/), replayed through the harness' own check."""
    kind = "onnx" if path.suffix == ".onnx" else "source"
    if kind == "onnx":
        pytest.importorskip("onnx")
    sys.path.insert(0, str(ROOT / "fuzz"))
    from _common import check_one

    target = tmp_path / ("fuzzed.onnx" if kind == "onnx" else "fuzzed.py")
    target.write_bytes(path.read_bytes())
    (tmp_path / "w.bin").write_bytes(bytes(range(256)) * 4)
    for trt in ("trt8.6", "trt10.8", "trt11.1"):
        check_one(target, kind, trt)  # raises on an internal error or output that is not inert
