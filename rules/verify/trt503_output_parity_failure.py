from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import VerifyRule, VerifyRun, parity_numbers


class OutputParityFailure(VerifyRule):
    """An output of the exported model (ONNX Runtime or a TensorRT fp32 engine) differs from PyTorch eager.

    ## What it does
    Runs PyTorch eager fp32 and each fp32 backend on the same seeded inputs (several value scales, and the
    min/opt/max sizes of dynamic dimensions) and reports every output whose element-wise difference exceeds
    `atol + rtol * |reference|` (Polygraphy's comparator, `--atol/--rtol`, fp32 defaults 1e-4/1e-3), or that
    gains NaN/Inf, or whose shape changed, naming the output, the backends and the input set.

    ## Why it matters for TensorRT
    At fp32 an exported graph should match eager to rounding. A larger difference means the export computes
    something else: a branch frozen by tracing, a shape specialised to the example input, an op lowered
    differently. TensorRT inherits whatever the ONNX file says.

    ## Example
    ```python
    def forward(self, x):
        if x.mean() > 0:      # the export keeps only the branch the example input took
            return x * 2
        return -x
    ```

    ## Use instead
    Make the branch part of the graph (`torch.where`, `torch.cond`), or fix what `trtlint graph` reports for
    the model, then verify again.

    ## References
    - https://github.com/NVIDIA/TensorRT/tree/main/tools/Polygraphy (comparator semantics)
    - https://pytorch.org/docs/stable/onnx.html
    """

    code = "TRT503"
    name = "output-parity-failure"

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("parity"):
            if rec.get("passed") or rec.get("precision") != "fp32":
                continue
            if rec.get("shape_mismatch"):
                detail = f"shape {rec['shape_mismatch']}"
            else:
                detail = parity_numbers(rec)
            yield self.at(run, rec, f"output '{rec.get('output')}': {rec.get('candidate')} differs from "
                                    f"{rec.get('reference')} beyond atol={rec.get('atol'):g}, rtol={rec.get('rtol'):g} "
                                    f"({detail}; on {rec.get('inputs')})",
                          hint="an export that diverges at fp32 computes something else: check `trtlint graph` for "
                               "frozen branches and specialised shapes")
