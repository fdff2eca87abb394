"""ruff-style rule selection: codes or code prefixes (``TRT1``, ``TRT10``, ``TRT101``) and ``ALL``."""
from __future__ import annotations

from collections.abc import Iterable

class SelectorError(ValueError):
    pass


def check_selectors(selectors: Iterable[str], known: Iterable[str], where: str) -> list[str]:
    """Normalise and validate selectors; an unknown one raises with the valid choices named."""
    known = sorted(known)
    out = []
    for raw in selectors:
        sel = raw.strip().upper()
        if not sel:
            continue
        if sel != "ALL" and not any(code.startswith(sel) for code in known):
            prefixes = sorted({c[:4] for c in known})
            raise SelectorError(
                f"{where}: unknown rule selector {raw!r}; use ALL, a code ({known[0]}..{known[-1]}) "
                f"or a prefix ({', '.join(prefixes)})"
            )
        out.append(sel)
    return out


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def _best(code: str, selectors: Iterable[str]) -> int:
    return max((_specificity(s) for s in selectors if s == "ALL" or code.startswith(s)), default=-1)


def resolve(
    known: Iterable[str], select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str] = ()
) -> set[str]:
    """Codes enabled: the most specific matching selector wins; on a tie ``ignore`` wins (as in ruff)."""
    chosen = set()
    sel = list(select) + list(extend_select)
    ign = list(ignore)
    for code in known:
        s, i = _best(code, sel), _best(code, ign)
        if s >= 0 and s > i:
            chosen.add(code)
    return chosen

