"""``[tool.trtlint]`` in pyproject.toml, merged with the command line (the command line wins)."""
from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .finding import Severity

KNOWN_KEYS = ("select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude", "target",
              "models", "fail-on", "graph", "verify")  # graph/verify: sub-tables, read by trtlint.graph.config / trtlint.verify.config
FAIL_ON = tuple(s.value for s in Severity)  # "error", "warning", "note"
DEFAULT_FAIL_ON = Severity.WARNING.value  # notes are advice, not a verdict: they do not fail a run unless asked
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    "__pycache__", "node_modules", "build", "dist", ".eggs", "*.egg-info",
)


class ConfigError(ValueError):
    """A configuration that cannot be used: reported as one line, exit 2."""


@dataclass
class Config:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    target: str | None = None
    #: export roots named by the user: "pkg.module:Class", "pkg.module:factory", "pkg.module:Class.method"
    models: list[str] = field(default_factory=list)
    #: the least severity that makes a run exit 1 ("error", "warning" or "note")
    fail_on: str = DEFAULT_FAIL_ON
    root: Path = field(default_factory=Path.cwd)  # folder of the pyproject.toml, or the working directory
    path: Path | None = None  # the pyproject.toml used

    def is_excluded(self, path: Path) -> bool:
        name = path.name
        if any(fnmatch.fnmatch(name, pat) for pat in self.exclude):
            return True
        rel = _rel(path, self.root)
        return any(("/" in pat or "*" in pat) and fnmatch.fnmatch(rel, pat) for pat in self.exclude)

    def ignored_for(self, path: str) -> list[str]:
        rel = _rel(Path(path), self.root)
        out: list[str] = []
        for pat, codes in self.per_file_ignores.items():
            if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(Path(path).name, pat):
                out.extend(codes)
        return out


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()
    except ValueError:
        return path.as_posix()


def find_pyproject(paths: list[str]) -> Path | None:
    """The nearest pyproject.toml with a [tool.trtlint] table, walking up from the first linted path.

    A nearest pyproject.toml that cannot be read or is not valid TOML is a :class:`ConfigError` (exit 2): it may
    hold the user's ignores and target, and skipping it silently would change what is checked."""
    start = Path(os.path.abspath(paths[0] if paths else "."))  # no resolve(): a link loop must not stop us here
    try:
        if not start.is_dir():
            start = start.parent
    except (OSError, ValueError):
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        try:
            if not candidate.is_file():
                continue
        except (OSError, ValueError):
            continue
        data = _read_toml(candidate)
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{candidate}: 'tool' must be a table, not {_type_name(tool)}")
        if "trtlint" in tool:
            return candidate
    return None


def _type_name(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # imported here: a run without a configuration file does not need it
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from exc


def _str_list(value: Any, key: str, where: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: [tool.trtlint] {key} must be a list of strings")
    return list(value)


def load_config(pyproject: Path | None) -> Config:
    if pyproject is None:
        return Config()
    data = _read_toml(pyproject)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{pyproject}: 'tool' must be a table, not {_type_name(tool)}")
    table = tool.get("trtlint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.trtlint] must be a table, not {_type_name(table)}")
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(
            f"{pyproject}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in [tool.trtlint]; "
            f"valid keys: {', '.join(KNOWN_KEYS)}"
        )
    cfg = Config(root=pyproject.parent, path=pyproject)
    if "select" in table:
        cfg.select = _str_list(table["select"], "select", pyproject)
    cfg.ignore = _str_list(table.get("ignore", []), "ignore", pyproject)
    cfg.extend_select = _str_list(table.get("extend-select", []), "extend-select", pyproject)
    if "exclude" in table:
        cfg.exclude = _str_list(table["exclude"], "exclude", pyproject)
    cfg.exclude += _str_list(table.get("extend-exclude", []), "extend-exclude", pyproject)
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{pyproject}: [tool.trtlint] per-file-ignores must be a table of glob = [codes]")
    cfg.per_file_ignores = {k: _str_list(v, f"per-file-ignores.{k}", pyproject) for k, v in pfi.items()}
    target = table.get("target")
    if target is not None and not isinstance(target, str):
        raise ConfigError(f"{pyproject}: [tool.trtlint] target must be a string such as \"trt10.8,torch2.4\"")
    cfg.target = target
    fail_on = table.get("fail-on", DEFAULT_FAIL_ON)
    if fail_on not in FAIL_ON:
        raise ConfigError(f'{pyproject}: [tool.trtlint] fail-on must be one of {", ".join(map(repr, FAIL_ON))}')
    cfg.fail_on = fail_on
    cfg.models = _str_list(table.get("models", []), "models", pyproject)
    for entry in cfg.models:
        module, sep, obj = entry.partition(":")
        if not sep or not all(p.isidentifier() for p in (*module.split("."), *obj.split("."))) or obj.count(".") > 1:
            raise ConfigError(f'{pyproject}: [tool.trtlint] models entry {entry!r} must read "pkg.module:Class", '
                              '"pkg.module:factory" or "pkg.module:Class.method"')
    return cfg
