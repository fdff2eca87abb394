"""Whether the user declared the code of a finding exported: the evidence the model-code rules need before their
findings are errors or warnings.

The model-code rules (TRT101-TRT106, ``SourceRule.needs_declared_export``) judge code that a static reading cannot
prove is exported. Measured on six real-code corpora, each judged before anyone tuned a rule on it, between 8% and
47% of their errors and warnings per rule were hazards a deployment engineer would act on; export calls found in
the linted files did not raise that figure (the findings their reach covered were no more often true). So these
rules report notes unless ``[tool.trtlint] models`` names a model whose reach holds the finding: the user's own
statement of what is exported (benchmarks/corpus/held_out.py). ``trtlint graph`` proves the hazards by running the model.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import Block, RunIndex

CONFIG_VIA = "config models"


def declared_reach(index: RunIndex) -> frozenset[str]:
    """Names of the run's top-level classes and functions that the configured ``models`` reach (by the names their
    bodies call and their bases). A lower bound: a model built from a checkpoint or registry adds nothing here,
    where :attr:`RunIndex.reach` gives up; only what is certainly reached counts as evidence."""
    if index._declared is None:
        index._declared = frozenset(index.reached_from([r.name for r in index.roots
                                                        if r.via == CONFIG_VIA and r.resolved]) or ())
    return index._declared


def block_at(index: RunIndex, path: str, line: int) -> Block | None:
    """The top-level class or function of ``path`` whose text holds ``line``."""
    return next(iter(index.blocks_at(path, line)), None)


def declared_export(index: RunIndex | None, path: str, line: int) -> bool:
    """Whether ``path:line`` lies in a class or function that the configured ``models`` reach, or in an export
    call of the run whose model they reach (where TRT106 reports)."""
    if index is None:
        return False
    reach = declared_reach(index)  # empty without configured models
    if not reach:
        return False
    if any(r.via != CONFIG_VIA and r.path == path and r.line <= line <= max(r.line, r.end_line) and r.name in reach
           for r in index.roots):
        return True
    b = block_at(index, path, line)
    return b is not None and b.name in reach
