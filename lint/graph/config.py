"""``[tool.trtlint.graph]``: one model (``entry = ...``) or several (``models = [{entry = ...}, ...]``); keys as the
command-line flags without dashes; top-level keys are defaults for every model. Torch-free."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .spec import GraphSpec, SpecError, spec_from_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def graph_table(pyproject: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{pyproject}: cannot read: {exc}") from None
    table = data.get("tool", {}).get("trtlint", {}).get("graph")
    if table is not None and not isinstance(table, dict):
        raise SpecError(f"{pyproject}: [tool.trtlint.graph] must be a table")
    return table


def specs_from_config(pyproject: Path) -> list[GraphSpec]:
    table = graph_table(pyproject)
    where = f"{pyproject} [tool.trtlint.graph]"
    if not table:
        raise SpecError(f"no ENTRY given and {pyproject} has no [tool.trtlint.graph] table with entry = ... or models")
    defaults = {k: v for k, v in table.items() if k != "models"}
    models = table.get("models")
    if models is None:
        return [spec_from_table(defaults, pyproject.parent, where)]
    if not isinstance(models, list) or not all(isinstance(m, dict) for m in models) or not models:
        raise SpecError(f"{where}: models must be a list of tables, e.g. models = [{{entry = \"net.py:build\", "
                        "shapes = \"x:1x3x224x224\"}]")
    return [spec_from_table({**{k: v for k, v in defaults.items() if k != "entry"}, **m}, pyproject.parent,
                            f"{where} models[{i}]") for i, m in enumerate(models)]
