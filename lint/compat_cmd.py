"""``trtlint compat``: the installed stack, or a planned one (``--check trt8.6,torch1.13,onnx1.13,sm72``),
checked against compat_matrix.yaml. Imports nothing heavy: versions come from package metadata, the GPU from
``nvidia-smi`` when present."""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata

from .compat import Target, load_matrix, parse_version, vstr

# Jetson GPUs: compute capability -> (board, newest JetPack major). Discrete GPUs have no such ceiling.
JETSON = {53: ("Jetson Nano", "4"), 62: ("Jetson TX2", "4"), 72: ("Jetson AGX Xavier / Xavier NX", "5"),
          87: ("Jetson AGX Orin / Orin NX / Orin Nano", "6")}


@dataclass
class Verdict:
    level: str  # "ok" | "warning" | "error"
    message: str


def _pkg_version(*names: str) -> str | None:
    for n in names:
        try:
            return metadata.version(n)
        except metadata.PackageNotFoundError:
            continue
    return None


def _gpu_compute_capability() -> int | None:
    smi = shutil.which("nvidia-smi")
    if not smi:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=compute_cap", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0].replace(".", "")) if out and out[0].replace(".", "").isdigit() else None


def _cuda_version(torch_version: str | None) -> str | None:
    """CUDA of the installed torch build, from its local version label (2.11.0+cu130 -> 13.0)."""
    import re

    m = re.search(r"\+cu(\d+)(\d)$", torch_version or "")
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    for name in ("nvidia-cuda-runtime", "nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime-cu11"):
        v = _pkg_version(name)
        if v:
            return ".".join(v.split(".")[:2])
    return None


def detect() -> dict[str, str | None]:
    cc = _gpu_compute_capability()
    torch_version = _pkg_version("torch")
    return {
        "torch": torch_version,
        "cuda": _cuda_version(torch_version),
        "onnx": _pkg_version("onnx"),
        "onnxruntime": _pkg_version("onnxruntime", "onnxruntime-gpu"),
        "tensorrt": _pkg_version("tensorrt", "tensorrt-cu12", "tensorrt-cu13", "tensorrt-cu11"),
        "polygraphy": _pkg_version("polygraphy"),
        "sm": str(cc) if cc else None,
    }


def stack_from_env(env: dict[str, str | None]) -> str:
    parts = []
    for key in ("tensorrt", "torch", "onnx"):
        if env.get(key):
            prefix = "trt" if key == "tensorrt" else key
            parts.append(f"{prefix}{'.'.join(str(env[key]).split('+')[0].split('.')[:2])}")
    if env.get("cuda"):
        parts.append(f"cuda{env['cuda']}")
    if env.get("sm"):
        parts.append(f"sm{env['sm']}")
    return ",".join(parts)


def evaluate(target: Target, has_trt: bool) -> list[Verdict]:
    m = load_matrix()
    out: list[Verdict] = []
    known = {parse_version(v)[:2] for v in m["tensorrt"]}
    entry = target.trt_entry()
    lo, hi = target.opset_range()
    if has_trt:
        if target.trt[:2] in known:
            note = " (operator table interpolated)" if entry.get("interpolated") else ""
            out.append(Verdict("ok", f"TensorRT {target.trt_str} is in the matrix{note}: ONNX opsets {lo}-{hi}"))
        else:
            out.append(Verdict("warning", f"TensorRT {target.trt_str} is not in the matrix; using {entry['version']}'s facts"))
    t = target.torch_entry()
    if target.torch is not None:
        if t is None:
            out.append(Verdict("warning", f"torch {vstr(target.torch)} is older than the matrix knows"))
        else:
            tv = vstr(target.torch)
            dyn = t.get("dynamo_default")
            default = t.get("dynamo_opset") if dyn else t.get("opset_default")
            exporter = "dynamo" if dyn else "TorchScript"
            if t.get("opset_max") and int(t["opset_max"]) < lo:
                out.append(Verdict("error", f"torch {tv} exports opsets up to {t['opset_max']}, below TensorRT "
                                   f"{target.trt_str}'s minimum {lo}"))
            elif isinstance(default, int) and default > hi:
                out.append(Verdict("warning", f"torch {tv}'s {exporter} exporter defaults to opset {default}, above "
                                   f"TensorRT {target.trt_str}'s {hi}: pass opset_version={hi} to torch.onnx.export"))
            else:
                out.append(Verdict("ok", f"torch {tv} ({exporter} exporter by default, opset {default}) fits opsets {lo}-{hi}"))
            if dyn:
                out.append(Verdict("warning", f"torch {tv} exports with dynamo=True by default: scripts that pass "
                                   "dynamic_axes with a traced/scripted module fail (see TRT109)"))
    if target.onnx is not None:
        import_ir = _onnx_ir(target.onnx)
        limit = int(entry["ir_version"]["max"])
        if import_ir is None:
            out.append(Verdict("warning", f"onnx {vstr(target.onnx)} is not in onnx.helper.VERSION_TABLE"))
        elif import_ir > limit:
            out.append(Verdict("warning", f"onnx {vstr(target.onnx)} writes IR {import_ir}; TensorRT {target.trt_str}'s "
                               f"parser knows IR {limit}"))
        else:
            out.append(Verdict("ok", f"onnx {vstr(target.onnx)} writes IR {import_ir} (parser knows {limit})"))
    if target.cuda is not None:
        out.append(_cuda_verdict(target, entry))
    if target.sm is not None:
        cc = entry.get("compute_capability", {})
        if cc.get("min") and target.sm < int(cc["min"]):
            out.append(Verdict("error", f"TensorRT {target.trt_str} needs compute capability >= "
                               f"{int(cc['min']) / 10:.1f}; sm_{target.sm} is not supported ({cc.get('note', '')})"))
        jet = JETSON.get(target.sm)
        if jet:
            board, jp = jet
            shipped = m["jetpack"][jp]
            versions = [shipped["tensorrt"], *shipped.get("tensorrt_alternatives", [])]
            if target.trt_str not in versions and not any(parse_version(v)[:2] == target.trt[:2] for v in versions):
                newest = max(versions, key=parse_version)
                out.append(Verdict("error", f"sm_{target.sm} is {board}: its newest JetPack ({jp}.x) ships TensorRT "
                                   f"{' / '.join(versions)}, not {target.trt_str}; on Jetson, TensorRT comes with "
                                   f"JetPack (target trt{newest} instead)"))
            else:
                out.append(Verdict("ok", f"sm_{target.sm} ({board}) runs TensorRT {target.trt_str} with JetPack {jp}.x"))
        elif not cc.get("min") or target.sm >= int(cc["min"]):
            out.append(Verdict("ok", f"sm_{target.sm} is supported by TensorRT {target.trt_str}"))
    return out


def _cuda_verdict(target: Target, entry: dict) -> Verdict:
    cuda = target.cuda or ()
    info = entry.get("cuda")
    if not info or entry["version"] != target.trt_str:
        return Verdict("warning", f"no sourced CUDA list for TensorRT {target.trt_str} in the matrix; check NVIDIA's "
                       "support matrix for that release")
    for spec in info["versions"]:
        lo, _, hi = spec.partition("-")
        low, high = parse_version(lo)[:2], parse_version(hi or lo)[:2]
        if low <= cuda[:2] <= high:
            return Verdict("ok", f"CUDA {vstr(cuda)} is supported by TensorRT {target.trt_str} ({', '.join(info['versions'])})")
    majors = {parse_version(spec)[0] for spec in info["versions"]}
    if cuda[0] not in majors:
        return Verdict("error", f"TensorRT {target.trt_str} has builds for CUDA {', '.join(info['versions'])}, none "
                       f"for CUDA {cuda[0]}.x: {vstr(cuda)} cannot load it")
    return Verdict("warning", f"CUDA {vstr(cuda)} is not in TensorRT {target.trt_str}'s supported list "
                   f"({', '.join(info['versions'])}); it may run through CUDA minor-version compatibility, untested")


def _onnx_ir(version: tuple[int, ...]) -> int | None:
    try:
        import onnx.helper
    except ImportError:
        return None
    rows = [r for r in onnx.helper.VERSION_TABLE if parse_version(r[0])[:2] == version[:2]]
    return rows[0][1] if rows else None


def cmd_compat(args: argparse.Namespace) -> int:
    env = None
    if args.check:
        stack = args.check
        has_trt = any(tok.strip().lower().startswith(("trt", "tensorrt", "jetpack")) for tok in stack.split(","))
    else:
        env = detect()
        stack = stack_from_env(env)
        has_trt = bool(env.get("tensorrt"))
    target = Target.parse(stack)
    verdicts = evaluate(target, has_trt)
    if not has_trt:
        verdicts.insert(0, Verdict("warning", f"no TensorRT {'named' if args.check else 'installed'}; judged against "
                                   f"the newest in the matrix ({target.trt_str})"))
    worst = "error" if any(v.level == "error" for v in verdicts) else "warning" if any(
        v.level == "warning" for v in verdicts) else "ok"
    if args.format == "json":
        print(json.dumps({"stack": stack, "environment": env, "target": target.describe(), "verdict": worst,
                          "checks": [asdict(v) for v in verdicts]}, indent=2))
    else:
        if env is not None:
            print("Environment: " + ", ".join(f"{k} {v}" for k, v in env.items() if v) or "nothing detected")
        print(f"Stack: {target.describe()}")
        mark = {"ok": "ok  ", "warning": "warn", "error": "FAIL"}
        for v in verdicts:
            print(f"  [{mark[v.level]}] {v.message}")
        print({"ok": "Supported.", "warning": "Supported, with warnings.", "error": "Not supported."}[worst])
    return 1 if worst == "error" else 0
