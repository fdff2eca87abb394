from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity

from ._base import VerifyRule, VerifyRun, parity_numbers


class ReducedPrecisionDivergence(VerifyRule):
    """An FP16 or INT8 run's output is beyond that precision's tolerance.

    ## What it does
    Compares each reduced-precision candidate -- a TensorRT fp16/int8 engine, the INT8 Q/DQ model on ONNX
    Runtime, the half-precision PyTorch pass -- with the fp32 reference and reports outputs beyond the
    precision's tolerance (defaults: fp16 1e-2/1e-2, int8 1e-1/1e-1; `--atol/--rtol` per precision), with
    max errors, cosine similarity and, for classifier-shaped outputs, top-1 agreement. New NaN or Inf make it
    an error.

    ## Why it matters for TensorRT
    FP16 has a 10-bit mantissa and a range of ±65504; INT8 keeps 256 levels per tensor (or channel). A model
    that is fine at fp32 can lose its accuracy or overflow once TensorRT runs it in reduced precision.

    ## Example
    A network whose logits drift by 5% at fp16 because a normalisation sums large activations.

    ## Use instead
    Keep the layers named by TRT505/TRT506/TRT507 in fp32 (strongly typed networks: cast in the model; TensorRT
    10 weakly typed: `ILayer.precision` with `OBEY_PRECISION_CONSTRAINTS`), rescale activations, or calibrate
    INT8 on real data (`--calib-data`).

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-quantized-types.html
    """

    code = "TRT504"
    name = "reduced-precision-divergence"
    severity = Severity.WARNING

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("parity"):
            if rec.get("passed") or rec.get("precision") == "fp32":
                continue
            bad = bool(rec.get("nan") or rec.get("inf"))
            yield self.at(run, rec, f"output '{rec.get('output')}' at {rec.get('precision')}: {rec.get('candidate')} "
                                    f"vs {rec.get('reference')} beyond atol={rec.get('atol'):g}, rtol={rec.get('rtol'):g} "
                                    f"({parity_numbers(rec)}; on {rec.get('inputs')})",
                          severity=Severity.ERROR if bad else None,
                          hint="keep the diverging layers in fp32, or calibrate on real data (--calib-data)")
