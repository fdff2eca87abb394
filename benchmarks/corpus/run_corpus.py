#!/usr/bin/env python3
"""Bring the held-out real-code corpus (corpus.yaml) at its recorded commits and lint it with trtlint.

Each code base is brought once into the cache folder (default: ~/.cache/trtlint-corpus/<name>), either from
GitHub (`git clone --filter=blob:none --sparse`, then a checkout of the recorded commit, only the subpaths
linted) or, with --mirror-dir, from local git mirrors (`git archive <commit> <subpaths>`). A tree already in
the cache at the recorded commit is reused. Each code base is then linted by one trtlint command over all its
subpaths (`check --isolated --output-format json --exit-zero`, default target and rules), run from the code
base's root so that paths are relative to it. The trtlint linted with is the one importable by the Python
that runs this script (or --python).

Writes benchmarks/results/corpus_findings.json: the trtlint version and source commit, one summary per code
base (files, lines, findings by severity, seconds) and every finding with its normalised source line, which
is what judgements.yaml keys on. This is a benchmark, not a test: it needs the network (or mirrors) and
minutes of CPU.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.yaml"
OUT = HERE.parent / "results" / "corpus_findings.json"
# Named corpora: v1-v6 (each measured fresh once, since used for tuning) and v7 (the seventh, held out).
CORPORA = {"v1": (CORPUS, OUT),
           "v2": (HERE / "corpus_v2.yaml", HERE.parent / "results" / "corpus_v2_findings.json"),
           "v3": (HERE / "corpus_v3.yaml", HERE.parent / "results" / "corpus_v3_findings.json"),
           "v4": (HERE / "corpus_v4.yaml", HERE.parent / "results" / "corpus_v4_findings.json"),
           "v5": (HERE / "corpus_v5.yaml", HERE.parent / "results" / "corpus_v5_findings.json"),
           "v6": (HERE / "corpus_v6.yaml", HERE.parent / "results" / "corpus_v6_findings.json"),
           "v7": (HERE / "corpus_v7.yaml", HERE.parent / "results" / "corpus_v7_findings.json")}
MARKER = ".trtlint-corpus-commit"
# trtlint's default excludes (lint/config.py), so that the file and line counts match what it lints.
EXCLUDED_NAMES = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    "__pycache__", "node_modules", "build", "dist", ".eggs", "*.egg-info",
)


def normalise(line: str) -> str:
    """The key judgements use for a source line: whitespace collapsed, so reindentation does not stale it."""
    return " ".join(line.split())


def load_corpus(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[dict[str, Any]] = data["codebases"]
    for cb in out:
        missing = {"name", "url", "commit", "subpaths"} - set(cb)
        if missing:
            raise SystemExit(f"{path}: code base {cb.get('name', '?')} lacks {sorted(missing)}")
    return out


def git(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def find_mirror(mirror_dir: Path, url: str) -> Path | None:
    """A git directory for `url` under mirror_dir: <owner>+<name>/repo[/.git], <owner>+<name>, <name>.git or <name>."""
    owner, name = url.rstrip("/").removesuffix(".git").split("/")[-2:]
    for cand in (mirror_dir / f"{owner}+{name}" / "repo", mirror_dir / f"{owner}+{name}" / "repo" / ".git",
                 mirror_dir / f"{owner}+{name}",
                 mirror_dir / f"{name}.git", mirror_dir / name):
        if cand.is_dir():
            try:
                git("--git-dir", str(cand), "rev-parse", "--git-dir")
            except RuntimeError:
                continue
            return cand
    return None


def bring(cb: dict[str, Any], cache: Path, mirror_dir: Path | None) -> Path:
    """The tree of code base `cb` at its commit, brought into the cache unless it is there already."""
    dest = cache / cb["name"]
    marker = dest / MARKER
    if marker.is_file() and marker.read_text().strip() == cb["commit"]:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    subpaths: list[str] = list(cb["subpaths"])
    mirror = find_mirror(mirror_dir, cb["url"]) if mirror_dir else None
    if mirror_dir and mirror is None:
        print(f"  {cb['name']}: no mirror under {mirror_dir}, cloning from GitHub", file=sys.stderr)
    if mirror is not None:
        # Only the Python files: mirrors may lack the blobs of large binaries (images, notebooks, fonts).
        listed = git("--git-dir", str(mirror), "ls-tree", "-r", "--name-only", cb["commit"], "--", *subpaths)
        py = [f for f in listed.splitlines() if f.endswith(".py")]
        with tempfile.TemporaryFile() as tar:
            proc = subprocess.run(["git", "--git-dir", str(mirror), "archive", "--format=tar", cb["commit"], "--", *py],
                                  stdout=tar, stderr=subprocess.PIPE, text=False, check=False)
            if proc.returncode != 0:
                raise SystemExit(f"{cb['name']}: git archive failed: {proc.stderr.decode(errors='replace').strip()}")
            tar.seek(0)
            subprocess.run(["tar", "-x", "-C", str(dest)], stdin=tar, check=True)
    else:
        git("clone", "--quiet", "--filter=blob:none", "--no-checkout", cb["url"], str(dest))
        git("sparse-checkout", "set", "--no-cone", *[f"/{p}" if "." in Path(p).name else f"/{p}/" for p in subpaths],
            cwd=dest)
        git("checkout", "--quiet", cb["commit"], cwd=dest)
    for p in subpaths:
        if not (dest / p).exists():
            raise SystemExit(f"{cb['name']}: subpath {p} is not in commit {cb['commit']}")
    marker.write_text(cb["commit"] + "\n")
    return dest


def python_files(root: Path, subpaths: list[str]) -> list[Path]:
    out: list[Path] = []
    for sub in subpaths:
        p = root / sub
        if p.is_file():
            out.append(p)
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames[:] = sorted(d for d in dirnames if not any(fnmatch.fnmatch(d, pat) for pat in EXCLUDED_NAMES))
            out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py") and (Path(dirpath) / f).is_file()]
    return out


def trtlint_identity(python: str) -> dict[str, str | None]:
    code = "import trtlint, os; print(getattr(trtlint, '__version__', '?')); print(os.path.dirname(trtlint.__file__))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    version, where = proc.stdout.split("\n")[:2]
    try:
        commit: str | None = git("rev-parse", "HEAD", cwd=Path(where)).strip()
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", cwd=Path(where)).strip())
        branch: str | None = git("rev-parse", "--abbrev-ref", "HEAD", cwd=Path(where)).strip()
    except (RuntimeError, FileNotFoundError, NotADirectoryError):
        commit, dirty, branch = None, False, None
    return {"version": version, "source": where, "branch": branch, "commit": commit, "dirty": str(dirty).lower()}


def lint(python: str, root: Path, subpaths: list[str], jobs: int | None) -> tuple[list[dict[str, Any]], float]:
    cmd = [python, "-m", "trtlint.cli", "check", "--isolated", "--output-format", "json", "--exit-zero"]
    if jobs:
        cmd += ["-j", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, *subpaths], cwd=root, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1, 2) or not proc.stdout.strip().startswith("["):
        raise SystemExit(f"trtlint failed in {root} (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout), seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="v1",
                    help="v1 (corpus.yaml, default), v2-v7 (corpus_v<N>.yaml) or the path of a corpus file")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "trtlint-corpus",
                    help="where the code bases are brought (outside the repository)")
    ap.add_argument("--mirror-dir", type=Path, help="local git mirrors to bring the code bases from, instead of GitHub")
    ap.add_argument("--python", default=sys.executable, help="the Python whose trtlint is run (default: this one)")
    ap.add_argument("--only", action="append", help="lint only this code base (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, help="passed to trtlint -j")
    ap.add_argument("-o", "--output", type=Path,
                    help="default: results/corpus_findings.json for v1, results/corpus_<v>_findings.json for v2-v7")
    args = ap.parse_args()
    corpus_file, default_out = CORPORA.get(args.corpus, (Path(args.corpus), OUT))
    args.output = args.output or default_out

    corpus = [cb for cb in load_corpus(corpus_file) if not args.only or cb["name"] in args.only]
    ident = trtlint_identity(args.python)
    print(f"trtlint {ident['version']} from {ident['source']} (commit {ident['commit']}, branch {ident['branch']})")
    summaries: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for cb in corpus:
        root = bring(cb, args.cache, args.mirror_dir)
        files = python_files(root, cb["subpaths"])
        lines = sum(f.read_bytes().count(b"\n") for f in files)
        raw, seconds = lint(args.python, root, cb["subpaths"], args.jobs)
        counts = {"error": 0, "warning": 0, "note": 0, "suppressed": 0}
        texts: dict[str, list[str]] = {}
        for f in raw:
            if f.get("suppressed"):
                counts["suppressed"] += 1
                continue
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
            if f["path"] not in texts:
                try:
                    texts[f["path"]] = (root / f["path"]).read_text(encoding="utf-8", errors="replace").splitlines()
                except OSError:
                    texts[f["path"]] = []
            src = texts[f["path"]]
            line = src[f["line"] - 1] if 0 < f["line"] <= len(src) else ""
            findings.append({
                "repo": cb["name"], "path": f["path"], "line": f["line"], "column": f["column"], "code": f["code"],
                "severity": f["severity"], "message": f["message"], "source": normalise(line),
            })
        summaries.append({"name": cb["name"], "commit": cb["commit"], "files": len(files), "lines": lines,
                          **counts, "seconds": round(seconds, 2)})
        print(f"{cb['name']:<20} {len(files):>5} files {lines:>7} lines  {counts['error']:>4} errors "
              f"{counts['warning']:>4} warnings {counts['note']:>4} notes  {seconds:6.1f} s", flush=True)
    total = {k: sum(s[k] for s in summaries) for k in ("files", "lines", "error", "warning", "note", "suppressed")}
    print(f"{'total':<20} {total['files']:>5} files {total['lines']:>7} lines  {total['error']:>4} errors "
          f"{total['warning']:>4} warnings {total['note']:>4} notes")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"trtlint": ident, "codebases": summaries, "total": total,
                                       "findings": findings}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
