"""Issue 12, inputs and output: every bad input is one clear line; nothing printed can steer a terminal or a
GitHub runner; SARIF and JSON stay valid for any file name; config, targets and -j are checked at start."""
from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from .conftest import FIXTURES, HAZARD, run_cli, run_subprocess

HOSTILE = FIXTURES / "hostile"
sys.path.insert(0, str(HOSTILE))
import hostile_builders as hostile  # noqa: E402

# ----------------------------------------------------------------------------- source files

SOURCE_CASES = {
    "codec_unknown.py": ("TRT901", "unknown encoding: no-such-codec"),
    "codec_bom_with_latin1.py": ("TRT901", "encoding problem"),
    "codec_not_text.py": ("TRT901", "'rot13' is not a text encoding"),
    "codec_utf16.py": ("TRT902", "not valid utf-16"),
    "not_utf8_no_cookie.py": ("TRT902", "not valid utf-8"),
    "nesting_too_deep.py": ("TRT901", "too many nested parentheses"),
    "control_chars.py": ("TRT901", "invalid non-printable character"),
    "latin1_declared_clean.py": (None, ""),
    "codec_idna.py": (None, ""),  # Python itself accepts it
}


def test_every_source_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in (HOSTILE / "source").glob("*.py")) == sorted(SOURCE_CASES)


@pytest.mark.parametrize("name", sorted(SOURCE_CASES))
def test_source_case(name: str) -> None:
    code, needle = SOURCE_CASES[name]
    r = run_cli("check", "--isolated", "--output-format", "json", str(HOSTILE / "source" / name))
    found = json.loads(r.out)
    assert "Traceback" not in r.err
    if code is None:
        assert r.code == 0 and found == []
    else:
        assert [f["code"] for f in found] == [code] and needle in found[0]["message"], found
        assert r.code == 2


def test_separator_bomb_under_the_size_limit_is_refused_in_time(tmp_path: Path) -> None:
    path = hostile.make_separator_bomb(tmp_path / "bomb.py")
    assert path.stat().st_size < 1024 * 1024
    start = time.perf_counter()
    r = run_cli("check", "--isolated", "--output-format", "json", str(path))
    assert time.perf_counter() - start < 10
    found = json.loads(r.out)
    assert [f["code"] for f in found] == ["TRT904"] and "operators and separators" in found[0]["message"]


def test_largest_real_source_stays_within_the_limits() -> None:
    """torch's largest source file (1.3 MB) is linted, not refused."""
    from trtlint.loaders.source import MAX_SOURCE_BYTES, MAX_SOURCE_SEPARATORS, SEPARATORS

    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        pytest.skip("torch is not installed")
    big = Path(spec.origin).parent / "testing" / "_internal" / "common_methods_invocations.py"
    if not big.is_file():
        pytest.skip(f"{big} not in this torch")
    data = big.read_bytes()
    assert len(data) < MAX_SOURCE_BYTES
    assert len(data) - len(data.translate(None, SEPARATORS)) < MAX_SOURCE_SEPARATORS


# ----------------------------------------------------------------------------- paths that are not files


def test_special_files_in_a_folder_are_trt905_and_never_opened(tmp_path: Path) -> None:
    hostile.make_fifo(tmp_path / "pipe.py")
    hostile.make_fifo(tmp_path / "pipe.onnx")
    hostile.make_socket(tmp_path / "sock.py")
    os.symlink("/dev/stdin", tmp_path / "stdin.py")
    os.symlink("/dev/zero", tmp_path / "zero.onnx")
    hostile.make_link_loop(tmp_path / "loop.py")
    (tmp_path / "good.py").write_text(HAZARD)
    # a subprocess with a timeout: a regression would hang on the pipe, not fail
    r = run_subprocess("check", "--isolated", "--output-format", "concise", str(tmp_path))
    lines = r.out.splitlines()
    for name, what in [("pipe.py", "a named pipe"), ("pipe.onnx", "a named pipe"), ("sock.py", "a socket"),
                       ("stdin.py", "a character device"), ("zero.onnx", "a character device"),
                       ("loop.py", "symbolic links")]:
        assert sum(1 for ln in lines if f"{name}:1:1: TRT905" in ln and what in ln) == 1, (name, r.out)
    assert any("good.py:6:20: TRT102" in ln for ln in lines)
    assert r.code == 2 and "Traceback" not in r.err


@pytest.mark.parametrize("first", ["loop", "fifo"])
def test_bad_first_path_does_not_end_the_run(tmp_path: Path, first: str) -> None:
    bad = hostile.make_link_loop(tmp_path / "loop") if first == "loop" else hostile.make_fifo(tmp_path / "fifo")
    (tmp_path / "good.py").write_text(HAZARD)
    r = run_subprocess("check", "--isolated", "--output-format", "concise", str(bad), str(tmp_path / "good.py"))
    assert r.code == 2 and "internal error" not in r.err, r.err
    assert any("TRT905" in ln for ln in r.out.splitlines()) and "TRT102" in r.out


def test_unlistable_folder_is_reported(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "m.py").write_text("x = 1\n")
    locked.chmod(0)
    try:
        r = run_cli("check", "--isolated", "--output-format", "concise", str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert r.code == 2 and "cannot read folder" in r.out and "TRT905" in r.out


# ----------------------------------------------------------------------------- output is inert

NASTY_NAMES = [
    "a\n::add-mask::tok.py",
    "b\r\n::stop-commands::x.py",
    "::error::c.py",
    "  ::warning::d.py",
    "##[set-output name=x;]e.py",
    "f\x1b]0;owned\x07\x1b[2J.py",
    "g\x9b31m.py",
    "h\u202egnp.exe\u2066.py",
]

WORKFLOW = re.compile(r"^\s*(::|##\[)")


def _nasty_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name in NASTY_NAMES:
        (root / name).write_text(HAZARD)
    (root / os.fsdecode(b"latin\xe9.py")).write_text(HAZARD)  # a name that is not UTF-8
    return root


def _assert_inert(text: str, allow_commands: bool = False) -> None:
    for line in text.splitlines():
        if allow_commands:
            assert re.match(r"^::(error|warning|notice) ", line), repr(line)
        else:
            assert not WORKFLOW.match(line), repr(line)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", line), repr(line)


@pytest.mark.parametrize("fmt", ["full", "concise", "github"])
def test_text_formats_are_inert_for_hostile_file_names(tmp_path: Path, fmt: str) -> None:
    root = _nasty_tree(tmp_path)
    r = run_cli("check", "--isolated", "--fail-on", "note", "--output-format", fmt, ".", cwd=root)
    _assert_inert(r.out, allow_commands=fmt == "github")
    assert r.code == 1
    live = sum(1 for line in r.out.splitlines() if "TRT102" in line and "good" not in line)
    assert live == len(NASTY_NAMES) + 1, r.out
    mask = "\\n%3A%3Aadd-mask%3A%3Atok.py" if fmt == "github" else "\\n::add-mask::tok.py"
    assert mask in r.out and "latin\\xe9.py" in r.out and "\\u202e" in r.out


@pytest.mark.parametrize("fmt", ["full", "concise", "github"])
def test_text_formats_are_inert_for_hostile_model_names(tmp_path: Path, fmt: str) -> None:
    pytest.importorskip("onnx")
    path = hostile.write_onnx_case("hostile_names", tmp_path)
    r = run_cli("check", "--isolated", "--output-format", fmt, str(path))
    _assert_inert(r.out, allow_commands=fmt == "github")
    assert "TRT303" in r.out and "\\n::add-mask::secret-token" in r.out


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_stay_valid_for_any_file_name(tmp_path: Path, fmt: str) -> None:
    root = _nasty_tree(tmp_path)
    out = tmp_path / f"report.{fmt}"
    r = run_cli("check", "--isolated", "--fail-on", "note", "--output-format", fmt, "-o", str(out), ".", cwd=root)
    assert r.code == 1, r.err
    raw = out.read_bytes()
    raw.decode("utf-8")  # strict: no lone surrogates reached the file
    doc = json.loads(raw)
    if fmt == "json":
        paths = {f["path"] for f in doc}
        assert "latin\\xe9.py" in paths and "a\n::add-mask::tok.py" in paths
    else:
        import jsonschema

        schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
        jsonschema.validate(doc, schema)
        uris = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in doc["runs"][0]["results"]}
        assert "latin%E9.py" in uris and "a%0A%3A%3Aadd-mask%3A%3Atok.py" in uris
        for uri in uris:
            assert re.fullmatch(r"[A-Za-z0-9\-._~%/]+", uri), uri


def test_full_and_concise_with_output_file_survive_undecodable_names(tmp_path: Path) -> None:
    root = _nasty_tree(tmp_path)
    for fmt in ("full", "concise", "github"):
        out = tmp_path / f"r.{fmt}"
        r = run_cli("check", "--isolated", "--fail-on", "note", "--output-format", fmt, "-o", str(out), ".", cwd=root)
        assert r.code == 1 and out.read_bytes().decode("utf-8")


def test_error_lines_on_stderr_are_inert(tmp_path: Path) -> None:
    r = run_cli("check", "--config", str(tmp_path / "x\n::add-mask::y.toml"), str(tmp_path))
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "\\n::add-mask::" in r.err


# ----------------------------------------------------------------------------- configuration, targets, -j

CONFIG_CASES = {
    "broken_toml": "not valid TOML: Unclosed array",
    "tool_not_table": "'tool' must be a table, not a string",
    "trtlint_not_table": "[tool.trtlint] must be a table, not an array",
    "deep_nesting": "nested too deeply",
    "target_outside": "TensorRT 7.0 is outside the compatibility matrix; valid targets: trt8.0",
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_broken_nearest_config_is_exit_2_naming_file_and_problem(case: str) -> None:
    folder = HOSTILE / "config" / case
    r = run_cli("check", "model.py", cwd=folder)
    assert r.code == 2 and r.out == ""
    (line,) = r.err.strip().splitlines()
    assert str(folder / "pyproject.toml") in line and CONFIG_CASES[case] in line, line
    assert "internal error" not in line


def test_every_config_fixture_has_a_case() -> None:
    assert sorted(p.name for p in (HOSTILE / "config").iterdir()) == sorted(CONFIG_CASES)


@pytest.mark.parametrize("target", ["trt7.0", "trt12.0", "trt8.6,torch1.0", "trt10.8,torch9.9"])
def test_targets_outside_the_matrix_are_refused_at_start(project: Path, target: str) -> None:
    r = run_cli("check", "--isolated", "--target", target, str(project))
    assert r.code == 2 and r.out == "" and "outside the compatibility matrix" in r.err and "valid" in r.err


def test_jobs_is_capped(monkeypatch, project: Path) -> None:
    from trtlint import cli, runner

    seen: list[int] = []
    real = runner.Runner.run

    def spy(self, paths, jobs=1):  # type: ignore[no-untyped-def]
        seen.append(jobs)
        return real(self, paths, jobs=1)

    monkeypatch.setattr(runner.Runner, "run", spy)
    assert run_cli("check", "--isolated", "--fail-on", "note", "-j", "100000", str(project)).code == 1
    assert seen == [min(4 * (os.cpu_count() or 1), cli.MAX_JOBS)] and seen[0] <= 64


def test_diff_is_inert_for_hostile_file_names(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    fixable = (
        "import torch\nimport torchvision\n\n"
        "model = torchvision.models.resnet18()\n"
        "torch.jit.trace(model, torch.randn(1, 3, 224, 224))\n"
    )
    (root / "a\n::add-mask::tok.py").write_text(fixable)
    r = run_cli("check", "--isolated", "--diff", ".", cwd=root)
    assert "+torch.jit.trace(model.eval(), torch.randn(1, 3, 224, 224))" in r.out, r.out
    _assert_inert(r.out)
    assert "a/a\\n::add-mask::tok.py" in r.out
