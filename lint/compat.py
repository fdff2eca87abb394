"""The compatibility matrix (compat_matrix.yaml) and deployment targets such as ``trt10.8,torch2.4``."""
from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MATRIX_PATH = Path(__file__).with_name("compat_matrix.yaml")
MATRIX_JSON = "compat_matrix.json"


class TargetError(ValueError):
    """A ``--target`` or ``--check`` string that cannot be understood."""


def parse_version(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", text)
    if not parts:
        raise TargetError(f"no version number in {text!r}")
    return tuple(int(p) for p in parts)


def vstr(v: tuple[int, ...]) -> str:
    return ".".join(str(x) for x in v)


@functools.lru_cache(maxsize=1)
def load_matrix(path: str | None = None) -> dict[str, Any]:
    """The matrix. Reads the JSON twin that the generator writes beside the YAML (parsing YAML costs ~0.25 s,
    JSON ~20 ms) when its recorded hash matches the YAML; otherwise (a hand-edited YAML) the YAML itself."""
    yaml_path = Path(path) if path else MATRIX_PATH
    raw = yaml_path.read_bytes()
    twin = yaml_path.with_name(MATRIX_JSON)
    if twin.is_file():
        try:
            cached = json.loads(twin.read_text(encoding="utf-8"))
            if cached.get("yaml_sha256") == hashlib.sha256(raw).hexdigest():
                return cached["matrix"]
        except (OSError, ValueError):
            pass
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(raw, Loader=loader)
    if not isinstance(data, dict) or "tensorrt" not in data:
        raise TargetError(f"{yaml_path} is not a trtlint compatibility matrix")
    return data


@functools.lru_cache(maxsize=None)
def _trt_entry(trt: tuple[int, ...]) -> dict[str, Any]:
    table = load_matrix()["tensorrt"]
    versions = sorted((parse_version(v), v) for v in table)
    below = [v for v in versions if v[0] <= trt]
    if not below:
        raise TargetError(f"TensorRT {vstr(trt)} is older than the oldest in the matrix ({versions[0][1]})")
    return dict(table[below[-1][1]], version=below[-1][1])


def trt_versions() -> list[tuple[int, ...]]:
    return sorted(parse_version(v) for v in load_matrix()["tensorrt"])


@dataclass(frozen=True)
class Target:
    """What the user deploys to. ``trt`` is always set (default: newest TensorRT in the matrix)."""

    trt: tuple[int, ...]
    torch: tuple[int, ...] | None = None
    onnx: tuple[int, ...] | None = None
    sm: int | None = None  # compute capability as 72, 87, 90
    cuda: tuple[int, ...] | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: str | None) -> "Target":
        trt: tuple[int, ...] | None = None
        torch = onnx = cuda = None
        sm = None
        for raw in (text or "").split(","):
            tok = raw.strip().lower()
            if not tok:
                continue
            m = re.fullmatch(r"(trt|tensorrt|torch|onnx|cuda|cu|sm_?|jetpack)[=@_-]*(\d+(?:\.\d+)*)", tok)
            if not m:
                raise TargetError(
                    f"cannot read target {raw.strip()!r}: expected e.g. trt10.8, torch2.4, onnx1.16, cuda12.4, sm87 or jetpack6"
                )
            what, ver = m.group(1).rstrip("_"), parse_version(m.group(2))
            if what in ("trt", "tensorrt"):
                trt = ver
            elif what == "torch":
                torch = ver
            elif what == "onnx":
                onnx = ver
            elif what in ("cuda", "cu"):
                cuda = ver
            elif what == "sm":
                sm = int(m.group(2).replace(".", ""))
            elif what == "jetpack":
                jp = load_matrix().get("jetpack", {}).get(vstr(ver[:1]))
                if not jp:
                    raise TargetError(f"unknown JetPack {vstr(ver)}; known: {sorted(load_matrix().get('jetpack', {}))}")
                trt = trt or parse_version(str(jp["tensorrt"]))
        if trt is None:
            trt = trt_versions()[-1]
        return cls(trt=trt[:2] if len(trt) > 1 else (trt[0], 0), torch=torch, onnx=onnx, sm=sm, cuda=cuda,
                   text=text or "")

    def validate(self) -> "Target":
        """Refuse a TensorRT or torch version outside the matrix (TargetError naming the valid ones), so a bad
        ``--target`` stops the run at its start instead of failing late in a rule."""
        trts = trt_versions()
        if not trts[0] <= self.trt <= trts[-1][:2]:
            known = ", ".join(f"trt{vstr(v)}" for v in trts)
            raise TargetError(f"TensorRT {self.trt_str} is outside the compatibility matrix; "
                              f"valid targets: {known}")
        if self.torch is not None:
            torches = sorted(parse_version(v) for v in load_matrix().get("torch", {}))
            if torches and not torches[0][:2] <= self.torch[:2] <= torches[-1][:2]:
                known = ", ".join(f"torch{vstr(v)}" for v in torches)
                raise TargetError(f"torch {vstr(self.torch)} is outside the compatibility matrix; valid: {known}")
        return self

    @property
    def trt_str(self) -> str:
        return vstr(self.trt)

    def trt_entry(self) -> dict[str, Any]:
        """The matrix entry of the target TensorRT: exact minor, else the nearest documented one below it.
        Shared between calls (rules ask for it per node): read it, do not modify it."""
        return _trt_entry(self.trt)

    def operators(self) -> dict[str, Any]:
        """The target's ONNX operator table (for interpolated releases, the table that stands in)."""
        entry = self.trt_entry()
        if "operators" in entry:
            return entry["operators"]
        return load_matrix()["tensorrt"][entry["operators_from"]]["operators"]

    def supports_op(self, op: str) -> bool | None:
        """True/False from the table; None where the table does not list the operator."""
        info = self.operators().get(op)
        return None if info is None else bool(info.get("supported"))

    def opset_range(self) -> tuple[int, int]:
        o = self.trt_entry()["opset"]
        return int(o["min"]), int(o["max"])

    def torch_entry(self) -> dict[str, Any] | None:
        if self.torch is None:
            return None
        table = load_matrix().get("torch", {})
        versions = sorted((parse_version(v), v) for v in table)
        below = [v for v in versions if v[0][:2] <= self.torch[:2]]
        return dict(table[below[-1][1]], version=below[-1][1]) if below else None

    def describe(self) -> str:
        parts = [f"TensorRT {self.trt_str}"]
        if self.torch:
            parts.append(f"torch {vstr(self.torch)}")
        if self.onnx:
            parts.append(f"onnx {vstr(self.onnx)}")
        if self.cuda:
            parts.append(f"CUDA {vstr(self.cuda)}")
        if self.sm:
            parts.append(f"sm_{self.sm}")
        return ", ".join(parts)
