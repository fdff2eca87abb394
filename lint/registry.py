"""Rules by code: the built-in rule modules (one file a rule under trtlint.rules.<layer>) and entry-point plugins."""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import pkgutil
import re
import sys
from functools import lru_cache

from .rule import Rule

LAYER_PACKAGES = ("trtlint.rules.tool", "trtlint.rules.source", "trtlint.rules.onnx", "trtlint.rules.graph",
                  "trtlint.rules.verify")
ENTRY_POINT_GROUP = "trtlint.rules"


class RegistryError(ValueError):
    """Duplicate codes or a broken plugin: a usage error (exit 2)."""


def _rule_classes(module: object) -> list[type[Rule]]:
    out = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, Rule)
            and value.code
            and value.__module__ == getattr(module, "__name__", None)
        ):
            out.append(value)
    return out


@lru_cache(maxsize=1)
def _builtin_index() -> dict[str, str]:
    """Built-in rule modules by code, from their file names (``trtNNN_name.py``): nothing is imported, so a
    ``trtlint check`` run need not import the graph and verify rules it never runs (a test keeps the file names
    and the classes' codes equal)."""
    index: dict[str, str] = {}
    for pkg_name in LAYER_PACKAGES:
        spec = importlib.util.find_spec(pkg_name)
        for info in pkgutil.iter_modules(list(spec.submodule_search_locations or []) if spec else []):
            m = re.match(r"trt(\d{3})_", info.name)
            if m:
                index[f"TRT{m.group(1)}"] = f"{pkg_name}.{info.name}"
    return index


def _may_have_plugins() -> bool:
    """Whether an installed distribution may declare a ``trtlint.rules`` entry point, decided without importing
    importlib.metadata (with the email package it pulls in, ~35 ms of every run's start, while most environments
    have no plugin). It reads what importlib.metadata's path finder would read, the ``entry_points.txt`` of every
    ``*.dist-info``/``*.egg-info`` (and an egg's ``EGG-INFO``) folder of every ``sys.path`` entry, and answers
    True when one names the group, or when it meets what it does not read (a zip on ``sys.path``, a file it
    cannot decode, another finder of distributions on ``sys.meta_path``): importlib.metadata then decides."""
    group = ENTRY_POINT_GROUP.encode()
    for finder in sys.meta_path:
        if getattr(finder, "find_distributions", None) is not None and finder is not importlib.machinery.PathFinder:
            return True
    for entry in sys.path:
        if not isinstance(entry, str):
            return True  # bytes or a path object: rare enough to leave to importlib.metadata
        root = entry or "."
        try:
            children = os.listdir(root)
        except (OSError, ValueError):
            if os.path.exists(root):
                return True  # a file on sys.path (a zip, an egg) or a folder it cannot list
            continue
        for child in children:
            low = child.lower()
            if not (low.endswith((".dist-info", ".egg-info")) or low == "egg-info"):
                continue
            try:
                with open(os.path.join(root, child, "entry_points.txt"), "rb") as fh:
                    data = fh.read()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
                continue  # what importlib.metadata skips as well
            except OSError:
                return True
            if group in data:
                return True
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return True  # importlib.metadata raises on it: let it
    return False


@lru_cache(maxsize=1)
def _plugins() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    if not _may_have_plugins():
        return ()
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not take the linter down silently
            raise RegistryError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        classes = [obj] if isinstance(obj, type) else _rule_classes(obj)
        found.extend(c for c in classes if isinstance(c, type) and issubclass(c, Rule))
    return tuple(found)


def _checked(found: list[type[Rule]], codes: set[str],
             valid: frozenset[type[Rule]] = frozenset()) -> dict[str, type[Rule]]:
    """Validate the classes (except those in ``valid``); refuse duplicate codes, also against built-in rules that
    are not imported."""
    rules: dict[str, type[Rule]] = {}
    for cls in found:
        problems = cls.validate() if cls not in valid else []
        if problems:
            raise RegistryError("; ".join(problems))
        if cls.code in rules and rules[cls.code] is not cls:
            raise RegistryError(f"duplicate rule code {cls.code}: {rules[cls.code].__qualname__} and {cls.__qualname__}")
        rules[cls.code] = cls
    for cls in _plugins():
        if cls.code in codes:
            raise RegistryError(f"duplicate rule code {cls.code}: the built-in rule and plugin {cls.__qualname__}")
    return dict(sorted(rules.items()))


def _load(codes: list[str]) -> list[type[Rule]]:
    index = _builtin_index()
    found: list[type[Rule]] = []
    for code in codes:
        found.extend(_rule_classes(importlib.import_module(index[code])))
    return found


def rule_codes() -> list[str]:
    """Every known code (built-in and plugins), without importing the built-in rule modules."""
    return sorted({*_builtin_index(), *(c.code for c in _plugins())})


@lru_cache(maxsize=None)
def rules_of(layers: tuple[str, ...]) -> dict[str, type[Rule]]:
    """The built-in rules of these layers (``"source"``, ``"onnx"``, ``"tool"``, ...) and every plugin rule."""
    wanted = tuple(f"trtlint.rules.{layer}." for layer in layers)
    index = _builtin_index()
    codes = [c for c, mod in index.items() if mod.startswith(wanted)]
    builtin = _load(codes)
    # the built-in rules' declarations are validated by all_rules() (the `rule` command and the test suite call
    # it); a check run validates only the plugins' and saves parsing every docstring
    return _checked([*builtin, *_plugins()], set(index) - set(codes), frozenset(builtin))


def rule_class(code: str) -> type[Rule] | None:
    """One rule's class, importing only its module."""
    mod = _builtin_index().get(code)
    if mod is not None:
        return next((c for c in _load([code]) if c.code == code), None)
    return next((c for c in _plugins() if c.code == code), None)


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule]]:
    """Every known rule class by code. Importing a rule module never imports torch, onnx or tensorrt."""
    return _checked([*_load(list(_builtin_index())), *_plugins()], set())
