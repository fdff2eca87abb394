"""Issue 12, ONNX side: external data wherever it can occur, weights never read, the wire-level stripper.

The cases are fixtures/hostile/hostile_builders.py's ONNX_CASES (committed under fixtures/hostile/onnx/)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
import numpy as np  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402

from .conftest import FIXTURES, run_cli  # noqa: E402

HOSTILE = FIXTURES / "hostile"
sys.path.insert(0, str(HOSTILE))
import hostile_builders as hostile  # noqa: E402


def findings(path: Path, *args: str) -> tuple[int, list[dict]]:
    r = run_cli("check", "--isolated", "--output-format", "json", *args, str(path))
    assert "Traceback" not in r.out + r.err, r.err
    return r.code, json.loads(r.out)


@pytest.mark.parametrize("name", sorted(hostile.ONNX_CASES))
def test_external_data_case(name: str, tmp_path: Path) -> None:
    _, _, count, needles = hostile.ONNX_CASES[name]
    path = hostile.write_onnx_case(name, tmp_path)
    code, found = findings(path, "--select", "TRT309")
    msgs = [f["message"] for f in found if f["code"] == "TRT309"]
    assert len(msgs) == count, msgs
    for needle in needles:
        assert any(needle in m for m in msgs), (needle, msgs)
    assert code == (1 if count else 0)
    assert not any(f["code"] == "TRT900" for f in found)


def test_committed_hostile_models_are_current(tmp_path: Path) -> None:
    for path in hostile.write_all(tmp_path):
        committed = HOSTILE / "onnx" / path.parent.name / "model.onnx"
        assert committed.read_bytes() == path.read_bytes(), f"regenerate: python fixtures/hostile/hostile_builders.py ({path})"


def test_fifo_and_socket_locations_are_reported_without_opening(tmp_path: Path) -> None:
    case = tmp_path / "m"
    case.mkdir()
    hostile.make_fifo(case / "pipe.bin")  # opening it for reading would block forever
    hostile.make_socket(case / "sock.bin")
    model = hostile._model([helper.make_node("Add", ["a", "b"], ["y"], name="add")], [], [hostile._io("y", [4])],
                           [hostile.external("a", "pipe.bin"), hostile.external("b", "sock.bin")])
    (case / "model.onnx").write_bytes(model.SerializeToString())
    code, found = findings(case / "model.onnx", "--select", "TRT309")
    msgs = sorted(f["message"] for f in found)
    assert code == 1 and len(msgs) == 2, msgs
    assert "'pipe.bin' of tensor 'a' is a named pipe, not a regular file" in msgs[0]
    assert "'sock.bin' of tensor 'b' is a socket, not a regular file" in msgs[1]


def test_device_link_and_link_loop(tmp_path: Path) -> None:
    case = tmp_path / "m"
    case.mkdir()
    os.symlink("/dev/zero", case / "zero.bin")
    hostile.make_link_loop(case / "loop.bin")
    model = hostile._model([helper.make_node("Add", ["a", "b"], ["y"], name="add")], [], [hostile._io("y", [4])],
                           [hostile.external("a", "zero.bin"), hostile.external("b", "loop.bin")])
    (case / "model.onnx").write_bytes(model.SerializeToString())
    _, found = findings(case / "model.onnx", "--select", "TRT309")
    msgs = [f["message"] for f in found]
    assert len(msgs) == 2, msgs
    assert any("'zero.bin' of tensor 'a' is a link to '/dev/zero', outside the model's folder" in m for m in msgs)
    assert any("'loop.bin' of tensor 'b' is a symbolic-link loop" in m for m in msgs), msgs


def test_wire_schema_matches_onnx_proto() -> None:
    """The field numbers protowire walks are those of the installed onnx.proto."""
    from trtlint.loaders import protowire as pw

    kinds = {pw.MODEL: onnx.ModelProto, pw.GRAPH: onnx.GraphProto, pw.NODE: onnx.NodeProto,
             pw.ATTR: onnx.AttributeProto, pw.SPARSE: onnx.SparseTensorProto, pw.FUNCTION: onnx.FunctionProto,
             pw.TRAINING: onnx.TrainingInfoProto, pw.TENSOR: onnx.TensorProto}
    for kind, subs in pw.SCHEMA.items():
        desc = kinds[kind].DESCRIPTOR
        for num, sub in subs.items():
            field = desc.fields_by_number[num]
            assert field.message_type is kinds[sub].DESCRIPTOR, (desc.name, field.name)
    # every message-typed field that can hold a tensor somewhere is walked
    for kind, cls in kinds.items():
        if kind == pw.TENSOR:
            continue
        for field in cls.DESCRIPTOR.fields:
            if field.message_type in [k.DESCRIPTOR for k in kinds.values()]:
                assert field.number in pw.SCHEMA[kind], (cls.__name__, field.name)
    tensor = onnx.TensorProto.DESCRIPTOR
    payloads = {f.number for f in tensor.fields if f.name.endswith("_data") and f.name != "external_data"}
    assert payloads == set(pw.TENSOR_PAYLOADS)
    assert tensor.fields_by_number[pw.TENSOR_DOC].name == "doc_string"


def test_payloads_are_dropped_everywhere() -> None:
    """Constant values, attribute tensors, sparse tensors, subgraph and function tensors above 4 KB lose their
    payload at the wire level; small ones (shape vectors) keep it."""
    from trtlint.loaders.onnx import SMALL_TENSOR_BYTES, _all_tensors, is_stripped
    from trtlint.loaders.protowire import strip_weights

    big = np.ones(4096, np.float32)
    small = numpy_helper.from_array(np.array([1, -1], np.int64), "shape")
    sparse = helper.make_sparse_tensor(numpy_helper.from_array(big, "sv"),
                                       numpy_helper.from_array(np.arange(4096, dtype=np.int64), "si"), [8192])
    then_g = helper.make_graph([helper.make_node("Identity", ["w_then"], ["o"])], "t", [], [hostile._io("o", [4096])],
                               initializer=[numpy_helper.from_array(big, "w_then")])
    fn = helper.make_function("ex", "F", ["x"], ["y"], [helper.make_node("Constant", [], ["y"], name="fc",
                              value=numpy_helper.from_array(big, "w_fn"))], [helper.make_opsetid("", 17)])
    node = helper.make_node("Custom", ["x"], ["y"], name="custom", domain="ex", t=numpy_helper.from_array(big, "w_t"),
                            sv=sparse, shape=small)
    node.attribute.append(helper.make_attribute("ts", [numpy_helper.from_array(big, "w_ts")]))
    if_node = helper.make_node("If", ["c"], ["z"], then_branch=then_g, else_branch=then_g)
    model = hostile._model([node, if_node], [hostile._io("x", [4])], [hostile._io("y", [4])],
                           inits=[numpy_helper.from_array(big, "w_init")], functions=[fn], domains=["ex"])
    data = model.SerializeToString()
    light, names = strip_weights(data, SMALL_TENSOR_BYTES)
    assert len(light) < 2000 < len(data)
    parsed = onnx.ModelProto()
    parsed.ParseFromString(light)
    tensors = {label: t for t, label in _all_tensors(parsed)}
    for name in ("w_init", "w_t", "w_ts", "sv", "sv (indices)", "w_then", "w_fn"):
        assert is_stripped(tensors[name]) and not tensors[name].raw_data, name
    assert not is_stripped(tensors["shape"]) and numpy_helper.to_array(tensors["shape"]).tolist() == [1, -1]
    assert {"w_init", "w_t", "w_ts", "sv", "si", "w_then", "w_fn"} <= names
    # a model with nothing to strip comes back byte for byte
    plain = hostile.ext_clean().SerializeToString()
    assert strip_weights(plain, SMALL_TENSOR_BYTES)[0] == plain


def test_stripped_constant_is_not_taken_for_a_value(tmp_path: Path) -> None:
    from trtlint.loaders.onnx import load_onnx

    path = hostile.write_onnx_case("big_constant", tmp_path)
    m = load_onnx(str(path), "m.onnx", None)
    assert not isinstance(m, type(None)) and hasattr(m, "constant")
    assert m.constant("c") is None  # payload not loaded: no rule may read zeros or garbage from it
    assert m.model.ByteSize() < 1000


def test_data_propagation_bomb_is_cheap(tmp_path: Path) -> None:
    import subprocess

    path = hostile.write_onnx_case("data_prop_bomb", tmp_path)
    assert path.stat().st_size < 100
    # VmHWM, not ru_maxrss: Linux carries the parent's (pytest's) peak into ru_maxrss across fork and exec
    code = ("import sys; from trtlint.cli import main; rc = main(['check', '--isolated', sys.argv[1]]); "
            "print([ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0])")
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc (Linux)")
    p = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    peak_mb = int(p.stdout.strip().splitlines()[-1]) // 1024
    assert peak_mb < 400, p.stdout  # with data propagation: 1.4 GB and more


def _field(num: int, payload: bytes) -> bytes:
    from trtlint.loaders.protowire import _encode_varint

    return _encode_varint(num << 3 | 2) + _encode_varint(len(payload)) + payload


def test_nested_subgraphs_beyond_the_limit_are_one_clear_line(tmp_path: Path) -> None:
    """200 levels of If (600 nested messages, written at the wire level: onnx.helper cannot build them)."""
    graph = _field(1, _field(2, b"o") + _field(4, b"Identity"))  # graph { node { output: o, op_type: Identity } }
    for _ in range(200):
        attr = _field(1, b"then_branch") + _field(6, graph) + bytes([20 << 3, 5])  # name, g, type=GRAPH
        graph = _field(1, _field(1, b"c") + _field(2, b"o") + _field(4, b"If") + _field(5, attr))
    model = bytes([1 << 3, 8]) + _field(7, graph) + _field(8, bytes([2 << 3, 17]))  # ir_version, graph, opset
    path = tmp_path / "deep.onnx"
    path.write_bytes(model)
    code, found = findings(path)
    assert code == 2 and [f["code"] for f in found] == ["TRT906"], found
    assert "nested more than" in found[0]["message"]


def test_tensors_sharing_a_bad_file_are_counted_not_hidden(tmp_path: Path) -> None:
    inits = [hostile.external(f"w{i}", "../shared.bin") for i in range(3)] + [hostile.external("v", "../other.bin")]
    model = hostile._model([helper.make_node("Sum", ["w0", "w1", "w2", "v"], ["y"], name="sum")], [],
                           [hostile._io("y", [4])], inits)
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    _, found = findings(path, "--select", "TRT309")
    msgs = sorted(f["message"] for f in found)
    assert len(msgs) == 2, msgs
    other, shared = msgs  # sorted: "tensor 'v' ..." before "tensor 'w0' ..."
    assert "tensor 'v' reads external data from '../other.bin'" in other and "more tensor" not in other
    assert "tensor 'w0'" in shared and shared.endswith("(and 2 more tensors reading the same file)")
