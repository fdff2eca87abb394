"""Rules by code: the built-in rule modules (one file a rule under trtlint.rules.<layer>) and entry-point plugins."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from importlib.metadata import entry_points

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
def all_rules() -> dict[str, type[Rule]]:
    """Every known rule class by code. Importing a rule module never imports torch, onnx or tensorrt."""
    found: list[type[Rule]] = []
    for pkg_name in LAYER_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            found.extend(_rule_classes(importlib.import_module(f"{pkg_name}.{info.name}")))
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not take the linter down silently
            raise RegistryError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        classes = [obj] if isinstance(obj, type) else _rule_classes(obj)
        found.extend(c for c in classes if isinstance(c, type) and issubclass(c, Rule))
    rules: dict[str, type[Rule]] = {}
    for cls in found:
        problems = cls.validate()
        if problems:
            raise RegistryError("; ".join(problems))
        if cls.code in rules and rules[cls.code] is not cls:
            raise RegistryError(f"duplicate rule code {cls.code}: {rules[cls.code].__qualname__} and {cls.__qualname__}")
        rules[cls.code] = cls
    return dict(sorted(rules.items()))
