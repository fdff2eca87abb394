"""INT8 the way TensorRT 10+ wants it: explicit Q/DQ (QuantizeLinear/DequantizeLinear) in the ONNX model.

NVIDIA's Model Optimizer (``nvidia-modelopt``, ``modelopt.onnx.quantization.quantize``) was the first choice; its
``[onnx]`` extra pins onnx~=1.21 and onnxruntime-gpu~=1.24 and pulls cupy-cuda12x on Linux x86-64 (checked from
the 0.47.0 wheel's metadata), which would replace this project's CPU onnxruntime and downgrade onnx. Its ONNX PTQ
calibrates through ONNX Runtime anyway, so this module uses ONNX Runtime's own static quantizer in QDQ format with
symmetric INT8 activations and per-channel symmetric INT8 weights -- the layout TensorRT consumes (see
docs/verify.md). numpy/onnxruntime only (no torch).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

import numpy as np

Feeds = Mapping[str, np.ndarray]


@dataclass
class Calibration:
    batches: list[dict[str, np.ndarray]]
    random: bool  # True: seeded random data, accuracy numbers then mean little
    source: str  # what was read, for the report


def load_calibration(files: Sequence[str], input_names: Sequence[str]) -> list[dict[str, np.ndarray]]:
    """``.npz`` files keyed by input name, or ``.npy`` files for a single-input model; each file is one batch."""
    batches: list[dict[str, np.ndarray]] = []
    for f in files:
        if f.endswith(".npz"):
            with np.load(f, allow_pickle=False) as data:
                missing = [n for n in input_names if n not in data.files]
                if missing:
                    raise ValueError(f"--calib-data {os.path.basename(f)} lacks input(s) {', '.join(missing)} "
                                     f"(it has {', '.join(data.files) or 'nothing'})")
                batches.append({n: np.asarray(data[n]) for n in input_names})
        elif f.endswith(".npy"):
            if len(input_names) != 1:
                raise ValueError(f"--calib-data {os.path.basename(f)}: a .npy file fits a single-input model; this "
                                 f"one has {len(input_names)} inputs (use .npz keyed by input name)")
            batches.append({input_names[0]: np.load(f, allow_pickle=False)})
        else:
            raise ValueError(f"--calib-data {os.path.basename(f)}: expected .npy or .npz")
    return batches


def random_calibration(example: Feeds, n: int = 8, seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        batch = {}
        for k, v in example.items():
            if np.issubdtype(v.dtype, np.floating):
                batch[k] = rng.standard_normal(v.shape).astype(v.dtype)
            else:
                batch[k] = v.copy()
        out.append(batch)
    return out


def quantize_qdq(onnx_path: str, out_path: str, calib: Sequence[Mapping[str, np.ndarray]]) -> str:
    """Write a Q/DQ INT8 copy of ``onnx_path`` calibrated (MinMax) on ``calib``; return ``out_path``."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._it: Iterator[Mapping[str, np.ndarray]] = iter(calib)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._it, None)
            return dict(batch) if batch is not None else None

        def rewind(self) -> None:
            self._it = iter(calib)

    quantize_static(
        onnx_path, out_path, Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
    )
    return out_path


def count_qdq(onnx_path: str) -> int:
    import onnx

    model = onnx.load(onnx_path, load_external_data=False)
    return sum(1 for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear"))
