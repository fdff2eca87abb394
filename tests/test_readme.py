"""Every fenced code block of README.md is executed, so the README cannot drift (rules: README.md, "The README
is tested"). Sections added later are run by the same rules: nothing here names a section, except that sample
output is matched to the command it shows."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MARKER = re.compile(r"^<!--\s*readme-test:\s*(?P<kind>skip|output-of)\s*\((?P<arg>.+)\)\s*-->$")
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")
RUN_LANGS = {"sh", "bash", "shell"}
LEFT_OUT = {".git", "tests", "fixtures", "__pycache__", "trtlint.egg-info"}  # see README: broken inputs


@dataclass
class Block:
    index: int
    line: int  # 1-based line of the opening fence
    lang: str
    body: str
    marker: tuple[str, str] | None  # ("skip", reason) or ("output-of", command)

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.lang or 'untagged'}"


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        prev = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        mm = MARKER.match(prev)
        out.append(Block(len(out), start + 1, m.group("lang"), "\n".join(lines[start + 1:j]) + "\n",
                         (mm.group("kind"), mm.group("arg").strip()) if mm else None))
        i = j + 1
    return out


BLOCKS = blocks((ROOT / "README.md").read_text(encoding="utf-8"))


def commands(body: str) -> list[str]:
    """Logical lines of a shell block (backslash continuations joined), comments and blanks left out."""
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def local(command: str) -> str:
    """The README's 'new machine' chains: drop the venv creation and the pip install (network), run the rest
    with the test environment (`.venv/bin/X` -> X, which is first on PATH)."""
    parts = [p.strip() for p in command.split("&&")]
    kept = [p for p in parts if not re.match(r"^(python3?|\S*/python3?) -m venv\b", p) and "pip install" not in p]
    assert kept, f"nothing left to run of {command!r}"
    return " && ".join(re.sub(r"(^|\s)\.venv/bin/", r"\1", p) for p in kept)


@pytest.fixture
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy per block: blocks run `--fix` and `--add-noqa`, and must not see each other's edits."""
    dest = tmp_path_factory.mktemp("readme") / "repo"

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in LEFT_OUT or n.startswith(".venv")}

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    return dest


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               NO_COLOR="1", COLUMNS="120")
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def matches(sample: str, actual: str) -> bool:
    """``sample`` equals ``actual`` line for line, where a line ``...`` stands for any number of lines."""
    pattern = "".join("(?:.*\n)*?" if ln.strip() == "..." else re.escape(ln.rstrip()) + r"[ \t]*\n"
                      for ln in sample.splitlines())
    text = "".join(ln.rstrip() + "\n" for ln in actual.splitlines())
    return re.fullmatch(pattern, text) is not None


def _source_of(block: Block) -> str:
    """The command whose output a ``text`` block shows."""
    if block.marker and block.marker[0] == "output-of":
        return block.marker[1]
    for prev in reversed(BLOCKS[:block.index]):
        if prev.lang in RUN_LANGS and not (prev.marker and prev.marker[0] == "skip"):
            return local(commands(prev.body)[-1])
    raise AssertionError(f"README line {block.line}: a text block with no command before it; name one with "
                         "<!-- readme-test: output-of (COMMAND) -->")


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block(block: Block, sandbox: Path, tmp_path: Path) -> None:
    where = f"README.md line {block.line}"
    if block.marker and block.marker[0] == "skip":
        pytest.skip(f"{where}: {block.marker[1]}")
    if block.lang in RUN_LANGS:
        cmds = commands(block.body)
        assert cmds, f"{where}: an empty shell block"
        for cmd in cmds:
            r = run(local(cmd), sandbox)
            assert r.returncode in (0, 1), f"{where}: `{cmd}` exited {r.returncode}\n{r.stdout[-2000:]}{r.stderr[-2000:]}"
            assert "Traceback" not in r.stderr and "internal error" not in r.stderr, f"{where}: `{cmd}`\n{r.stderr}"
    elif block.lang == "text":
        command = _source_of(block)
        r = run(command, sandbox)
        assert r.returncode in (0, 1), f"{where}: `{command}` exited {r.returncode}\n{r.stderr}"
        assert matches(block.body, r.stdout), (
            f"{where}: the sample output differs from what `{command}` prints now:\n{r.stdout}")
    elif block.lang == "toml":
        data = tomllib.loads(block.body)
        if "trtlint" in data.get("tool", {}):
            (tmp_path / "pyproject.toml").write_text(block.body)
            from trtlint.config import load_config
            from trtlint.runner import build_runner

            cfg = load_config(tmp_path / "pyproject.toml")  # raises on unknown keys, codes, targets
            build_runner(cfg)
            r = run(f"trtlint check --config {shlex.quote(str(tmp_path / 'pyproject.toml'))} "
                    "examples/export_resnet.py", sandbox)
            assert r.returncode in (0, 1), f"{where}: the configuration was refused: {r.stderr}"
    elif block.lang in ("yaml", "yml"):
        data = yaml.safe_load(block.body)
        assert data is not None, f"{where}: an empty YAML block"
        hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
        repos = data if isinstance(data, list) else data.get("repos", []) if isinstance(data, dict) else []
        for repo in repos:
            if isinstance(repo, dict) and "trtlint" in str(repo.get("repo", "")):
                assert {h["id"] for h in repo.get("hooks", [])} <= hooks, f"{where}: unknown hook id"
    elif block.lang == "json":
        json.loads(block.body)
    elif block.lang == "python":
        r = subprocess.run([sys.executable, "-"], input=block.body, cwd=sandbox, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, f"{where}: the Python example failed:\n{r.stderr}"
    else:
        raise AssertionError(f"{where}: no rule runs ```{block.lang or '(untagged)'} blocks; tag it (sh, text, toml, "
                             "yaml, json, python) or precede it with <!-- readme-test: skip (reason) -->")


def test_rules_of_this_test() -> None:
    """The matcher and the command rewriting do what the README says."""
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n") and matches("a\n...\nd\n", "a\nd\n")
    assert not matches("a\nd\n", "a\nb\nd\n") and not matches("a\n...\n", "b\na\n")
    assert local("python3 -m venv .venv && .venv/bin/pip install -e '.[onnx]' && .venv/bin/trtlint x.py") == (
        "trtlint x.py")
    assert commands("a \\\n  b  # c\n# d\n\ne\n") == ["a  b  # c", "e"]
    assert len(BLOCKS) >= 10 and all(b.body for b in BLOCKS)
