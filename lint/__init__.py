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
    from .config import Config, find_pyproject, load_config
    from .runner import build_runner

    cfg = load_config(find_pyproject(list(paths))) if use_config else Config()
    runner = build_runner(cfg, target, None if select is None else list(select),
                          None if ignore is None else list(ignore), extend_select)
    result = runner.run(paths)
    return result.findings if include_suppressed else result.reported
