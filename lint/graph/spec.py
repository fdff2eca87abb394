"""What to run in graph mode: ENTRY, trtexec-style shapes and dtypes, weights, device, timeout. Torch-free.

Every problem is a :class:`SpecError` (a ``ValueError``): one line, exit 2 from the command line.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

DEFAULT_TIMEOUT = 300.0
DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32", "int8", "uint8", "bool")
_DTYPE_ALIASES = {"fp32": "float32", "float": "float32", "fp16": "float16", "half": "float16", "bf16": "bfloat16",
                  "fp64": "float64", "double": "float64", "long": "int64", "int": "int32"}
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_MODULE_RE = re.compile(rf"^{_IDENT}(\.{_IDENT})*$")


class SpecError(ValueError):
    """A graph-mode setting that cannot be used: one line on stderr, exit 2."""


@dataclass(frozen=True)
class Entry:
    """``path/to/file.py:factory`` (kind "file", ``path`` absolute) or ``package.module:factory`` (kind "module")."""

    text: str
    kind: str
    attr: str
    path: str | None = None
    module: str | None = None

    @classmethod
    def parse(cls, text: str, base: Path | None = None) -> "Entry":
        usage = "ENTRY must be path/to/file.py:factory or package.module:factory"
        target, sep, attr = text.rpartition(":")
        if not sep or not target or not attr:
            raise SpecError(f"{usage}, got {text!r}")
        if not _MODULE_RE.match(attr):
            raise SpecError(f"{usage}: {attr!r} after the ':' is not a Python name (a callable or an nn.Module)")
        if target.endswith(".py") or "/" in target or os.sep in target:
            p = Path(target)
            if not p.is_absolute():
                p = (base or Path.cwd()) / p
            if not p.is_file():
                raise SpecError(f"ENTRY {text!r}: no such file {target}")
            return cls(text=text, kind="file", attr=attr, path=str(p.resolve()))
        if not _MODULE_RE.match(target):
            raise SpecError(f"{usage}: {target!r} is neither a .py file nor a dotted module name")
        return cls(text=text, kind="module", attr=attr, module=target)


@dataclass(frozen=True)
class InputSpec:
    """One model input: its name (a ``forward`` parameter or a position), shape range and dtype."""

    name: str
    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]
    dtype: str = "float32"

    @property
    def dynamic_dims(self) -> tuple[int, ...]:
        """Axes whose size may vary (min != max)."""
        return tuple(i for i, (a, b) in enumerate(zip(self.min, self.max)) if a != b)

    def trtexec(self, which: str) -> str:
        return f"{self.name}:{'x'.join(str(d) for d in getattr(self, which))}"


@dataclass
class GraphSpec:
    """Everything the child needs, JSON-serialisable (``to_json``/``from_json``)."""

    entry: Entry
    inputs: list[InputSpec]
    weights: str | None = None
    device: str = "cpu"
    timeout: float = DEFAULT_TIMEOUT
    target: str | None = None
    calib_data: list[str] = field(default_factory=list)
    #: folders whose files count as "the user's code" when walking stacks (default: the ENTRY file's folder;
    #: the child adds the package folder of a module ENTRY)
    user_roots: list[str] = field(default_factory=list)
    seed: int = 0

    @property
    def dynamic(self) -> bool:
        return any(i.dynamic_dims for i in self.inputs)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "GraphSpec":
        d = json.loads(text)
        d["entry"] = Entry(**d["entry"])
        d["inputs"] = [InputSpec(name=i["name"], min=tuple(i["min"]), opt=tuple(i["opt"]), max=tuple(i["max"]),
                                 dtype=i["dtype"]) for i in d["inputs"]]
        return cls(**d)


def parse_shapes(text: str | None, flag: str) -> dict[str, tuple[int, ...]]:
    """``x:1x3x224x224,y:1x16`` -> ``{"x": (1, 3, 224, 224), "y": (1, 16)}`` (trtexec's spelling).
    A name may contain ':' (the last one separates); a scalar input is ``name:`` with no dims."""
    out: dict[str, tuple[int, ...]] = {}
    if text is None:
        return out
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        name, sep, dims = item.rpartition(":")
        name = name.strip().strip("'\"")
        if not sep or not name:
            raise SpecError(f"{flag}: {item!r} is not name:DIMS, e.g. {flag} x:1x3x224x224")
        try:
            shape = tuple(int(d) for d in dims.lower().split("x")) if dims.strip() else ()
        except ValueError:
            raise SpecError(f"{flag}: {item!r}: dimensions must be integers joined by 'x', e.g. x:1x3x224x224") from None
        if any(d < 0 for d in shape):
            raise SpecError(f"{flag}: {item!r}: dimensions must be >= 0 (a dynamic range goes in --min-shapes/--max-shapes)")
        if name in out:
            raise SpecError(f"{flag}: input {name!r} given twice")
        out[name] = shape
    return out


def parse_dtypes(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if text is None:
        return out
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        name, sep, dt = item.rpartition(":")
        dt = _DTYPE_ALIASES.get(dt.strip().lower(), dt.strip().lower())
        if not sep or not name:
            raise SpecError(f"--dtypes: {item!r} is not name:dtype, e.g. --dtypes x:float16")
        if dt not in DTYPES:
            raise SpecError(f"--dtypes: {item!r}: unknown dtype; choose from {', '.join(DTYPES)}")
        out[name.strip()] = dt
    return out


def build_inputs(shapes: str | None = None, min_shapes: str | None = None, opt_shapes: str | None = None,
                 max_shapes: str | None = None, dtypes: str | None = None) -> list[InputSpec]:
    """Merge the four shape flags and --dtypes into inputs, in the order the flags name them."""
    static = parse_shapes(shapes, "--shapes")
    lo, mid, hi = (parse_shapes(min_shapes, "--min-shapes"), parse_shapes(opt_shapes, "--opt-shapes"),
                   parse_shapes(max_shapes, "--max-shapes"))
    dts = parse_dtypes(dtypes)
    if not static and not lo and not hi and not mid:
        raise SpecError("no input shapes: give --shapes x:1x3x224x224 (static) or --min-shapes/--opt-shapes/"
                        "--max-shapes (dynamic), or shapes = ... in [tool.trtlint.graph]")
    inputs: list[InputSpec] = []
    for name, shape in static.items():
        if name in lo or name in hi or name in mid:
            raise SpecError(f"input {name!r} is in --shapes and in --min/--opt/--max-shapes: give one or the other")
        inputs.append(InputSpec(name, shape, shape, shape, dts.get(name, "float32")))
    names = list(dict.fromkeys([*lo, *mid, *hi]))
    for name in names:
        if name not in lo or name not in hi:
            missing = "--min-shapes" if name not in lo else "--max-shapes"
            raise SpecError(f"input {name!r} has no {missing}: a dynamic input needs --min-shapes and --max-shapes "
                            "(--opt-shapes defaults to the max)")
        a, b = lo[name], hi[name]
        c = mid.get(name, b)
        if not len(a) == len(b) == len(c):
            raise SpecError(f"input {name!r}: --min/--opt/--max-shapes have different ranks ({len(a)}, {len(c)}, {len(b)})")
        for axis, (x, y, z) in enumerate(zip(a, c, b)):
            if not x <= y <= z:
                raise SpecError(f"input {name!r} axis {axis}: need min <= opt <= max, got {x}, {y}, {z}")
        inputs.append(InputSpec(name, a, c, b, dts.get(name, "float32")))
    unknown = sorted(set(dts) - {i.name for i in inputs})
    if unknown:
        raise SpecError(f"--dtypes names {', '.join(unknown)}, which no shape flag declares")
    return inputs


def parse_device(text: str | None) -> str:
    dev = (text or "cpu").strip().lower()
    if dev != "cpu" and not re.match(r"^cuda(:\d+)?$", dev):
        raise SpecError(f"--device must be cpu or cuda (or cuda:N), got {text!r}")
    return dev


def parse_timeout(value: Any) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"--timeout must be a number of seconds, got {value!r}") from None
    if not t > 0:
        raise SpecError(f"--timeout must be > 0 seconds, got {value!r}")
    return t


def build_spec(entry: str, *, shapes: str | None = None, min_shapes: str | None = None,
               opt_shapes: str | None = None, max_shapes: str | None = None, dtypes: str | None = None,
               weights: str | None = None, device: str | None = None, timeout: Any = None,
               target: str | None = None, calib_data: list[str] | None = None, user_code: list[str] | None = None,
               base: Path | None = None) -> GraphSpec:
    """Validate the settings (from flags or one ``[tool.trtlint.graph]`` model; ``base`` resolves relative paths)."""
    ent = Entry.parse(entry, base)
    inputs = build_inputs(shapes, min_shapes, opt_shapes, max_shapes, dtypes)
    w = None
    if weights:
        wp = Path(weights) if Path(weights).is_absolute() else (base or Path.cwd()) / weights
        if not wp.is_file():
            raise SpecError(f"--weights {weights}: no such file")
        w = str(wp.resolve())
    calib = []
    for c in calib_data or []:
        cp = Path(c) if Path(c).is_absolute() else (base or Path.cwd()) / c
        if not cp.is_file():
            raise SpecError(f"--calib-data {c}: no such file")
        calib.append(str(cp.resolve()))
    roots = [str(Path(ent.path).parent)] if ent.path else [str((base or Path.cwd()).resolve())]
    for u in user_code or []:
        up = Path(u) if Path(u).is_absolute() else (base or Path.cwd()) / u
        if not up.is_dir():
            raise SpecError(f"--user-code {u}: no such folder")
        roots.append(str(up.resolve()))
    return GraphSpec(entry=ent, inputs=inputs, weights=w, device=parse_device(device),
                     timeout=DEFAULT_TIMEOUT if timeout is None else parse_timeout(timeout), target=target,
                     calib_data=calib, user_roots=roots)


def spec_from_table(table: Mapping[str, Any], base: Path, where: str) -> GraphSpec:
    """One model of ``[tool.trtlint.graph]`` (keys as the flags, without dashes: entry, shapes, min-shapes, ...)."""
    known = ("entry", "shapes", "min-shapes", "opt-shapes", "max-shapes", "dtypes", "weights", "device", "timeout",
             "calib-data", "user-code")
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise SpecError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                        f"valid keys: {', '.join(known)}")
    if not isinstance(table.get("entry"), str):
        raise SpecError(f"{where}: entry = \"path/to/file.py:factory\" is required")

    def s(key: str) -> str | None:
        v = table.get(key)
        if v is None:
            return None
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return ",".join(v)
        if not isinstance(v, str):
            raise SpecError(f"{where}: {key} must be a string such as \"x:1x3x224x224\"")
        return v

    calib = table.get("calib-data", [])
    if isinstance(calib, str):
        calib = [calib]
    user_code = table.get("user-code", [])
    if isinstance(user_code, str):
        user_code = [user_code]
    try:
        return build_spec(table["entry"], shapes=s("shapes"), min_shapes=s("min-shapes"), opt_shapes=s("opt-shapes"),
                          max_shapes=s("max-shapes"), dtypes=s("dtypes"), weights=s("weights"), device=s("device"),
                          timeout=table.get("timeout"), calib_data=list(calib), user_code=list(user_code),
                          base=base)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
