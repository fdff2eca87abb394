from ._base import InputProblem


class FileTooLarge(InputProblem):
    """A Python source file is larger than trtlint reads (4 MiB, or 300,000 operators and separators).

    ## What it does
    Skips, and reports, source files over 4 MiB, or with more than 300,000 operators and separators (about a
    second and 300 MB of syntax tree), instead of parsing them.

    ## Why it matters for TensorRT
    Files that large are generated (serialized graphs, embedded weights); parsing them would stall a pre-commit
    hook while finding nothing a human can act on.

    ## Example
    A 40 MB `weights.py` holding a literal list of floats.

    ## Use instead
    Store data as data (`.npy`, `.safetensors`) and exclude generated code from linting.

    ## References
    - README.md, "Limits"
    """

    code = "TRT904"
    name = "file-too-large"
