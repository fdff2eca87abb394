"""The command line as a user of ruff would poke at it: exit codes, selectors, config, noqa, fixes, bad input."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from .conftest import HAZARD, env_without, run_cli, run_subprocess


def findings(r) -> list[dict]:
    return json.loads(r.out)


def test_exit_codes(project: Path) -> None:
    assert run_cli("check", "--isolated", str(project / "clean.py")).code == 0
    r = run_cli("check", "--isolated", str(project / "hazard.py"))
    assert r.code == 0  # a note (a model-code finding, no declared model) is reported, not failed on
    assert "hazard.py:6:20: TRT102 [note]" in r.out
    assert "   6 |         return x * x.sum().item()" in r.out  # the offending line
    assert "= help:" in r.out
    assert run_cli("check", "--isolated", "--fail-on", "note", str(project / "hazard.py")).code == 1
    assert run_cli("check", "--isolated", "--fail-on", "note", "--exit-zero", str(project)).code == 0


def test_default_command_is_check(project: Path) -> None:
    assert run_cli("--fail-on", "note", "--isolated", str(project / "hazard.py")).code == 1


def test_bad_flag_is_one_line_exit_2() -> None:
    r = run_cli("check", "--no-such-flag")
    assert r.code == 2 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and "--no-such-flag" in r.err


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_unknown_selector_names_choices(project: Path, flag: str) -> None:
    r = run_cli("check", "--isolated", flag, "XYZ9", str(project))
    assert r.code == 2 and "unknown rule selector 'XYZ9'" in r.err and "TRT1" in r.err


def test_bad_target_is_exit_2(project: Path) -> None:
    r = run_cli("check", "--isolated", "--target", "tensorflow2", str(project))
    assert r.code == 2 and "cannot read target" in r.err


def test_select_ignore_prefixes(project: Path) -> None:
    hazard = str(project / "hazard.py")
    assert run_cli("check", "--fail-on", "note", "--isolated", "--select", "TRT106", hazard).code == 0
    assert run_cli("check", "--fail-on", "note", "--isolated", "--select", "TRT1", hazard).code == 1
    assert run_cli("check", "--fail-on", "note", "--isolated", "--ignore", "TRT10", hazard).code == 0
    # the more specific selector wins
    assert run_cli("check", "--fail-on", "note", "--isolated", "--ignore", "TRT1", "--extend-select", "TRT102",
                   hazard).code == 1
    assert run_cli("check", "--fail-on", "note", "--isolated", "--select", "ALL", "--ignore", "TRT102",
                   hazard).code == 0


def test_config_in_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.trtlint]\nignore = ["TRT102"]\ntarget = "trt8.6"\n')
    r = run_cli("check", "--fail-on", "note", "--output-format", "concise", str(project))
    assert r.code == 0, r.out
    assert "target TensorRT 8.6" in r.out
    # the command line wins over the file
    assert run_cli("check", "--fail-on", "note", "--ignore", "TRT106", str(project)).code == 1


def test_config_found_walking_up(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.trtlint]\nper-file-ignores = { "sub/*.py" = ["TRT102"] }\n')
    (project / "sub").mkdir()
    (project / "sub" / "m.py").write_text(HAZARD)
    assert run_cli("check", "--fail-on", "note", str(project / "sub")).code == 0
    assert run_cli("check", "--fail-on", "note", str(project / "hazard.py")).code == 1


@pytest.mark.parametrize(
    "body, needle",
    [
        ('[tool.trtlint]\nselct = ["ALL"]\n', "unknown key selct"),
        ('[tool.trtlint]\nselect = ["TRT999X"]\n', "unknown rule selector"),
        ('[tool.trtlint]\nselect = 3\n', "must be a list of strings"),
        ('[tool.trtlint]\nper-file-ignores = { "a.py" = ["TRT1O1"] }\n', "unknown rule selector 'TRT1O1'"),
        ('[tool.trtlint]\ntarget = "trt10.8,tf2"\n', "cannot read target"),
        ("[tool.trtlint\n", "not valid TOML"),
    ],
)
def test_bad_config_exit_2(project: Path, body: str, needle: str) -> None:
    cfg = project / "pyproject.toml"
    cfg.write_text(body)
    r = run_cli("check", "--config", str(cfg), str(project))
    assert r.code == 2 and needle in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1
    if "unknown key" in needle:
        assert "valid keys: select, ignore" in r.err


def test_exclude(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.trtlint]\nextend-exclude = ["hazard.py"]\n')
    assert run_cli("check", str(project)).code == 0


def test_noqa_line_and_file(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text(HAZARD.replace(".item()", ".item()  # noqa: TRT102"))
    assert run_cli("check", "--fail-on", "note", "--isolated", str(p)).code == 0
    p.write_text(HAZARD.replace(".item()", ".item()  # noqa"))
    assert run_cli("check", "--fail-on", "note", "--isolated", str(p)).code == 0
    p.write_text(HAZARD.replace(".item()", ".item()  # noqa: TRT101"))
    assert run_cli("check", "--fail-on", "note", "--isolated", str(p)).code == 1
    p.write_text(HAZARD.replace("x * x.sum().item()", "x * x.sum().item() if '# noqa' else x"))
    # a '# noqa' inside a string is no comment
    assert run_cli("check", "--fail-on", "note", "--isolated", str(p)).code == 1
    p.write_text("# trtlint: noqa\n" + HAZARD)
    assert run_cli("check", "--fail-on", "note", "--isolated", str(p)).code == 0
    p.write_text("# trtlint: noqa: TRT106\n" + HAZARD)
    assert run_cli("check", "--fail-on", "note", "--isolated", str(p)).code == 1


def test_json_is_stable_and_documented(project: Path) -> None:
    r = run_cli("check", "--isolated", "--output-format", "json", str(project))
    data = findings(r)
    assert [set(d) for d in data] == [{
        "code", "name", "severity", "message", "hint", "path", "line", "column", "end_line", "end_column",
        "fixable", "fix", "suppressed", "cell",
    }]
    assert data[0]["code"] == "TRT102" and data[0]["line"] == 6 and data[0]["column"] == 20
    assert data[0]["cell"] is None  # set only for notebooks (tests/test_notebooks.py)
    assert r.out == run_cli("check", "--isolated", "--output-format", "json", str(project)).out


def test_github_format(project: Path) -> None:
    r = run_cli("check", "--isolated", "--output-format", "github", str(project))
    line = r.out.strip()
    assert line.startswith("::notice file=")  # a model-code note: no [tool.trtlint] models declares the model
    assert ",line=6,col=20," in line and "title=trtlint (TRT102)::TRT102 " in line


def test_statistics_and_output_file(project: Path, tmp_path: Path) -> None:
    r = run_cli("check", "--fail-on", "note", "--isolated", "--statistics", str(project))
    assert r.out.splitlines()[0].split("\t") == ["    1", "TRT102", "host-sync-in-forward"]
    out = tmp_path / "r.json"
    r = run_cli("check", "--fail-on", "note", "--isolated", "--output-format", "json", "-o", str(out), str(project))
    assert r.code == 1 and json.loads(out.read_text())[0]["code"] == "TRT102"


EXPORT = '''import torch
import torchvision

model = torchvision.models.resnet18()
torch.onnx.export(model, torch.randn(1, 3, 224, 224), "r.onnx")
'''


def test_fix_and_diff(tmp_path: Path) -> None:
    p = tmp_path / "export.py"
    p.write_text(EXPORT)
    r = run_cli("check", "--isolated", "--diff", str(p))
    assert r.code == 1 and "+torch.onnx.export(model.eval(), " in r.out
    assert p.read_text() == EXPORT  # --diff changes nothing
    r = run_cli("check", "--isolated", "--fix", str(p))
    assert r.code == 0, r.out
    assert "torch.onnx.export(model.eval(), torch.randn" in p.read_text()
    assert run_cli("check", "--isolated", str(p)).code == 0


def test_add_noqa_adopts_existing_findings(project: Path) -> None:
    r = run_cli("check", "--fail-on", "note", "--isolated", "--add-noqa", str(project))
    assert r.code == 0 and "1 line" in r.err
    assert "# noqa: TRT102" in (project / "hazard.py").read_text()
    assert run_cli("check", "--fail-on", "note", "--isolated", str(project)).code == 0
    # a new finding still fails the build
    (project / "new.py").write_text(HAZARD)
    assert run_cli("check", "--fail-on", "note", "--isolated", str(project)).code == 1


def test_rule_docs() -> None:
    r = run_cli("rule", "TRT102")
    assert r.code == 0
    for section in ("What it does:", "Why it matters for TensorRT:", "Example:", "Use instead:", "References:"):
        assert section in r.out
    assert run_cli("rule", "--all").out.count("What it does:") >= 10
    assert run_cli("rule", "TRT0").code == 2


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs_never_traceback(tmp_path: Path) -> None:
    (tmp_path / "syntax.py").write_text("def forward(self, x)\n    return x\n")
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\nx = 1\n")
    (tmp_path / "binary.py").write_bytes(b"PK\x03\x04\x00\x00binary")
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "huge.py").write_bytes(b"x = 1\n" * (2 * 1024 * 1024))
    (tmp_path / "good.py").write_text(HAZARD)
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    os.symlink(tmp_path, tmp_path / "dirloop")
    r = run_cli("check", "--isolated", "--output-format", "concise", str(tmp_path), str(tmp_path / "missing.py"),
                str(tmp_path / "loop"))
    assert r.code == 2
    assert "Traceback" not in r.out + r.err
    lines = r.out.splitlines()
    for name, code in [("syntax.py:1:21", "TRT901"), ("latin1.py:1:6", "TRT902"), ("binary.py:1:1", "TRT903"),
                       ("huge.py:1:1", "TRT904"), ("missing.py:1:1", "TRT905"), ("loop:1:1", "TRT905"),
                       ("good.py:6:20", "TRT102")]:
        assert sum(1 for ln in lines if name in ln and code in ln) == 1, (name, code, r.out)
    assert not any("empty.py" in ln for ln in lines)  # an empty module is valid Python


def test_source_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('x')\nimport os\nos._exit(3)\n")
    (tmp_path / "conftest.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    r = run_cli("check", "--isolated", str(tmp_path))
    assert r.code == 0 and not marker.exists()


def test_internal_error_is_reported_and_run_goes_on(project: Path, monkeypatch) -> None:
    from trtlint.rules.source.trt102_host_sync_in_forward import HostSyncInForward

    def boom(self, src):
        raise RuntimeError("boom")

    monkeypatch.setattr(HostSyncInForward, "check", boom)
    (project / "export.py").write_text(EXPORT)
    r = run_cli("check", "--isolated", "--output-format", "concise", str(project))
    assert r.code == 2
    assert r.out.count("internal error in TRT102 (host-sync-in-forward): RuntimeError: boom") == 2
    assert "export.py:5:19: TRT106" in r.out  # the other rules and files still ran


def test_api_check(project: Path) -> None:
    import trtlint

    found = trtlint.check([str(project)], use_config=False)
    assert [(f.code, f.line) for f in found] == [("TRT102", 6)]
    assert trtlint.check([str(project)], select=["TRT106"], use_config=False) == []


def test_light_core_imports_no_heavy_package(project: Path, tmp_path: Path) -> None:
    """Linting sources must work with torch, onnx and tensorrt unimportable, and must not import them."""
    env = env_without(tmp_path, "torch", "onnx", "tensorrt", "onnxruntime", "polygraphy", "numpy")
    r = run_subprocess("check", "--fail-on", "note", "--isolated", "--output-format", "json", str(project), env=env)
    assert r.code == 1, r.err
    assert [d["code"] for d in json.loads(r.out)] == ["TRT102"]


def test_rules_reference_is_current() -> None:
    """docs/rules.md is `trtlint rule --all --format markdown`; regenerate it when a rule changes."""
    from .conftest import ROOT

    r = run_cli("rule", "--all", "--format", "markdown")
    assert (ROOT / "docs" / "rules.md").read_text() == r.out


def test_every_rule_documented_in_fixed_sections() -> None:
    from trtlint.registry import all_rules
    from trtlint.rule import DOC_SECTIONS

    for code, cls in all_rules().items():
        assert list(cls.doc().sections) == list(DOC_SECTIONS), code
        assert cls.doc().summary, code


def test_both_core_rules_ride_through_every_reporter(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(HAZARD + "\n\n" + EXPORT.replace("import torch\n", ""))
    for fmt in ("full", "concise", "json", "sarif", "github"):
        r = run_cli("check", "--fail-on", "note", "--isolated", "--output-format", fmt, "m.py", cwd=tmp_path)
        assert r.code == 1
        assert "TRT102" in r.out and "TRT106" in r.out, fmt


def test_entry_point_plugins(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "myplug-0.1.dist-info").mkdir(parents=True)
    (site / "myplug-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: myplug\nVersion: 0.1\n")
    (site / "myplug-0.1.dist-info" / "entry_points.txt").write_text("[trtlint.rules]\nmine = myplug\n")
    doc = '''"""Flags the word banana.

    ## What it does
    x
    ## Why it matters for TensorRT
    x
    ## Example
    x
    ## Use instead
    x
    ## References
    x
    """'''
    (site / "myplug.py").write_text(
        "from trtlint.rule import SourceRule\n"
        "class Banana(SourceRule):\n    " + doc + "\n"
        "    code = 'TRT950'\n    name = 'banana'\n"
        "    def check(self, src):\n"
        "        if 'banana' in src.text:\n"
        "            yield self.finding('banana found', src.path, 1, 1)\n"
    )
    (tmp_path / "a.py").write_text("banana = 1\n")
    # no bytecode cache: the plugin is rewritten below with the same size, possibly within the same second, and a
    # cached .pyc validated by mtime and size would then still hold the first version
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]), PYTHONDONTWRITEBYTECODE="1")
    r = run_subprocess("check", "--isolated", "--output-format", "concise", str(tmp_path / "a.py"), env=env)
    assert r.code == 1 and "TRT950 [error] banana found" in r.out
    assert "Flags the word banana." in run_subprocess("rule", "TRT950", env=env).out
    # a plugin that reuses a built-in code is refused, loudly
    (site / "myplug.py").write_text((site / "myplug.py").read_text().replace("TRT950", "TRT101"))
    r = run_subprocess("check", "--isolated", str(tmp_path / "a.py"), env=env)
    assert r.code == 2 and "duplicate rule code TRT101" in r.err


def test_plugin_lookup_reads_entry_points_without_importlib_metadata(tmp_path: Path, monkeypatch) -> None:
    """importlib.metadata is imported only when some distribution may declare the group: a plain run of one file
    does without it, and a dist-info naming the group (or a zip on sys.path) hands the decision back to it."""
    import subprocess

    from trtlint.registry import _may_have_plugins

    code = ("import sys; from trtlint.cli import main; main(['--isolated', 'examples/export_resnet.py']); "
            "sys.exit('importlib.metadata' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    info = tmp_path / "site" / "other-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_text("[console_scripts]\nother = other:main\n")
    (tmp_path / "site" / "legacy.egg-info").write_text("Metadata-Version: 1.0\n")  # a file, not a folder
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path / "site")])
    assert _may_have_plugins() is False
    (info / "entry_points.txt").write_text("[console_scripts]\nother = other:main\n[trtlint.rules]\nx = other\n")
    assert _may_have_plugins() is True
    (info / "entry_points.txt").write_bytes(b"[console_scripts]\nother = \xff\n")
    assert _may_have_plugins() is True  # not UTF-8: importlib.metadata decides (it raises)
    (info / "entry_points.txt").unlink()
    (tmp_path / "plugins.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site"), str(tmp_path / "plugins.zip")])
    assert _may_have_plugins() is True


def test_parallel_run_gives_the_same_result(monkeypatch) -> None:
    from trtlint import runner as runner_mod
    from trtlint.compat import Target
    from trtlint.config import Config
    from trtlint.registry import all_rules

    from .conftest import FIXTURES

    def run(jobs: int):
        r = runner_mod.Runner(Config(), Target.parse("trt10.8"), set(all_rules()))
        return r.run([str(FIXTURES)], jobs=jobs)

    serial = run(1)
    monkeypatch.setattr(runner_mod, "PARALLEL_MIN_FILES", 1)
    parallel = run(2)
    assert serial.files == parallel.files > 30
    assert [f.to_dict() for f in serial.findings] == [f.to_dict() for f in parallel.findings]


def test_run_pauses_the_cyclic_collector_and_restores_it(tmp_path: Path) -> None:
    import gc

    from trtlint.compat import Target
    from trtlint.config import Config
    from trtlint.registry import all_rules
    from trtlint.runner import Runner

    (tmp_path / "a.py").write_text("import torch\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n"
                                   "        if x.sum() > 0:\n            return x\n        return -x\n")
    (tmp_path / "b.py").write_text("x = 1\n")
    seen: list[bool] = []
    r = Runner(Config(), Target.parse("trt10.8"), set(all_rules()))
    original = r.lint_isolated
    r.lint_isolated = lambda item, result: (seen.append(gc.isenabled()), original(item, result))[1]  # type: ignore
    assert gc.isenabled()
    found = r.run([str(tmp_path)])
    assert seen == [False, False] and gc.isenabled()  # paused while linting, the caller's setting back after
    assert [f.code for f in found.findings] == ["TRT101"]
    gc.disable()
    try:
        r.run([str(tmp_path)])
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_cycles_a_file_leaves_are_freed_after_it() -> None:
    import gc
    import weakref

    from trtlint.gcpause import collector_paused, file_done

    class Node:
        pass

    with collector_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None  # a cycle: reference counting alone keeps it
        file_done()
        assert gone() is None


def test_add_noqa_merges_into_existing_comment_and_ignores_strings(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text(HAZARD.replace("x * x.sum().item()", "x * x.sum().item()  # noqa: TRT101"))
    run_cli("check", "--isolated", "--add-noqa", str(p))
    assert "# noqa: TRT101, TRT102" in p.read_text()
    q = tmp_path / "n.py"
    q.write_text(HAZARD.replace("x * x.sum().item()", "x * x.sum().item() if '# noqa' else x"))
    run_cli("check", "--isolated", "--add-noqa", str(q))
    assert "else x  # noqa: TRT102" in q.read_text()
    assert run_cli("check", "--isolated", str(tmp_path)).code == 0


def test_rule_file_names_carry_their_codes() -> None:
    """`trtlint check` lists codes from rule file names and imports only the layers it runs: the names must
    stay equal to the classes' codes."""
    from trtlint.registry import _builtin_index, all_rules, rule_codes

    assert sorted(_builtin_index()) == sorted(all_rules()) == rule_codes()
    for code, module in _builtin_index().items():
        assert all_rules()[code].__module__ == module


def test_check_does_not_import_graph_or_verify_rules() -> None:
    code = ("import sys; from trtlint.cli import main; main(['--isolated', 'examples/export_resnet.py']); "
            "sys.exit(any(m.startswith(('trtlint.rules.graph.', 'trtlint.rules.verify.', 'trtlint.graph', "
            "'trtlint.verify')) for m in sys.modules))")
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_name_prescreen_skips_only_files_that_cannot_name_an_exporter(tmp_path: Path) -> None:
    """TRT106 runs only where an exporter's parts are all written as words: `re.compile` is not
    `torch_tensorrt.compile`, and an alias still names its parts in the import (or folds from non-ASCII)."""
    from trtlint.rules.source.trt106_export_without_eval import EXPORTERS
    from trtlint.runner import may_name

    assert not may_name("import re\npat = re.compile('x')\n# retrace, scripted\n", EXPORTERS)
    assert not may_name("import torch\ndef f(m, x):\n    return torch.jit.trace_x(m, x)\n", EXPORTERS)
    assert may_name("from torch.onnx import export as ex\nex(m, x, 'm.onnx')\n", EXPORTERS)
    assert may_name("import torch_tensorrt as T\nT.compile(m)\n", EXPORTERS)
    assert may_name("import torch\ntorch.jit.\\\n    trace(m, x)\n", EXPORTERS)
    assert may_name("import torch\ntorch.jit.ｔrace(m, x)\n", EXPORTERS)  # NFKC: the parser reads `trace`
    hazard = "import torch, torchvision\nfrom torch.jit import trace as t\nm = torchvision.models.resnet18()\nt(m, x)\n"
    (tmp_path / "a.py").write_text(hazard)
    r = run_cli("check", "--fail-on", "note", "--isolated", "--select", "TRT106", "--output-format", "concise", "a.py",
                cwd=tmp_path)
    assert r.code == 1 and "a.py:4:3: TRT106" in r.out, r.out


def test_console_run_ends_without_teardown_and_loses_no_output(tmp_path: Path) -> None:
    """`python -m trtlint.cli check` exits straight after flushing (cli._exit_now): the report on stdout, the file
    of -o and the exit code are all there."""
    (tmp_path / "m.py").write_text(HAZARD + "\n\n" + EXPORT.replace("import torch\n", ""))
    r = run_subprocess("check", "--fail-on", "note", "--isolated", "--output-format", "json", str(tmp_path / "m.py"))
    assert r.code == 1 and {f["code"] for f in json.loads(r.out)} >= {"TRT102", "TRT106"}
    out = tmp_path / "report.sarif"
    r = run_subprocess("check", "--fail-on", "note", "--isolated", "--output-format", "sarif", "-o", str(out),
                       str(tmp_path / "m.py"))
    assert r.code == 1 and "TRT106" in json.dumps(json.loads(out.read_text())) and "2 notes" in r.err


def test_fail_on_sets_the_least_severity_that_fails_the_run(project: Path, tmp_path: Path) -> None:
    """hazard.py holds one note (a model-code finding, no declared model): it fails the run only when asked."""
    hazard = str(project / "hazard.py")
    assert run_cli("check", "--isolated", hazard).code == 0  # the default is "warning"
    assert run_cli("check", "--isolated", "--fail-on", "warning", hazard).code == 0
    assert run_cli("check", "--isolated", "--fail-on", "note", hazard).code == 1
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nfail-on = "note"\n')
    (tmp_path / "m.py").write_text((project / "hazard.py").read_text())
    assert run_cli("check", "m.py", cwd=tmp_path).code == 1
    assert run_cli("check", "--fail-on", "warning", "m.py", cwd=tmp_path).code == 0  # the command line wins
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nmodels = ["m:Net"]\n')
    r = run_cli("check", "m.py", cwd=tmp_path)
    assert r.code == 1 and "[error]" in r.out  # declared: the finding is an error, which fails the run
    assert run_cli("check", "--fail-on", "error", "m.py", cwd=tmp_path).code == 1
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\nfail-on = "errors"\n')
    r = run_cli("check", "m.py", cwd=tmp_path)
    assert r.code == 2 and "fail-on must be one of" in r.err
    # an input that cannot be checked is exit 2 whatever the threshold
    (tmp_path / "bad.py").write_text("def broken(:\n")
    assert run_cli("check", "--isolated", "--fail-on", "error", str(tmp_path / "bad.py")).code == 2
