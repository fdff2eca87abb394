from __future__ import annotations

from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import imports_tensorrt, linked_exports, onnx_parses


class DynamicOnnxWithoutProfile(SourceRule):
    """A build script parses an ONNX model exported with dynamic axes, and builds without an optimization profile.

    ## What it does
    In a file that imports `tensorrt` and builds an engine (`build_serialized_network`/`build_engine`) without
    any `add_optimization_profile`, finds `parser.parse_from_file(path)` / `parser.parse(f.read())` of an ONNX
    file that a `torch.onnx.export(..., dynamic_axes=...)` (or `dynamic_shapes=`) writes, in the same file or in
    another file of the run. The two are linked by the `.onnx` file name when both are written as literals,
    within one file also by the same variable or as the file's only export and only parse. When several exports
    write that file and one of them is static, nothing is reported.

    ## Why it matters for TensorRT
    Dynamic shapes have to be declared on both sides: the exporter marks the axes dynamic, and the builder
    needs an optimization profile that gives each dynamic input its min/opt/max shape. Without one, TensorRT
    refuses the build with "Network has dynamic or shape inputs, but no optimization profile has been defined"
    and `build_serialized_network` returns None.

    ## Example
    ```python
    torch.onnx.export(model, x, "model.onnx", input_names=["images"], dynamic_axes={"images": {0: "batch"}})
    ...
    parser.parse_from_file("model.onnx")
    plan = builder.build_serialized_network(network, config)
    ```

    ## Use instead
    ```python
    profile = builder.create_optimization_profile()
    profile.set_shape("images", (1, 3, 224, 224), (8, 3, 224, 224), (32, 3, 224, 224))
    config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-dynamic-shapes.html
    - https://github.com/NVIDIA/TensorRT/issues/1116 and https://github.com/NVIDIA/TensorRT/issues/768 (the error)
    """

    code = "TRT111"
    name = "dynamic-onnx-without-profile"
    severity = Severity.ERROR
    tags = ("tensorrt-api", "dynamic-shapes")
    requires_text = ("parse",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src) or "optimization_profile" in src.text:
            return
        if "build_serialized_network" not in src.text and "build_engine" not in src.text:
            return  # the network is built elsewhere, where the profile may be added
        parses = onnx_parses(src)
        for call, path, scope in parses:
            linked = linked_exports(src, path, scope, len(parses))
            if any(exp.dynamic == {} for exp in linked):
                continue  # some export of that file is static: which one this script builds is not ours to guess
            for exp in linked:
                dyn = _dynamic_inputs(exp)
                if dyn is None:
                    continue
                where = f"{exp.path}:{exp.line}" if exp.path != src.path else f"line {exp.line}"
                yield self.finding(
                    f"the ONNX model parsed here is exported with dynamic {dyn} ({where}), but this script adds no "
                    "optimization profile: TensorRT refuses the build with \"Network has dynamic or shape inputs, "
                    "but no optimization profile has been defined\"",
                    src.path, *src.pos(call),
                    hint="create a profile with builder.create_optimization_profile(), set_shape(name, min, opt, "
                         "max) for each dynamic input, and config.add_optimization_profile(profile)",
                )
                break


def _dynamic_inputs(exp) -> str | None:  # type: ignore[no-untyped-def]
    """A description of the export's dynamic inputs, or None when it has none (or they cannot be read)."""
    if exp.dynamic is None:
        return "axes" if exp.dynamic_given else None
    names = exp.input_names or []
    dyn = [f"{n!r}: {sorted(exp.dynamic[n])}" for n in names if exp.dynamic.get(n)]
    return "axes {" + ", ".join(dyn) + "}" if dyn else None
