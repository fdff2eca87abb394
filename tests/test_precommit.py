"""The pre-commit hooks, run the way pre-commit runs them: ``entry`` plus the staged file names."""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import CLEAN, HAZARD, ROOT

HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def run_hook(hook_id: str, files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    hook = HOOKS[hook_id]
    argv = shlex.split(hook["entry"])
    exe = shutil.which(argv[0]) or str(Path(sys.executable).with_name(argv[0]))
    return subprocess.run([exe, *argv[1:], *hook.get("args", []), *map(str, files)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_hook_declarations() -> None:
    src = HOOKS["trtlint"]
    assert src["types_or"] == ["python", "pyi", "jupyter"] and src["require_serial"] is True and src["language"] == "python"
    onnx = HOOKS["trtlint-onnx"]
    assert onnx["files"] == r"\.onnx$" and onnx["require_serial"] is True


def test_source_hook_passes_and_fails(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(CLEAN)
    (tmp_path / "bad.py").write_text(HAZARD)
    ok = run_hook("trtlint", [tmp_path / "good.py"], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run_hook("trtlint", [tmp_path / "good.py", tmp_path / "bad.py"], tmp_path)
    assert bad.returncode == 0 and "bad.py:6:20: TRT102 [note]" in bad.stdout  # no declared model: reported only
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nmodels = ["bad:Net"]\n')
    bad = run_hook("trtlint", [tmp_path / "good.py", tmp_path / "bad.py"], tmp_path)
    assert bad.returncode == 1  # the declared model's hazard is an error and fails the commit
    assert "bad.py:6:20: TRT102 [error]" in bad.stdout


def test_onnx_hook_passes_and_fails(tmp_path: Path) -> None:
    import pytest

    onnx = pytest.importorskip("onnx")
    sys.path.insert(0, str(ROOT / "fixtures" / "onnx"))
    import builders

    onnx.save(builders.relu(), tmp_path / "good.onnx")
    onnx.save(builders.pinned_batch(), tmp_path / "bad.onnx")
    ok = run_hook("trtlint-onnx", [tmp_path / "good.onnx"], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run_hook("trtlint-onnx", [tmp_path / "good.onnx", tmp_path / "bad.onnx"], tmp_path)
    assert bad.returncode == 1 and "bad.onnx:1:1: TRT306" in bad.stdout
