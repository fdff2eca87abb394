#!/usr/bin/env python3
"""No weights are read: peak memory and time of trtlint on models whose payloads it must skip.

1. ``constant_700mb``: a 700 MB ``Constant`` node, then the same 700 MB as an initializer inside an ``If``
   branch (issue 12: 9 s and 3.5 GB before payloads outside ``graph.initializer`` were skipped).
2. ``external_2_5gib``: a small .onnx whose five 512 MiB initializers (2.5 GiB in all) live in external data,
   checked by path and size only.

The payloads are holes in sparse files (written with seek, never filled), so the disk holds almost nothing.
Each lint is a whole command in a fresh process (``trtlint check --isolated``), peak RSS from getrusage.
With ``--reference``, ``onnx.load`` of the same files runs beside it, in the same session, as the cost of
reading the weights. Writes benchmarks/results/no_weights.json.

    python benchmarks/bench_no_weights.py [--reference] [--dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "no_weights.json"
MB = 1024 * 1024


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _head(num: int, length: int) -> bytes:
    return _varint(num << 3 | 2) + _varint(length)


MARK = b"PAYLOAD!"  # the placeholder raw_data that write_big_constant grows into a hole of ``nbytes``


def _expand(kind: int, buf: memoryview, start: int, end: int, nbytes: int) -> list[bytes | int]:
    """Re-encode a message, with every raw_data equal to MARK replaced by ``nbytes`` zeros (an int in the
    list: a hole to seek over). Enclosing length prefixes are recomputed."""
    from trtlint.loaders import protowire as pw

    out: list[bytes | int] = []
    for num, wt, fstart, vstart, fend in pw.fields(buf, start, end):
        if kind == pw.TENSOR and num == 9 and bytes(buf[vstart:fend]) == MARK:
            out += [_head(9, nbytes), nbytes]
            continue
        sub = pw.SCHEMA.get(kind, {}).get(num) if kind != pw.TENSOR else None
        if sub is not None and wt == 2:
            inner = _expand(sub, buf, vstart, fend, nbytes)
            out += [_head(num, sum(c if isinstance(c, int) else len(c) for c in inner)), *inner]
        else:
            out.append(bytes(buf[fstart:fend]))
    return out


def write_big_constant(path: Path, nbytes: int) -> None:
    """A Constant node whose value is ``nbytes`` of float zeros, and an If whose then-branch holds an initializer
    of the same size: built with onnx.helper around an 8-byte placeholder, then grown at the wire level into
    holes of a sparse file (nothing of the payload is in memory or on disk)."""
    from onnx import TensorProto, helper

    from trtlint.loaders import protowire as pw

    n = nbytes // 4

    def placeholder(name: str) -> TensorProto:
        return TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[n], raw_data=MARK)

    const = helper.make_node("Constant", [], ["c"], name="const", value=placeholder("big_const"))
    then_g = helper.make_graph([helper.make_node("Identity", ["w_then"], ["o"], name="then_id")], "then", [],
                               [helper.make_tensor_value_info("o", 1, [n])], initializer=[placeholder("w_then")])
    else_g = helper.make_graph([helper.make_node("Identity", ["c"], ["o"], name="else_id")], "else", [],
                               [helper.make_tensor_value_info("o", 1, [n])])
    branch = helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g, else_branch=else_g)
    graph = helper.make_graph([const, branch], "g", [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info("y", 1, [n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    small = model.SerializeToString()
    chunks = _expand(pw.MODEL, memoryview(small), 0, len(small), nbytes)
    with open(path, "wb") as fh:
        for c in chunks:
            if isinstance(c, int):
                fh.seek(c, os.SEEK_CUR)  # a hole: zeros that take no disk
            else:
                fh.write(c)
        fh.truncate(fh.tell())


def write_external(folder: Path, tensors: int, each: int) -> Path:
    import onnx
    from onnx import TensorProto, helper

    inits, names = [], []
    for i in range(tensors):
        t = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=[each // 4],
                        data_location=TensorProto.EXTERNAL)
        for k, v in (("location", "weights.bin"), ("offset", str(i * each)), ("length", str(each))):
            e = t.external_data.add()
            e.key, e.value = k, v
        inits.append(t)
        names.append(t.name)
    g = helper.make_graph([helper.make_node("Sum", names, ["y"], name="sum")], "g", [],
                          [helper.make_tensor_value_info("y", 1, [each // 4])], initializer=inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = folder / "model.onnx"
    onnx.save(model, path)
    with open(folder / "weights.bin", "wb") as fh:
        fh.truncate(tensors * each)  # sparse: 2.5 GiB that take no disk
    return path


# peak RSS is VmHWM of the child itself (ru_maxrss would carry over the parent's peak across fork and exec)
HWM = "[int(ln.split()[1]) for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]"
LINT = ("import sys, time; t = time.perf_counter(); from trtlint.cli import main; "
        "rc = main(['check', '--isolated', '--output-format', 'concise', sys.argv[1]]); "
        f"print('\\nBENCH', rc, time.perf_counter() - t, {HWM})")
LOAD = ("import sys, time; t = time.perf_counter(); import onnx; "
        "m = onnx.load(sys.argv[1], load_external_data=sys.argv[2] == '1'); "
        f"print('\\nBENCH', 0, time.perf_counter() - t, {HWM})")


def measure(code: str, *args: str) -> dict[str, object]:
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("BENCH")]
    if not line:
        return {"error": (p.stdout + p.stderr)[-500:], "wall_s": round(wall, 2)}
    _, rc, inner, rss = line[-1].split()
    return {"exit": int(rc), "wall_s": round(wall, 2), "in_process_s": round(float(inner), 2),
            "peak_rss_mb": round(int(rss) / 1024), "output": p.stdout.split("BENCH")[0].strip()[-400:]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", action="store_true", help="also time onnx.load of the same files")
    ap.add_argument("--dir", help="where to write the sparse models (default: a temporary folder)")
    args = ap.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="trtlint-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    big = folder / "constant_700mb.onnx"
    write_big_constant(big, 700 * 1000 * 1000)
    ext_dir = folder / "external"
    ext_dir.mkdir(exist_ok=True)
    ext = write_external(ext_dir, 5, 512 * MB)
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}",
        "models": {
            "constant_700mb": {"file_mb": round(big.stat().st_size / 1e6), "what": "700 MB Constant + 700 MB "
                               "initializer in an If branch (1.4 GB of payload in one .onnx)"},
            "external_2_5gib": {"external_mb": round(5 * 512 * MB / 1e6), "what": "5 x 512 MiB initializers in "
                                "external data (sparse file)"},
        },
    }
    for name, path in (("constant_700mb", big), ("external_2_5gib", ext)):
        entry = results["models"][name]  # type: ignore[index]
        entry["trtlint"] = measure(LINT, str(path))
        if args.reference:
            entry["onnx.load"] = measure(LOAD, str(path), "1" if name == "external_2_5gib" else "0")
        print(name, json.dumps(entry, indent=1))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
