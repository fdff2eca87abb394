from ._base import InputProblem


class BinaryFile(InputProblem):
    """A file named as Python source holds binary data (NUL bytes).

    ## What it does
    Reports a `.py` file that contains NUL bytes instead of trying to parse it.

    ## Why it matters for TensorRT
    It is not source code: most often a checkpoint or archive saved under a `.py` name by mistake.

    ## Example
    `torch.save(model.state_dict(), "model.py")`

    ## Use instead
    Give weights a `.pt`/`.safetensors` name and keep them out of the linted tree (`exclude`).

    ## References
    - https://docs.python.org/3/library/ast.html#ast.parse
    """

    code = "TRT903"
    name = "binary-file"
