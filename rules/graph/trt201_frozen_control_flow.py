from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations, display


class FrozenControlFlow(GraphRule):
    """A traced or exported graph gives different outputs from eager on inputs the tracing example did not take.

    ## What it does
    Runs the model eagerly, as `torch.jit.trace` traced it and as `torch.export` exported it, on at least three
    input sets (different values; for dynamic dimensions, the min, max and a middle size). Where a graph's
    output differs from eager beyond tolerance (rtol 1e-3, atol 1e-4), it reports the method, the input set,
    the output that diverged and by how much, at the TracerWarning location (or the host read of a tensor value)
    that froze the branch.

    ## Why it matters for TensorRT
    Tracing and export record only the path the example input takes. The engine built from that graph is
    silently wrong for every input that would have taken another branch.

    ## Example
    `if x.max() > 1.0: return x * 2` in `forward`, traced with one example.

    ## Use instead
    `torch.where(cond, a, b)` for both branches, `torch.cond` with `torch.export`, or move the decision out of
    the model.

    ## References
    - PyTorch docs, torch.jit.trace (tracing records only the operations run on the example inputs; modules
      with control flow on tensor data are not traced correctly)
    - PyTorch docs, torch.cond (control flow operators for torch.export)
    """

    code = "TRT201"
    name = "frozen-control-flow"
    tags = ("graph", "control-flow")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("divergence"):
            sites = [f"{display(f)}:{ln}" for f, ln in rec.get("sites", [])[:3]]
            also = f"; the branch is frozen at {', '.join(sites)}" if len(sites) > 1 else ""
            yield self.at(obs, rec, f"{rec['method']} output differs from eager on {rec['variant']}: "
                          f"{rec['output']} {rec['detail']}{also} (torch {obs.torch})",
                          hint="compute both branches and select with torch.where, or use torch.cond with torch.export")
