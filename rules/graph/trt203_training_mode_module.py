from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import GraphRule, Observations


class TrainingModeModule(GraphRule):
    """A module whose behaviour depends on `training` is still in training mode when the factory returns it.

    ## What it does
    Lists every BatchNorm, Dropout, InstanceNorm with running stats, RReLU, or user module whose `forward`
    reads `self.training`, with `training=True` on the model the factory returned, by module path, at the line
    that built it.

    ## Why it matters for TensorRT
    Exported in training mode, BatchNorm normalises with batch statistics (and the exporter may keep training
    ops), Dropout zeroes activations at random: the engine computes something other than inference.

    ## Example
    `def build(): return Net()` with no `.eval()`.

    ## Use instead
    `model.eval()` before export (and in the factory that hands the model out).

    ## References
    - PyTorch docs, nn.Module.eval: "This has an effect only on certain modules... Dropout, BatchNorm"
    """

    code = "TRT203"
    name = "training-mode-module"
    tags = ("graph", "export")

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("training"):
            yield self.at(obs, rec, f"`{rec['module']}` ({rec['cls']}) is in training mode when the factory returns "
                          "the model: exported like this it computes training behaviour",
                          hint="call model.eval() before export")
