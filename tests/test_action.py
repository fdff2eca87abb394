"""The GitHub Action (action.yml): its inputs, and its steps run here the way the runner would run them with
the inputs of the example workflow; the trtlint commands they run must be the README's, in order."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .conftest import HAZARD, ROOT
from .test_readme import BLOCKS, commands

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
WORKFLOW = yaml.safe_load((ROOT / "examples" / "github-actions" / "trtlint.yml").read_text())
SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
EXPR = re.compile(r"\$\{\{\s*(?P<expr>[^}]+?)\s*\}\}")


def readme_action_commands() -> list[list[str]]:
    """The shell block of the README's "GitHub Action" paragraph."""
    text = (ROOT / "README.md").read_text()
    start = text.index("**GitHub Action.**")
    block = next(b for b in BLOCKS if b.lang == "sh" and text.count("\n", 0, start) < b.line)
    return [shlex.split(c) for c in commands(block.body)]


def workflow_inputs() -> dict[str, str]:
    steps = WORKFLOW["jobs"]["trtlint"]["steps"]
    step = next(s for s in steps if s.get("uses", "").startswith("trtlint/trtlint@"))
    given = {k: str(v) for k, v in step.get("with", {}).items()}
    assert set(given) <= set(ACTION["inputs"]), "the example passes an input the action does not declare"
    return {name: given.get(name, str(spec.get("default", ""))) for name, spec in ACTION["inputs"].items()}


def evaluate(expr: str, inputs: dict[str, str], action_path: str) -> str:
    """The expressions the action uses: `inputs.NAME`, `github.action_path`, `inputs.NAME == 'value'`."""
    m = re.fullmatch(r"inputs\.([\w-]+)\s*==\s*'([^']*)'", expr)
    if m:
        return "true" if inputs[m.group(1)] == m.group(2) else "false"
    if expr.startswith("inputs."):
        return inputs[expr[len("inputs."):]]
    if expr == "github.action_path":
        return action_path
    raise AssertionError(f"action.yml uses an expression this test does not know: {expr}")


def substitute(value: Any, inputs: dict[str, str], action_path: str) -> str:
    return EXPR.sub(lambda m: evaluate(m.group("expr"), inputs, action_path), str(value))


def test_action_declaration() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"paths", "target", "args", "upload-sarif", "sarif-file", "python-version"}
    assert all(spec.get("description") for spec in ACTION["inputs"].values())
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs reach scripts through env, never spliced into the script"


def test_example_workflow_uses_the_action() -> None:
    steps = WORKFLOW["jobs"]["trtlint"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[1]["uses"] == "trtlint/trtlint@v1"
    assert WORKFLOW["permissions"]["security-events"] == "write"  # upload-sarif needs it


def test_steps_run_the_readme_commands(tmp_path: Path) -> None:
    inputs = workflow_inputs()
    work = tmp_path / "repo"
    work.mkdir()
    (work / "model.py").write_text(HAZARD)
    (work / "pyproject.toml").write_text('[tool.trtlint]\nmodels = ["model:Net"]\n')  # what the repo exports
    log = tmp_path / "calls.jsonl"
    shim = tmp_path / "bin"
    shim.mkdir()
    real = Path(sys.executable).with_name("trtlint")
    (shim / "trtlint").write_text(
        "#!/usr/bin/env bash\n"
        f"{shlex.quote(sys.executable)} -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \"$@\" >> {log}\n"
        f"exec {shlex.quote(str(real))} \"$@\"\n")
    (shim / "trtlint").chmod(0o755)
    path = f"{shim}{os.pathsep}{os.environ['PATH']}"

    uses, codes = [], []
    for step in ACTION["runs"]["steps"]:
        if "if" in step and substitute(step["if"], inputs, str(ROOT)) != "true":
            continue
        if "uses" in step:
            uses.append(step["uses"].split("@")[0])
            if step["uses"].startswith("github/codeql-action/upload-sarif@"):
                sarif_file = work / substitute(step["with"]["sarif_file"], inputs, str(ROOT))
                sarif = json.loads(sarif_file.read_text())  # written by the step before
                assert not list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(sarif))
                assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["TRT102"]
            continue
        env = {k: substitute(v, inputs, str(ROOT)) for k, v in step.get("env", {}).items()}
        if "pip install" in step["run"]:  # needs the network: check what it installs instead
            assert env["TRTLINT_ACTION_PATH"] == str(ROOT)
            assert step["run"].endswith('"${TRTLINT_ACTION_PATH}[onnx,notebook]"')
            continue
        r = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=work, env={**os.environ, **env, "PATH": path},
                           capture_output=True, text=True, timeout=120)
        codes.append((step["name"], r.returncode, r.stdout))
    assert uses == ["actions/setup-python", "github/codeql-action/upload-sarif"]
    calls = [["trtlint", *json.loads(line)] for line in log.read_text().splitlines()]
    assert calls == readme_action_commands()
    (_, sarif_rc, _), (gate, gate_rc, gate_out) = codes
    assert sarif_rc == 0 and gate_rc == 1, codes  # the gate fails the job on the finding
    assert gate_out.startswith("::error file=model.py,line=6,col=20,"), gate_out  # an error: the model is declared
    (work / "pyproject.toml").unlink()  # undeclared, the same finding is a note: annotated, not failing the gate
    gate_step = next(s for s in ACTION["runs"]["steps"] if s.get("name") == gate)
    env = {k: substitute(v, inputs, str(ROOT)) for k, v in gate_step.get("env", {}).items()}
    r = subprocess.run(["bash", "-e", "-c", gate_step["run"]], cwd=work, env={**os.environ, **env, "PATH": path},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("::notice file=model.py,line=6,col=20,"), r.stdout


def test_inputs_reach_the_command(tmp_path: Path) -> None:
    """Empty target: no --target at all; args and several paths are split the way a shell splits them."""
    inputs = {**workflow_inputs(), "target": "", "args": "--ignore TRT104 --select TRT1", "paths": "a.py b"}
    gate = ACTION["runs"]["steps"][-1]
    env = {k: substitute(v, inputs, str(ROOT)) for k, v in gate["env"].items()}
    script = gate["run"].replace("trtlint ", "printf '%s\\n' ", 1)
    r = subprocess.run(["bash", "-c", script], env={**os.environ, **env}, capture_output=True, text=True, timeout=30)
    assert r.stdout.splitlines() == ["check", "a.py", "b", "--ignore", "TRT104", "--select", "TRT1",
                                     "--output-format", "github"]
