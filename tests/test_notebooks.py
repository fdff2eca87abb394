"""Jupyter notebooks: code cells linted as one file with IPython escapes skipped, findings located per cell,
fixes that touch only cell sources, per-line noqa, one TRT915 for a file that is not an nbformat 4 notebook,
and standard input (``--stdin-filename``) for editors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from .conftest import FIXTURES, HAZARD, run_cli

pytest.importorskip("nbformat")
NB = FIXTURES / "notebooks"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

# cell 2 holds `%matplotlib inline` and `!pip install`, cell 4 a `%%bash` cell that is not Python, cell 5 a
# `%%time` cell whose body is; the TRT102 on line 5 of cell 3 carries `# noqa: TRT102`
EXPECTED = [
    "export_head.ipynb:cell 3:3:12: TRT101 [note] `if` in `forward` depends on tensor values (`x.sum() > 0`): "
    "tracing records only the branch the example input takes",
    "export_head.ipynb:cell 3:6:20: TRT102 [note] `.item()` copies one value to the host in `forward`: tracing "
    "freezes the value as a constant and the GPU stream stalls",
    "export_head.ipynb:cell 6:1:19: TRT106 [note] `model` (bound at cell 3, line 9) is never switched to eval "
    "mode; torch 2.9 and later export with the dynamo exporter by default, which keeps the model in training mode: "
    "Dropout stays active and `if self.training:` branches take the training path (BatchNorm is exported with its "
    "running statistics); the TorchScript exporter (`dynamo=False`) would switch to eval itself",
]


def test_findings_located_in_cells() -> None:
    r = run_cli("check", "--isolated", "--output-format", "concise", "export_head.ipynb", cwd=NB)
    assert r.code == 0  # notes only (nothing declares the notebook's model): reported, not failed on
    assert r.out.splitlines()[:-2] == EXPECTED
    full = run_cli("check", "--isolated", "export_head.ipynb", cwd=NB)
    assert "    6 |         return x * x.mean().item() * scale\n" in full.out  # the cell's own line


def test_clean_notebook_passes() -> None:
    r = run_cli("check", "--isolated", str(NB / "export_head_clean.ipynb"))
    assert (r.code, r.out.strip()) == (0, "All checks passed (1 file, target TensorRT 11.1).")


def test_json_and_sarif_carry_the_cell(tmp_path: Path) -> None:
    data = json.loads(run_cli("check", "--isolated", "--output-format", "json", "export_head.ipynb", cwd=NB).out)
    assert [(d["code"], d["cell"], d["line"], d["column"], d["end_line"], d["end_column"]) for d in data] == [
        ("TRT101", 3, 3, 12, 3, 23), ("TRT102", 3, 5, 17, 5, 31), ("TRT102", 3, 6, 20, 6, 35),
        ("TRT106", 6, 1, 19, 1, 24),
    ]
    assert data[1]["suppressed"] == "noqa" and data[0]["suppressed"] is None
    assert data[3]["fix"]["edits"] == [{"line": 1, "column": 24, "end_line": 1, "end_column": 24, "text": ".eval()"}]

    shutil.copy(NB / "export_head.ipynb", tmp_path)
    sarif = json.loads(run_cli("check", "--isolated", "--output-format", "sarif", "export_head.ipynb",
                               cwd=tmp_path).out)
    assert not list(jsonschema.Draft4Validator(SCHEMA).iter_errors(sarif))
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"]["cell"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in results] == [("TRT101", 3, 3), ("TRT102", 3, 5), ("TRT102", 3, 6), ("TRT106", 6, 1)]
    assert "suppressions" in results[1] and "suppressions" not in results[2]

    gh = run_cli("check", "--isolated", "--output-format", "github", "export_head.ipynb", cwd=tmp_path).out
    # model-code findings are notes here (no [tool.trtlint] models): GitHub notices
    assert gh.splitlines()[0].startswith("::notice file=export_head.ipynb,title=trtlint (TRT101)::cell 3, line 3, column 12: TRT101")


def test_fix_edits_only_cell_sources(tmp_path: Path) -> None:
    nb = tmp_path / "export_head.ipynb"
    shutil.copy(NB / "export_head.ipynb", nb)
    before = nb.read_text()
    diff = run_cli("check", "--isolated", "--diff", str(nb))
    assert diff.code == 1 and "+torch.onnx.export(model.eval(), (x,)" in diff.out and ":cell 6" in diff.out
    assert nb.read_text() == before  # --diff changes nothing
    r = run_cli("check", "--isolated", "--fail-on", "note", "--fix", "--output-format", "concise", str(nb))
    assert r.code == 1 and "Fixed 1 finding." in r.err  # the two notes no fix applies to remain
    after = nb.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(before.splitlines()) == len(after.splitlines())
    assert changed == [('    "torch.onnx.export(model, (x,), \\"head.onnx\\", opset_version=17)"',
                        '    "torch.onnx.export(model.eval(), (x,), \\"head.onnx\\", opset_version=17)"')]
    old, new = json.loads(before), json.loads(after)
    for a, b in zip(old["cells"], new["cells"]):  # outputs, metadata and counts: the same JSON, byte for byte
        for key in set(a) - {"source"}:
            assert json.dumps(a[key]) == json.dumps(b[key])
    assert old["metadata"] == new["metadata"]
    import nbformat

    nbformat.validate(nbformat.reads(after, as_version=4))
    assert run_cli("check", "--isolated", "--fix", str(nb)).out.count("TRT106") == 0


def test_add_noqa_in_cells(tmp_path: Path) -> None:
    nb = tmp_path / "export_head.ipynb"
    shutil.copy(NB / "export_head.ipynb", nb)
    r = run_cli("check", "--isolated", "--add-noqa", str(nb))
    assert "Added noqa directives to 3 lines." in r.err
    cells = json.loads(nb.read_text())["cells"]
    assert cells[2]["source"][2] == "        if x.sum() > 0:  # frozen by tracing  # noqa: TRT101\n"
    assert cells[2]["source"][4] == "        scale = x.max().item()  # noqa: TRT102\n"  # already there: unchanged
    assert cells[5]["source"] == ['torch.onnx.export(model, (x,), "head.onnx", opset_version=17)  # noqa: TRT106']
    assert cells[5]["outputs"] == json.loads((NB / "export_head.ipynb").read_text())["cells"][5]["outputs"]
    assert run_cli("check", "--isolated", str(nb)).code == 0


@pytest.mark.parametrize(("name", "message", "line", "col"), [
    ("merge_conflict.ipynb", "not a notebook: not valid JSON (Expecting property name enclosed in double quotes)",
     1, 30),
    ("nbformat3.ipynb", "not an nbformat 4 notebook (nbformat is 3); convert it with 'jupyter nbconvert --to "
     "notebook --nbformat 4'", 1, 1),
])
def test_unreadable_notebook_is_one_finding(name: str, message: str, line: int, col: int) -> None:
    data = json.loads(run_cli("check", "--isolated", "--output-format", "json", str(NB / name)).out)
    assert [(d["code"], d["message"], d["line"], d["column"]) for d in data] == [("TRT915", message, line, col)]
    assert run_cli("check", "--isolated", str(NB / name)).code == 2


def test_schema_violation_is_one_finding(tmp_path: Path) -> None:
    nb = json.loads((NB / "export_head_clean.ipynb").read_text())
    del nb["cells"][0]["metadata"]  # required by the nbformat 4 schema
    (tmp_path / "bad.ipynb").write_text(json.dumps(nb))
    data = json.loads(run_cli("check", "--isolated", "--output-format", "json", str(tmp_path / "bad.ipynb")).out)
    assert [d["code"] for d in data] == ["TRT915"]
    assert data[0]["message"].startswith("not a valid nbformat 4 notebook at cells[0]: ")


def test_escapes_only_at_statement_starts(tmp_path: Path) -> None:
    """A line that starts with `%` inside brackets is the modulo operator; one inside a string is text."""
    nb = json.loads((NB / "export_head_clean.ipynb").read_text())
    nb["cells"][0]["source"] = 'x = (7\n     % 2)\ns = """\n!text\n"""\nif x:\n    !echo hi\n%time y = 1\n'
    (tmp_path / "e.ipynb").write_text(json.dumps(nb))
    r = run_cli("check", "--isolated", str(tmp_path / "e.ipynb"))
    assert (r.code, r.out.strip()) == (0, "All checks passed (1 file, target TensorRT 11.1)."), r.out


def test_syntax_error_is_located_in_its_cell(tmp_path: Path) -> None:
    nb = json.loads((NB / "export_head_clean.ipynb").read_text())
    nb["cells"][1]["source"] = "x = 1\ndef broken(:\n    pass\n"
    (tmp_path / "s.ipynb").write_text(json.dumps(nb))
    r = run_cli("check", "--isolated", "--output-format", "concise", str(tmp_path / "s.ipynb"))
    assert r.code == 2 and r.out.startswith(f"{tmp_path / 's.ipynb'}:cell 2:2:12: TRT901 [error] Python cannot parse")


def test_folders_are_walked_for_notebooks(tmp_path: Path) -> None:
    shutil.copytree(NB, tmp_path / "nbs")
    (tmp_path / "nbs" / "m.py").write_text(HAZARD)
    r = run_cli("check", "--isolated", "--output-format", "concise", "nbs", cwd=tmp_path)
    assert [ln.split(":")[0] for ln in r.out.splitlines()[:-2]] == (
        ["nbs/export_head.ipynb"] * 3 + ["nbs/m.py", "nbs/merge_conflict.ipynb", "nbs/nbformat3.ipynb"])


def test_without_nbformat(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The core degrades with one clear finding for a named notebook and skips notebooks in folders."""
    import trtlint.loaders.notebook as loader

    monkeypatch.setattr(loader, "notebook_support", lambda: False)
    r = run_cli("check", "--isolated", "--output-format", "concise", str(NB / "export_head.ipynb"))
    assert r.code == 2
    assert r.out.splitlines()[0].endswith("TRT907 [error] notebook support (the [notebook] extra) is not installed; this "
                                          "notebook was NOT checked")
    (tmp_path / "m.py").write_text("x = 1\n")
    shutil.copy(NB / "export_head.ipynb", tmp_path)
    assert run_cli("check", "--isolated", str(tmp_path)).out.startswith("All checks passed (1 file")


def _stdin(args: list[str], data: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "trtlint.cli", *args], input=data, cwd=cwd,
                          capture_output=True, timeout=60)


def test_stdin_resolves_config_for_the_given_path(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nper-file-ignores = { "tests/*" = ["TRT1"] }\n')
    (tmp_path / "tests").mkdir()
    src = HAZARD.encode()
    hit = _stdin(["check", "--fail-on", "note", "--output-format", "concise", "--stdin-filename", "models/m.py", "-"],
                 src, tmp_path)
    assert hit.returncode == 1 and hit.stdout.decode().startswith("models/m.py:6:20: TRT102 ")
    ignored = _stdin(["check", "--stdin-filename", "tests/m.py", "-"], src, tmp_path)
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
    assert not (tmp_path / "models").exists()  # nothing was read from or written to that path


def test_stdin_fix_writes_the_fixed_text(tmp_path: Path) -> None:
    src = (FIXTURES.parent / "examples" / "export_resnet.py").read_bytes()
    r = _stdin(["check", "--isolated", "--fix", "--output-format", "concise", "--stdin-filename", "e.py", "-"], src,
               tmp_path)
    out = r.stdout.decode()
    assert r.returncode == 1 and out.count("\n") == src.decode().count("\n")
    assert "        model.eval(), x, path,\n" in out and "network = builder.create_network(0)\n" in out
    assert "config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1 << 30)\n" in out
    assert "e.py:16:12: TRT101" in r.stderr.decode() and "TRT106" not in r.stderr.decode()
    nb = _stdin(["check", "--isolated", "--fix", "--stdin-filename", "n.ipynb", "-"],
                (NB / "export_head.ipynb").read_bytes(), tmp_path)
    assert "model.eval(), (x,)" in json.loads(nb.stdout)["cells"][5]["source"][0]


def test_stdin_usage_errors(tmp_path: Path) -> None:
    assert run_cli("check", "--stdin-filename", "x.py", "a.py").code == 2
    assert run_cli("check", "-", "a.py").code == 2


def test_precommit_hook_lints_notebooks(tmp_path: Path) -> None:
    from .test_precommit import HOOKS, run_hook

    assert "jupyter" in HOOKS["trtlint"]["types_or"]
    shutil.copy(NB / "export_head.ipynb", tmp_path)
    shutil.copy(NB / "export_head_clean.ipynb", tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nfail-on = "note"\n')  # notes fail this repository's hook
    assert run_hook("trtlint", [tmp_path / "export_head_clean.ipynb"], tmp_path).returncode == 0
    bad = run_hook("trtlint", [tmp_path / "export_head.ipynb"], tmp_path)
    assert bad.returncode == 1 and bad.stdout.startswith("export_head.ipynb:cell 3:3:12: TRT101 ")
