from ._base import InputProblem


class InternalError(InputProblem):
    """A rule or loader of trtlint itself failed on this file.

    ## What it does
    Reports that trtlint hit a bug while checking a file. The other files and rules still run;
    the run exits with code 2 so that a CI gate does not pass on a partial check.

    ## Why it matters for TensorRT
    A check that silently did not run is worse than no check: the file was not proven deployable.

    ## Example
    ```
    model.py:1:1: TRT900 internal error in TRT101: KeyError 'x' (please report it; rerun with --debug)
    ```

    ## Use instead
    Rerun with `--debug` for the traceback and file a bug with it. Meanwhile `--ignore` the failing rule.

    ## References
    - trtlint issue tracker
    """

    code = "TRT900"
    name = "internal-error"
