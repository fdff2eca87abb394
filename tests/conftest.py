from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None) -> Run:
    """Run trtlint in-process (fast); ``cwd`` changes the working directory for the call."""
    import os

    from trtlint.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return Run(code, out.getvalue(), err.getvalue())


def run_subprocess(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    p = subprocess.run([sys.executable, "-m", "trtlint.cli", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=120, env=env)
    return Run(p.returncode, p.stdout, p.stderr)


def env_without(tmp_path: Path, *packages: str) -> dict[str, str]:
    """An environment in which importing any of ``packages`` fails (a sitecustomize on PYTHONPATH blocks them)."""
    import os

    blocker = tmp_path / "block"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {packages!r}:\n"
        "            raise ImportError('blocked by the test: ' + name)\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(blocker), *sys.path]))


def require(name: str):
    """Import a heavy test dependency; skip without it, unless scripts/test.sh promised it (then fail)."""
    import os

    if os.environ.get("TRTLINT_REQUIRE_REAL_WORLD") == "1":
        return __import__(name)
    return pytest.importorskip(name)


@pytest.fixture
def cli():
    return run_cli


HAZARD = '''import torch


class Net(torch.nn.Module):
    def forward(self, x):
        return x * x.sum().item()
'''

CLEAN = '''import torch


class Net(torch.nn.Module):
    def forward(self, x):
        return x * x.shape[0]
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "hazard.py").write_text(HAZARD)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path
