from ._base import InputProblem


class SyntaxErrorInSource(InputProblem):
    """The Python file does not parse.

    ## What it does
    Reports a file that Python's parser rejects, at the line and column of the error. No other rule runs on it.

    ## Why it matters for TensorRT
    A model file that does not parse cannot be imported, traced or exported; nothing else about it can be judged.

    ## Example
    ```python
    def forward(self, x)
        return x
    ```

    ## Use instead
    Fix the syntax error (the message names it), then lint again.

    ## References
    - https://docs.python.org/3/reference/grammar.html
    """

    code = "TRT901"
    name = "syntax-error"
