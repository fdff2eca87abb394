from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _show(text: str) -> str:
    """A location as printable text: control characters, NULs and undecodable bytes as escapes."""
    from trtlint.report.escape import inert

    return inert(text)


class UnsafeExternalData(OnnxRule):
    """External-data references that leave the model's folder, or point at data that is not there.

    ## What it does
    Checks every tensor stored as external data -- initializers, `Constant` values and other attribute tensors,
    sparse tensors, in subgraphs and functions -- without opening anything: a `location` that is absolute,
    climbs out of the model's folder (`../`), resolves outside it through a symbolic link, holds a NUL byte or
    is not UTF-8 is an error; so is a missing file, one that is not a regular file (a named pipe, a directory,
    a device), an `offset`/`length` that is negative, not a number or runs past the end of the file, and a file
    shorter than the tensor's dims and type need. Each bad reference is its own finding.

    ## Why it matters for TensorRT
    `onnx.load`, ONNX Runtime and TensorRT's parser follow `location` as given: a model from an untrusted
    source can make them read any file the process can (`/etc/passwd`, keys), and a truncated or missing
    weights file fails the build late, or loads garbage weights.

    ## Example
    An initializer with `location: ../../home/user/.ssh/id_rsa`.

    ## Use instead
    Keep weights next to the model (`onnx.save(model, "m.onnx", save_as_external_data=True,
    location="m.onnx.data")`) and ship the folder as a unit; re-download truncated files.

    ## References
    - https://onnx.ai/onnx/repo-docs/ExternalData.html
    """

    code = "TRT309"
    name = "unsafe-external-data"
    severity = Severity.ERROR
    tags = ("onnx", "security")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        base = Path(os.path.abspath(m.path)).parent
        try:
            real_base = base.resolve()
        except (OSError, RuntimeError):
            real_base = base
        stats: dict[str, os.stat_result | str] = {}  # location -> stat, or why there is none
        first: dict[tuple[str, str], tuple[str, str]] = {}  # key -> (message, hint) of its first tensor
        others: dict[tuple[str, str], int] = {}  # further tensors with the same problem of the same file
        for ref in m.external:
            try:
                problem = self._problem(ref, base, real_base, stats)
            except (OSError, ValueError, RuntimeError) as exc:  # never let one reference hide the next
                problem = ("location", f"external data '{_show(ref.location)}' of tensor '{_show(ref.tensor)}' "
                           f"cannot be checked: {exc}", "")
            if problem is None:
                continue
            scope, message, hint = problem
            key = (scope, ref.location if scope == "location" else f"{ref.location}\0{ref.tensor}\0{message}")
            if key in first:
                others[key] = others.get(key, 0) + 1
            else:
                first[key] = (message, hint)
        for key, (message, hint) in first.items():
            n = others.get(key, 0)
            if n:
                message += f" (and {n} more tensor{'s' if n > 1 else ''} reading the same file)"
            yield m.finding(self, message, hint=hint)

    def _problem(self, ref: Any, base: Path, real_base: Path,
                 stats: dict[str, os.stat_result | str]) -> tuple[str, str, str] | None:
        """(scope, message, hint) of the first thing wrong with one reference, or None. ``scope`` is
        'location' for problems of the file (reported once per location) or 'tensor'."""
        loc, tensor = ref.location, _show(ref.tensor)
        shown = _show(loc)
        relative = "store weights next to the model with a relative location"
        if not loc:
            return "tensor", f"tensor '{tensor}' is marked external but names no location", ""
        if "\0" in loc:
            return "location", f"tensor '{tensor}' names external data '{shown}' with a NUL byte in it", \
                "a NUL byte cuts the path short in C code; re-save the model"
        if not ref.location_utf8:
            return "location", f"tensor '{tensor}' names external data '{shown}', which is not valid UTF-8", \
                "re-save the model with an ASCII file name for its weights"
        if os.path.isabs(loc) or loc.startswith(("\\", "/")) or (len(loc) > 1 and loc[1] == ":"):
            return "location", f"tensor '{tensor}' reads external data from an absolute path '{shown}'", relative
        target = base / loc
        normal = Path(os.path.normpath(target))
        if base not in (normal, *normal.parents):
            return "location", f"tensor '{tensor}' reads external data from '{shown}', outside the model's folder", \
                relative
        try:
            real = target.resolve(strict=False)
        except RuntimeError:  # a symbolic-link loop (Python < 3.13)
            return "location", f"external data '{shown}' of tensor '{tensor}' is a symbolic-link loop", ""
        if real_base not in (real, *real.parents):
            return "location", (f"external data '{shown}' of tensor '{tensor}' is a link to '{_show(str(real))}', "
                                "outside the model's folder"), ""
        if loc not in stats:
            try:
                stats[loc] = os.stat(real)  # stat, never open: a named pipe would block a reader
            except OSError as exc:
                stats[loc] = exc.strerror or str(exc)
        st = stats[loc]
        if isinstance(st, str):
            if "No such file" in st:
                return "location", f"external data file '{shown}' (tensor '{tensor}') is missing", \
                    "copy the weights file next to the model"
            return "location", f"external data file '{shown}' (tensor '{tensor}') cannot be checked: {st}", ""
        for test, what in KINDS:
            if test(st.st_mode):
                return "location", f"external data '{shown}' of tensor '{tensor}' is {what}, not a regular file", \
                    "a weights file must be a plain file next to the model"
        size = st.st_size
        if ref.offset is None or ref.offset < 0:
            return "tensor", f"tensor '{tensor}' has external-data offset '{_show(ref.raw_offset)}', " \
                "not a non-negative byte offset", ""
        if ref.raw_length and (ref.length is None or ref.length < 0):
            return "tensor", f"tensor '{tensor}' has external-data length '{_show(ref.raw_length)}', " \
                "not a non-negative byte count", ""
        end = ref.offset + (ref.length if ref.length is not None else max(size - ref.offset, 0))
        if ref.offset > size or end > size:
            return "tensor", (f"tensor '{tensor}' reads bytes {ref.offset}..{end} of '{shown}', which has only "
                              f"{size}: the weights file is truncated or does not belong to this model"), ""
        need = ref.expected_bytes
        if need is not None and end - ref.offset < need:
            what = f"its length entry gives {end - ref.offset}" if ref.length is not None else \
                f"'{shown}' has only {end - ref.offset} from offset {ref.offset}"
            return "tensor", (f"tensor '{tensor}' needs {need} bytes of external data by its dims and type, but "
                              f"{what}: the weights file is truncated or does not belong to this model"), ""
        return None
