"""``trtlint server`` driven by a real LSP client (pygls's) over the server process's stdin/stdout:
initialize, initialized, didOpen, publishDiagnostics, hover, codeAction, didChange, shutdown, exit."""
from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import HAZARD

pytest.importorskip("pygls")
from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

EXPORT = '''import torch


class Net(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.dropout(x, 0.5, self.training)


model = Net()
x = "\U0001F600"; torch.onnx.export(model, (torch.randn(1, 3),), "net.onnx")
'''


async def _session(tmp_path: Path) -> dict[str, object]:
    (tmp_path / "pyproject.toml").write_text('[tool.trtlint]\ntarget = "trt10.8,torch2.9"\nignore = ["TRT104"]\n'
                                           'models = ["export:Net"]\n')  # declared: TRT106 keeps its error
    path = tmp_path / "export.py"
    path.write_text(EXPORT)
    uri = path.as_uri()
    client = LanguageClient("trtlint-test", "1")
    published: list[types.PublishDiagnosticsParams] = []
    got = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published.append(params)
        got.set()

    await client.start_io(sys.executable, "-m", "trtlint.cli", "server", cwd=str(tmp_path))
    out: dict[str, object] = {}
    try:
        init = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=tmp_path.as_uri(), process_id=None)), 60)
        out["capabilities"] = init.capabilities
        client.initialized(types.InitializedParams())

        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=EXPORT)))
        await asyncio.wait_for(got.wait(), 60)
        out["opened"] = published[-1]
        diag = published[-1].diagnostics[0]

        out["hover"] = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=diag.range.start)), 30)
        out["actions"] = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]))), 30)

        got.clear()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=HAZARD)]))
        await asyncio.wait_for(got.wait(), 60)
        out["changed"] = published[-1]
        await asyncio.wait_for(client.shutdown_async(None), 30)
        client.exit(None)
        await asyncio.sleep(0.2)
    finally:
        # pygls's stop() waits for the server to exit; after a failed step it never got `exit`, so end it here
        # rather than hang the suite
        server = getattr(client, "_server", None)
        if server is not None and server.returncode is None:
            try:
                await asyncio.wait_for(server.wait(), 5)
            except asyncio.TimeoutError:
                server.kill()
        await client.stop()
    return out


def test_lsp_exchange(tmp_path: Path) -> None:
    out = asyncio.run(_session(tmp_path))
    caps = out["capabilities"]
    assert caps.hover_provider and caps.code_action_provider  # type: ignore[attr-defined]

    opened = out["opened"]
    assert isinstance(opened, types.PublishDiagnosticsParams) and opened.version == 1
    [diag] = opened.diagnostics
    assert diag.code == "TRT106" and diag.source == "trtlint"
    # the target names torch 2.9, whose torch.onnx.export defaults to the dynamo exporter: training mode is kept
    assert diag.severity == types.DiagnosticSeverity.Error
    assert diag.message.startswith("`model` (bound at line 9) is never switched to eval mode")
    # `model` in the export call: line 10, characters 28-32 (1-based); the emoji before it is one character
    # but two UTF-16 code units, the LSP default encoding, so the client gets 0-based 28..33
    assert (diag.range.start.line, diag.range.start.character) == (9, 28)
    assert (diag.range.end.line, diag.range.end.character) == (9, 33)
    assert diag.code_description is not None and diag.code_description.href.endswith("#trt106-export-without-eval")

    hover = out["hover"]
    assert isinstance(hover, types.Hover)
    assert hover.contents.value.startswith("# TRT106 (export-without-eval)")  # type: ignore[union-attr]
    assert "## Why it matters for TensorRT" in hover.contents.value  # type: ignore[union-attr]

    [action] = out["actions"]  # type: ignore[misc]
    assert action.kind == types.CodeActionKind.QuickFix and action.title.startswith("TRT106: ")
    [edit] = action.edit.changes[tmp_path.joinpath("export.py").as_uri()]
    assert edit.new_text == ".eval()"
    assert (edit.range.start.line, edit.range.start.character) == (9, 33) == (edit.range.end.line,
                                                                                edit.range.end.character)

    changed = out["changed"]
    assert changed.version == 2  # type: ignore[attr-defined]
    assert [(d.code, d.range.start.line + 1, d.range.start.character + 1) for d in changed.diagnostics] == [
        ("TRT102", 6, 20)]  # type: ignore[attr-defined]


def test_server_without_pygls_is_one_line(tmp_path: Path) -> None:
    """The core stays light: without pygls, `trtlint server` says what to install, in one line, exit 2."""
    shadow = tmp_path / "shadow"
    (shadow / "pygls").mkdir(parents=True)
    (shadow / "pygls" / "__init__.py").write_text("raise ImportError('no pygls', name='pygls')\n")
    env = {"PYTHONPATH": str(shadow), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "trtlint.cli", "server"], capture_output=True, text=True,
                       env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and 'pip install "trtlint[server]"' in r.stderr


def test_check_of_python_files_imports_no_extra(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(HAZARD)
    code = ("import sys; from trtlint.cli import main; rc = main(['check', '--isolated', %r]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'nbformat', 'fastjsonschema')))"
            % str(tmp_path / "m.py"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout + r.stderr
