from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding

from ._base import VerifyRule, VerifyRun


class TensorRTParserError(VerifyRule):
    """TensorRT's ONNX parser rejected a node.

    ## What it does
    Reports each error of `OnnxParser.parse_from_file` at the failing node: its name and operator and the
    parser's description, at the PyTorch source line where the exporter recorded one
    (`pkg.torch.onnx.stack_trace` metadata of the dynamo exporter), else at the ONNX file.

    ## Why it matters for TensorRT
    A parser error means no engine at all; the node that fails is rarely the one the Python traceback of the
    build script points to.

    ## Example
    An op exported to a domain TensorRT has no importer for, or an attribute value the importer does not
    support (for instance a `Resize` mode outside its table).

    ## Use instead
    Change the PyTorch code at the reported line to an op TensorRT supports, export with an opset the parser
    supports (`trtlint` on the ONNX file checks opsets and operators statically), or provide a plugin.

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/operators/index.html
    - https://github.com/onnx/onnx-tensorrt/blob/main/docs/operators.md
    """

    code = "TRT502"
    name = "tensorrt-parser-error"

    def check(self, run: VerifyRun) -> Iterator[Finding]:
        for rec in run.of("parser-error"):
            yield self.at(run, rec, f"TensorRT's ONNX parser failed at {rec.get('node')}: {rec.get('desc')} "
                                    f"({rec.get('code')}); no {rec.get('precision')} engine was built",
                          hint="change the op at this line, or export with an opset/op the TensorRT parser supports")
