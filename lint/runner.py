"""Discovery and per-file isolation: every input becomes findings; one bad file never stops the run."""
from __future__ import annotations

import gc
import os
import stat
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from . import suppress
from .gcpause import collector_paused, file_done
from .analysis import EXPORT_MARKERS
from .compat import Target
from .config import DEFAULT_FAIL_ON, Config
from .finding import Finding, Severity
from .registry import rule_class, rule_codes, rules_of
from .rule import OnnxRule, Rule, SourceRule
from .rules.tool.trt900_internal_error import InternalError
from .rules.tool.trt905_unreadable_path import UnreadablePath
from .rules.tool.trt907_layer_unavailable import LayerUnavailable
from .selectors import resolve

if TYPE_CHECKING:
    from .analysis.index import RunIndex
    from .source import SourceFile

SOURCE_SUFFIXES = (".py", ".pyi")
PARALLEL_MIN_FILES = 64  # below this, starting worker processes costs more than it saves
ONNX_SUFFIXES = (".onnx",)
NOTEBOOK_SUFFIXES = (".ipynb",)


_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def has_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in the ASCII ``text`` as a whole identifier (``trace`` in ``jit.trace(``, not in
    ``retrace``)."""
    end = len(word)
    i = text.find(word)
    while i != -1:
        if (i == 0 or text[i - 1] not in _IDENTIFIER_CHARS) and text[i + end:i + end + 1] not in _IDENTIFIER_CHARS:
            return True
        i = text.find(word, i + 1)
    return False


def may_name(text: str, names: Iterable[str]) -> bool:
    """Whether a file may refer to one of the dotted ``names`` (a rule's ``requires_names``, such as
    ``torch.onnx.export``): however a name is imported or aliased, each of its parts is written somewhere in the
    file as a whole word (``from torch.onnx import export as ex`` names all three), so a file where no name has all
    its parts cannot refer to any. Python folds non-ASCII identifiers (NFKC), so a file that is not ASCII may."""
    if not text.isascii():
        return True
    seen: dict[str, bool] = {}
    for name in names:
        for part in name.split("."):
            if part not in seen:
                seen[part] = has_word(text, part)
            if not seen[part]:
                break
        else:
            return True
    return False


def onnx_available() -> bool:
    """Whether the ONNX layer can run, asked without importing onnx (it costs ~0.2 s with numpy)."""
    import importlib.util

    try:
        return importlib.util.find_spec("onnx") is not None
    except (ImportError, ValueError):
        return False


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    debug_tracebacks: list[str] = field(default_factory=list)

    @property
    def reported(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]

    def exit_code(self, fail_on: str = DEFAULT_FAIL_ON) -> int:
        """2 when an input could not be checked; 1 when a finding of ``fail_on`` severity or worse remains."""
        if any(getattr(rule_class(f.code), "input_error", False) for f in self.reported):
            return 2
        worst = Severity(fail_on).rank
        return 1 if any(f.severity.rank <= worst for f in self.reported) else 0


@dataclass
class Input:
    path: str  # what to open
    display: str  # what to report (relative to the working directory where possible)
    kind: str  # "source" | "onnx" | "notebook"
    explicit: bool


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def kind_of(name: str) -> str:
    """What a file name is linted as: "source", "onnx", "notebook", or "" (not linted when a folder is walked)."""
    if name.endswith(SOURCE_SUFFIXES):
        return "source"
    if name.endswith(ONNX_SUFFIXES):
        return "onnx"
    return "notebook" if name.endswith(NOTEBOOK_SUFFIXES) else ""


def _not_regular(path: str, display: str) -> Finding | None:
    """TRT905 for a path that is not a regular file (named pipe, device, socket, directory, dangling link or
    link loop), decided by ``stat`` alone: nothing is opened."""
    from .loaders.source import file_kind

    try:
        st = os.stat(path)
    except OSError as exc:
        return UnreadablePath.at(display, f"cannot read {display}: {exc.strerror or exc}")
    kind = file_kind(st.st_mode)
    return UnreadablePath.at(display, f"{display} is {kind}, not a regular file; not read") if kind else None


class NotebooksWanted:
    """Whether a walk lints notebooks: the [notebook] extra is looked up (a find_spec per package) only when a
    walk first meets an .ipynb, so runs over Python files pay nothing for it."""

    def __init__(self, rules: bool) -> None:
        self.rules, self.answer = rules, None if rules else False

    def __bool__(self) -> bool:
        if self.answer is None:
            from .loaders.notebook import notebook_support

            self.answer = notebook_support()
        return bool(self.answer)


def discover(paths: Iterable[str], config: Config, want_onnx: bool,
             want_notebook: bool | NotebooksWanted = False) -> Iterator[Input | Finding]:
    """Files to lint, in a stable order. Walks folders without following links (no loops); a named pipe,
    device or socket among them is reported (TRT905) from its ``stat``, never opened."""
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        try:
            st = p.stat()
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            yield UnreadablePath.at(p.as_posix(), f"cannot read {raw}: {getattr(exc, 'strerror', None) or exc}")
            continue
        if stat.S_ISDIR(st.st_mode):
            errors: list[OSError] = []
            for root, dirs, files in os.walk(p, followlinks=False, onerror=errors.append):
                rootp = Path(root)
                dirs[:] = sorted(d for d in dirs if not config.is_excluded(rootp / d))
                for name in sorted(files):
                    fp = rootp / name
                    if config.is_excluded(fp):
                        continue
                    kind = kind_of(name)
                    if not kind or (kind == "onnx" and not want_onnx) or (kind == "notebook" and not want_notebook):
                        continue
                    key = os.path.normpath(fp)
                    if key in seen:
                        continue
                    seen.add(key)
                    bad = _not_regular(str(fp), display_path(fp))
                    if bad is not None:
                        yield bad
                    else:
                        yield Input(str(fp), display_path(fp), kind, explicit=False)
            for err in errors:  # folders os.walk could not list
                where = Path(err.filename) if err.filename else p
                yield UnreadablePath.at(display_path(where), f"cannot read folder {display_path(where)}: "
                                        f"{err.strerror or err}")
        else:
            key = os.path.normpath(p)
            if key in seen:
                continue
            seen.add(key)
            kind_name = _kind_name(st.st_mode)
            if kind_name:
                yield UnreadablePath.at(p.as_posix(), f"{raw} is {kind_name}, not a regular file; not read")
                continue
            kind = kind_of(raw) if kind_of(raw) in ("onnx", "notebook") else "source"
            yield Input(str(p), display_path(p), kind, explicit=True)


def _kind_name(mode: int) -> str:
    from .loaders.source import file_kind

    return file_kind(mode)


class Runner:
    """Runs the enabled rules over paths. The CLI and :func:`trtlint.check` both go through here."""

    def __init__(self, config: Config, target: Target, enabled: set[str], debug: bool = False) -> None:
        self.config = config
        self.target = target
        self.enabled = enabled
        self.debug = debug
        rules = rules_of(("tool", "source", "onnx"))  # graph and verify rules run in their own commands
        self.source_rules: list[SourceRule] = [
            cls() for code, cls in rules.items() if code in enabled and issubclass(cls, SourceRule)
        ]
        self.onnx_rules: list[OnnxRule] = [
            cls() for code, cls in rules.items() if code in enabled and issubclass(cls, OnnxRule)
        ]
        self._ignore_cache: dict[str, set[str]] = {}
        self.index: RunIndex | None = None
        self._single = False  # a run of one source file

    def run(self, paths: Iterable[str], jobs: int = 1) -> Result:
        """Lint ``paths``. With ``jobs`` > 1 and enough files, files are spread over worker processes;
        the result is the same, in the same order."""
        with collector_paused():
            return self._run(paths, jobs)

    def _run(self, paths: Iterable[str], jobs: int) -> Result:
        result = Result()
        want_onnx = bool(self.onnx_rules) and onnx_available()
        items: list[Input] = []
        for item in discover(paths, self.config, want_onnx, NotebooksWanted(bool(self.source_rules))):
            if isinstance(item, Finding):
                result.findings.append(item)
            else:
                items.append(item)
        result.files = len(items)
        self.index = self.build_index(items)
        if jobs > 1 and len(items) >= PARALLEL_MIN_FILES:
            for found, tracebacks in _parallel(self, items, jobs):
                result.findings.extend(found)
                result.debug_tracebacks.extend(tracebacks)
        else:
            for item in items:
                result.findings.extend(self.lint_isolated(item, result))
                file_done()
        result.findings.sort(key=lambda f: f.sort_key)
        return result

    def show_scope(self, paths: Iterable[str]) -> str:
        """The ``--show-scope`` report: per source file, what is exported and why; then the run's roots."""
        from .analysis.scope import describe, describe_run
        from .loaders.source import load_source

        items = [i for i in discover(paths, self.config, False) if isinstance(i, Input) and i.kind == "source"]
        self.index = self.build_index(items)
        single = None
        out: list[str] = []
        for item in items:
            loaded = load_source(item.path, item.display, self.target)
            if isinstance(loaded, Finding):
                out.append(f"{item.display}\n  not analysed: {loaded.message}")
                continue
            if self.index is None:
                from .analysis.index import file_index

                loaded.index = single = file_index(loaded, self.config.models)
            else:
                loaded.index = self.index
            try:
                out.append("\n".join(describe(loaded)))
            except Exception as exc:  # never a traceback for bad input
                out.append(f"{item.display}\n  not analysed: internal error {type(exc).__name__}: {exc}")
        out.extend(describe_run(self.index or single))
        return "\n".join(out) + "\n"

    def build_index(self, items: list[Input]) -> RunIndex | None:
        """The run-level index (classes, bases, export roots) over every source file of the run."""
        self._single = False
        if not self.source_rules and not self.config.models:
            return None
        if sum(1 for i in items if i.kind == "source") <= 1:
            self._single = True
            return None  # one file: its index is built from the parsed file in _lint_source
        from .analysis.index import build_index
        from .loaders.source import MAX_SOURCE_BYTES, decode, read_bytes

        def texts() -> Iterator[tuple[str, str]]:
            for item in items:
                if item.kind != "source":
                    continue
                data = read_bytes(item.path, item.display, MAX_SOURCE_BYTES)
                text = decode(data, item.display) if isinstance(data, bytes) else data
                if isinstance(text, str):
                    yield item.display, text[1:] if text.startswith("\ufeff") else text

        try:
            return build_index(texts(), self.config.models)
        except Exception:  # the index only sharpens the scope: without it every module counts as exported
            return None

    def lint_isolated(self, item: Input, result: Result) -> list[Finding]:
        try:
            return list(self.lint_one(item, result))
        except Exception as exc:  # per-file isolation: a bug in trtlint is reported, the run goes on
            result.debug_tracebacks.append(traceback.format_exc())
            return [InternalError.at(item.display, f"internal error while linting: {type(exc).__name__}: {exc}"
                                     " (please report it; rerun with --debug for the traceback)")]

    def lint_one(self, item: Input, result: Result) -> Iterator[Finding]:
        if item.kind == "onnx":
            yield from self._lint_onnx(item, result)
        elif item.kind == "notebook":
            yield from self._lint_notebook(item, result)
        else:
            yield from self._lint_source(item, result)

    def _run_rule(self, rule: Rule, artifact: object, display: str, result: Result) -> list[Finding]:
        try:
            return list(rule.check(artifact))  # type: ignore[attr-defined]
        except Exception as exc:
            result.debug_tracebacks.append(traceback.format_exc())
            return [InternalError.at(display, f"internal error in {rule.code} ({rule.name}): {type(exc).__name__}: "
                                     f"{exc} (please report it; rerun with --debug)")]

    def _lint_source(self, item: Input, result: Result) -> Iterator[Finding]:
        from .loaders.source import load_source

        pre = self.index.export_files.get(item.display) if self.index is not None else None
        if pre is not None and pre.target is None:  # parsed by the index already: no second parse
            pre.target = self.target
            loaded: SourceFile | Finding = pre
        else:
            loaded = load_source(item.path, item.display, self.target)
        if isinstance(loaded, Finding):
            yield from self._filter([loaded], item.display, [], "")
            return
        yield from self._check_source(loaded, item.display, result)

    def _check_source(self, loaded: "SourceFile", display: str, result: Result) -> Iterator[Finding]:
        text = loaded.text
        if self.index is None and self._single and (self.config.models or any(m in text for m in EXPORT_MARKERS)):
            from .analysis.index import file_index

            loaded.index = file_index(loaded, self.config.models)
        else:
            loaded.index = self.index
        found: list[Finding] = []
        for rule in self.source_rules:
            tokens = getattr(rule, "requires_text", ())
            if tokens and not any(t in text for t in tokens) and not (
                "forward" in tokens and loaded.index is not None and loaded.index.feeds_forward(display)
            ):
                continue
            names = getattr(rule, "requires_names", ())
            if names and not may_name(text, names):
                continue
            got = self._run_rule(rule, loaded, display, result)
            if getattr(rule, "needs_declared_export", False):
                got = [_as_note_unless_declared(f, loaded) for f in got]
            found.extend(got)
        yield from self._filter(found, display, loaded.lines, text)

    def _lint_notebook(self, item: Input, result: Result, data: bytes | None = None) -> Iterator[Finding]:
        """Code cells joined (magics skipped), linted as one file, findings mapped back to their cells."""
        from .loaders.notebook import load_notebook, notebook_support, parse_notebook

        if not notebook_support():
            yield LayerUnavailable.at(item.display, "notebook support (the [notebook] extra) is not installed; "
                                      "this notebook was NOT checked", hint='pip install "trtlint[notebook]"')
            return
        nb = (load_notebook(item.path, item.display, self.target) if data is None
              else parse_notebook(data, item.display, self.target))
        if isinstance(nb, Finding):
            yield from self._filter([nb], item.display, [], "")
            return
        if nb.source is None:
            return
        for f in self._check_source(nb.source, item.display, result):  # noqa and selection on the joined text
            yield nb.to_cells(f)

    def lint_bytes(self, data: bytes, display: str) -> Result:
        """Lint one in-memory input (standard input, an editor buffer) as if it were the file ``display``:
        per-file ignores and the kind (Python source or notebook) follow that name."""
        with collector_paused():
            return self._lint_bytes(data, display)

    def _lint_bytes(self, data: bytes, display: str) -> Result:
        from .loaders.source import parse_source

        result = Result(files=1)
        self.index, self._single = None, True  # one buffer: its export scope comes from its own text, as for one file
        item = Input(display, display, "notebook" if kind_of(display) == "notebook" else "source", explicit=True)
        try:
            if item.kind == "notebook":
                found = list(self._lint_notebook(item, result, data))
            else:
                loaded = parse_source(data, display, self.target)
                found = list(self._filter([loaded], display, [], "") if isinstance(loaded, Finding)
                             else self._check_source(loaded, display, result))
        except Exception as exc:  # the same isolation as for files
            result.debug_tracebacks.append(traceback.format_exc())
            found = [InternalError.at(display, f"internal error while linting: {type(exc).__name__}: {exc}"
                                      " (please report it; rerun with --debug for the traceback)")]
        result.findings = sorted(found, key=lambda f: f.sort_key)
        return result

    def _lint_onnx(self, item: Input, result: Result) -> Iterator[Finding]:
        if not onnx_available():
            yield LayerUnavailable.at(item.display, "the ONNX layer is not installed; this model was NOT checked",
                                      hint='pip install "trtlint[onnx]"')
            return
        from .loaders.onnx import load_onnx

        loaded = load_onnx(item.path, item.display, self.target)
        if isinstance(loaded, Finding):
            yield from self._filter([loaded], item.display, [], "")
            return
        found: list[Finding] = list(loaded.load_findings)
        for rule in self.onnx_rules:
            found.extend(self._run_rule(rule, loaded, item.display, result))
        yield from self._filter(found, item.display, [], "")

    def lint_onnx_model(self, model: object, display: str) -> list[Finding]:
        """Lint an in-memory ``onnx.ModelProto`` (no file: external data is not checked)."""
        from .loaders.onnx import OnnxModel

        loaded = OnnxModel(path=display, display=display, model=model, target=self.target)
        result = Result()
        found = [f for rule in self.onnx_rules for f in self._run_rule(rule, loaded, display, result)]
        return list(self._filter(found, display, [], ""))

    def _filter(self, found: list[Finding], display: str, lines: list[str], text: str) -> Iterator[Finding]:
        """Selection, per-file ignores and noqa. Suppressed findings are kept, marked (SARIF reports them)."""
        if display not in self._ignore_cache:
            ignored = self.config.ignored_for(display)
            self._ignore_cache[display] = {c for c in self.enabled if any(c.startswith(s.upper()) for s in ignored)}
        per_file = self._ignore_cache[display]
        file_directives = suppress.file_suppressions(text) if text else []
        comments = suppress.comments_by_line(text) if found and "noqa" in text else None
        seen: set[tuple[str, int, int, str]] = set()
        for f in found:
            if f.code not in self.enabled or f.code in per_file:
                continue
            key = (f.code, f.line, f.col, f.message)
            if key in seen:
                continue
            seen.add(key)
            line = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
            if line and not f.source_line:
                f = f.with_(source_line=line)
            if file_directives and suppress.file_suppresses(file_directives, f.code):
                f = f.with_(suppressed="file-noqa")
            elif line and suppress.line_suppresses(comments.get(f.line, "") if comments is not None else line, f.code):
                f = f.with_(suppressed="noqa")
            yield f


def _as_note_unless_declared(f: Finding, src: "SourceFile") -> Finding:
    """A model-code finding keeps its error or warning only where ``[tool.trtlint] models`` reaches it."""
    from .analysis.declared import declared_export

    if f.severity is Severity.NOTE or declared_export(src.index, f.path, f.line):
        return f
    why = f"a note until `[tool.trtlint] models` names the exported model that reaches this code (then " \
          f"it is a{'n' if f.severity is Severity.ERROR else ''} {f.severity.value})"
    return f.with_(severity=Severity.NOTE, hint=f"{f.hint}; {why}" if f.hint else why)


def enabled_codes(select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str]) -> set[str]:
    return resolve(rule_codes(), select, ignore, extend_select)


def build_runner(
    config: Config,
    target: str | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    extend_select: Iterable[str] = (),
    *,
    flag_prefix: str = "",
    debug: bool = False,
) -> Runner:
    """Merge options over the configuration (options win), validate every selector and the target, and build
    the runner. Raises ``ValueError`` subclasses naming the bad value and where it came from."""
    from .selectors import check_selectors

    known = rule_codes()
    where = f" in {config.path}" if config.path else ""

    def label(name: str, given: object) -> str:
        return f"{flag_prefix}{name}" if given is not None else f"{name}{where}"

    sel = check_selectors(select if select is not None else config.select, known, label("select", select))
    ign = check_selectors(ignore if ignore is not None else config.ignore, known, label("ignore", ignore))
    ext = check_selectors([*config.extend_select, *extend_select], known, "extend-select")
    for pattern, codes in config.per_file_ignores.items():
        check_selectors(codes, known, f"per-file-ignores[{pattern!r}]{where}")
    try:
        tgt = Target.parse(target if target is not None else config.target).validate()
    except ValueError as exc:
        raise type(exc)(f"{label('target', target)}: {exc}") from exc
    return Runner(config, tgt, enabled_codes(sel, ign, ext), debug=debug)


_WORKER: Runner | None = None


def _init_worker(runner: Runner) -> None:
    global _WORKER
    _WORKER = runner
    gc.disable()  # a worker only lints; forked workers inherit the paused collector, spawned ones need this


def _lint_chunk(chunk: list[Input]) -> tuple[list[Finding], list[str]]:
    assert _WORKER is not None
    result = Result()
    found: list[Finding] = []
    for item in chunk:
        found.extend(_WORKER.lint_isolated(item, result))
        file_done()
    return found, result.debug_tracebacks


def _parallel(runner: Runner, items: list[Input], jobs: int) -> Iterator[tuple[list[Finding], list[str]]]:
    """Spread files over ``jobs`` processes in chunks (big files first, so the tail is short)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    def size(item: Input) -> int:
        try:
            return os.path.getsize(item.path)
        except OSError:
            return 0

    ordered = sorted(items, key=size, reverse=True)
    chunks = [ordered[i::jobs * 4] for i in range(jobs * 4)]
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(runner,)) as pool:
        yield from pool.map(_lint_chunk, [c for c in chunks if c])
