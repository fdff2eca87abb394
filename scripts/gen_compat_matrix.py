#!/usr/bin/env python3
"""Generate compat_matrix.yaml from the vendored upstream tables in scripts/upstream/ plus hand-kept facts.

Re-runnable and deterministic: ``python scripts/gen_compat_matrix.py`` rewrites compat_matrix.yaml;
``--check`` exits 1 when the committed file differs from what this script produces (a test runs it).
Every entry names its source by an id in the ``sources`` table at the top of the output.
"""
from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "scripts" / "upstream"
OUT = ROOT / "compat_matrix.yaml"
JSON_TWIN = ROOT / "lint" / "compat_matrix.json"  # the same data for fast loading (trtlint.compat.load_matrix)

# onnx-tensorrt parser commit shipped with each TensorRT release (scripts/upstream/PROVENANCE.md)
COMMITS = {
    "8.0": "4225037958191705a20684019a7df694c81ec39b",
    "8.2": "4f54a1950e1174dca490900eb7b07cc374f53d41",
    "8.4": "9f82b2b6072be6c01f65306388e5c07621d3308f",
    "8.5": "fd119fec8565264add819f8edc801066116a32dd",
    "8.6": "6ba67d3428e05f690145373ca87fb8d32f98df45",
    "9.0": "9d2d786c98129ecab62be0759d1ba2e5791ee424",
    "9.1": "877b5dccf5779d7d7dfa0c45b9c11cbee3b285ce",
    "9.2": "306247b30da17ec10b578d17c408fe04864d6fe5",
    "9.3": "1def182e2a04e939130b1070151a048321c6719c",
    "10.0": "eb43908b02a296ea0594432f06e9d3fac288d672",
    "10.1": "96e781103cfc4adf4a6bb557e94bac8e693f6f4c",
    "10.14": "c72727708d4ed8a379c04c4ea235c157ce9c3870",
    "10.15": "fa5aa9f61e7781d2ca8f5351d42c1f19525a6124",
    "10.16": "6bde6596eca84abf9afe9b4d21c18c32800fd3ad",
    "11.1": "7c51a63a719180eb5160c874c111746f3fb46a6b",
}
RECONSTRUCTED = {"10.14", "10.15", "10.16", "11.1"}
# releases without an obtainable table: filled from the nearest documented release below (conservative)
INTERPOLATED = {**{f"10.{m}": "10.1" for m in range(2, 14)}, "11.0": "10.16"}

NV_RELNOTES = "nvidia-trt-release-notes"
NV_SUPPORT = "nvidia-trt-support-matrix"
NV_JETPACK = "nvidia-jetpack-release-notes"
SOURCES: dict[str, dict[str, str]] = {
    NV_RELNOTES: {
        "title": "NVIDIA TensorRT release notes and Python API reference (deprecations, removals, data types)",
        "url": "https://docs.nvidia.com/deeplearning/tensorrt/latest/getting-started/release-notes.html",
    },
    NV_SUPPORT: {
        "title": "NVIDIA TensorRT support matrix (GPU compute capabilities)",
        "url": "https://docs.nvidia.com/deeplearning/tensorrt/latest/getting-started/support-matrix.html",
    },
    NV_JETPACK: {
        "title": "NVIDIA JetPack release notes (TensorRT version per JetPack, Jetson GPU architectures)",
        "url": "https://developer.nvidia.com/embedded/jetpack-archive",
    },
    "torch-onnx-constants": {
        "title": "torch/onnx/_constants.py and the dynamo exporter constants of each released torch wheel",
        "url": "https://github.com/pytorch/pytorch/tree/main/torch/onnx",
        "file": "scripts/upstream/torch-onnx-exporter-constants.tsv",
    },
    "onnx-version-table": {
        "title": "onnx.helper.VERSION_TABLE: ONNX release, IR version and default-domain opset",
        "url": "https://github.com/onnx/onnx/blob/main/docs/Versioning.md",
    },
}
SOURCES["onnx-proto-ir-versions"] = {
    "title": "onnx/onnx.proto, enum Version: what each IR version added (types, functions)",
    "url": "https://github.com/onnx/onnx/blob/main/onnx/onnx.proto",
}
for _v, _c in COMMITS.items():
    SOURCES[f"onnx-tensorrt-src-{_v}"] = {
        "title": f"onnx-tensorrt parser source shipped with TensorRT {_v} (ModelImporter.cpp, the op importers, "
                 "the importer utilities)",
        "url": f"https://github.com/onnx/onnx-tensorrt/tree/{_c}",
    }
for _v, _c in COMMITS.items():
    SOURCES[f"onnx-tensorrt-{_v}"] = {
        "title": f"onnx-tensorrt docs/operators.md shipped with TensorRT {_v}",
        "url": f"https://github.com/onnx/onnx-tensorrt/blob/{_c}/docs/operators.md",
        "file": f"scripts/upstream/onnx-tensorrt/operators-trt-{_v}.md",
        "fidelity": "reconstructed from a text index; whitespace may differ"
        if _v in RECONSTRUCTED
        else "byte-exact from git",
    }

# CUDA toolkits per release, Linux x86-64, from NVIDIA's support matrix of that release (ranges are inclusive
# minor ranges; "12.x" where a single build covers every 12.x). Releases not listed have no sourced entry.
CUDA = {
    "8.0": (["10.2", "11.0-11.3"], "tensorrt-801/pdf/TensorRT-Support-Matrix-Guide.pdf"),
    "8.2": (["10.2", "11.0-11.5"], "tensorrt-825/support-matrix/index.html"),
    "8.5": (["10.2", "11.0-11.8"], "tensorrt-853/support-matrix/index.html"),
    "8.6": (["11.0-11.8", "12.0-12.1"], "tensorrt-861/support-matrix/index.html"),
    "10.0": (["11.8", "12.0-12.4"], "tensorrt-1001/support-matrix"),
    "10.1": (["11.8", "12.0-12.4"], "tensorrt-1010/support-matrix/index.html"),
    "10.6": (["12.1-12.6"], "tensorrt-1060/pdf/TensorRT-Support-Matrix-Guide.pdf"),
}

# (release notes) native INT64 from 9.0; BF16/FP8 from 9.0; INT4 from 10.0; FP4 from 10.8
TYPE_INTRODUCED = {"INT64": (9, 0), "BFLOAT16": (9, 0), "FLOAT8E4M3FN": (9, 0), "INT4": (10, 0), "FLOAT4E2M1": (10, 8)}

TORCH_FIELDS = {
    "ONNX_MIN_OPSET": "opset_min",
    "ONNX_DEFAULT_OPSET": "opset_default",
    "ONNX_MAX_OPSET": "opset_max",
    "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET": "torchscript_opset_max",
    "TORCHLIB_OPSET(dynamo)": "dynamo_opset",
}

API_SOURCES: dict[str, dict[str, str]] = {
    "trt-python-api-10.0": {
        "title": "Python APIs removed in TensorRT 10.0: members bound by NVIDIA/TensorRT python/src at tag v8.6.1 and no "
                 "longer bound at v10.0.1 (pyCore.cpp, pyGraph.cpp, pyOnnx.cpp), as listed in NVIDIA's 8.x-to-10.x "
                 "Python migration guide",
        "url": "https://docs.nvidia.com/deeplearning/tensorrt/latest/api/migration/tensorrt-8x-to-10x-python-api-reference.html",
        "evidence": "https://github.com/NVIDIA/TensorRT/tree/v8.6.1/python/src vs https://github.com/NVIDIA/TensorRT/tree/v10.0.1/python/src",
    },
    "trt-python-api-11.0": {
        "title": "Python APIs removed in TensorRT 11.0: members bound by NVIDIA/TensorRT python/src at tag v10.16 and no "
                 "longer bound at v11.1, as listed in NVIDIA's 10.x-to-11.x Python migration guide; 'deprecated' is the "
                 "'Deprecated in TensorRT X' note of the v10.16 bindings and docstrings",
        "url": "https://docs.nvidia.com/deeplearning/tensorrt/latest/api/migration/tensorrt-10x-to-11x-python-api-reference.html",
        "evidence": "https://github.com/NVIDIA/TensorRT/tree/v10.16/python vs https://github.com/NVIDIA/TensorRT/tree/v11.1/python; "
                    "rechecked in git: python/src/infer/pyCore.cpp and pyGraph.cpp bind EXPLICIT_BATCH and "
                    "ILayer.set_output_type/reset_output_type/output_type_is_set (deprecated 10.12) at 6a92d4e "
                    "(release/sd35, TensorRT 10.13) and no longer at a892d22 (main, NvInferVersion.h 11.1.0)",
    },
}
SOURCES.update(API_SOURCES)
_R10, _R11 = "trt-python-api-10.0", "trt-python-api-11.0"
_EQ = "explicit quantization: Q/DQ nodes in the ONNX model (TensorRT Model Optimizer)"
_ST = "a strongly typed network: put the precision into the ONNX model (ModelOpt AutoCast for FP16/BF16)"

# (python name, kind, deprecated in, removed in, replacement, source, rule, match)
# match: "attribute" (obj.name), "method" (obj.name(...)), "member" (Enum.MEMBER), "class" (a base class);
# a trailing "!" on match means the name is too common to report unless the receiver is known to be TensorRT's.
API = [
    ("max_workspace_size", "IBuilderConfig attribute", "8.3", "10.0",
     "config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, size)", NV_RELNOTES, "TRT401", "attribute"),
    ("build_engine", "IBuilder method", "8.0", "10.0",
     "builder.build_serialized_network(network, config), then IRuntime.deserialize_cuda_engine", NV_RELNOTES,
     "TRT402", "method"),
    ("EXPLICIT_BATCH", "NetworkDefinitionCreationFlag", "10.0", "11.0",
     "0 (networks are always explicit-batch from TensorRT 10.0; the flag is ignored)", _R11, "TRT403", "member"),
    ("max_batch_size", "IBuilder attribute (implicit batch)", None, "10.0",
     "an explicit-batch network with an optimization profile", NV_RELNOTES, "TRT404", "attribute"),
    ("IInt8EntropyCalibrator2", "implicit-quantization calibrator", "10.1", "11.0",
     "explicit quantization: Q/DQ nodes from TensorRT Model Optimizer (modelopt) or pytorch-quantization", NV_RELNOTES,
     "TRT405", "class"),
    ("IInt8EntropyCalibrator", "implicit-quantization calibrator", "10.1", "11.0", "explicit Q/DQ quantization",
     NV_RELNOTES, "TRT405", "class"),
    ("IInt8MinMaxCalibrator", "implicit-quantization calibrator", "10.1", "11.0", "explicit Q/DQ quantization",
     NV_RELNOTES, "TRT405", "class"),
    ("IInt8LegacyCalibrator", "implicit-quantization calibrator", "10.1", "11.0", "explicit Q/DQ quantization",
     NV_RELNOTES, "TRT405", "class"),
    ("int8_calibrator", "IBuilderConfig attribute", "10.1", "11.0", "explicit Q/DQ quantization", NV_RELNOTES,
     "TRT405", "attribute"),
    ("BuilderFlag.INT8", "builder precision flag", None, "11.0",
     "a strongly typed network (TensorRT 11 builds strongly typed only)", NV_RELNOTES, "TRT407", "member"),
    ("BuilderFlag.FP16", "builder precision flag", None, "11.0",
     "a strongly typed network with FP16 tensors set in the ONNX model", NV_RELNOTES, "TRT407", "member"),
    # ---- removed in TensorRT 10.0 (binding-based I/O, implicit batch, old layers and flags)
    ("execute_async_v2", "IExecutionContext method", None, "10.0",
     "context.set_tensor_address(name, ptr) for every I/O tensor, then context.execute_async_v3(stream_handle)",
     _R10, "TRT408", "method"),
    ("execute_async", "IExecutionContext method, implicit batch", None, "10.0",
     "context.set_tensor_address(name, ptr) for every I/O tensor, then context.execute_async_v3(stream_handle)",
     _R10, "TRT408", "method!"),
    ("execute", "IExecutionContext method, implicit batch", None, "10.0",
     "context.execute_v2(bindings)", _R10, "TRT408", "method!"),
    ("set_binding_shape", "IExecutionContext method", None, "10.0", "context.set_input_shape(name, shape)", _R10,
     "TRT408", "method"),
    ("get_binding_shape", "ICudaEngine/IExecutionContext method", None, "10.0", "get_tensor_shape(name)", _R10,
     "TRT408", "method"),
    ("get_binding_index", "ICudaEngine method", None, "10.0",
     "address tensors by name: engine.get_tensor_name(i) for i in range(engine.num_io_tensors)", _R10, "TRT408",
     "method"),
    ("get_binding_name", "ICudaEngine method", None, "10.0", "engine.get_tensor_name(i)", _R10, "TRT408", "method"),
    ("binding_is_input", "ICudaEngine method", None, "10.0",
     "engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT", _R10, "TRT408", "method"),
    ("get_binding_dtype", "ICudaEngine method", None, "10.0", "engine.get_tensor_dtype(name)", _R10, "TRT408",
     "method"),
    ("get_binding_format", "ICudaEngine method", None, "10.0", "engine.get_tensor_format(name)", _R10, "TRT408",
     "method"),
    ("get_binding_format_desc", "ICudaEngine method", None, "10.0", "engine.get_tensor_format_desc(name)", _R10,
     "TRT408", "method"),
    ("get_binding_vectorized_dim", "ICudaEngine method", None, "10.0", "engine.get_tensor_vectorized_dim(name)",
     _R10, "TRT408", "method"),
    ("get_binding_bytes_per_component", "ICudaEngine method", None, "10.0",
     "engine.get_tensor_bytes_per_component(name)", _R10, "TRT408", "method"),
    ("get_binding_components_per_element", "ICudaEngine method", None, "10.0",
     "engine.get_tensor_components_per_element(name)", _R10, "TRT408", "method"),
    ("num_bindings", "ICudaEngine attribute", None, "10.0", "engine.num_io_tensors", _R10, "TRT408", "attribute"),
    ("get_profile_shape", "ICudaEngine method", None, "10.0", "engine.get_tensor_profile_shape(name, profile_index)",
     _R10, "TRT408", "method"),
    ("get_profile_shape_input", "ICudaEngine method", None, "10.0",
     "engine.get_tensor_profile_values(profile_index, name)", _R10, "TRT408", "method"),
    ("is_shape_binding", "ICudaEngine method", None, "10.0", "engine.is_shape_inference_io(name)", _R10, "TRT408",
     "method"),
    ("is_execution_binding", "ICudaEngine method", None, "10.0", "none: every I/O tensor is addressed by name", _R10,
     "TRT408", "method"),
    ("get_strides", "IExecutionContext method", None, "10.0", "context.get_tensor_strides(name)", _R10, "TRT408",
     "method!"),
    ("add_convolution", "INetworkDefinition method", None, "10.0", "network.add_convolution_nd(...)", _R10, "TRT408",
     "method"),
    ("add_deconvolution", "INetworkDefinition method", None, "10.0", "network.add_deconvolution_nd(...)", _R10,
     "TRT408", "method"),
    ("add_fully_connected", "INetworkDefinition method", None, "10.0",
     "network.add_matrix_multiply(...) (plus add_elementwise for the bias)", _R10, "TRT408", "method"),
    ("add_padding", "INetworkDefinition method", None, "10.0", "network.add_padding_nd(...)", _R10, "TRT408",
     "method"),
    ("add_pooling", "INetworkDefinition method", None, "10.0", "network.add_pooling_nd(...)", _R10, "TRT408",
     "method"),
    ("add_rnn_v2", "INetworkDefinition method", None, "10.0", "a recurrence built with network.add_loop()", _R10,
     "TRT408", "method"),
    ("min_timing_iterations", "IBuilderConfig attribute", None, "10.0", "config.avg_timing_iterations", _R10,
     "TRT408", "attribute"),
    ("has_explicit_precision", "INetworkDefinition attribute", None, "10.0",
     "none: networks with Q/DQ layers are explicitly quantized", _R10, "TRT408", "attribute"),
    ("BuilderFlag.STRICT_TYPES", "builder flag", None, "10.0",
     "BuilderFlag.PREFER_PRECISION_CONSTRAINTS (or OBEY_PRECISION_CONSTRAINTS)", _R10, "TRT408", "member"),
    ("NetworkDefinitionCreationFlag.EXPLICIT_PRECISION", "network creation flag", None, "10.0",
     "none: Q/DQ networks are explicitly quantized without a flag", _R10, "TRT408", "member"),
    ("PreviewFeature.FASTER_DYNAMIC_SHAPES_0805", "preview feature", None, "10.0",
     "drop the set_preview_feature call: the preview feature no longer exists", _R10, "TRT408", "member"),
    ("PreviewFeature.DISABLE_EXTERNAL_TACTIC_SOURCES_FOR_CORE_0805", "preview feature", None, "10.0",
     "drop the set_preview_feature call: the preview feature no longer exists", _R10, "TRT408", "member"),
    ("EngineCapability.DEFAULT", "engine capability", None, "10.0", "EngineCapability.STANDARD", _R10, "TRT408",
     "member"),
    ("EngineCapability.SAFE_GPU", "engine capability", None, "10.0", "EngineCapability.SAFETY", _R10, "TRT408",
     "member"),
    ("EngineCapability.SAFE_DLA", "engine capability", None, "10.0", "EngineCapability.DLA_STANDALONE", _R10,
     "TRT408", "member"),
    # ---- removed in TensorRT 11.0 (weak typing, implicit quantization, V1 memory/streaming queries)
    ("platform_has_fast_fp16", "IBuilder attribute", None, "11.0",
     "a strongly typed network: decide FP16 when exporting the model, not by asking the builder", _R11, "TRT408",
     "attribute"),
    ("platform_has_fast_int8", "IBuilder attribute", None, "11.0", _EQ, _R11, "TRT408", "attribute"),
    ("platform_has_tf32", "IBuilder attribute", None, "11.0", "none: drop the query (BuilderFlag.TF32 remains)", _R11,
     "TRT408", "attribute"),
    ("BuilderFlag.BF16", "builder precision flag", "10.12", "11.0", _ST, _R11, "TRT408", "member"),
    ("BuilderFlag.FP8", "builder precision flag", "10.12", "11.0", _EQ, _R11, "TRT408", "member"),
    ("BuilderFlag.INT4", "builder precision flag", "10.12", "11.0", _EQ, _R11, "TRT408", "member"),
    ("BuilderFlag.FP4", "builder precision flag", "10.12", "11.0", _EQ, _R11, "TRT408", "member"),
    ("BuilderFlag.OBEY_PRECISION_CONSTRAINTS", "builder flag", "10.12", "11.0",
     "none: a strongly typed network always follows its tensor types", _R11, "TRT408", "member"),
    ("BuilderFlag.PREFER_PRECISION_CONSTRAINTS", "builder flag", "10.12", "11.0",
     "none: a strongly typed network always follows its tensor types", _R11, "TRT408", "member"),
    ("BuilderFlag.WEIGHTLESS", "builder flag", "10.0", "11.0", "BuilderFlag.STRIP_PLAN", _R11, "TRT408", "member"),
    ("TacticSource.CUBLAS", "tactic source", "10.0", "11.0", "drop it from the tactic-source mask", _R11, "TRT408",
     "member"),
    ("TacticSource.CUBLAS_LT", "tactic source", "9.0", "11.0", "drop it from the tactic-source mask", _R11, "TRT408",
     "member"),
    ("TacticSource.CUDNN", "tactic source", "10.0", "11.0", "drop it from the tactic-source mask", _R11, "TRT408",
     "member"),
    ("PreviewFeature.PROFILE_SHARING_0806", "preview feature", None, "11.0",
     "drop the set_preview_feature call: profile sharing is the default since 10.0", _R11, "TRT408", "member"),
    ("algorithm_selector", "IBuilderConfig attribute", "10.8", "11.0", "an editable timing cache "
     "(BuilderFlag.EDITABLE_TIMING_CACHE)", _R11, "TRT408", "attribute"),
    ("set_calibration_profile", "IBuilderConfig method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("get_calibration_profile", "IBuilderConfig method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("set_quantization_flag", "IBuilderConfig method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("get_quantization_flag", "IBuilderConfig method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("clear_quantization_flag", "IBuilderConfig method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("quantization_flags", "IBuilderConfig attribute", "10.1", "11.0", _EQ, _R11, "TRT408", "attribute"),
    ("set_dynamic_range", "ITensor method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("get_dynamic_range", "ITensor method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("reset_dynamic_range", "ITensor method", "10.1", "11.0", _EQ, _R11, "TRT408", "method"),
    ("dynamic_range", "ITensor attribute", "10.1", "11.0", _EQ, _R11, "TRT408", "attribute!"),
    ("set_output_type", "ILayer method", "10.12", "11.0", _ST, _R11, "TRT408", "method"),
    ("reset_output_type", "ILayer method", "10.12", "11.0", _ST, _R11, "TRT408", "method"),
    ("output_type_is_set", "ILayer method", "10.12", "11.0", _ST, _R11, "TRT408", "method"),
    ("reset_precision", "ILayer method", "10.12", "11.0", _ST, _R11, "TRT408", "method"),
    ("precision_is_set", "ILayer attribute", "10.12", "11.0", _ST, _R11, "TRT408", "attribute"),
    ("precision", "ILayer attribute", "10.12", "11.0", _ST, _R11, "TRT408", "attribute!"),
    ("device_memory_size", "ICudaEngine attribute", "10.1", "11.0", "engine.device_memory_size_v2", _R11, "TRT408",
     "attribute"),
    ("get_device_memory_size_for_profile", "ICudaEngine method", "10.1", "11.0",
     "engine.get_device_memory_size_for_profile_v2(profile_index)", _R11, "TRT408", "method"),
    ("create_execution_context_without_device_memory", "ICudaEngine method", None, "11.0",
     "engine.create_execution_context(trt.ExecutionContextAllocationStrategy.USER_MANAGED)", _R11, "TRT408",
     "method"),
    ("weight_streaming_budget", "ICudaEngine attribute", "10.1", "11.0", "engine.weight_streaming_budget_v2", _R11,
     "TRT408", "attribute"),
    ("minimum_weight_streaming_budget", "ICudaEngine attribute", "10.1", "11.0",
     "none: the V2 weight-streaming API does not need it", _R11, "TRT408", "attribute"),
    ("supports_model", "OnnxParser method", "10.1", "11.0", "parser.supports_model_v2(model)", _R11, "TRT408",
     "method"),
    ("parse_with_weight_descriptors", "OnnxParser method", "10.13", "11.0", "parser.parse(...) with load_initializers",
     _R11, "TRT408", "method"),
]

JETPACK = {
    "4": {"tensorrt": "8.2", "boards": {"xavier": 72, "nano": 53, "tx2": 62}},
    "5": {"tensorrt": "8.5", "boards": {"xavier": 72, "orin": 87}},
    "6": {"tensorrt": "8.6", "tensorrt_alternatives": ["10.3"], "boards": {"orin": 87}},
}

TYPE_ALIASES = {
    "FP32": "FLOAT", "FLOAT32": "FLOAT", "FP16": "FLOAT16", "FLOAT16": "FLOAT16", "BF16": "BFLOAT16",
    "BFLOAT16": "BFLOAT16", "INT32": "INT32", "INT64": "INT64", "INF64": "INT64", "INT8": "INT8",
    "UINT8": "UINT8", "BOOL": "BOOL", "FP8": "FLOAT8E4M3FN", "FP4": "FLOAT4E2M1", "INT4": "INT4",
    "DOUBLE": "DOUBLE", "FP64": "DOUBLE", "STRING": "STRING",
}


def parse_types(text: str) -> list[str]:
    out: list[str] = []
    for tok in re.split(r"[,\s]+|\band\b", text):
        tok = tok.strip().strip(".").upper()
        if tok in TYPE_ALIASES and TYPE_ALIASES[tok] not in out:
            out.append(TYPE_ALIASES[tok])
    return out


def _names(text: str) -> list[str]:
    return re.findall(r"`\s*([A-Za-z_][A-Za-z0-9_]*)\s*`", text)


def restriction_checks(op: str, text: str) -> list[dict[str, Any]]:
    """Turn a restriction sentence into conditions the ONNX rules can test; what is not recognised stays text."""
    checks: list[dict[str, Any]] = []
    for sentence in re.split(r"<br\s*/?>|(?<=\.)\s+(?=[A-Z`])", text):
        s = sentence.strip()
        if not s:
            continue
        m = re.match(r"Supported resize (transformation modes|modes|nearest modes)?:?(.*)", s)
        m2 = re.match(r"Supported (resize transformation modes|resize modes|nearest modes|aspect ratio policy):(.*)", s)
        if m2:
            attr = {
                "resize transformation modes": "coordinate_transformation_mode",
                "resize modes": "mode",
                "nearest modes": "nearest_mode",
                "aspect ratio policy": "keep_aspect_ratio_policy",
            }[m2.group(1)]
            checks.append({"check": "attr_in", "attr": attr, "values": _names(m2.group(2))})
            continue
        del m
        if re.match(r"Antialiasing is not supported", s):
            checks.append({"check": "attr_in", "attr": "antialias", "values": [0]})
            continue
        m = re.search(r"must be (?:an? )?(initializers?|initailizer|constant tensor|build-time constant|resolvable to a constant)", s)
        if m and "dimension of input" not in s and "evaluate to" not in s:
            head = s[: m.start()]
            for name in _names(head):
                checks.append({"check": "input_constant", "input": name})
            continue
        if "evaluate to False" in s:
            for name in _names(s):
                checks.append({"check": "input_constant", "input": name})
            continue
        m = re.match(r"`(\w+)` must be (zero|0)\b", s)
        if m and m.group(1).endswith("zero_point"):
            checks.append({"check": "input_zero", "input": m.group(1)})
            continue
        m = re.match(r"`(\w+)` (?:attribute )?must be (-?\d+)\.?$", s)
        if m:
            checks.append({"check": "attr_in", "attr": m.group(1), "values": [int(m.group(2))]})
            continue
        m = re.match(r"`(\w+)` input must be less than (\d+)", s)
        if m:
            checks.append({"check": "input_max", "input": m.group(1), "max": int(m.group(2)) - 1})
            continue
        m = re.match(r"`(\w+)` other than `(\w+)` is not supported", s)
        if m:
            checks.append({"check": "attr_in", "attr": m.group(1), "values": [m.group(2)]})
            continue
        if re.match(r"`dilations` must be empty or all ones", s):
            checks.append({"check": "attr_all_ones", "attr": "dilations"})
            continue
        if re.search(r"`Indices` output tensor unsupported|Only the first output `Y` is supported", s):
            checks.append({"check": "max_outputs", "count": 1})
            continue
    return checks


def parse_table(version: str) -> dict[str, Any]:
    path = UPSTREAM / "onnx-tensorrt" / f"operators-trt-{version}.md"
    text = path.read_text(encoding="utf-8")
    src = f"onnx-tensorrt-{version}"
    m = re.search(r"inclusive range of opset (\d+) to opset (\d+)", text)
    if m:
        opset = {"min": int(m.group(1)), "max": int(m.group(2)), "source": src}
    else:
        m = re.search(r"up to Opset (\d+)", text, re.I)
        if not m:
            raise SystemExit(f"{path}: no opset range found")
        opset = {"min": 7, "max": int(m.group(1)), "source": src,
                 "note": "the table declares only a ceiling; 7, the oldest opset torch exports, is assumed as floor"}
    m = re.search(r"supports the following ONNX data types: (.*)", text)
    types = parse_types(m.group(1)) if m else []
    ops: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("Operator", "") or set(cells[0]) <= set("-: "):
            continue
        name, supported = cells[0], cells[1].upper().startswith("Y")
        entry: dict[str, Any] = {"supported": supported}
        if len(cells) > 2 and cells[2]:
            entry["types"] = parse_types(cells[2])
        restr = cells[3].strip() if len(cells) > 3 else ""
        if restr:
            entry["restrictions"] = re.sub(r"\s+", " ", restr.replace("<br />", " ").replace("<br/>", " ")).strip()
            checks = restriction_checks(name, restr)
            if checks:
                entry["checks"] = checks
        ops[name] = entry
    return {"opset": opset, "types": {"declared": types, "source": src}, "operators": ops}


# Where a table lags its parser (scripts/upstream/PROVENANCE.md, "Known caveats"): version -> op -> correction.
CORRECTIONS: dict[str, dict[str, str]] = {
    "8.4": {op: "the 8.4 table marks it N, but the 8.4 parser imports it (upstream caveat)"
            for op in ("HardSwish", "RandomNormal", "Reciprocal")},
}


# ---------------------------------------------------------------------------------------------------------------
# What the parser source does (issue 9). Facts extracted from the onnx-tensorrt source at each shipped commit by
# scripts/upstream/extract_parser_facts.py (names of importers, input indices and attribute names each importer
# reads, types it refuses); the source of 10.14 and later was not obtainable as a git tree here.
PARSER_FACTS_FILE = UPSTREAM / "onnx-tensorrt" / "parser-facts.json"


def parser_facts() -> dict[str, Any]:
    return json.loads(PARSER_FACTS_FILE.read_text(encoding="utf-8"))


def importer_ref(version: str, facts: dict[str, Any], op: str, helper: str = "") -> str:
    where = f"{facts['importer_file']} DEFINE_BUILTIN_OP_IMPORTER({op})"
    if helper:
        where += f" -> {helper}"
    return f"{where} @ {COMMITS[version][:10]} (TensorRT {version})"


REDUCE_OPS = ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin",
              "ReduceProd", "ReduceSumSquare")
# Changes of meaning between opsets (onnx Changelog.md; opset numbers from onnx.defs) that a node can be seen to
# use. "trigger" says when a node relies on the new meaning; "look" where an importer that reads it would name it.
SEMANTIC_CHANGES: list[dict[str, Any]] = [
    *({"op": op, "since": 18, "trigger": {"input": 1}, "look": "input",
       "change": "`axes` moved from an attribute to input 1"} for op in REDUCE_OPS),
    *({"op": op, "since": 18, "trigger": {"attr": "noop_with_empty_axes", "not_in": [0]}, "look": "op+utils",
       "change": "`noop_with_empty_axes=1` makes an empty `axes` an identity instead of a reduction over all axes"}
      for op in REDUCE_OPS),
    {"op": "Pad", "since": 18, "trigger": {"input": 3}, "look": "input", "change": "optional `axes` input 3"},
    {"op": "Resize", "since": 18, "trigger": {"attr": "axes"}, "look": "op",
     "change": "`axes` attribute: scales/sizes address a subset of the axes"},
    {"op": "Resize", "since": 18, "trigger": {"attr": "keep_aspect_ratio_policy", "not_in": ["stretch"]},
     "look": "op", "change": "`keep_aspect_ratio_policy` changes how `sizes` is applied"},
    {"op": "GridSample", "since": 20, "trigger": {"attr": "mode", "in": ["linear", "cubic"]}, "look": "value",
     "change": "`mode` values renamed: `linear`/`cubic` replace opset 16's `bilinear`/`bicubic`"},
    {"op": "GroupNormalization", "since": 21, "trigger": {"scale_per_channel": True}, "look": "manual",
     "change": "`scale` and `bias` hold one value per channel instead of one per group"},
    {"op": "QuantizeLinear", "since": 23, "trigger": {"attr": "precision", "not_in": [0]}, "look": "op",
     "change": "`precision` attribute sets the intermediate precision"},
    *({"op": op, "since": 24, "trigger": {"attr": "round_mode", "not_in": ["up"]}, "look": "op",
       "change": "`round_mode` attribute selects the rounding of casts to 8/4-bit floats"} for op in ("Cast", "CastLike")),
    {"op": "Attention", "since": 24, "trigger": {"input": 6}, "look": "input",
     "change": "optional `nonpad_kv_seqlen` input 6 masks padded key/value positions"},
    *({"op": "Attention", "since": 25, "trigger": {"attr": a, "not_in": [-1]}, "look": "op",
       "change": f"`{a}` attribute restricts attention to a sliding window"}
      for a in ("left_window_size", "right_window_size")),
    {"op": "Range", "since": 27, "trigger": {"attr": "stash_type"}, "look": "op",
     "change": "`stash_type` attribute sets the precision the sequence is computed in"},
    {"op": "SpaceToDepth", "since": 28, "trigger": {"attr": "mode", "in": ["CRD"]}, "look": "op",
     "change": "`mode` attribute: `CRD` orders the output channels column-row-depth"},
]
# Verdicts read from the source by hand where the extracted facts cannot decide (release -> effect, reference).
SEMANTIC_BY_HAND: dict[tuple[str, int], dict[str, tuple[str, str]]] = {
    ("Pad", 18): {v: ("refused", "asserts that an `axes` input is unsupported") for v in ("8.5", "8.6", "9.0", "9.1", "9.2", "9.3")},
    ("GridSample", 20): {
        **{v: ("misread", "compares `mode` with the opset 16 names only; any other value keeps its default "
                          "interpolation, nearest") for v in ("8.5", "8.6", "9.0", "9.1", "9.2", "9.3", "10.0", "10.1")},
        **{v: ("misread", "the 10.16 importer still compares `mode` with the opset 16 names only, so `linear` samples "
                          "nearest (onnxOpImporters.cpp DEFINE_BUILTIN_OP_IMPORTER(GridSample) @ 6bde6596ec"
                          + ("" if v == "10.16" else f"; {v} assumed as 10.16") + ")")
           for v in ("10.14", "10.15", "10.16", "11.1")}},
    **{(op, since): {v: ("misread", f"the 10.16 importer never reads `{attr_name}` (onnxOpImporters.cpp "
                                    f"DEFINE_BUILTIN_OP_IMPORTER({op}) @ 6bde6596ec"
                                    + ("" if v == "10.16" else f"; {v} assumed as 10.16") + ")")
                     for v in ("10.14", "10.15", "10.16", "11.1")}
       for op, since, attr_name in (("Range", 27, "stash_type"), ("SpaceToDepth", 28, "mode"))},
    ("GroupNormalization", 21): {v: ("misread", "normalizationHelper broadcasts `scale`/`bias` as given and sets the "
                                               "group count, the per-group layout of opset 18")
                                 for v in ("8.6", "9.0", "9.1", "9.2", "9.3", "10.0", "10.1")},
    ("Attention", 24): {v: ("refused", "the table marks `nonpad_kv_seqlen` unsupported; the 10.16 importer never "
                                       "reads input 6 (onnxOpImporters.cpp DEFINE_BUILTIN_OP_IMPORTER(Attention) @ 6bde6596ec)")
                        for v in ("10.14", "10.15", "10.16", "11.1")},
    ("Attention", 25): {v: ("misread", "the 10.16 importer reads `is_causal` and the normalization attributes, not the "
                                       "window sizes (onnxOpImporters.cpp DEFINE_BUILTIN_OP_IMPORTER(Attention) @ 6bde6596ec)")
                        for v in ("10.14", "10.15", "10.16", "11.1")},
}
# ReduceX importers whose axes input reaches reduceTensor, which asserts it is an initializer (checked with grep
# at each commit: 'Axis input must be an initializer' in onnx2trt_utils.cpp / importerUtils.cpp reduceTensor).
REDUCE_AXES_ASSERT = ("8.0", "8.2", "8.4", "8.5", "8.6", "9.0", "9.1", "9.2", "9.3", "10.0", "10.1")
# what each IR version added that a parser built against an older onnx cannot read (onnx.proto, enum Version)
IR_TYPES = {9: ["FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ"], 10: ["UINT4", "INT4"],
            11: ["FLOAT4E2M1"], 12: ["FLOAT8E8M0"], 13: ["UINT2", "INT2"], 14: ["FLOAT6E2M3", "FLOAT6E3M2"]}


def semantic_effect(version: str, change: dict[str, Any], facts: dict[str, Any] | None,
                    ceiling: int) -> tuple[str, str]:
    """('read'|'misread'|'refused', reference) for one change at one release."""
    op, since = change["op"], change["since"]
    hand = SEMANTIC_BY_HAND.get((op, since), {}).get(version)
    if facts is None:
        if hand:
            return hand[0], hand[1]
        if since <= ceiling:
            return "read", (f"assumed: the TensorRT {version} table claims opset {ceiling}; its source was not "
                            "obtainable as a git tree here")
        return "misread", (f"assumed: the importer predates opset {since} (ceiling {ceiling}); the 10.1 source does "
                           "not read it either and the source of this release was not obtainable here")
    if op not in facts["importers"]:
        return "read", "no importer: the operator is unsupported (TRT303)"
    if hand:
        return hand[0], f"{importer_ref(version, facts, op)}: {hand[1]}"
    trig = change["trigger"]
    if change["look"] == "input":
        seen = trig["input"] in facts["input_indices_read"].get(op, [])
        what = f"input {trig['input']}"
    elif change["look"] in ("op", "op+utils"):
        named = set(facts["attrs_named"].get(op, []))
        if change["look"] == "op+utils":
            named |= set(facts["attrs_named_in_utils"])
        seen = trig["attr"] in named
        what = f"attribute `{trig['attr']}`"
    else:
        return "read", "not decided from the source"
    ref = importer_ref(version, facts, op)
    return ("read", f"{ref} reads {what}") if seen else ("misread", f"{ref} never reads {what}")


def parser_entry(version: str, ceiling: int, all_facts: dict[str, Any]) -> dict[str, Any]:
    facts = all_facts.get(version)
    out: dict[str, Any] = {
        "source": f"onnx-tensorrt-src-{version}" if facts else None,
        "verified_in_source": facts is not None,
        "opset_below_7": "warning, then imports (ModelImporter.cpp ModelImporter::importModel); no upper bound is checked"
        if (facts or {}).get("warns_below_opset_7_only") else "assumed as in 10.1: warns below opset 7, no upper bound",
        "reads_local_functions": bool(facts["reads_local_functions"]) if facts else True,
        "local_functions_reference": "ModelImporter.cpp (model.functions() registered as local functions)"
        if facts and facts["reads_local_functions"] else
        ("ModelImporter.cpp never looks at model.functions()" if facts else "assumed as in 10.0/10.1 (read)"),
    }
    semantics = []
    for change in SEMANTIC_CHANGES:
        effect, ref = semantic_effect(version, change, facts, ceiling)
        if effect != "read":
            semantics.append({"op": change["op"], "since": change["since"], "change": change["change"],
                              "trigger": change["trigger"], "effect": effect, "reference": ref})
    out["opset_semantics"] = semantics
    if facts:
        out["convertible_types"] = facts["convertible_types"]
        out["convertible_types_reference"] = "importerUtils.cpp / onnx2trt_utils.cpp convertDtype"
        out["refused_input_types"] = {op: {str(i): t for i, t in sorted(idx.items(), key=lambda kv: int(kv[0]))}
                                      for op, idx in sorted(facts["refused_input_types"].items())}
    # types an importer's own type assertion accepts: where the table omits one, the source is the referee. Releases
    # newer than the newest source at hand take that source's lists (an importer that accepted a type keeps it), marked
    newest = max(all_facts, key=lambda v: tuple(int(x) for x in v.split("."))) if all_facts else version
    vkey = tuple(int(x) for x in version.split("."))
    known = facts or (all_facts[newest] if vkey > tuple(int(x) for x in newest.split(".")) else None)
    if known:
        out["asserted_input_types"] = {op: t for op, t in sorted(known.get("asserted_input_types", {}).items())}
        out["asserted_input_types_reference"] = (
            f"{known['importer_file']} at {known['commit'][:12]}: the DataType list of each importer's ASSERT_NODE "
            "type check" + ("" if facts else f" (the {newest} source stands in: no newer source was obtainable)"))
    return out


def add_source_checks(version: str, ops: dict[str, Any], all_facts: dict[str, Any]) -> None:
    """Restrictions the parser source enforces that the release's table does not state."""
    facts = all_facts.get(version)
    if not facts or version not in REDUCE_AXES_ASSERT:
        return
    for op in (*REDUCE_OPS, "ReduceSum"):
        entry = ops.get(op)
        if not entry or 1 not in facts["input_indices_read"].get(op, []):
            continue
        checks = entry.setdefault("checks", [])
        if any(c["check"] == "input_constant" and c["input"] == "axes" for c in checks):
            continue
        checks.append({"check": "input_constant", "input": "axes", "source": f"onnx-tensorrt-src-{version}",
                       "reference": importer_ref(version, facts, op, "reduceTensor (asserts the axes input is an "
                                                                     "initializer)")})


# Table restrictions the parser source does not enforce (the table lags the code): op -> attribute -> values the
# importer accepts although the table leaves them out, the releases where that was read, and where.
SOURCE_ALLOWS: dict[str, dict[str, tuple[list[Any], tuple[str, ...], str]]] = {
    "Resize": {"mode": (["cubic"], ("8.5", "8.6", "9.0", "9.1", "9.2", "9.3", "10.0", "10.1", "10.14", "10.15", "10.16",
                                    "11.1"),
                        "DEFINE_BUILTIN_OP_IMPORTER(Resize) maps mode 'cubic' to InterpolationMode::kCUBIC (read at "
                        "each commit of 8.5-10.1 and in the 10.16 onnxOpImporters.cpp @ 6bde6596ec; 10.14, 10.15 and "
                        "11.1 assumed as 10.16)")},
}


def apply_source_allows(version: str, ops: dict[str, Any]) -> None:
    for op, attrs in SOURCE_ALLOWS.items():
        for attr_name, (values, releases, reference) in attrs.items():
            if version not in releases or op not in ops:
                continue
            for check in ops[op].get("checks", []):
                if check["check"] == "attr_in" and check["attr"] == attr_name:
                    check["values"] = check["values"] + [v for v in values if v not in check["values"]]
                    check["source_allows"] = {"values": values, "reference": reference}


def vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def ir_version_for_opset(opset: int) -> dict[str, Any]:
    import onnx.helper

    rows = [r for r in onnx.helper.VERSION_TABLE if r[2] >= opset]
    ir = min(r[1] for r in rows) if rows else max(r[1] for r in onnx.helper.VERSION_TABLE)
    return {"max": ir, "source": "onnx-version-table",
            "note": "IR version of the first ONNX release that defines the table's opset ceiling"}


def trt_entry(version: str, table: dict[str, Any]) -> dict[str, Any]:
    v = vkey(version)
    entry: dict[str, Any] = {
        "opset": table["opset"],
        "ir_version": dict(ir_version_for_opset(table["opset"]["max"]), types_by_ir={
            str(k): v for k, v in IR_TYPES.items()}, types_by_ir_source="onnx-proto-ir-versions"),
        "types": dict(table["types"]),
        "int64": {"mode": "native" if v >= (9, 0) else "cast-to-int32", "source": NV_RELNOTES},
        "double": {"mode": "cast-to-float", "source": NV_RELNOTES},
        "type_support": {t: v >= since for t, since in TYPE_INTRODUCED.items()},
        "strongly_typed_only": v >= (11, 0),
    }
    entry["type_support_source"] = NV_RELNOTES
    if version in CUDA:
        versions, page = CUDA[version]
        entry["cuda"] = {"versions": versions, "platform": "linux-x86_64", "source": NV_SUPPORT,
                         "page": f"https://docs.nvidia.com/deeplearning/tensorrt/archives/{page}"}
    if v >= (10, 5):
        entry["compute_capability"] = {"min": 75, "source": NV_SUPPORT, "note": "Volta (sm_70/72) removed in 10.5"}
    return entry


def torch_table() -> dict[str, Any]:
    out: dict[str, Any] = {}
    with open(UPSTREAM / "torch-onnx-exporter-constants.tsv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t")]
    for row in rows:
        ver = ".".join(row["torch"].split(".")[:2])
        entry: dict[str, Any] = {"source": "torch-onnx-constants", "release": row["torch"]}
        for col, key in TORCH_FIELDS.items():
            m = re.match(r"(\d+)", row[col] or "")
            entry[key] = int(m.group(1)) if m else None
            if row[col] and "not verified" in row[col]:
                entry[f"{key}_note"] = row[col]
        d = row["export(dynamo=) default"]
        entry["dynamo_default"] = d == "True"
        entry["has_dynamo_kwarg"] = d in ("True", "False")
        out[ver] = entry
    return out


def build() -> dict[str, Any]:
    trt: dict[str, Any] = {}
    tables = {v: parse_table(v) for v in COMMITS}
    for v, fixes in CORRECTIONS.items():
        for op, why in fixes.items():
            tables[v]["operators"][op].update(supported=True, correction=why)
    facts = parser_facts()
    for v, table in tables.items():
        add_source_checks(v, table["operators"], facts)
        apply_source_allows(v, table["operators"])
    for v, table in tables.items():
        e = trt_entry(v, table)
        e["parser"] = parser_entry(v, int(table["opset"]["max"]), facts)
        e["operators"] = table["operators"]
        e["source"] = f"onnx-tensorrt-{v}"
        e["interpolated"] = False
        trt[v] = e
    for v, base in INTERPOLATED.items():
        e = trt_entry(v, tables[base])
        e["parser"] = dict(parser_entry(base, int(tables[base]["opset"]["max"]), facts), stands_in=base)
        e["operators_from"] = base
        e["source"] = f"onnx-tensorrt-{base}"
        e["interpolated"] = True
        e["note"] = (f"no operator table obtainable for {v}; the {base} table stands in (conservative: operators "
                     f"added after {base} are reported unsupported)")
        trt[v] = e
    api = [
        {"name": n, "kind": k, "deprecated": d, "removed": r, "replacement": rep, "source": src, "rule": rule,
         "match": match}
        for n, k, d, r, rep, src, rule, match in API
    ]
    return {
        "schema": 1,
        "generated_by": "scripts/gen_compat_matrix.py (do not edit by hand)",
        "sources": SOURCES,
        "tensorrt": dict(sorted(trt.items(), key=lambda kv: vkey(kv[0]))),
        "torch": torch_table(),
        "api": api,
        "jetpack": {k: dict(v, source=NV_JETPACK) for k, v in JETPACK.items()},
    }


def render() -> tuple[str, str]:
    """The YAML (canonical, for people and diffs) and its JSON twin (for fast loading), keyed by the YAML's hash."""
    header = "# trtlint compatibility matrix. Generated by scripts/gen_compat_matrix.py from scripts/upstream/.\n"
    data = build()
    text = header + yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    twin = json.dumps({"yaml_sha256": digest, "matrix": data}, sort_keys=True, separators=(",", ":")) + "\n"
    return text, twin


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="exit 1 if compat_matrix.yaml is not up to date")
    ap.add_argument("--output", type=Path, default=OUT)
    args = ap.parse_args(argv)
    text, twin = render()
    twin_path = args.output.parent / "lint" / JSON_TWIN.name
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True), "committed", "generated", n=1))
            return 1
        if not twin_path.exists() or twin_path.read_text(encoding="utf-8") != twin:
            print(f"{twin_path} is stale")
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    twin_path.write_text(twin, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
