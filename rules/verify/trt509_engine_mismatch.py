from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import VerifyRule, VerifyRun


class EngineMismatch(VerifyRule):
    """A saved engine does not fit this machine or its manifest: refused before anything loads it.

    ## What it does
    `trtlint verify --check-engine FILE` reads the manifest written beside the engine by `--save-engine`
    (TensorRT version, GPU and compute capability, precision, profile, I/O signature, ONNX and engine hashes)
    and compares it with the installed TensorRT, the GPU, and the ONNX model if one is given; then it
    deserializes the engine and refuses it if TensorRT returns None.

    ## Why it matters for TensorRT
    A plan file is specific to the TensorRT version and GPU architecture that built it (unless built version- or
    hardware-compatible). `deserialize_cuda_engine` returns None for a mismatch, and the program fails later
    with an attribute error on None, far from the cause.

    ## Example
    An engine built with TensorRT 10.3 on an sm_86 card, deployed with TensorRT 10.8 on an sm_89 card.

    ## Use instead
    Rebuild on the target (or build with `BuilderFlag.VERSION_COMPATIBLE` / a hardware-compatibility level),
    and check the engine at startup.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/advanced.html#version-compatibility
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/advanced.html#hardware-compatibility
    """

    code = "TRT509"
    name = "engine-mismatch"

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("engine-check"):
            for problem in rec.get("problems", []):
                yield self.at(run, rec, f"engine refused: {problem}", hint="rebuild the engine on this machine")
