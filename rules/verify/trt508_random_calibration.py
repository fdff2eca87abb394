from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import VerifyRule, VerifyRun


class RandomCalibration(VerifyRule):
    """INT8 was calibrated on seeded random inputs: its accuracy numbers mean little.

    ## What it does
    Reports that the Q/DQ model's scales come from random normal inputs because no `--calib-data` was given.

    ## Why it matters for TensorRT
    INT8 scales are set from the activation ranges seen in calibration. Random inputs give ranges unlike real
    data, so the reported INT8 accuracy (and any engine built from these scales) says little about deployment.

    ## Example
    `trtlint verify net.py:build --shapes x:1x3x224x224 --precision int8`

    ## Use instead
    `--calib-data batch0.npz batch1.npz ...` (arrays keyed by input name, or `.npy` for a one-input model) with
    a few hundred representative samples.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-quantized-types.html
    - https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html
    """

    code = "TRT508"
    name = "random-calibration"
    severity = Severity.WARNING

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("calibration"):
            if rec.get("random"):
                yield self.at(run, rec, f"INT8 calibrated on {rec.get('batches')} batches of seeded random inputs: "
                                        "the INT8 accuracy reported here means little",
                              hint="pass representative inputs with --calib-data (.npz keyed by input name, or .npy)")
