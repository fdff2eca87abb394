"""``[tool.trtlint.verify]``: defaults for ``trtlint verify`` (the command line wins). Torch-free.

```toml
[tool.trtlint.verify]
precision = ["fp32", "fp16", "int8"]   # or "fp32,fp16"
atol = { fp16 = 0.05 }                 # a number for every precision, or per precision
rtol = 1e-3
workspace = "4GiB"
timing-cache = "build/trt.cache"
calib-data = ["calib/batch0.npz", "calib/batch1.npz"]
```
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = ("precision", "atol", "rtol", "workspace", "timing-cache", "calib-data")


class VerifyConfigError(ValueError):
    """An unusable [tool.trtlint.verify] entry: one line, exit 2."""


def verify_defaults(pyproject: Path | None) -> dict[str, Any]:
    """The table as command-line spellings (strings, lists of paths resolved against the pyproject's folder)."""
    if pyproject is None:
        return {}
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("trtlint", {}).get("verify")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise VerifyConfigError(f"{pyproject}: cannot read: {exc}") from None
    if table is None:
        return {}
    where = f"{pyproject} [tool.trtlint.verify]"
    if not isinstance(table, dict):
        raise VerifyConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise VerifyConfigError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                                f"valid keys: {', '.join(KEYS)}")
    out: dict[str, Any] = {}
    if "precision" in table:
        v = table["precision"]
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            v = ",".join(v)
        if not isinstance(v, str):
            raise VerifyConfigError(f"{where}: precision must be a string or a list such as [\"fp32\", \"fp16\"]")
        out["precision"] = v
    for key in ("atol", "rtol"):
        if key not in table:
            continue
        v = table[key]
        if isinstance(v, dict) and all(isinstance(x, (int, float)) for x in v.values()):
            v = ",".join(f"{k}:{x}" for k, x in v.items())
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            raise VerifyConfigError(f"{where}: {key} must be a number or a table such as {{ fp16 = 0.05 }}")
        out[key] = v
    if "workspace" in table:
        v = table["workspace"]
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise VerifyConfigError(f"{where}: workspace must be bytes or a size such as \"4GiB\"")
        out["workspace"] = str(v)
    if "timing-cache" in table:
        if not isinstance(table["timing-cache"], str):
            raise VerifyConfigError(f"{where}: timing-cache must be a path")
        out["timing_cache"] = str(pyproject.parent / table["timing-cache"])
    if "calib-data" in table:
        v = table["calib-data"]
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise VerifyConfigError(f"{where}: calib-data must be a list of .npz/.npy paths")
        out["calib_data"] = [str(pyproject.parent / x) for x in v]
    return out
