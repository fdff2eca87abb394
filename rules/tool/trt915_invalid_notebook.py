from ._base import InputProblem


class InvalidNotebook(InputProblem):
    """An `.ipynb` file is not valid JSON, not nbformat 4, or breaks the nbformat 4 schema.

    ## What it does
    Reports a notebook that cannot be read as a Jupyter notebook of format 4: bytes that are not UTF-8 JSON
    (at the line and column where JSON parsing stops), an older or unknown `nbformat`, or a document that
    nbformat's own validator rejects. No other rule runs on it; the run exits with code 2.

    ## Why it matters for TensorRT
    The export code in such a notebook cannot be opened by Jupyter or nbconvert either, so it cannot be run to
    produce a model; most often the file is a merge conflict left in the JSON or a truncated save.

    ## Example
    A notebook whose JSON still contains `<<<<<<< HEAD` from an unresolved merge.

    ## Use instead
    Resolve the conflict (or restore the file), open and re-save it in Jupyter; convert an nbformat 3 file with
    `jupyter nbconvert --to notebook --nbformat 4`.

    ## References
    - https://nbformat.readthedocs.io/en/latest/format_description.html
    """

    code = "TRT915"
    name = "invalid-notebook"
