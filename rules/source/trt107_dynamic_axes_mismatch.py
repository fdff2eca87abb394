from __future__ import annotations

import re
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._export import example_ranks, export_calls, literal, onnx_exporter


class DynamicAxesMismatch(SourceRule):
    """`torch.onnx.export(dynamic_axes=...)` that does not line up with `input_names`/`output_names` or the inputs.

    ## What it does
    Reads `torch.onnx.export` calls whose `dynamic_axes`, `input_names` and `output_names` are literals, or names
    bound to literals in the same function (following `axes.update({...})`, `axes["x"] = {...}` and
    `names.append(...)` before the call; anything else that may change them makes them unknown, and an unknown
    value is never read as empty). It reports keys that name no input or output; `dynamic_axes` without
    `input_names`/`output_names`; negative axes; axes beyond the rank of an example input written as
    `torch.randn(...)`; and a dynamic batch axis on an output while no input has one (an output whose axis 0 is
    named for something else, `{0: "num_detections"}`, is a data-dependent count, not a batch).
    What happens depends on the exporter, as measured with torch 2.14.1 (`tests/test_claims_with_torch.py`),
    which `dynamo=` or the target's torch selects:
    - an unmatched key: the TorchScript exporter (`dynamo=False`) ignores it and the axis stays static; the
      dynamo exporter stops with "Failed to convert 'dynamic_axes' to 'dynamic_shapes'";
    - no `input_names`: the TorchScript exporter matches the keys against names it invents, so they stay
      static (an error); the dynamo exporter matched them in the measurement, so nothing is reported for it;
    - outputs left out of `dynamic_axes` while an input's batch axis is dynamic: both exporters of torch 2.14.1
      made the outputs' batch axis dynamic anyway, so this is not reported (a note for targets with an older
      torch, where it was not measured).

    ## Why it matters for TensorRT
    A static axis in the ONNX model means a fixed-shape engine: the first real batch of another size fails at
    `set_input_shape`. An export that stops is found at once, but only by running it.

    ## Example
    ```python
    torch.onnx.export(model, x, "m.onnx", input_names=["images"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    ```

    ## Use instead
    ```python
    torch.onnx.export(model, x, "m.onnx", input_names=["images"], output_names=["logits"],
                      dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    ```

    ## References
    - https://pytorch.org/docs/stable/onnx_torchscript.html#torch.onnx.export (dynamic_axes)
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-dynamic-shapes.html
    """

    code = "TRT107"
    name = "dynamic-axes-mismatch"
    severity = Severity.ERROR
    tags = ("export", "dynamic-shapes")
    requires_text = ("dynamic_axes",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        for ec in export_calls(src):
            node = ec.kw("dynamic_axes")
            axes = literal(ec, node)
            if node is None or not isinstance(axes, dict):
                continue
            exporter = onnx_exporter(src, ec.call)
            in_node, out_node = ec.kw("input_names"), ec.kw("output_names")
            inputs = literal(ec, in_node)
            outputs = literal(ec, out_node)
            if (in_node is not None and not isinstance(inputs, (list, tuple))) or (
                out_node is not None and not isinstance(outputs, (list, tuple))
            ):
                continue  # names computed elsewhere: unknown, not "no names"
            inputs = list(inputs) if isinstance(inputs, (list, tuple)) else None
            outputs = list(outputs) if isinstance(outputs, (list, tuple)) else None
            pos = src.pos(node)
            if inputs is None and outputs is None:
                if exporter == "dynamo":
                    continue
                yield self.finding(
                    "`dynamic_axes` is given without `input_names`/`output_names`: the TorchScript exporter "
                    "matches its keys against names it invents, and an unmatched key leaves the axis static",
                    src.path, *pos, severity=None if exporter == "torchscript" else Severity.WARNING,
                    hint="name the tensors with input_names=[...] and output_names=[...]",
                )
                continue
            names = set(inputs or []) | set(outputs or [])
            for key, spec in axes.items():
                if key not in names:
                    known = ", ".join(repr(n) for n in [*(inputs or []), *(outputs or [])])
                    yield self.finding(
                        f"`dynamic_axes` key {key!r} names no input or output ({known}); {_unmatched(exporter)}",
                        src.path, *pos, hint=f"use one of {known}",
                    )
                idx = list(spec) if isinstance(spec, (dict, list, tuple)) else []
                bad = [a for a in idx if not isinstance(a, int) or a < 0]
                if bad:
                    yield self.finding(
                        f"`dynamic_axes[{key!r}]` has axis {bad[0]!r}: the exporter takes non-negative axis indices",
                        src.path, *pos, hint="write the axis as a non-negative index (0 for the batch)",
                    )
                if inputs and key in inputs:
                    ranks = example_ranks(src, ec)
                    i = inputs.index(key)
                    rank = ranks[i] if i < len(ranks) else None
                    over = [a for a in idx if isinstance(a, int) and rank is not None and a >= rank]
                    if over and rank is not None:
                        yield self.finding(
                            f"`dynamic_axes[{key!r}]` marks axis {over[0]}, but the example input has rank {rank}",
                            src.path, *pos, hint=f"axes of {key!r} are 0..{rank - 1}",
                        )
            yield from self._batch_consistency(src, pos, axes, inputs or [], outputs or [])

    def _batch_consistency(self, src, pos, axes, inputs, outputs) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
        def has_batch(name: str) -> bool:
            spec = axes.get(name)
            return isinstance(spec, (dict, list, tuple)) and 0 in list(spec)

        def named_other(name: str) -> bool:
            # ``{0: "num_predictions"}``: axis 0 of a flat output named for a count, not a batch
            spec = axes.get(name)
            dim = spec.get(0) if isinstance(spec, dict) else None
            return isinstance(dim, str) and BATCH_NAME.search(dim) is None

        in_dyn = [n for n in inputs if has_batch(n)]
        out_dyn = [n for n in outputs if has_batch(n) and not named_other(n)]
        torch_v = src.target.torch if src.target is not None else None
        if in_dyn and outputs and not out_dyn and torch_v is not None and torch_v[:2] < MEASURED_TORCH:
            yield self.finding(
                f"the batch axis of {in_dyn[0]!r} is dynamic but no output's is named: torch 2.14.1 makes the "
                f"outputs' batch dynamic anyway (measured), torch {'.'.join(map(str, torch_v))} was not checked",
                src.path, *pos, severity=Severity.NOTE,
                hint=f"add {{0: 'batch'}} for {', '.join(map(repr, outputs))} to dynamic_axes to be sure",
            )
        elif out_dyn and inputs and not in_dyn:
            yield self.finding(
                f"the batch axis of output {out_dyn[0]!r} is dynamic but no input's is: the exported model still "
                "takes only the example's batch size", src.path, *pos,
                severity=Severity.WARNING, hint=f"add {{0: 'batch'}} for {', '.join(map(repr, inputs))}",
            )


MEASURED_TORCH = (2, 14)
# dimension names that say batch: ``batch``, ``batch_size``, ``bs``, ``b``, ``n``, ``N``
BATCH_NAME = re.compile(r"batch|^(bs|b|n|N)$", re.IGNORECASE)


def _unmatched(exporter: str | None) -> str:
    ts = "the TorchScript exporter ignores it and that axis stays static"
    dy = "the dynamo exporter stops with \"Failed to convert 'dynamic_axes' to 'dynamic_shapes'\""
    if exporter == "torchscript":
        return ts
    if exporter == "dynamo":
        return dy
    return f"{dy} (the default from torch 2.9); {ts}"
