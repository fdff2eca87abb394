"""Predict FP16 engine accuracy without TensorRT: a half-precision PyTorch pass beside the fp32 one.

Forward hooks record every module's output in both passes, in execution order. The first module whose fp32
output exceeds the FP16 range (|x| > 65504) is where an FP16 engine overflows; otherwise the first module whose
half-precision output turns non-finite, or drifts from fp32 by more than the tolerance relative to the
activation's range, is where accuracy is lost. Runs in the child process (imports torch).
"""
from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Iterable

FP16_MAX = 65504.0


@dataclass
class LayerVerdict:
    status: str  # "overflow" | "nonfinite" | "diverge" | "ok"
    module: str  # dotted path ("" is the whole model)
    module_type: str
    fp32_absmax: float
    rel_err: float  # max |fp16 - fp32| / max |fp32|
    file: str | None = None
    line: int | None = None


def _first_tensor(out: Any) -> Any:
    import torch

    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (list, tuple)):
        for o in out:
            t = _first_tensor(o)
            if t is not None:
                return t
    if isinstance(out, dict):
        return _first_tensor(list(out.values()))
    return None


def _record(model: Any, run: Callable[[], Any]) -> list[tuple[str, Any]]:
    """(module path, output) in the order modules finish."""
    import torch

    seen: list[tuple[str, Any]] = []
    handles = []
    for name, mod in model.named_modules():
        def hook(_m: Any, _i: Any, out: Any, name: str = name) -> None:
            t = _first_tensor(out)
            if t is not None and t.is_floating_point():
                # a copy: an in-place op after this module (ReLU(inplace=True)) would change a kept fp32 tensor
                seen.append((name, t.detach().to(torch.float32, copy=True)))
        handles.append(mod.register_forward_hook(hook))
    try:
        with torch.inference_mode():
            run()
    finally:
        for h in handles:
            h.remove()
    return seen


def compare_half(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any], *, tol: float,
                 user_file: Callable[[str], bool]) -> tuple[LayerVerdict, list[LayerVerdict]]:
    """Run ``model`` in fp32 and a half copy on the same inputs; return the first bad layer (or an "ok"
    verdict for the whole model) and every layer's verdict."""
    import torch

    def half(x: Any) -> Any:
        return x.half() if isinstance(x, torch.Tensor) and x.is_floating_point() else x

    ref = _record(model, lambda: model(*args, **kwargs))
    model16 = copy.deepcopy(model).half()
    got = _record(model16, lambda: model16(*(half(a) for a in args), **{k: half(v) for k, v in kwargs.items()}))
    types = {n: type(m).__name__ for n, m in model.named_modules()}
    got_by_call: dict[str, list[Any]] = {}
    for name, t in got:
        got_by_call.setdefault(name, []).append(t)
    calls: dict[str, int] = {}
    verdicts: list[LayerVerdict] = []
    first: LayerVerdict | None = None
    for name, r in ref:
        k = calls.get(name, 0)
        calls[name] = k + 1
        h_list = got_by_call.get(name, [])
        if k >= len(h_list) or h_list[k].shape != r.shape:
            continue
        h = h_list[k]
        finite = torch.isfinite(r)
        absmax = float(r[finite].abs().max()) if finite.any() else 0.0
        scale = max(absmax, 1e-6)
        err = float((h - r)[finite & torch.isfinite(h)].abs().max()) / scale if (finite & torch.isfinite(h)).any() else 0.0
        if absmax > FP16_MAX:
            status = "overflow"
        elif bool((~torch.isfinite(h) & finite).any()):
            status = "nonfinite"
        elif err > tol:
            status = "diverge"
        else:
            status = "ok"
        v = LayerVerdict(status, name, types.get(name, "?"), absmax, err)
        verdicts.append(v)
        if first is None and status != "ok":
            first = v
    if first is None:
        root = verdicts[-1] if verdicts else LayerVerdict("ok", "", type(model).__name__, 0.0, 0.0)
        first = LayerVerdict("ok", "", type(model).__name__, root.fp32_absmax, root.rel_err)
    locate(model, first, user_file)
    return first, verdicts


def _class_file(cls: type) -> str | None:
    try:
        return inspect.getsourcefile(cls)
    except (TypeError, OSError):
        return None


def _assignment_line(cls: type, attr: str) -> int | None:
    """The line of ``self.<attr> = ...`` in ``cls``'s source (where the child module is built)."""
    try:
        lines, start = inspect.getsourcelines(cls)
    except (TypeError, OSError):
        return None
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            if isinstance(t, ast.Attribute) and t.attr == attr and isinstance(t.value, ast.Name) and t.value.id == "self":
                return start + node.lineno - 1
    return None


def _forward_line(cls: type) -> int | None:
    try:
        return inspect.getsourcelines(cls.forward)[1]  # type: ignore[attr-defined]
    except (TypeError, OSError, AttributeError):
        return None


def locate(model: Any, verdict: LayerVerdict, user_file: Callable[[str], bool]) -> None:
    """Point ``verdict`` at the user's code: the module's own ``forward`` if its class is the user's, else the
    line where the nearest user-defined ancestor builds it (``self.fc2 = nn.Linear(...)``)."""
    mods = dict(model.named_modules())
    path = verdict.module
    child_attr: str | None = None
    while True:
        mod = mods.get(path)
        if mod is not None:
            f = _class_file(type(mod))
            if f and user_file(f):
                line = _assignment_line(type(mod), child_attr) if child_attr else None
                verdict.file, verdict.line = f, line or _forward_line(type(mod)) or 1
                return
        if not path:
            return
        path, _, child_attr = path.rpartition(".")


def layers_summary(verdicts: Iterable[LayerVerdict], limit: int = 5) -> list[dict[str, Any]]:
    """The ``limit`` layers with the largest half-precision error (for the report)."""
    worst = sorted(verdicts, key=lambda v: -v.rel_err)[:limit]
    return [{"module": v.module, "type": v.module_type, "rel_err": v.rel_err, "fp32_absmax": v.fp32_absmax}
            for v in worst]
