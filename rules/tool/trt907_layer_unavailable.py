from ._base import InputProblem


class LayerUnavailable(InputProblem):
    """An input needs an optional layer of trtlint that is not installed.

    ## What it does
    Reports an `.onnx` file passed on the command line while the `onnx` package is missing, instead of
    pretending it was checked. Folders are walked for `.onnx` files only when the ONNX layer is installed.
    Likewise an `.ipynb` notebook passed on the command line while `nbformat` (the `[notebook]` extra) is missing.

    ## Why it matters for TensorRT
    A gate must never pass a model it did not read.

    ## Example
    `pip install trtlint` (core only), then `trtlint model.onnx`.

    ## Use instead
    `pip install "trtlint[onnx]"` (models), `pip install "trtlint[notebook]"` (notebooks).

    ## References
    - README.md, "Install"
    """

    code = "TRT907"
    name = "layer-unavailable"
