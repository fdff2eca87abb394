from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import GraphRule, Observations


class Int8Outliers(GraphRule):
    """A module's activations have extreme outliers: INT8 calibration would crush the rest of the range.

    ## What it does
    Over the example inputs (and `--calib-data` files), computes for every leaf module with at least 4,096
    output values the ratio of its largest |activation| to the 99.9th percentile of |activation|, and reports a
    ratio above 100 at the line that built the module.

    ## Why it matters for TensorRT
    INT8 has 255 levels. A max-based scale spends them on the outliers, leaving the bulk of the values one or two
    levels; a percentile or entropy calibrator clips the outliers instead. Either way accuracy suffers at this
    layer.

    ## Example
    A channel whose activations are 1000x the others (common after some attention and GELU layers).

    ## Use instead
    Keep the layer in higher precision, rebalance (SmoothQuant-style scaling), or calibrate with a percentile
    calibrator on representative data (`--calib-data`).

    ## References
    - NVIDIA TensorRT docs, "Working with Quantized Types" (calibration)
    - Xiao et al., SmoothQuant (2022): activation outliers and INT8
    """

    code = "TRT208"
    name = "int8-outliers"
    tags = ("graph", "precision")
    severity = Severity.WARNING
    precision = "medium"

    def check(self, obs: Observations) -> Iterator[Finding]:
        for rec in obs.of("int8_outliers"):
            yield self.at(obs, rec, f"`{rec['module']}` ({rec['cls']}) has max |x| {rec['absmax']:.3g}, "
                          f"{rec['ratio']:.0f}x its 99.9th percentile: INT8 calibration of this layer either clips "
                          "the outliers or leaves the other values a few levels",
                          hint="keep this layer in FP16/FP32, rebalance its scale, or calibrate on real data")
