from ._base import InputProblem


class NotUtf8(InputProblem):
    """The source file is not valid UTF-8 (nor in the encoding its coding cookie declares).

    ## What it does
    Reports a `.py` file whose bytes cannot be decoded, at the first bad byte.

    ## Why it matters for TensorRT
    Python 3 reads source as UTF-8 by default; such a file fails at import, before any export can run.

    ## Example
    A file saved as Latin-1 with `# é` in a comment and no `# -*- coding: latin-1 -*-` line.

    ## Use instead
    Re-save the file as UTF-8, or declare its encoding in a PEP 263 coding line.

    ## References
    - https://peps.python.org/pep-0263/
    """

    code = "TRT902"
    name = "not-utf8"
