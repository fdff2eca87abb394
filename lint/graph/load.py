"""Child side: import the user's factory, load weights (``weights_only=True`` only), build example inputs."""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from typing import Any

import torch

from .frames import UserError, user_location
from .spec import GraphSpec, InputSpec

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16, "float64": torch.float64,
           "int64": torch.int64, "int32": torch.int32, "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool}


def import_entry(spec: GraphSpec) -> Any:
    """The object ENTRY names (not yet called). Adds the package folder of a module ENTRY to ``spec.user_roots``."""
    e = spec.entry
    try:
        if e.kind == "file":
            assert e.path is not None
            folder = os.path.dirname(e.path)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            name = "_trtlint_user_" + os.path.splitext(os.path.basename(e.path))[0]
            mspec = importlib.util.spec_from_file_location(name, e.path)
            if mspec is None or mspec.loader is None:
                raise UserError(f"cannot import {e.path}", kind="import")
            module = importlib.util.module_from_spec(mspec)
            sys.modules[name] = module
            mspec.loader.exec_module(module)
        else:
            assert e.module is not None
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(e.module)
            top = sys.modules[e.module.split(".")[0]]
            top_file = getattr(top, "__file__", None)
            if top_file:
                spec.user_roots.append(os.path.dirname(os.path.abspath(top_file)))
    except UserError:
        raise
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit, anything the module body raises
        where = user_location(exc.__traceback__, spec.user_roots)
        if isinstance(exc, SyntaxError) and exc.filename:
            where = f"{os.path.relpath(exc.filename)}:{exc.lineno}"
        msg = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        raise UserError(f"cannot import ENTRY {e.text}: {type(exc).__name__}{': ' + msg if msg else ''}"
                        f"{' at ' + where if where else ''}", kind="import") from None
    obj: Any = module
    for part in e.attr.split("."):
        if not hasattr(obj, part):
            raise UserError(f"ENTRY {e.text}: {getattr(module, '__name__', e.text)} has no attribute {part!r}",
                            kind="import")
        obj = getattr(obj, part)
    return obj


def load_model(spec: GraphSpec) -> torch.nn.Module:
    """Call the factory (or take the module instance), load ``--weights`` and put it on ``spec.device``."""
    obj = import_entry(spec)
    if isinstance(obj, torch.nn.Module):
        model = obj
    elif callable(obj):
        model = obj()
    else:
        raise UserError(f"ENTRY {spec.entry.text} is a {type(obj).__name__}, not a callable or an nn.Module",
                        kind="entry")
    if not isinstance(model, torch.nn.Module):
        raise UserError(f"ENTRY {spec.entry.text} returned {type(model).__name__}, not a torch.nn.Module",
                        kind="entry")
    if spec.weights:
        load_weights(model, spec.weights)
    if spec.device != "cpu":
        if not torch.cuda.is_available():
            raise UserError(f"--device {spec.device}: torch {torch.__version__} here has no CUDA device", kind="device")
        model.to(spec.device)
    return model


def load_weights(model: torch.nn.Module, path: str) -> None:
    """``torch.load(path, weights_only=True)`` and nothing else: a checkpoint that needs arbitrary unpickling is
    refused, since loading it would run code from the file."""
    if "weights_only" not in inspect.signature(torch.load).parameters:
        raise UserError(f"--weights: torch {torch.__version__} has no torch.load(weights_only=True); refusing to "
                        "unpickle a checkpoint (upgrade torch to 1.13 or newer)", kind="weights")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--weights {os.path.basename(path)}: refused: torch.load(weights_only=True) cannot load it "
                        f"({first}); save model.state_dict() with torch.save instead of a pickled model",
                        kind="weights") from None
    if isinstance(state, dict) and not any(isinstance(v, torch.Tensor) for v in state.values()):
        for key in ("state_dict", "model", "model_state_dict"):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict):
        raise UserError(f"--weights {os.path.basename(path)}: holds a {type(state).__name__}, not a state_dict",
                        kind="weights")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0][:200]
        missing = [ln.strip() for ln in str(exc).splitlines()[1:3]]
        raise UserError(f"--weights {os.path.basename(path)} does not fit the model: {first} {' '.join(missing)}"[:400],
                        kind="weights") from None


def _size(inp: InputSpec, which: str) -> tuple[int, ...]:
    if which in ("min", "opt", "max"):
        return tuple(getattr(inp, which))
    if which == "mid":  # halfway between min and max on dynamic axes
        return tuple((a + b) // 2 for a, b in zip(inp.min, inp.max))
    raise ValueError(which)


def make_inputs(spec: GraphSpec, which: str = "opt", seed: int = 0, device: str | None = None,
                scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Seeded example inputs by name: floats ~ N(0, scale²), integers in [0, 16), bools at random."""
    g = torch.Generator().manual_seed(spec.seed * 1000 + seed)
    out: dict[str, torch.Tensor] = {}
    for inp in spec.inputs:
        shape = _size(inp, which)
        dt = _DTYPES[inp.dtype]
        if dt.is_floating_point:
            t = (torch.randn(shape, generator=g) * scale).to(dt)
        elif dt == torch.bool:
            t = torch.rand(shape, generator=g) > 0.5
        else:
            t = torch.randint(0, 16, shape, generator=g).to(dt)
        out[inp.name] = t.to(device or spec.device)
    return out


def variants(spec: GraphSpec) -> list[tuple[str, dict[str, torch.Tensor]]]:
    """At least three input sets that differ in values, and for dynamic dims in size within min..max."""
    if spec.dynamic:
        plan = [("opt", 1, 1.0), ("min", 2, 1.0), ("max", 3, 1.0), ("mid", 4, 3.0)]
    else:
        plan = [("opt", 1, 1.0), ("opt", 2, 0.1), ("opt", 3, 10.0)]
    return [(f"{which} shapes, seed {seed}, scale {scale:g}", make_inputs(spec, which, seed, scale=scale))
            for which, seed, scale in plan]


def bind(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> tuple[tuple[torch.Tensor, ...], dict[str, torch.Tensor]]:
    """Split named inputs into ``forward``'s positional and keyword arguments: names that are ``forward``
    parameters go by keyword, the others by position in the order given."""
    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    named = {k: v for k, v in inputs.items() if k in params}
    positional = tuple(v for k, v in inputs.items() if k not in params)
    if not positional:  # all named: pass in declaration order positionally where possible (trace/export like args)
        order = [p for p in params if p in named]
        first = list(params)[: len(order)]
        if order == first:
            return tuple(named[p] for p in order), {}
    return positional, named


def in_forward_order(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The same inputs, those named after ``forward`` parameters first and in its order, the others after them in
    the order given: what trace, export and the ONNX input list all see."""
    try:
        params = list(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):
        return inputs
    named = [p for p in params if p in inputs]
    return {**{p: inputs[p] for p in named}, **{k: v for k, v in inputs.items() if k not in named}}
