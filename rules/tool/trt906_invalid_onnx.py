from ._base import InputProblem


class InvalidOnnx(InputProblem):
    """An `.onnx` file is empty, truncated or not an ONNX model at all.

    ## What it does
    Reports a model file that does not decode as an ONNX `ModelProto` (or decodes to one with no graph).
    No other ONNX rule runs on it; the run exits with code 2.

    ## Why it matters for TensorRT
    TensorRT's ONNX parser fails on such a file with a terse protobuf error, usually far away from where the
    file was produced (an interrupted download, a Git LFS pointer checked out instead of the model).

    ## Example
    A 133-byte `model.onnx` that starts with `version https://git-lfs.github.com/spec/v1`.

    ## Use instead
    Re-export the model, or fetch the real file (`git lfs pull`).

    ## References
    - https://onnx.ai/onnx/repo-docs/IR.html
    """

    code = "TRT906"
    name = "invalid-onnx"
