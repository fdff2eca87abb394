#!/usr/bin/env python3
"""Structure-aware, coverage-guided fuzzing of the ONNX loader (the wire-level stripper, protobuf parsing,
external-data references) and every ONNX rule, with atheris.

    python fuzz/fuzz_onnx.py -seed=1 -max_total_time=30 /tmp/corpus fixtures/onnx fixtures/hostile/onnx

Byte mutations alone almost never give a model that parses, so the custom mutator parses the input as an
``onnx.ModelProto`` and mutates its fields through the protobuf API: operator types and domains taken from
the target's operator table, attributes (ints, floats, strings, tensors, subgraphs), dims and data types,
opset and IR versions, node inputs and outputs, initializers (embedded and external, with hostile
locations, offsets and lengths), sparse tensors, names with control characters. One input in eight gets
plain byte mutations instead, for the stripper and the parser. The model is written next to a small
weights file (``w.bin``) and linted for each target in turn; see _common.py for what counts as a crash.
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["trtlint"]):
    from _common import check_one, instrument_trtlint, preload

preload("onnx")
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

instrument_trtlint()  # see fuzz_source.py

from trtlint.compat import Target  # noqa: E402

_DIR = Path(tempfile.mkdtemp(prefix="trtlint-fuzz-onnx-"))
_PATH = _DIR / "fuzzed.onnx"
(_DIR / "w.bin").write_bytes(bytes(range(256)) * 4)
TARGETS = ("trt8.6", "trt10.8", "trt11.1")
OPS = sorted(Target.parse("trt10.8").operators()) + ["Unique", "NonZero", "Loop", "If", "Scan", "Custom"]
DOMAINS = ["", "ai.onnx", "com.microsoft", "ai.onnx.ml", "trt.plugins", "com.example\n::error::x"]
LOCATIONS = ["w.bin", "../w.bin", "/etc/passwd", "w\0.bin", "", ".", "missing.bin", "sub/../w.bin", "C:\\w.bin",
             "\\\\server\\share", "w.bin\n::add-mask::x"]
NUMBERS = ["0", "16", "-1", "1024", "99999999999", "abc", "", " 8", "1e3"]
NAMES = ["x", "y", "", "a\nb", "\x1b[31m", "\u202e", "::warning::n", "##[x]", "w"]
DTYPES = list(range(0, 26))


def _rand_tensor(rng: random.Random) -> TensorProto:
    dims = [rng.choice([0, 1, 2, 3, 4, 7, 64, -1, 2**40]) for _ in range(rng.randint(0, 3))]
    t = TensorProto(name=rng.choice(NAMES), data_type=rng.choice(DTYPES), dims=dims)
    choice = rng.random()
    if choice < 0.3:
        t.data_location = TensorProto.EXTERNAL
        for key, pool in (("location", LOCATIONS), ("offset", NUMBERS), ("length", NUMBERS)):
            if rng.random() < 0.9:
                e = t.external_data.add()
                e.key, e.value = key, rng.choice(pool)
    elif choice < 0.6:
        t.raw_data = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 4, 8, 16, 5000])))
    elif choice < 0.8:
        t.int64_data.extend(rng.choice([0, 1, -1, 2**62, 5]) for _ in range(rng.randint(0, 6)))
    else:
        t.float_data.extend(rng.random() for _ in range(rng.randint(0, 6)))
    return t


def _rand_attribute(rng: random.Random, depth: int) -> onnx.AttributeProto:
    name = rng.choice(["axis", "value", "mode", "perm", "to", "k", "then_branch", "else_branch", "body", "t",
                       "sparse_value", "tensors", "coordinate_transformation_mode", "allowzero", "keepdims"])
    kind = rng.randrange(9)
    if kind == 0:
        return helper.make_attribute(name, rng.choice([0, 1, -1, 7, 2**31, -(2**40)]))
    if kind == 1:
        return helper.make_attribute(name, rng.random() * 100)
    if kind == 2:
        return helper.make_attribute(name, rng.choice(["nearest", "linear", "cubic", "half_pixel", "", "\x1b"]))
    if kind == 3:
        return helper.make_attribute(name, [rng.randint(-3, 5) for _ in range(rng.randint(1, 5))])
    if kind == 4:
        return helper.make_attribute(name, _rand_tensor(rng))
    if kind == 5:
        return helper.make_attribute(name, [_rand_tensor(rng) for _ in range(rng.randint(1, 3))])
    if kind == 6:
        values = _rand_tensor(rng)
        indices = TensorProto(name="i", data_type=TensorProto.INT64, dims=[1], int64_data=[rng.randint(-1, 9)])
        return helper.make_attribute(name, helper.make_sparse_tensor(values, indices, [rng.randint(0, 9)]))
    if kind == 7 and depth < 3:
        return helper.make_attribute(name, _rand_graph(rng, depth + 1))
    return helper.make_attribute(name, [rng.choice(NAMES)])


def _rand_node(rng: random.Random, values: list[str], depth: int) -> onnx.NodeProto:
    node = helper.make_node(rng.choice(OPS), [rng.choice(values) for _ in range(rng.randint(0, 3))],
                            [rng.choice(NAMES + ["o" + str(rng.randint(0, 9))]) for _ in range(rng.randint(1, 2))],
                            name=rng.choice(NAMES), domain=rng.choice(DOMAINS))
    for _ in range(rng.randint(0, 3)):
        node.attribute.append(_rand_attribute(rng, depth))
    if rng.random() < 0.1:
        p = node.metadata_props.add()
        p.key, p.value = "pkg.torch.onnx.stack_trace", f'File "/m/{rng.choice(NAMES)}.py", line {rng.randint(0, 9)}'
    return node


def _rand_graph(rng: random.Random, depth: int) -> onnx.GraphProto:
    nodes = [_rand_node(rng, ["x", "y", "w"], depth) for _ in range(rng.randint(1, 3))]
    return helper.make_graph(nodes, "sub", [], [helper.make_tensor_value_info(nodes[-1].output[0], 1, None)])


def _value_names(model: onnx.ModelProto) -> list[str]:
    g = model.graph
    names = [v.name for v in (*g.input, *g.output, *g.value_info)] + [t.name for t in g.initializer]
    return names + [o for n in g.node for o in n.output] or ["x"]


def mutate_model(model: onnx.ModelProto, rng: random.Random) -> None:
    g = model.graph
    nodes = list(g.node)
    action = rng.randrange(16)
    if action == 0 and nodes:
        n = rng.choice(nodes)
        n.op_type = rng.choice(OPS)
    elif action == 1 and nodes:
        rng.choice(nodes).domain = rng.choice(DOMAINS)
    elif action == 2 and nodes:
        n = rng.choice(nodes)
        if n.attribute and rng.random() < 0.5:
            del n.attribute[rng.randrange(len(n.attribute))]
        n.attribute.append(_rand_attribute(rng, 0))
    elif action == 3:
        g.node.append(_rand_node(rng, _value_names(model), 0))
    elif action == 4 and nodes:
        del g.node[rng.randrange(len(nodes))]
    elif action == 5:
        g.initializer.append(_rand_tensor(rng))
    elif action == 6 and g.initializer:
        t = rng.choice(list(g.initializer))
        t.CopyFrom(_rand_tensor(rng)) if rng.random() < 0.5 else t.dims.append(rng.choice([0, 1, 3, -2]))
    elif action == 7:
        vi = rng.choice([*g.input, *g.output] or [None])
        if vi is not None and vi.type.HasField("tensor_type"):
            tt = vi.type.tensor_type
            tt.elem_type = rng.choice(DTYPES)
            d = tt.shape.dim.add()
            if rng.random() < 0.5:
                d.dim_value = rng.choice([0, 1, 8, 10_000_000, 2**40])
            else:
                d.dim_param = rng.choice(["N", "batch", "", "\n"])
    elif action == 8:
        op = model.opset_import[0] if model.opset_import else model.opset_import.add()
        op.version = rng.choice([1, 7, 9, 11, 13, 17, 18, 20, 21, 23, 99, 0, -1])
    elif action == 9:
        model.ir_version = rng.choice([0, 3, 7, 8, 9, 10, 11, 12, 99])
    elif action == 10 and nodes:
        n = rng.choice(nodes)
        if n.input:
            n.input[rng.randrange(len(n.input))] = rng.choice(_value_names(model) + NAMES)
    elif action == 11:
        values = _rand_tensor(rng)
        indices = TensorProto(name="si", data_type=TensorProto.INT64, dims=[1], int64_data=[0])
        g.sparse_initializer.append(helper.make_sparse_tensor(values, indices, [4]))
    elif action == 12:
        g.input.append(helper.make_tensor_value_info(rng.choice(NAMES), rng.choice(DTYPES),
                                                     [rng.choice([1, "N", 10_000_000, 0])]))
    elif action == 13:
        g.output.append(helper.make_tensor_value_info(rng.choice(_value_names(model)), rng.choice(DTYPES), None))
    elif action == 14:
        fn = helper.make_function("com.example", rng.choice(["F", "G"]), ["x"], ["y"],
                                  [_rand_node(rng, ["x"], 1)], [helper.make_opsetid("", 17)])
        model.functions.append(fn)
    elif nodes:
        n = rng.choice(nodes)
        n.name = rng.choice(NAMES)


def CustomMutator(data: bytes, max_size: int, seed: int) -> bytes:  # noqa: N802 (atheris' name)
    rng = random.Random(seed)
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
        parsed = model.HasField("graph")
    except Exception:
        parsed = False
    if not parsed or rng.random() < 0.125:
        return atheris.Mutate(data, max_size)
    try:
        for _ in range(rng.randint(1, 4)):
            mutate_model(model, rng)
        out = model.SerializeToString()
    except Exception:  # a mutation the protobuf API refuses: fall back to bytes
        return atheris.Mutate(data, max_size)
    return out if len(out) <= max_size else atheris.Mutate(data, max_size)


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    _PATH.write_bytes(data)
    for target in TARGETS:
        check_one(_PATH, "onnx", target)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput, custom_mutator=CustomMutator)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
