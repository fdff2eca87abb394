"""Issue 12, point 1: nothing runs that the user did not ask to run.

The canary fixtures (fixtures/hostile/canary/, the ONNX ``canary_model``) write the file named by
$TRTLINT_CANARY if anything imports or executes them; source and ONNX modes must never create it. For the
graph/verify modes (another branch), weights load only through ``torch.load(weights_only=True)``:
``builders.make_reduce_pickle`` is the reusable payload, and the last tests show that it is live (plain
unpickling creates the canary) and that ``weights_only=True`` refuses it with a clear message."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"
sys.path.insert(0, str(HOSTILE))
import hostile_builders as hostile  # noqa: E402


def _run_trtlint(args: list[str], cwd: Path, canary: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TRTLINT_CANARY=str(canary))
    code = "import sys; from trtlint.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_canary_fixtures_are_live(tmp_path: Path) -> None:
    """The fixtures really would create the canary if executed (so the next test proves something)."""
    canary = tmp_path / "ran"
    env = dict(os.environ, TRTLINT_CANARY=str(canary))
    subprocess.run([sys.executable, str(HOSTILE / "canary" / "evil_toplevel.py")], env=env, check=True, timeout=60)
    assert canary.exists()


@pytest.mark.parametrize("fmt", ["full", "sarif"])
def test_source_and_onnx_modes_never_execute_or_import(tmp_path: Path, fmt: str) -> None:
    canary = tmp_path / "ran"
    folder = tmp_path / "work"
    folder.mkdir()
    for f in (HOSTILE / "canary").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    pytest.importorskip("onnx")
    hostile.write_onnx_case("canary_model", folder)
    # run from inside the folder (sitecustomize.py, conftest.py, __init__.py beside us) and over it
    r = _run_trtlint(["check", "--isolated", "--output-format", fmt, "."], folder, canary)
    assert r.returncode in (0, 1), r.stderr
    assert not canary.exists(), "trtlint executed a linted file"
    linted = len([f for f in folder.rglob("*") if f.suffix in (".py", ".onnx")])
    assert linted >= 10
    if fmt == "full":  # every file was read (and none run)
        assert f"in {linted} files" in r.stdout and "canary_model/model.onnx" in r.stdout


def test_reduce_pickle_fixture_is_live(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    weights = hostile.make_reduce_pickle(tmp_path / "weights.pt", canary)
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.loads(open({str(weights)!r}, 'rb').read())"],
                   check=True, timeout=60)
    assert canary.exists()


def test_torch_load_weights_only_refuses_the_payload(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    canary = tmp_path / "ran"
    weights = hostile.make_reduce_pickle(tmp_path / "weights.pt", canary)
    with pytest.raises(Exception) as info:  # pickle.UnpicklingError in every torch with weights_only
        torch.load(weights, weights_only=True)
    assert "Weights only load failed" in str(info.value) or "Unsupported global" in str(info.value)
    assert not canary.exists()


@pytest.mark.parametrize("mode", ["graph", "verify"])
def test_graph_and_verify_refuse_a_payload_given_as_weights(tmp_path: Path, mode: str) -> None:
    """The named entry runs (in a child process); the weights file never does: its ``__reduce__`` payload is
    refused by torch.load(weights_only=True) with one clear line, exit 2, and the canary stays absent."""
    pytest.importorskip("torch")
    canary = tmp_path / "ran"
    weights = hostile.make_reduce_pickle(tmp_path / "weights.pt", canary)
    entry = str(FIXTURES / "graph" / "trt203_training_clean.py") + ":build"
    r = _run_trtlint([mode, entry, "--shapes", "x:2x3x8x8", "--weights", str(weights), "--isolated"], tmp_path,
                     canary)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "weights_only=True" in r.stderr, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert not canary.exists()
