from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule


class UnsafeExternalData(OnnxRule):
    """External-data references that leave the model's folder, or point at data that is not there.

    ## What it does
    Checks every tensor stored as external data without reading it: a `location` that is absolute, climbs out
    of the model's folder (`../`), or resolves outside it through a symbolic link is an error; so is a missing
    file, or an `offset`/`length` that runs past the end of the file.

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
        real_base = base.resolve()
        sizes: dict[str, int | None] = {}
        reported: set[str] = set()
        for ref in m.external:
            loc = ref.location
            key = f"{loc}"
            if not loc:
                yield m.finding(self, f"tensor '{ref.tensor}' is marked external but names no location")
                continue
            if os.path.isabs(loc) or loc.startswith(("\\", "/")) or (len(loc) > 1 and loc[1] == ":"):
                if key not in reported:
                    reported.add(key)
                    yield m.finding(self, f"tensor '{ref.tensor}' reads external data from an absolute path '{loc}'",
                                    hint="store weights next to the model with a relative location")
                continue
            target = base / loc
            normal = Path(os.path.normpath(target))
            if base not in (normal, *normal.parents):
                if key not in reported:
                    reported.add(key)
                    yield m.finding(self, f"tensor '{ref.tensor}' reads external data from '{loc}', outside the model's folder",
                                    hint="store weights next to the model with a relative location")
                continue
            try:
                real = target.resolve()
            except (OSError, RuntimeError):
                real = target
            if real_base not in (real, *real.parents):
                if key not in reported:
                    reported.add(key)
                    yield m.finding(self, f"external data '{loc}' of tensor '{ref.tensor}' is a link to '{real}', "
                                    "outside the model's folder")
                continue
            if loc not in sizes:
                try:
                    sizes[loc] = os.path.getsize(target)
                except OSError:
                    sizes[loc] = None
            size = sizes[loc]
            if size is None:
                if key not in reported:
                    reported.add(key)
                    yield m.finding(self, f"external data file '{loc}' (tensor '{ref.tensor}') is missing",
                                    hint="copy the weights file next to the model")
                continue
            end = ref.offset + (ref.length or 0)
            if ref.offset < 0 or ref.offset > size or end > size:
                yield m.finding(self, f"tensor '{ref.tensor}' reads bytes {ref.offset}..{end} of '{loc}', which has "
                                f"only {size}: the weights file is truncated or does not belong to this model",
                                severity=Severity.ERROR)
