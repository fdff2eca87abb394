"""trtlint: will this PyTorch model survive PyTorch -> ONNX -> TensorRT? A static linter that answers before a GPU is touched.

The command line is a thin layer over :func:`check`.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .finding import Edit, Finding, Fix, Severity

__version__ = "0.1.0"
__all__ = ["check", "Finding", "Severity", "Fix", "Edit", "__version__"]


def check(
    paths: Sequence[str],
    *,
    target: str | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    extend_select: Iterable[str] = (),
    use_config: bool = True,
    include_suppressed: bool = False,
) -> list[Finding]:
    """Lint files and folders; returns findings sorted by path and position.

    Configuration from the nearest ``[tool.trtlint]`` applies unless ``use_config`` is false; arguments given here
    win over it, as on the command line. Raises ``ValueError`` subclasses for bad selectors, config or targets.
    """
    from .compat import Target
    from .config import Config, find_pyproject, load_config
    from .registry import all_rules
    from .runner import Runner, enabled_codes
    from .selectors import check_selectors

    cfg = load_config(find_pyproject(list(paths))) if use_config else Config()
    known = all_rules().keys()
    sel = check_selectors(select if select is not None else cfg.select, known, "select")
    ign = check_selectors(ignore if ignore is not None else cfg.ignore, known, "ignore")
    ext = check_selectors([*cfg.extend_select, *extend_select], known, "extend-select")
    for pattern, codes in cfg.per_file_ignores.items():
        check_selectors(codes, known, f"per-file-ignores[{pattern!r}]")
    tgt = Target.parse(target if target is not None else cfg.target)
    result = Runner(cfg, tgt, enabled_codes(sel, ign, ext)).run(paths)
    return result.findings if include_suppressed else result.reported
