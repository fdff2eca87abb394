from __future__ import annotations

from typing import Any, Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import OnnxRule

from ._util import attr, dims


class OpsetOutOfRange(OnnxRule):
    """The model's opset is outside the target parser's range, or a node uses a newer opset's meaning that the target's importer misreads.

    ## What it does
    Compares the `ai.onnx` opset with the range in the target release's operator table, and checks every node
    whose operator changed meaning at an opset the importer was not written for (`compat_matrix.yaml`,
    `tensorrt.<release>.parser.opset_semantics`, decided from the onnx-tensorrt source of that release):
    an **error** for each node that relies on the new meaning (`ReduceMean` with `axes` as input 1 from opset 18,
    `GridSample` with `mode="linear"` from opset 20, `GroupNormalization` with per-channel `scale` from opset 21,
    ...) where that importer ignores or refuses it; a **warning** for a model above the documented ceiling
    (naming the operators of the model whose meaning changed in between); a **warning** below opset 7 and a
    **note** between 7 and a documented floor above it.

    ## Why it matters for TensorRT
    The parser does not refuse a model for its opset: it warns below opset 7 and imports anyway, and above its
    ceiling it imports each node by operator name alone. The risk is semantic: an importer written for an older
    opset reads a newer node as the older definition, so the engine builds and computes something else. TensorRT
    8.6's `ReduceMean` importer never looks at input 1, so an opset 18 `ReduceMean(x, axes=[1])` reduces over
    every axis; 10.1's `ReduceLogSumExp` drops its `axes` input the same way; `GridSample` importers up to 10.1
    know only opset 16's `bilinear`/`bicubic`, so opset 20's `mode="linear"` samples nearest.

    ## Example
    `torch.onnx.export(..., opset_version=18)` of `x.mean(dim=1)`, checked with `--target trt8.6`.

    ## Use instead
    Re-export with an opset within the target's range (`opset_version=17` for 8.6), or target a release whose
    importer reads the newer form; convert with `onnx.version_converter.convert_version(model, 17)` and check
    again.

    ## References
    - onnx-tensorrt `ModelImporter.cpp` (`ModelImporter::importModel`: the opset 7 warning) and the operator
      importers of each release, cited per entry in compat_matrix.yaml
    - https://github.com/onnx/onnx/blob/main/docs/Changelog.md
    """

    code = "TRT301"
    name = "opset-out-of-range"
    severity = Severity.ERROR
    target_aware = True
    tags = ("onnx", "compatibility")

    def check(self, m) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        if m.target is None or m.opset is None:
            return
        tv = m.target.trt_str
        lo, hi = m.target.opset_range()
        parser = m.target.trt_entry().get("parser") or {}
        semantics = [s for s in parser.get("opset_semantics", []) if s["since"] <= m.opset]
        if m.opset < 7:
            yield m.finding(self, f"the model uses opset {m.opset}: TensorRT {tv}'s parser warns below opset 7 and "
                            "imports it anyway; its importers were written for opset 7 and later",
                            severity=Severity.WARNING, hint="re-export with opset_version>=7")
        elif m.opset < lo:
            yield m.finding(self, f"the model uses opset {m.opset}, below the range TensorRT {tv} documents "
                            f"({lo}-{hi}); the parser imports it without a warning", severity=Severity.NOTE,
                            hint=f"re-export with opset_version={lo} or later")
        if m.opset > hi:
            present = {n.op_type for n, _ in m.nodes() if n.domain in ("", "ai.onnx")}
            changed = sorted({s["op"] for s in semantics if s["since"] > hi and s["op"] in present})
            tail = (f"; of the model's operators, {', '.join(changed)} changed meaning in between (each node that "
                    "relies on the newer meaning is reported)" if changed else
                    "; none of the model's operators changed meaning in a way those importers misread")
            yield m.finding(self, f"the model uses opset {m.opset}, above TensorRT {tv}'s documented ceiling {hi}: "
                            "the parser imports each node by operator name with importers written for opset "
                            f"{hi} or older{tail}", severity=Severity.WARNING,
                            hint=f"re-export with opset_version={hi}")
        if not semantics:
            return
        by_op: dict[str, list[dict[str, Any]]] = {}
        for s in semantics:
            by_op.setdefault(s["op"], []).append(s)
        for node, sub in m.nodes():
            if node.domain not in ("", "ai.onnx"):
                continue
            for s in by_op.get(node.op_type, ()):
                used = _uses(m, node, s["trigger"])
                if not used:
                    continue
                effect = ("refuses it" if s["effect"] == "refused" else
                          "misreads it: the node imports, computing the older meaning or a default instead")
                yield m.finding(self, f"{m.where(node, sub)} uses opset {s['since']}'s meaning ({s['change']}: "
                                f"{used}); TensorRT {tv}'s importer {effect}",
                                hint=f"parser source: {s['reference']}")


def _uses(m: Any, node: Any, trigger: dict[str, Any]) -> str:
    """How the node relies on the newer meaning, or '' if it does not."""
    if "input" in trigger:
        i = trigger["input"]
        return f"input {i} is '{node.input[i]}'" if len(node.input) > i and node.input[i] else ""
    if "attr" in trigger:
        value = attr(node, trigger["attr"])
        if value is None:
            return ""
        if "in" in trigger and value not in trigger["in"]:
            return ""
        if "not_in" in trigger and value in trigger["not_in"]:
            return ""
        return f"{trigger['attr']}={value!r}"
    if trigger.get("scale_per_channel"):
        groups = attr(node, "num_groups")
        if len(node.input) < 2 or groups is None:
            return ""
        shape = None
        init = m.initializers.get(node.input[1])
        if init is not None:
            shape = list(init.dims)
        else:
            shape = dims(m.value_types.get(node.input[1]))
        if shape and len(shape) == 1 and isinstance(shape[0], int) and shape[0] > 0 and shape[0] != groups:
            return f"`scale` has {shape[0]} values for num_groups={groups}"
    return ""
