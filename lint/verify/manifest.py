"""The engine manifest (JSON beside ``--save-engine FILE``) and ``--check-engine``. Torch-free.

A TensorRT engine is tied to the TensorRT version that built it and to the GPU's compute capability (unless built
version- or hardware-compatible); loading it elsewhere returns None from ``deserialize_cuda_engine`` and the
failure shows up later as an attribute error on None. ``check_engine`` compares the manifest with what is
installed and refuses a mismatch with a sentence.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

MANIFEST_SUFFIX = ".manifest.json"


def manifest_path(engine_path: str) -> str:
    return engine_path + MANIFEST_SUFFIX


def gpu_info() -> dict[str, str] | None:
    """Name and compute capability of GPU 0 from ``nvidia-smi`` (no CUDA bindings needed), or None."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=name,compute_cap", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=20, check=True).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    if not out or "," not in out[0]:
        return None
    name, cc = (s.strip() for s in out[0].rsplit(",", 1))
    return {"name": name, "compute_capability": cc}


def write_manifest(engine_path: str, data: dict[str, Any]) -> str:
    path = manifest_path(engine_path)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    return path


@dataclass
class EngineCheck:
    problems: list[str]  # each one a reason to refuse the engine
    manifest: dict[str, Any] | None


def check_engine(engine_path: str, *, onnx_path: str | None = None, trt_version: str | None = None,
                 gpu: dict[str, str] | None = None) -> EngineCheck:
    """Compare an engine's manifest with the installed TensorRT (``trt_version``) and GPU (``gpu``) and, if
    given, the ONNX model it should have been built from. Deserializing is the caller's last step."""
    from .trt_build import file_sha256

    problems: list[str] = []
    mpath = manifest_path(engine_path)
    if not os.path.isfile(engine_path):
        return EngineCheck([f"{engine_path}: no such engine file"], None)
    try:
        with open(mpath, encoding="utf-8") as fh:
            manifest = json.load(fh)
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return EngineCheck([f"no manifest {os.path.basename(mpath)} beside the engine: build it with "
                            "`trtlint verify --save-engine` so that its TensorRT version and GPU are known"], None)
    except (OSError, ValueError) as exc:
        return EngineCheck([f"{os.path.basename(mpath)} is not a readable manifest ({exc})"], None)
    built_trt = str(manifest.get("tensorrt", "?"))
    built_gpu = manifest.get("gpu") or {}
    if manifest.get("engine_sha256") and manifest["engine_sha256"] != file_sha256(engine_path):
        problems.append("the engine file is not the one the manifest describes (its SHA-256 differs)")
    if trt_version is None:
        problems.append(f"TensorRT is not installed here; the engine needs TensorRT {built_trt}")
    elif trt_version != built_trt and not manifest.get("version_compatible"):
        problems.append(f"built with TensorRT {built_trt}, this machine has {trt_version}: a plan file loads only "
                        "in the TensorRT version that built it (rebuild, or build with the VERSION_COMPATIBLE flag)")
    if gpu is None:
        problems.append(f"no NVIDIA GPU found here; the engine was built for {built_gpu.get('name', '?')} "
                        f"(compute capability {built_gpu.get('compute_capability', '?')})")
    elif built_gpu.get("compute_capability") != gpu.get("compute_capability") and not manifest.get("hardware_compatible"):
        problems.append(f"built for compute capability {built_gpu.get('compute_capability', '?')} "
                        f"({built_gpu.get('name', '?')}), this GPU is {gpu['compute_capability']} ({gpu['name']}): "
                        "engines are specific to the GPU architecture (rebuild here)")
    if onnx_path is not None and manifest.get("onnx_sha256") and file_sha256(onnx_path) != manifest["onnx_sha256"]:
        problems.append(f"built from a different ONNX model than {os.path.basename(onnx_path)} (SHA-256 differs)")
    return EngineCheck(problems, manifest)
