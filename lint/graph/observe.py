"""Child side: the graph lint task. Runs, traces and exports the user's model and emits raw observations
(``emit("obs", kind=..., file=..., line=..., ...)``); the rules in ``trtlint.rules.graph`` turn them into findings.

Every observation carries the user's file and line where one exists: stacks are walked inside the modes and
hooks, and only frames inside ``spec.user_roots`` count.
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
import re
import sys
import tempfile
import traceback
import warnings
from typing import Any, Iterator

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from .child import Emit
from .frames import UserError, is_user_file
from .load import bind, in_forward_order, load_model, make_inputs, variants
from .spec import GraphSpec

FP16_MAX = 65504.0
INT32_MAX = 2**31 - 1
OUTLIER_RATIO = 100.0  # |x|max over the 99.9th percentile of |x|: beyond this INT8 max calibration crushes the rest
SYNC_METHODS = {"item", "tolist", "numpy", "__bool__", "__int__", "__float__", "__index__", "cpu"}
DD_OPS = {"nonzero", "_unique2", "unique_dim", "unique_consecutive", "masked_select", "repeat_interleave",
          "_unique", "argwhere", "nonzero_numpy"}
RANDOM_OPS = {"rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "normal", "bernoulli",
              "uniform", "multinomial", "randperm", "exponential", "poisson"}
RNG_STATE = ("_scaled_dot_product", "_efficient_attention", "_flash_attention", "_cudnn_attention")  # seed/offset
UNINITIALISED = {"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "resize_", "set_"}
NORM_OR_DROPOUT = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd, nn.modules.instancenorm._InstanceNorm,
                   nn.RReLU)


class Ctx:
    def __init__(self, spec: GraphSpec, emit: Emit) -> None:
        self.spec = spec
        self.emit = emit
        self.seen: set[tuple[Any, ...]] = set()
        self._user_file: dict[str, bool] = {}
        self.random_sites: list[tuple[str, int]] = []  # random ops in forward: outputs differ run to run
        self.quiet = 0  # > 0 while trtlint's own hooks and checks run: the modes then observe nothing

    @contextlib.contextmanager
    def hushed(self) -> Iterator[None]:
        self.quiet += 1
        try:
            yield
        finally:
            self.quiet -= 1

    def user_frame(self) -> tuple[str, int] | None:
        """The innermost frame of the current stack inside the user's files (a frame walk: no source lookups)."""
        f = sys._getframe(1)
        cache = self._user_file
        while f is not None:
            name = f.f_code.co_filename
            ok = cache.get(name)
            if ok is None:
                ok = cache[name] = is_user_file(name, self.spec.user_roots)
            if ok:
                return name, f.f_lineno
            f = f.f_back  # type: ignore[assignment]
        return None

    def obs(self, kind: str, key: tuple[Any, ...] | None = None, where: tuple[str, int] | None = None,
            **fields: Any) -> None:
        if key is not None:
            if (kind, *key) in self.seen:
                return
            self.seen.add((kind, *key))
        file, line = where if where else (None, None)
        self.emit("obs", kind=kind, file=file, line=line, **fields)


# ----------------------------------------------------------------------------------------- construction lines
@contextlib.contextmanager
def record_construction(ctx: Ctx) -> Iterator[None]:
    """While the factory runs, remember for every nn.Module the user line that built it (outside its own
    ``__init__``): ``self.bn = nn.BatchNorm2d(8)``, not a line inside torch."""
    orig = nn.Module.__init__

    def patched(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        if "_trtlint_built_at" in self.__dict__:
            return
        f = sys._getframe(1)
        where = None
        while f is not None:
            if is_user_file(f.f_code.co_filename, ctx.spec.user_roots) and f.f_locals.get("self") is not self:
                where = (f.f_code.co_filename, f.f_lineno)
                break
            f = f.f_back  # type: ignore[assignment]
        self.__dict__["_trtlint_built_at"] = where

    nn.Module.__init__ = patched  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.__init__ = orig  # type: ignore[method-assign]


def built_at(m: nn.Module) -> tuple[str, int] | None:
    return m.__dict__.get("_trtlint_built_at")


# ----------------------------------------------------------------------------------------------- hazard 3
def training_modules(ctx: Ctx, model: nn.Module) -> None:
    for name, m in model.named_modules():
        if not m.training:
            continue
        uses_flag = isinstance(m, NORM_OR_DROPOUT)
        if isinstance(m, nn.modules.instancenorm._InstanceNorm) and not m.track_running_stats:
            uses_flag = False
        if not uses_flag and type(m).forward is not nn.Module.forward:
            try:
                import inspect

                uses_flag = "self.training" in inspect.getsource(type(m).forward) and is_user_file(
                    inspect.getsourcefile(type(m)) or "", ctx.spec.user_roots)
            except (OSError, TypeError):
                uses_flag = False
        if uses_flag:
            ctx.obs("training", key=(name,), where=built_at(m), module=name or type(m).__name__, cls=type(m).__name__)


# ------------------------------------------------------------------------------------------- hazards 2, 4, 5
class SyncMode(TorchFunctionMode):
    """Host syncs and CPU round-trips, at the innermost user frame."""

    def __init__(self, ctx: Ctx) -> None:
        super().__init__()
        self.ctx = ctx
        self.bool_sites: list[tuple[str, int]] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if self.ctx.quiet:
            return func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        op = None
        if name in SYNC_METHODS:
            op = name
        elif name == "to":
            dev = kwargs.get("device", next((a for a in args[1:] if isinstance(a, (str, torch.device))), None))
            # a copy to the host: from a device tensor, or spelled "cpu" (a torch.device variable that happens to be
            # the CPU of a CPU run, e.g. `.to(device=x.device)`, is no round-trip)
            if dev is not None and torch.device(dev).type == "cpu" and (
                    isinstance(dev, str) or (args and isinstance(args[0], torch.Tensor) and args[0].device.type != "cpu")):
                op = 'to("cpu")'
        if op is not None and args and isinstance(args[0], torch.Tensor):
            where = self.ctx.user_frame()
            if where is not None:
                if op in ("__bool__", "__index__", "__int__", "__float__", "item"):
                    self.bool_sites.append(where)
                self.ctx.obs("host_sync", key=(where, op), where=where, op=op)
        return func(*args, **kwargs)


class OpMode(TorchDispatchMode):
    """Data-dependent output shapes and dtypes TensorRT handles badly, with the producing op."""

    def __init__(self, ctx: Ctx) -> None:
        super().__init__()
        self.ctx = ctx

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if self.ctx.quiet:
            return out
        with self.ctx.hushed():
            self._check(func, args, out)
        return out

    def _check(self, func: Any, args: Any, out: Any) -> None:
        base = func.overloadpacket.__name__ if hasattr(func, "overloadpacket") else str(func)
        if base.rstrip("_") in RANDOM_OPS:
            where = self.ctx.user_frame()
            if where is not None and where not in self.ctx.random_sites:
                self.ctx.random_sites.append(where)
        if base in DD_OPS or (base == "index" and any(
                isinstance(i, torch.Tensor) and i.dtype in (torch.bool, torch.uint8)
                for i in (args[1] if len(args) > 1 and isinstance(args[1], (list, tuple)) else []))):
            where = self.ctx.user_frame()
            op = "boolean-mask indexing" if base == "index" else f"aten.{base}"
            self.ctx.obs("dd_shape", key=(where, op), where=where, op=op)
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if not isinstance(t, torch.Tensor):
                continue
            if t.dtype == torch.float64 or t.is_complex():
                where = self.ctx.user_frame()
                self.ctx.obs("dtype", key=(where, str(t.dtype)), where=where, dtype=str(t.dtype).replace("torch.", ""),
                             op=f"aten.{base}")
            elif t.dtype == torch.int64 and t.numel() and base not in UNINITIALISED and not base.startswith(RNG_STATE):
                lo, hi = int(t.min()), int(t.max())
                if hi > INT32_MAX or lo < -INT32_MAX - 1:
                    where = self.ctx.user_frame()
                    self.ctx.obs("int64_range", key=(where,), where=where, op=f"aten.{base}",
                                 value=hi if hi > INT32_MAX else lo)


# ----------------------------------------------------------------------------------------------- hazard 6
class Ranges:
    """Per-module |activation| maxima and outlier ratios, by forward hooks on leaf modules."""

    def __init__(self, model: nn.Module, ctx: Ctx) -> None:
        self.ctx = ctx
        self.absmax: dict[str, float] = {}
        self.ratio: dict[str, float] = {}
        self.modules = dict(model.named_modules())
        self.handles = [m.register_forward_hook(self._hook(n)) for n, m in self.modules.items()
                        if n and not list(m.children())]

    def _hook(self, name: str) -> Any:
        def hook(_m: nn.Module, _i: Any, out: Any) -> None:
            with self.ctx.hushed():
                self._record(name, out)
        return hook

    def _record(self, name: str, out: Any) -> None:
        t = out[0] if isinstance(out, (tuple, list)) and out else out
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or not t.numel():
            return
        a = t.detach().flatten().abs()
        mx = float(a.amax())  # inf when the output already overflowed
        if mx != mx:  # NaN
            return
        self.absmax[name] = max(self.absmax.get(name, 0.0), mx)
        if a.numel() >= 4096 and math.isfinite(mx) and mx > 0:
            sample = a[:: -(-a.numel() // 16384)].float()  # a strided sample of at most 16,384 values
            q = float(sample.kthvalue(max(1, int(0.999 * sample.numel()))).values)
            if q > 0:
                self.ratio[name] = max(self.ratio.get(name, 0.0), mx / q)

    def close(self) -> None:
        for h in self.handles:
            h.remove()


def report_ranges(ctx: Ctx, rng: Ranges) -> None:
    for name, mx in rng.absmax.items():
        m = rng.modules[name]
        if mx > FP16_MAX:
            ctx.obs("fp16_range", key=(name,), where=built_at(m), module=name, cls=type(m).__name__, absmax=mx)
    for name, r in rng.ratio.items():
        m = rng.modules[name]
        if r > OUTLIER_RATIO and rng.absmax.get(name, 0.0) <= FP16_MAX:
            ctx.obs("int8_outliers", key=(name,), where=built_at(m), module=name, cls=type(m).__name__, ratio=r,
                    absmax=rng.absmax[name])


def half_pass(ctx: Ctx, model: nn.Module, inputs: dict[str, torch.Tensor], ref: Any) -> None:
    """A real half-precision pass (CUDA): the first module whose output overflows to inf/nan, and the
    end-to-end difference from fp32."""
    half = copy.deepcopy(model).half()
    first: list[str] = []
    mods = dict(half.named_modules())

    def hook(name: str) -> Any:
        def h(_m: nn.Module, _i: Any, out: Any) -> None:
            t = out[0] if isinstance(out, (tuple, list)) and out else out
            if not first and isinstance(t, torch.Tensor) and t.is_floating_point() and not torch.isfinite(t).all():
                first.append(name)
        return h

    handles = [m.register_forward_hook(hook(n)) for n, m in mods.items() if n and not list(m.children())]
    hin = {k: (v.half() if v.is_floating_point() else v) for k, v in inputs.items()}
    args, kwargs = bind(half, hin)
    try:
        with torch.no_grad():
            out = half(*args, **kwargs)
    except Exception as exc:
        ctx.obs("fp16_pass", where=None, status="failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return
    finally:
        for hd in handles:
            hd.remove()
    diffs = compare(ref, out)
    worst = max((d for d in diffs), key=lambda d: d["rel"], default=None)
    if first:
        m = mods[first[0]]
        ctx.obs("fp16_pass", where=built_at(m), status="overflow", module=first[0], cls=type(m).__name__,
                device=str(next(iter(inputs.values())).device), worst=worst)
    else:
        ctx.obs("fp16_pass", where=None, status="ok", device=str(next(iter(inputs.values())).device), worst=worst)


# ---------------------------------------------------------------------------------------------- hazard 1
def flatten(out: Any, prefix: str = "output") -> list[tuple[str, Any]]:
    if isinstance(out, torch.Tensor):
        return [(prefix, out)]
    if isinstance(out, dict):
        return [x for k, v in out.items() for x in flatten(v, f"{prefix}[{k!r}]")]
    if isinstance(out, (list, tuple)):
        if prefix == "output" and len(out) == 1:
            return flatten(out[0], "output")
        return [x for i, v in enumerate(out) for x in flatten(v, f"{prefix}[{i}]")]
    if hasattr(out, "_fields"):
        return flatten(tuple(out), prefix)
    return []


def compare(ref: Any, got: Any, rtol: float = 1e-3, atol: float = 1e-4) -> list[dict[str, Any]]:
    """Per output: max absolute difference, the relative one, or a structural difference."""
    a, b = flatten(ref), flatten(got)
    out: list[dict[str, Any]] = []
    if len(a) != len(b):
        return [{"output": "outputs", "detail": f"{len(a)} outputs in eager, {len(b)} here", "rel": math.inf,
                 "bad": True}]
    for (name, x), (_, y) in zip(a, b):
        if tuple(x.shape) != tuple(y.shape):
            out.append({"output": name, "detail": f"shape {tuple(x.shape)} in eager, {tuple(y.shape)} here",
                        "rel": math.inf, "bad": True})
            continue
        if not x.numel():
            continue
        xf, yf = x.detach().double().cpu(), y.detach().double().cpu()
        diff = float((xf - yf).abs().max()) if x.numel() else 0.0
        scale = float(xf.abs().max()) if x.numel() else 0.0
        bad = not math.isfinite(diff) or diff > atol + rtol * scale
        out.append({"output": name, "max_abs": diff, "rel": diff / scale if scale else diff, "bad": bad,
                    "detail": f"max |diff| {diff:.3g} (max |eager| {scale:.3g})"})
    return out


def tracer_warning_sites(caught: list[warnings.WarningMessage], ctx: Ctx) -> list[tuple[str, int, str]]:
    sites = []
    for w in caught:
        if w.category.__name__ == "TracerWarning" and is_user_file(w.filename, ctx.spec.user_roots):
            msg = str(w.message).split(".")[0]
            sites.append((w.filename, w.lineno, msg))
    return list(dict.fromkeys(sites))


def _dim(name: str, lo: int, hi: int) -> Any:
    """``Dim.DYNAMIC(min, max)`` where torch has it (an error if the code specializes the axis, while equal axes of
    several inputs, such as a shared batch, stay allowed), else a named ``Dim`` (older torch)."""
    from torch.export import Dim

    hint = getattr(Dim, "DYNAMIC", None)
    if hint is not None:
        try:
            return hint(min=max(lo, 0), max=hi)
        except TypeError:
            pass
    return Dim(name, min=max(lo, 0), max=hi)


def dynamic_shapes_for(spec: GraphSpec, model: nn.Module, args: tuple, kwargs: dict) -> Any:
    if not spec.dynamic:
        return None

    import inspect

    try:
        params = list(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):
        params = []
    per_input = {}
    for inp in spec.inputs:
        dims = {ax: _dim(f"{re.sub(r'[^A-Za-z0-9_]', '_', inp.name)}_{ax}", inp.min[ax], inp.max[ax])
                for ax in inp.dynamic_dims}
        per_input[inp.name] = dims or None
    if not kwargs and params[: len(args)] == [i.name for i in spec.inputs][: len(args)]:
        return {p: per_input.get(p) for p in params[: len(args)]}
    return tuple(per_input[i.name] for i in spec.inputs)


def _exc_user_frame(exc: BaseException, ctx: Ctx) -> tuple[str, int] | None:
    """The user's line of an export failure: from the exception's traceback (non-strict export runs the user's
    Python), else from a ``File "...", line N`` user stack quoted in its message."""
    where = None
    for fs in traceback.extract_tb(exc.__traceback__):
        if is_user_file(fs.filename, ctx.spec.user_roots):
            where = (fs.filename, fs.lineno or 0)
    if where:
        return where
    for f, n in re.findall(r'File "([^"]+)", line (\d+)', str(exc)):
        if is_user_file(f, ctx.spec.user_roots):
            where = (f, int(n))
    return where


def _first_line(exc: BaseException) -> str:
    """The first informative line of an exception, from the innermost cause (the exporters wrap the real one)."""
    chain = [exc]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)
    for e in reversed(chain):
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip()
        for ln in text.splitlines():
            ln = ln.strip()
            if ln and not ln.startswith(("File ", "Traceback")):
                ln = re.split(r"\s+\((?:unhinted|Size-like symbols):", ln)[0]
                prefix = f"{type(e).__name__}: " if e is not exc else ""
                return (prefix + ln.strip())[:300]
    return type(exc).__name__


# ----------------------------------------------------------------------------------------------- the task
def run(spec: GraphSpec, emit: Emit, extra: dict[str, Any]) -> None:
    ctx = Ctx(spec, emit)
    torch.manual_seed(spec.seed)  # random weights and random ops in forward: the same on every run
    emit("progress", message=f"importing {spec.entry.text}")
    with record_construction(ctx):
        model = load_model(spec)
    if spec.entry.kind == "module":
        mod = sys.modules.get(spec.entry.module or "")
        if getattr(mod, "__file__", None):
            emit("entry_file", file=os.path.abspath(mod.__file__))  # type: ignore[union-attr]
    emit("info", torch=torch.__version__, device=spec.device)

    # 3. training mode, as the factory left it; the rest runs as it should be exported: in eval mode
    training_modules(ctx, model)
    model.eval()

    # 2, 4, 5, 6: eager runs on the variants under the modes and hooks
    sets = [(label, in_forward_order(model, inputs)) for label, inputs in variants(spec)]
    if spec.calib_data:
        sets += [(f"calibration file {os.path.basename(p)}", in_forward_order(model, calib_inputs(spec, p)))
                 for p in spec.calib_data]
    eager: list[Any] = []
    sync_mode = SyncMode(ctx)
    rng = Ranges(model, ctx)
    for label, inputs in sets:
        emit("progress", message=f"eager run ({label})")
        args, kwargs = bind(model, inputs)
        with torch.no_grad(), sync_mode, OpMode(ctx):
            eager.append(model(*args, **kwargs))
    rng.close()
    report_ranges(ctx, rng)
    bool_sites = list(dict.fromkeys(sync_mode.bool_sites)) or ctx.random_sites
    sets = sets[: len(variants(spec))] if spec.calib_data else sets
    if spec.device.startswith("cuda"):
        emit("progress", message="half-precision pass")
        half_pass(ctx, model, sets[0][1], eager[0])

    # 1. trace vs eager
    emit("progress", message="torch.jit.trace")
    args, kwargs = bind(model, sets[0][1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            traced = torch.jit.trace(model, args, example_kwarg_inputs=kwargs or None, check_trace=False, strict=False)
        except Exception as exc:
            traced = None
            ctx.obs("trace_error", where=_exc_user_frame(exc, ctx), error=_first_line(exc))
    sites = tracer_warning_sites(caught, ctx)
    for f, ln, msg in sites:
        ctx.obs("tracer_warning", key=(f, ln), where=(f, ln), message=msg)
    if traced is not None:
        check_divergence(ctx, "torch.jit.trace", traced, sets, eager, [(f, ln) for f, ln, _ in sites] or bool_sites)

    # 7. torch.export with the declared dynamic dims
    emit("progress", message="torch.export")
    ep = None
    try:
        ds = dynamic_shapes_for(spec, model, args, kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ep = torch.export.export(model, args, kwargs or None, dynamic_shapes=ds, strict=False)
    except Exception as exc:
        report_export_failure(ctx, exc, model, args, kwargs, ds)
    if ep is not None:
        check_divergence(ctx, "torch.export", ep.module(), sets, eager, bool_sites)

    # 8. ONNX
    if extra.get("onnx", True):
        onnx_stage(ctx, model, ep, sets, eager)


def draft_failures(model: nn.Module, args: tuple, kwargs: dict, ds: Any) -> list[dict[str, Any]]:
    """``torch.export.draft_export``'s report (torch 2.7+): each failure with its user stack resolved to files."""
    draft = getattr(torch.export, "draft_export", None)
    if draft is None:
        return []
    import logging

    logging.getLogger("torch.export").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            dep = draft(model, args, kwargs or None, dynamic_shapes=ds, strict=False)
        failures = list(getattr(getattr(dep, "_report", None), "failures", []))
    except Exception:
        return []
    try:
        from torch._logging.structured import INTERN_TABLE

        names = {v: k for k, v in INTERN_TABLE.items()}
    except Exception:
        names = {}
    out = []
    for f in failures:
        data = getattr(f, "data", {}) or {}
        frames = []
        for fr in data.get("user_stack", []) or []:
            fn = fr.get("filename")
            frames.append((names.get(fn, fn) if isinstance(fn, int) else fn, fr.get("line"), fr.get("loc", "")))
        out.append({"type": getattr(getattr(f, "failure_type", None), "name", str(getattr(f, "failure_type", ""))),
                    "expr": data.get("expr", ""), "sources": data.get("symbol_to_sources", {}), "frames": frames})
    return out


def report_export_failure(ctx: Ctx, exc: BaseException, model: nn.Module, args: tuple, kwargs: dict, ds: Any) -> None:
    """An export error at the user's line: the exception's own traceback (non-strict export runs the user's
    Python), else draft export's user stacks (constraint violations carry none)."""
    text = str(exc)
    specialized = ctx.spec.dynamic and ("specialized" in text or "Constraints violated" in text
                                        or type(exc).__name__ == "ConstraintViolationError")
    where = _exc_user_frame(exc, ctx)
    if where is not None and not specialized:
        ctx.obs("export_error", where=where, error=f"{type(exc).__name__}: {_first_line(exc)}")
        return
    ctx.emit("progress", message="torch.export failed; locating the cause with draft_export")
    found = False
    for f in draft_failures(model, args, kwargs, ds):
        user = [(fn, ln, loc) for fn, ln, loc in f["frames"] if isinstance(fn, str) and ln
                and is_user_file(fn, ctx.spec.user_roots)]
        if not user:
            continue
        fn, ln, loc = user[-1]
        expr = str(f["expr"])
        for sym, src in (f["sources"] or {}).items():
            expr = re.sub(rf"\b{re.escape(sym)}\b", str(src).replace("L['", "").replace("']", ""), expr)
        if specialized and f["type"] in ("GUARD_ADDED", "CONSTRAINT_VIOLATION_ERROR"):
            ctx.obs("specialized", key=(fn, ln), where=(fn, ln), error=f"`{loc.strip()}` adds the guard {expr}")
        else:
            ctx.obs("export_error", key=(fn, ln), where=(fn, ln),
                    error=f"{type(exc).__name__}: {_first_line(exc)} ({f['type'].lower().replace('_', ' ')}: {expr})")
        found = True
    if not found:
        m = re.search(r"You marked (\w+) as dynamic but your code specialized it to be a constant \((\d+)\)", text)
        if specialized:
            ctx.obs("specialized", where=where, error=f"{m.group(1)} is specialized to the constant {m.group(2)}" if m
                    else _first_line(exc))
        else:
            ctx.obs("export_error", where=where, error=f"{type(exc).__name__}: {_first_line(exc)}")


def calib_inputs(spec: GraphSpec, path: str) -> dict[str, torch.Tensor]:
    """``--calib-data``: a .pt (state-dict-like, weights_only) or .npy/.npz file of inputs by name."""
    if path.endswith(".pt") or path.endswith(".pth"):
        data = torch.load(path, map_location="cpu", weights_only=True)
    else:
        import numpy as np

        loaded = np.load(path, allow_pickle=False)
        data = {k: torch.from_numpy(loaded[k]) for k in loaded.files} if hasattr(loaded, "files") else loaded
    if isinstance(data, torch.Tensor) or not isinstance(data, dict):
        if len(spec.inputs) != 1:
            raise UserError(f"--calib-data {os.path.basename(path)}: one array for {len(spec.inputs)} inputs; save a "
                            "dict by input name", kind="calib")
        data = {spec.inputs[0].name: torch.as_tensor(data)}
    missing = [i.name for i in spec.inputs if i.name not in data]
    if missing:
        raise UserError(f"--calib-data {os.path.basename(path)}: no array for input(s) {', '.join(missing)}",
                        kind="calib")
    return {i.name: data[i.name].to(spec.device) for i in spec.inputs}


def check_divergence(ctx: Ctx, method: str, fn: Any, sets: list[tuple[str, dict[str, torch.Tensor]]],
                     eager: list[Any], sites: list[tuple[str, int]]) -> None:
    for (label, inputs), ref in zip(sets, eager):
        args, kwargs = bind(fn, inputs) if isinstance(fn, nn.Module) else (tuple(inputs.values()), {})
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = fn(*args, **kwargs)
        except Exception as exc:
            ctx.obs("divergence", where=sites[0] if sites else None, method=method, variant=label,
                    output="(run)", detail=f"the {method} graph fails on these inputs: {_first_line(exc)}",
                    sites=[list(s) for s in sites])
            return
        bad = [d for d in compare(ref, got) if d["bad"]]
        if bad:
            d = max(bad, key=lambda d: d["rel"])
            ctx.obs("divergence", where=sites[0] if sites else None, method=method, variant=label, output=d["output"],
                    detail=d["detail"], sites=[list(s) for s in sites])
            return


# ----------------------------------------------------------------------------------------------- hazard 8
def onnx_stage(ctx: Ctx, model: nn.Module, ep: Any, sets: list[tuple[str, dict[str, torch.Tensor]]],
               eager: list[Any]) -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime as ort
    except ImportError as exc:
        ctx.obs("onnx_skipped", reason=f"{exc.name or 'onnx'} is not installed")
        return
    spec = ctx.spec
    folder = tempfile.mkdtemp(prefix="trtlint-graph-onnx-")
    path = os.path.join(folder, "model.onnx")
    ctx.emit("progress", message="torch.onnx.export")
    use_dynamo = dynamo_default(spec)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            if use_dynamo:
                if ep is None:
                    ctx.obs("onnx_skipped", reason="torch.export failed, so the dynamo ONNX exporter cannot run")
                    return
                torch.onnx.export(ep, (), path, dynamo=True, external_data=False, verbose=False)
            else:
                example = sets[0][1]
                names = list(example)
                axes = {i.name: {ax: f"{i.name}_{ax}" for ax in i.dynamic_dims} for i in spec.inputs if i.dynamic_dims}
                kw = {"dynamo": False} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
                torch.onnx.export(model, tuple(example.values()), path, input_names=names, dynamic_axes=axes or None,
                                  **kw)
    except Exception as exc:
        ctx.obs("onnx_export_error", where=_exc_user_frame(exc, ctx), error=f"{type(exc).__name__}: {_first_line(exc)}",
                exporter="dynamo" if use_dynamo else "torchscript")
        return
    ctx.emit("onnx_file", path=path, exporter="dynamo" if use_dynamo else "torchscript")
    ctx.emit("progress", message="ONNX Runtime at the min and max shapes")
    try:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as exc:
        ctx.obs("onnx_parity", where=None, output="(session)", detail=f"ONNX Runtime cannot load the export: "
                f"{_first_line(exc)}", shape="-")
        return
    in_names = [i.name for i in sess.get_inputs()]
    shape_sets = [("min", "min"), ("max", "max")] if spec.dynamic else [("opt", "opt")]
    model_dev = next((p.device for p in model.parameters()), torch.device("cpu"))
    for label, which in shape_sets:
        inputs = in_forward_order(model, make_inputs(spec, which, seed=7, device=str(model_dev)))
        args, kwargs = bind(model, inputs)
        with torch.no_grad():
            ref = model(*args, **kwargs)
        arrays = {k: v.detach().cpu().numpy() for k, v in inputs.items()}
        feed = ({n: arrays[n] for n in in_names} if set(in_names) <= set(arrays)
                else dict(zip(in_names, arrays.values())))
        try:
            got = sess.run(None, feed)
        except Exception as exc:
            ctx.obs("onnx_parity", where=None, output="(run)", shape=label,
                    detail=f"ONNX Runtime fails at the {label} shapes: {_first_line(exc)}")
            continue
        bad = [d for d in compare(ref, [torch.from_numpy(g) for g in got]) if d["bad"]]
        if bad:
            d = max(bad, key=lambda d: d["rel"])
            ctx.obs("onnx_parity", where=ctx.random_sites[0] if ctx.random_sites else None, output=d["output"],
                    shape=label, detail=d["detail"] + (" (a random op runs in forward)" if ctx.random_sites else ""))
    ctx.obs("onnx_checked", where=None, shapes=[label for label, _ in shape_sets])
    if spec.dynamic:
        import onnx as _onnx

        m = _onnx.load(path, load_external_data=False)
        outs = m.graph.output
        batchy = [i for i in spec.inputs if 0 in i.dynamic_dims]
        for o in outs:
            dims = o.type.tensor_type.shape.dim
            if batchy and dims and dims[0].HasField("dim_value"):
                ctx.obs("onnx_static_output", key=(o.name,), where=None, output=o.name, axis=0, value=dims[0].dim_value)


def dynamo_default(spec: GraphSpec) -> bool:
    """The exporter ``torch.onnx.export`` uses by default for the target torch (``--target torchX.Y``), else the
    torch that runs: dynamo from torch 2.9 on."""
    version = torch.__version__
    if spec.target:
        m = re.search(r"torch[=@_-]*(\d+)\.(\d+)", spec.target)
        if m:
            version = f"{m.group(1)}.{m.group(2)}"
    major, minor = (int(x) for x in re.findall(r"\d+", version)[:2])
    return (major, minor) >= (2, 9)
