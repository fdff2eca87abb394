from __future__ import annotations

from typing import Any, Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import imports_tensorrt, linked_exports, onnx_parses, profile_shapes


class ProfileShapeMismatch(SourceRule):
    """Optimization-profile shapes that do not match the export's input names, ranks or static axes.

    ## What it does
    In a file that imports `tensorrt`, links each parsed ONNX file to the `torch.onnx.export` that writes it (same
    file or another file of the run, as TRT111 does) and compares the literal `profile.set_shape(name, min, opt,
    max)` calls with the export's literal `input_names`, `dynamic_axes` and example inputs (`torch.randn(...)`):
    - a dynamic input of the export that no `set_shape` names, while a `set_shape` names something that is
      not an input of the export (a typo, or the exporter's old name);
    - min/opt/max shapes whose rank differs from the example input's;
    - an axis the export left static (not in `dynamic_axes`) to which the profile gives a range other than the
      example's size.

    ## Why it matters for TensorRT
    The builder checks the profile against the network it parsed: a dynamic input without dimensions stops the
    build ("dynamic input is missing dimensions in profile 0"), and so does a profile whose rank or static
    sizes disagree with the input. The mismatch only shows on the build machine, after the export.

    ## Example
    ```python
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), "m.onnx", input_names=["images"],
                      dynamic_axes={"images": {0: "batch"}})
    profile.set_shape("input", (1, 3, 224, 224), (8, 3, 224, 224), (16, 3, 224, 224))
    ```

    ## Use instead
    ```python
    profile.set_shape("images", (1, 3, 224, 224), (8, 3, 224, 224), (16, 3, 224, 224))
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-dynamic-shapes.html
    - https://github.com/NVIDIA/TensorRT/issues/532 and https://github.com/NVIDIA/TensorRT/issues/1812 (the error)
    """

    code = "TRT112"
    name = "profile-shape-mismatch"
    severity = Severity.ERROR
    tags = ("tensorrt-api", "dynamic-shapes")
    requires_text = ("set_shape",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        shapes = profile_shapes(src)
        if not shapes:
            return
        parses = onnx_parses(src)
        exports = []
        for _, path, scope in parses:
            exports.extend(linked_exports(src, path, scope, len(parses)))
        if len(exports) != 1:
            return  # no export, or several: which profile belongs to which is not ours to guess
        exp = exports[0]
        if not exp.input_names or exp.dynamic is None:
            return
        where = f"{exp.path}:{exp.line}" if exp.path != src.path else f"line {exp.line}"
        names = exp.input_names
        set_names = {name for _, name, _ in shapes if name is not None}
        if any(name is None for _, name, _ in shapes):
            set_names = set_names | {"?"}  # a computed name may cover any input
        missing = [n for n in names if exp.dynamic.get(n) and n not in set_names]
        for call, name, dims in shapes:
            if name is not None and name not in names and missing and "?" not in set_names:
                yield self.finding(
                    f"the profile sets shapes for {name!r}, which the exported model does not have (inputs "
                    f"{', '.join(map(repr, names))}, {where}); its dynamic input {missing[0]!r} gets no shape and "
                    f"TensorRT stops the build (\"{missing[0]}: dynamic input is missing dimensions in profile 0\")",
                    src.path, *src.pos(call.args[0]), hint=f"name the input {missing[0]!r}",
                )
                continue
            if name is None or name not in names:
                continue
            i = names.index(name)
            rank = exp.ranks[i] if i < len(exp.ranks) else None
            example = exp.dims[i] if i < len(exp.dims) else None
            for d in dims:
                if isinstance(d, (tuple, list)) and rank is not None and len(d) != rank:
                    yield self.finding(
                        f"the profile shape {tuple(d)} of {name!r} has rank {len(d)}, but the exported input has rank "
                        f"{rank} ({where}): TensorRT rejects a profile whose rank differs from the input's",
                        src.path, *src.pos(call), hint=f"give {name!r} {rank} dimensions in min, opt and max",
                    )
                    break
            else:
                yield from self._static_axes(src, call, name, dims, example, exp.dynamic.get(name, set()), where)

    def _static_axes(self, src: SourceFile, call: Any, name: str, dims: list[Any], example: list[int] | None,
                     dynamic: set[int], where: str) -> Iterator[Finding]:
        if example is None or not all(isinstance(d, (tuple, list)) and len(d) == len(example) for d in dims):
            return
        for axis, size in enumerate(example):
            if axis in dynamic:
                continue
            got = [d[axis] for d in dims]
            if any(isinstance(g, int) and g != size for g in got):
                lo, hi = got[0], got[-1]
                yield self.finding(
                    f"axis {axis} of {name!r} is static ({size}) in the export ({where}), but the profile gives it "
                    f"{lo}..{hi}: TensorRT rejects a profile that disagrees with a static dimension",
                    src.path, *src.pos(call),
                    hint=f"add {axis} to dynamic_axes[{name!r}] in the export, or keep it at {size} in the profile",
                )
                return
