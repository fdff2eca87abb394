from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import DTYPE_NAMES


class IrVersionTooNew(OnnxRule):
    """The model's ONNX IR version is newer than the target parser's onnx, and (a warning) the model uses what that newer IR added.

    ## What it does
    Compares `model.ir_version` with the IR version of the ONNX release that introduced the target parser's
    highest opset (`compat_matrix.yaml`, from `onnx.helper.VERSION_TABLE`). A newer IR version alone is a
    **note**. It is a **warning** when the model uses something a newer IR version introduced that the target
    does not read: data types newer than the parser's IR that the target does not support (FLOAT8 types came with IR 9, INT4/UINT4 with IR 10,
    FLOAT4E2M1 with IR 11, FLOAT8E8M0 with IR 12, INT2/UINT2 with IR 13, FLOAT6 with IR 14), or model-local
    functions (IR 8) on a release whose `ModelImporter.cpp` never reads `model.functions()` (8.x).

    ## Why it matters for TensorRT
    The parser logs the IR version and goes on: a newer IR version by itself is not refused, and every model
    saved by a current onnx has one. What breaks is content the parser's onnx predates: a tensor type it has no
    enumerator for, or a node that calls a model-local function it never registered ("no importer registered").

    ## Example
    A model saved by onnx 1.19 (IR 12) with an INT4 weight, checked with `--target trt8.6` (built around IR 8).

    ## Use instead
    Keep the data types the target supports (TRT305 reports them), inline model-local functions
    (`onnx.inliner.inline_local_functions(model)`) for releases that do not read them, or export with the onnx
    release matching the target.

    ## References
    - https://github.com/onnx/onnx/blob/main/onnx/onnx.proto (enum Version: what each IR version added)
    - onnx-tensorrt `ModelImporter.cpp` of each release (local functions), via compat_matrix.yaml
    """

    code = "TRT302"
    name = "ir-version-too-new"
    severity = Severity.NOTE
    target_aware = True
    tags = ("onnx", "compatibility")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        if m.target is None:
            return
        entry = m.target.trt_entry()
        tv = m.target.trt_str
        ir = entry["ir_version"]
        limit = int(ir["max"])
        newer: list[str] = []
        by_name = {name: int(v) for v, names in (ir.get("types_by_ir") or {}).items() for name in names}
        used = {DTYPE_NAMES.get(t.data_type, "") for t in m.initializers.values()}
        for t in m.value_types.values():
            if t is not None and t.HasField("tensor_type"):
                used.add(DTYPE_NAMES.get(t.tensor_type.elem_type, ""))
        supported = entry.get("type_support", {})
        for name in sorted(used):
            since = by_name.get(name)
            if since is not None and since > limit and not supported.get(name, False):
                newer.append(f"{name} (IR {since})")
        parser = entry.get("parser") or {}
        if m.model.functions and not parser.get("reads_local_functions", True):
            yield m.finding(self, f"the model defines {len(m.model.functions)} model-local function(s) (IR 8; first: "
                            f"'{m.model.functions[0].name}'); TensorRT {tv}'s parser never reads model.functions(), "
                            "so nodes calling them have no importer", severity=Severity.WARNING,
                            hint="inline them: onnx.inliner.inline_local_functions(model)")
        if newer:
            yield m.finding(self, f"IR version {m.model.ir_version}: the model uses {', '.join(newer)}, newer than "
                            f"TensorRT {tv}'s parser reads (IR {limit})", severity=Severity.WARNING,
                            hint="use data types the target supports (see TRT305)")
        elif m.model.ir_version > limit:
            yield m.finding(self, f"IR version {m.model.ir_version} is newer than TensorRT {tv}'s parser was built "
                            f"for (IR {limit}); it logs this and imports the model, and nothing in it needs the "
                            "newer IR", hint=f"nothing to do; an onnx release of IR {limit} would silence this note")
