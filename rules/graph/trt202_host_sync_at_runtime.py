from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations

WHAT = {
    "item": "`.item()` copies a value to the host",
    "tolist": "`.tolist()` copies the tensor to a Python list",
    "numpy": "`.numpy()` copies the tensor to NumPy",
    "__bool__": "a tensor is read as a Python bool",
    "__int__": "a tensor is read as a Python int",
    "__float__": "a tensor is read as a Python float",
    "__index__": "a tensor is used as a Python index",
    "cpu": "`.cpu()` copies the tensor to host memory",
    'to("cpu")': '`.to("cpu")` copies the tensor to host memory',
}


class HostSyncAtRuntime(GraphRule):
    """A host sync or CPU round-trip observed while `forward` ran, however deep in the user's code.

    ## What it does
    Intercepts `item`, `tolist`, `numpy`, `__bool__`, `__int__`, `__float__`, `__index__`, `cpu` and
    `.to("cpu")` on tensors with a `TorchFunctionMode` during eager runs of the model, and reports each at the
    innermost frame inside the user's files: one finding per location and operation.

    ## Why it matters for TensorRT
    A value read on the host becomes a Python constant in the traced or exported graph (the engine never
    recomputes it), and on a GPU every such read stalls the stream.

    ## Example
    `n = int(scores.max())` in a helper that `forward` calls three levels down.

    ## Use instead
    Keep values as tensors (`torch.where`, masking, `clamp`), or pass host values as inputs.

    ## References
    - PyTorch docs, torch.overrides.TorchFunctionMode
    - PyTorch docs, "CUDA semantics: asynchronous execution" (synchronising operations)
    """

    code = "TRT202"
    name = "host-sync-at-runtime"
    tags = ("graph", "host-sync")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("host_sync"):
            what = WHAT.get(rec["op"], f"`{rec['op']}` reads the tensor on the host")
            yield self.at(obs, rec, f"{what} while `forward` runs: the exported graph keeps it as a constant and a "
                          "GPU stream stalls here",
                          hint="keep the value a tensor (torch.where, masking) or make it a model input")
