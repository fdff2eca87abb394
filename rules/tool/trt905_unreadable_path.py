from ._base import InputProblem


class UnreadablePath(InputProblem):
    """A path given to trtlint does not exist or cannot be read.

    ## What it does
    Reports a missing path, a permission error, a symbolic-link loop or a special file, and goes on with the
    other paths. The run exits with code 2.

    ## Why it matters for TensorRT
    A gate that silently skips the file it was pointed at proves nothing about it.

    ## Example
    `trtlint modle.py` (a typo), or a link that points at itself.

    ## Use instead
    Fix the path or its permissions.

    ## References
    - README.md, "Exit codes"
    """

    code = "TRT905"
    name = "unreadable-path"
