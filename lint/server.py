"""``trtlint server``: the Language Server Protocol over stdio, for VS Code, Neovim and any other LSP client.

Built on pygls (the ``[server]`` extra; nothing here is imported by a ``trtlint check`` run). The server lints
Python documents on open, on change and on save, and publishes the findings as diagnostics; hovering a
diagnostic shows its rule's documentation; the safe fixes are offered as quick-fix code actions. The
configuration of each document is the ``[tool.trtlint]`` table that ``trtlint check`` would use for its path.
Positions are converted from characters to the encoding the client negotiated (UTF-16 by default).
Notebooks are linted by ``trtlint check``, not by the server (LSP notebook documents are not handled yet).
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Sequence

from . import __version__
from .finding import Finding, Severity

if TYPE_CHECKING:
    from .runner import Runner

SERVER_NAME = "trtlint"
DOCS_URL = "https://github.com/trtlint/trtlint/blob/main/docs/rules.md"


def _runner_for(path: str | None, cache: dict[str, "Runner"]) -> "Runner":
    """The runner ``trtlint check PATH`` would build: the nearest ``[tool.trtlint]`` config, else defaults."""
    from .config import find_pyproject, load_config
    from .runner import build_runner

    pyproject = find_pyproject([path]) if path else None
    key = str(pyproject)
    try:
        stamp = f"{key}@{pyproject.stat().st_mtime_ns}" if pyproject else key
    except OSError:
        stamp = key
    runner = cache.get(stamp)
    if runner is None:
        try:
            runner = build_runner(load_config(pyproject))
        except ValueError as exc:  # a bad config: lint with defaults and say why in the log
            print(f"trtlint: {exc}; using the default configuration", file=sys.stderr)
            from .config import Config

            runner = build_runner(Config())
        cache[stamp] = runner
    return runner


def lint_document(text: str, path: str | None, cache: dict[str, "Runner"]) -> list[Finding]:
    """Unsuppressed findings for an editor buffer, as ``trtlint check --stdin-filename PATH -`` gives them."""
    display = path or "untitled.py"
    result = _runner_for(path, cache).lint_bytes(text.encode("utf-8"), display)
    return result.reported


def build_server() -> Any:
    """The pygls server with its features registered (imports pygls: the ``[server]`` extra)."""
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    severities = {
        Severity.ERROR: types.DiagnosticSeverity.Error,
        Severity.WARNING: types.DiagnosticSeverity.Warning,
        Severity.NOTE: types.DiagnosticSeverity.Information,
    }
    server = LanguageServer(SERVER_NAME, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
    runners: dict[str, Runner] = {}
    findings_by_uri: dict[str, list[tuple[Finding, types.Range]]] = {}

    def to_range(doc: Any, line: int, col: int, end_line: int | None, end_col: int | None,
                 widen: bool = True) -> types.Range:
        """1-based character positions -> the client's 0-based units. ``widen``: never an empty range (an
        empty diagnostic is invisible in editors); edits keep theirs (an insertion is empty)."""
        start = types.Position(line=max(0, line - 1), character=max(0, col - 1))
        end_l = max(start.line, (end_line or line) - 1)
        end_c = max(0, (end_col or col) - 1) if end_line is not None or end_col is not None else start.character
        end = types.Position(line=end_l, character=end_c)
        if widen and end_l == start.line and end.character <= start.character:
            end = types.Position(line=start.line, character=start.character + 1)
        return doc.range_to_client_units(types.Range(start=start, end=end))

    def publish(uri: str) -> None:
        doc = server.workspace.get_text_document(uri)
        if doc.path is not None and doc.path.endswith(".ipynb"):
            return  # notebooks: `trtlint check` only (see the module docstring)
        found = lint_document(doc.source, doc.path, runners)
        located = [(f, to_range(doc, f.line, f.col, f.end_line, f.end_col)) for f in found]
        findings_by_uri[uri] = located
        diagnostics = [
            types.Diagnostic(
                range=rng,
                message=f.message + (f"\n{f.hint}" if f.hint else ""),
                severity=severities[f.severity],
                code=f.code,
                code_description=types.CodeDescription(href=f"{DOCS_URL}#{f.code.lower()}-{f.name}"),
                source=SERVER_NAME,
            )
            for f, rng in located
        ]
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=doc.version)
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: Any, params: types.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Any, params: types.DidChangeTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: Any, params: types.DidSaveTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: types.DidCloseTextDocumentParams) -> None:
        findings_by_uri.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    def contains(rng: types.Range, pos: types.Position) -> bool:
        after_start = (pos.line, pos.character) >= (rng.start.line, rng.start.character)
        before_end = (pos.line, pos.character) <= (rng.end.line, rng.end.character)
        return after_start and before_end

    def overlaps(a: types.Range, b: types.Range) -> bool:
        return not ((a.end.line, a.end.character) < (b.start.line, b.start.character)
                    or (b.end.line, b.end.character) < (a.start.line, a.start.character))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: Any, params: types.HoverParams) -> types.Hover | None:
        from .registry import all_rules

        rules = all_rules()
        codes = list(dict.fromkeys(
            f.code for f, rng in findings_by_uri.get(params.text_document.uri, []) if contains(rng, params.position)
        ))
        if not codes:
            return None
        docs = [rules[c].doc().markdown(c, rules[c].name) for c in codes if c in rules]
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n".join(docs)))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=False),
    )
    def code_action(ls: Any, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        doc = server.workspace.get_text_document(uri)
        actions = []
        for f, rng in findings_by_uri.get(uri, []):
            if f.fix is None or not f.fix.safe or not overlaps(rng, params.range):
                continue
            edits = [types.TextEdit(range=to_range(doc, e.line, e.col, e.end_line, e.end_col, widen=False),
                                    new_text=e.text) for e in f.fix.edits]
            actions.append(types.CodeAction(
                title=f"{f.code}: {f.fix.description}",
                kind=types.CodeActionKind.QuickFix,
                edit=types.WorkspaceEdit(changes={uri: edits}),
                is_preferred=True,
            ))
        return actions

    return server


def main(argv: Sequence[str] = ()) -> int:
    """Serve over stdio until the client says ``exit``. Without pygls: one line on stderr, exit 2."""
    try:
        server = build_server()
    except ImportError as exc:
        print(f"trtlint: error: 'trtlint server' needs the [server] extra ({exc.name or exc} is missing): "
              'pip install "trtlint[server]"', file=sys.stderr)
        return 2
    server.start_io()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
