#!/usr/bin/env python3
"""Extract facts (not code) from the onnx-tensorrt parser source at the commits TensorRT releases ship.

Reads a git mirror of github.com/onnx/onnx-tensorrt (``git show <commit>:<path>``) and writes
scripts/upstream/onnx-tensorrt/parser-facts.json: per release, the operator names that have a
``DEFINE_BUILTIN_OP_IMPORTER``, the input data types each importer refuses outright with ``notInvalidType``,
the ONNX types ``convertDtype`` maps to TensorRT types,
whether ``ModelImporter.cpp`` reads model-local functions, and the include/exclude patterns of
``onnx_backend_test.py``. Run by hand when a release is added (the tests only read the JSON)::

    python scripts/upstream/extract_parser_facts.py /path/to/onnx-tensorrt.git
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "onnx-tensorrt" / "parser-facts.json"
# TensorRT release -> the onnx-tensorrt commit it ships (scripts/upstream/PROVENANCE.md)
RELEASES = {
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
}
# TensorRT DataType names as the operator tables spell the ONNX types
TRT_TO_ONNX = {"FLOAT": "FLOAT", "HALF": "FLOAT16", "BF16": "BFLOAT16", "INT32": "INT32", "INT64": "INT64",
               "INT8": "INT8", "UINT8": "UINT8", "BOOL": "BOOL", "FP8": "FLOAT8E4M3FN", "INT4": "INT4", "FP4": "FLOAT4E2M1"}
IMPORTER_FILES = ("onnxOpImporters.cpp", "builtin_op_importers.cpp")
UTIL_FILES = ("importerUtils.cpp", "onnx2trt_utils.cpp")
# attributes whose meaning arrived with a newer opset: does the importer (or a helper) ever name them?
ATTRS_OF_INTEREST = ("noop_with_empty_axes", "antialias", "keep_aspect_ratio_policy", "axes", "precision",
                     "round_mode", "stash_type", "mode", "block_size", "output_dtype", "saturate",
                     "left_window_size", "right_window_size", "num_outputs")


def show(repo: str, commit: str, path: str) -> str | None:
    r = subprocess.run(["git", "--git-dir", repo, "show", f"{commit}:{path}"], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def importer_bodies(text: str) -> dict[str, str]:
    """Operator name -> the text of its importer (up to the next importer definition)."""
    marks = list(re.finditer(r"^DEFINE_BUILTIN_OP_IMPORTER\((\w+)\)", text, re.M))
    return {m.group(1): text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)]
            for i, m in enumerate(marks)}


def facts(repo: str, commit: str) -> dict:
    for name in IMPORTER_FILES:
        text = show(repo, commit, name)
        if text:
            break
    else:
        raise SystemExit(f"{commit}: no importer file")
    bodies = importer_bodies(text)
    refused: dict[str, dict[str, list[str]]] = {}
    for op, body in bodies.items():
        for m in re.finditer(r"notInvalidType\(\s*inputs\.at\((\d+)\)\s*,\s*\{([^}]*)\}", body):
            types = re.findall(r'"(\w+)"', m.group(2))
            refused.setdefault(op, {}).setdefault(m.group(1), [])
            refused[op][m.group(1)] = sorted(set(refused[op][m.group(1)]) | set(types))
    # types an importer names as accepted in a type assertion (ASSERT_NODE((t == DataType::kFLOAT || ...)): where
    # the operator table omits one of them, the source, which is what runs, accepts it on at least one path
    accepted: dict[str, list[str]] = {}
    for op, body in bodies.items():
        for m in re.finditer(r"ASSERT_NODE\(\s*\(?((?:[\w>()-]+\s*==\s*DataType::k\w+\s*(?:\|\|\s*)?)+)\)?\s*,", body):
            names = re.findall(r"DataType::k(\w+)", m.group(1))
            accepted[op] = sorted(set(accepted.get(op, [])) | {TRT_TO_ONNX.get(n, n) for n in names})
    direct = {op: {int(i) for i in re.findall(r"inputs\.at\((\d+)\)", body)} for op, body in bodies.items()}
    calls = {op: set(re.findall(r"\bimport(\w+)\(\s*ctx\s*,\s*node\s*,[^;]*\binputs\b", body)) & set(bodies)
             for op, body in bodies.items()}

    def reach(op: str, seen: frozenset = frozenset()) -> set[int]:
        out = set(direct[op])
        for callee in calls[op] - seen - {op}:
            out |= reach(callee, seen | {op})
        return out

    utils = next((t for t in (show(repo, commit, u) for u in UTIL_FILES) if t), "")
    attrs_named = {op: sorted(a for a in ATTRS_OF_INTEREST if f'"{a}"' in body) for op, body in bodies.items()}
    convert = re.search(r"^bool convertDtype\(.*?^\}", utils, re.S | re.M)
    convertible = sorted(set(re.findall(r"TensorProto::([A-Z0-9_]+)", convert.group(0)))) if convert else []
    model_importer = show(repo, commit, "ModelImporter.cpp") or ""
    backend = show(repo, commit, "onnx_backend_test.py") or ""
    return {
        "commit": commit,
        "importer_file": name,
        "importers": sorted(bodies),
        "refused_input_types": refused,
        "asserted_input_types": accepted,
        "convertible_types": convertible,
        "input_indices_read": {op: sorted(reach(op)) for op in sorted(bodies)},
        "attrs_named": {op: a for op, a in attrs_named.items() if a},
        "attrs_named_in_utils": sorted(a for a in ATTRS_OF_INTEREST if f'"{a}"' in utils),
        "reads_local_functions": "localFunctions()" in model_importer,
        "warns_below_opset_7_only": bool(re.search(r"version\s*<\s*7\)", model_importer)),
        "backend_test": {
            "include": re.findall(r"backend_test\.include\(r?'([^']*)'\)", backend),
            "exclude": re.findall(r"backend_test\.exclude\(r?'([^']*)'\)", backend),
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    data = {v: facts(argv[1], c) for v, c in RELEASES.items()}
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
