from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations


class ExportFailure(GraphRule):
    """`torch.jit.trace`, `torch.export` or `torch.onnx.export` fails on the model.

    ## What it does
    Traces, exports (non-strict, with the declared dynamic dimensions) and exports to ONNX with the exporter the
    target torch uses by default, and reports each failure at the innermost user line of its stack (the
    exception's traceback, or a user stack quoted in its message), with its first line.

    ## Why it matters for TensorRT
    No graph, no engine: the deployment fails at this step.

    ## Example
    A data-dependent `if` on a tensor value under `torch.export` (GuardOnDataDependentSymNode).

    ## Use instead
    The fix the message points to: `torch.cond`, `torch._check`, static shapes, or moving host logic out of
    `forward`.

    ## References
    - PyTorch docs, torch.export ("Control flow", "Data-dependent errors")
    """

    code = "TRT209"
    name = "export-failure"
    tags = ("graph", "export")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for kind, what in (("trace_error", "torch.jit.trace"), ("export_error", "torch.export.export"),
                           ("onnx_export_error", "torch.onnx.export")):
            for rec in obs.of(kind):
                extra = f" ({rec['exporter']} exporter)" if rec.get("exporter") else ""
                yield self.at(obs, rec, f"{what}{extra} fails: {rec['error']} (torch {obs.torch})",
                              hint="make this line export-friendly (torch.cond, torch._check, static shapes)")
