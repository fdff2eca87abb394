"""Backends behind one small interface: run named numpy inputs, return named numpy outputs.

ONNX Runtime and TensorRT run through Polygraphy's runners; PyTorch eager (fp32 / fp16) runs the module the
child process loaded. Whether a backend can run is a property of the backend (:meth:`Backend.unavailable`),
so "TensorRT not installed" is one backend's answer, never a special case elsewhere.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np

Feeds = Mapping[str, np.ndarray]
Outputs = dict[str, np.ndarray]

TRT_INSTALL_HINT = (
    "install TensorRT 10+ for your CUDA (`pip install tensorrt-cu12` on a machine that can reach NVIDIA's package "
    "index, or NVIDIA's container nvcr.io/nvidia/tensorrt), then rerun on a machine with an NVIDIA GPU"
)


class Backend(Protocol):
    name: str  # e.g. "onnxruntime", "pytorch-fp16", "tensorrt-int8"
    precision: str  # fp32 | fp16 | int8

    def unavailable(self) -> str | None:
        """None when the backend can run here, else why not (one sentence)."""

    def run(self, feeds: Feeds) -> Outputs: ...

    def close(self) -> None: ...


def tensorrt_unavailable() -> str | None:
    """Why TensorRT cannot be used here, or None. Imports tensorrt only when it is installed."""
    if importlib.util.find_spec("tensorrt") is None:
        return "the `tensorrt` Python package is not installed"
    try:
        import tensorrt  # noqa: F401
    except Exception as exc:  # a wheel without its CUDA libraries fails here (OSError, ImportError)
        return f"`import tensorrt` failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return None


def quiet() -> None:
    """Polygraphy's info lines and ONNX Runtime's quantizer advice off: the report says what matters."""
    import logging

    from polygraphy.logger import G_LOGGER

    G_LOGGER.module_severity = G_LOGGER.ERROR
    logging.getLogger().setLevel(logging.ERROR)


class PolygraphyBackend:
    """A Polygraphy runner kept activated between calls."""

    name = "polygraphy"
    precision = "fp32"

    def __init__(self, make_runner: Callable[[], Any]) -> None:
        self._make_runner = make_runner
        self._runner: Any = None

    def unavailable(self) -> str | None:
        return None

    def _active(self) -> Any:
        if self._runner is None:
            quiet()
            self._runner = self._make_runner()
            self._runner.activate()
        return self._runner

    def run(self, feeds: Feeds) -> Outputs:
        out = self._active().infer(dict(feeds))
        return {k: np.asarray(v) for k, v in out.items()}

    def close(self) -> None:
        if self._runner is not None:
            self._runner.deactivate()
            self._runner = None


class OnnxRuntimeBackend(PolygraphyBackend):
    """ONNX Runtime through ``polygraphy.backend.onnxrt`` (CPU provider unless told otherwise)."""

    def __init__(self, onnx_path: str, *, name: str = "onnxruntime", precision: str = "fp32",
                 providers: Sequence[str] = ("CPUExecutionProvider",)) -> None:
        from polygraphy.backend.onnxrt import OnnxrtRunner, SessionFromOnnx

        super().__init__(lambda: OnnxrtRunner(SessionFromOnnx(onnx_path, providers=list(providers))))
        self.name, self.precision = name, precision


class TensorRTBackend(PolygraphyBackend):
    """A serialized engine run through ``polygraphy.backend.trt.TrtRunner``."""

    def __init__(self, engine_bytes: bytes, *, precision: str) -> None:
        from polygraphy.backend.trt import EngineFromBytes, TrtRunner

        super().__init__(lambda: TrtRunner(EngineFromBytes(engine_bytes)))
        self.name, self.precision = f"tensorrt-{precision}", precision


class TorchBackend:
    """PyTorch eager on the child's module; ``half=True`` runs a half-precision copy on the same inputs."""

    def __init__(self, module: Any, input_names: Sequence[str], output_names: Sequence[str], *, device: str,
                 half: bool = False) -> None:
        import copy

        import torch

        self.torch = torch
        self.half = half
        self.precision = "fp16" if half else "fp32"
        self.name = f"pytorch-{self.precision}"
        self.device = device
        self.input_names, self.output_names = list(input_names), list(output_names)
        self.module = (copy.deepcopy(module).half() if half else module).to(device).eval()

    def unavailable(self) -> str | None:
        return None

    def to_tensors(self, feeds: Feeds) -> list[Any]:
        out = []
        for n in self.input_names:
            t = self.torch.from_numpy(np.ascontiguousarray(feeds[n])).to(self.device)
            if self.half and t.is_floating_point():
                t = t.half()
            out.append(t)
        return out

    def run(self, feeds: Feeds) -> Outputs:
        with self.torch.inference_mode():
            result = self.module(*self.to_tensors(feeds))
        flat = flatten_outputs(result)
        return {n: t.detach().float().cpu().numpy() for n, t in zip(self.output_names, flat)}

    def close(self) -> None:
        pass


def flatten_outputs(result: Any) -> list[Any]:
    """Tensors of a forward's result in the order the ONNX exporter flattens them (tuples, lists, dict values)."""
    if isinstance(result, (list, tuple)):
        return [t for r in result for t in flatten_outputs(r)]
    if isinstance(result, dict):
        return [t for r in result.values() for t in flatten_outputs(r)]
    return [result] if hasattr(result, "detach") else []
