"""The run-level index: classes, their bases and export roots across every source file of one run.

Built once per run, before any file is linted, from the files' text: class heads and the names called inside
each top-level class or function come from a regular-expression scan (no parse: it must stay cheap next to
linting), and only files that call an exporter (``torch.onnx.export``, ``torch.jit.trace``/``script``,
``torch.export.export``, ``torch_tensorrt.compile``) are parsed, to find what they export. It answers:

* ``module_status(name)``: is a class of that name, defined somewhere in the run, an ``nn.Module``?
* ``roots``: the export roots (what exporters are called on, and the ``models`` of the configuration);
* ``reach``: the names of classes and functions reachable from those roots (``None`` while any root is
  unresolved: then every module class counts as exported).
"""
from __future__ import annotations

import ast
import functools
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from ..source import SourceFile

from . import EXPORT_MARKERS as _EXPORT_MARKERS
from . import EXPORTERS
from .bases import _RUNTIME_RE, ModuleStatus, status_of_qualname

_LOSS_CLASS = re.compile(r"Loss|(^|_)loss(es)?(_|$)|Criterion$|Matcher$|Assigner$")  # as analysis.scope.LOSS_CLASS

_BLOCK_RE = re.compile(r"^(?:async[ \t]+)?(class|def)[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?", re.MULTILINE)
_FORWARD_RE = re.compile(r"^[ \t]+def[ \t]+forward[ \t]*\(", re.MULTILINE)
_METHOD_RE = re.compile(r"^[ \t]*(?:@|(?:async[ \t]+)?def[ \t])", re.MULTILINE)
_BARE_CALL_RE = re.compile(r"(?<![.\w])([A-Za-z_]\w*)[ \t]*\(")  # f(...), not obj.f(...)
_FROM_IMPORT_RE = re.compile(r"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)", re.MULTILINE)
_LOSS_NAME = re.compile(r"Loss|(^|_)loss(es)?(_|$)|Criterion$|Matcher$|Assigner$")
_CALL_RE = re.compile(r"\b([A-Za-z_]\w*)[ \t]*\(")
# methods that return the model itself (``Net().eval().to(dev)``)
# calls that build a model from data the run cannot see (checkpoints, registries, configs, strings): a root
# whose reach makes one is not closed, so its reach is unknown
OPAQUE_CALLS = frozenset({"load", "build", "build_from_cfg", "from_pretrained", "from_config", "instantiate",
                          "create_model", "import_module", "getattr", "eval", "exec", "load_checkpoint",
                          "init_model", "init_detector", "get_model"})
EXPORTER_OPAQUE_CALLS = OPAQUE_CALLS - {"eval", "exec", "getattr"}
_CHAIN = frozenset({"eval", "train", "to", "cuda", "cpu", "half", "float", "double", "bfloat16", "requires_grad_",
                    "fuse", "module"})


class Block:
    """A top-level class or function found by the scan. What its body calls is read on first use (only runs
    with export roots need it)."""

    __slots__ = ("name", "kind", "path", "line", "bases", "_text", "_start", "_end", "_calls", "_forward_calls",
                 "_runtime", "_head", "_training")

    def __init__(self, name: str, kind: str, path: str, line: int, bases: tuple[str, ...] = (), text: str = "",
                 start: int = 0, end: int = 0, head: int | None = None) -> None:
        self.name, self.kind, self.path, self.line, self.bases = name, kind, path, line, bases
        self._text, self._start, self._end = text, start, end
        self._head = start if head is None else head  # where the ``class``/``def`` line starts
        self._training: str | None = None
        self._calls: frozenset[str] | None = None
        self._forward_calls: frozenset[str] | None = None
        self._runtime: bool | None = None

    def __repr__(self) -> str:
        return f"Block({self.name!r}, {self.kind!r}, {self.path!r}, {self.line})"

    @property
    def last_line(self) -> int:
        """The line the block's text ends on."""
        return self.line + self._text.count("\n", self._start, self._end)

    @property
    def calls(self) -> frozenset[str]:
        """Every name called in the block (``f(...)`` and ``obj.f(...)``)."""
        if self._calls is None:
            self._calls = frozenset(_CALL_RE.findall(self._text, self._start, self._end))
        return self._calls

    @property
    def forward_calls(self) -> frozenset[str]:
        """Names the file imports that the class's ``def forward`` calls bare (``decode(out)``)."""
        if self._forward_calls is None:
            out: frozenset[str] = frozenset()
            fm = _FORWARD_RE.search(self._text, self._start, self._end) if self.kind == "class" else None
            if fm is not None:
                nxt = _METHOD_RE.search(self._text, fm.end(), self._end)
                called = _BARE_CALL_RE.findall(self._text, fm.end(), nxt.start() if nxt else self._end)
                imported = _from_imports(self._text)
                out = frozenset(c for c in called if c in imported)
            self._forward_calls = out
        return self._forward_calls

    @property
    def runtime(self) -> bool:
        """The class names an inference runtime (a wrapper that runs a model, not a model)."""
        if self._runtime is None:
            self._runtime = _RUNTIME_RE.search(self._text, self._start, self._end) is not None
        return self._runtime


@dataclass
class Root:
    """An export root: what an exporter is called on, or a ``models`` entry of the configuration."""

    name: str  # class or function name ("" when unresolved)
    path: str
    line: int
    via: str  # "torch.onnx.export", "config models", ...
    expr: str  # the argument as written
    method: str = ""  # an entry method other than forward (``model.predict`` / ``pkg.mod:Class.method``)
    end_line: int = 0  # the last line of the export call

    @property
    def resolved(self) -> bool:
        return bool(self.name)


@dataclass
class RunIndex:
    blocks: dict[str, list[Block]] = field(default_factory=dict)
    roots: list[Root] = field(default_factory=list)
    _status: dict[str, ModuleStatus] = field(default_factory=dict)
    _reach: set[str] | None = None
    opaque: str = ""  # why the reach of the roots is unknown
    _callers: dict[str, list[Block]] | None = None
    _feeding: set[str] | None = None
    _declared: frozenset[str] | None = None  # analysis.declared.declared_reach
    _by_path: dict[str, list[Block]] | None = None  # blocks_at
    #: the parsed files of the run that call an exporter, by display path (for rules that match an export in
    #: one file with a build script in another); the file being linted gets its own SourceFile, not this one
    export_files: dict[str, "SourceFile"] = field(default_factory=dict)
    _reach_done: bool = False
    _method_calls: dict[str, bool] | None = None

    # ------------------------------------------------------------ classes
    def module_status(self, name: str, _seen: frozenset[str] = frozenset()) -> ModuleStatus:
        """Whether a class of this name in the run is an ``nn.Module`` (by its bases, followed through the run)."""
        if name in self._status:
            return self._status[name]
        classes = [b for b in self.blocks.get(name, ()) if b.kind == "class"]
        if not classes or name in _seen:
            return ModuleStatus.UNKNOWN
        result = ModuleStatus.NOT_MODULE
        for c in classes:
            for base in c.bases:
                st = status_of_qualname(base)
                if st is ModuleStatus.UNKNOWN:
                    last = base.rsplit(".", 1)[-1]
                    st = self.module_status(last, _seen | {name}) if last != name else ModuleStatus.UNKNOWN
                if st is ModuleStatus.MODULE:
                    self._status[name] = ModuleStatus.MODULE
                    return ModuleStatus.MODULE
                if st is ModuleStatus.UNKNOWN:
                    result = ModuleStatus.UNKNOWN
        self._status[name] = result
        return result

    def built_by_model(self, name: str) -> str:
        """The name of another class of the run, an ``nn.Module`` not named like a loss, whose body calls
        ``name(...)`` (it builds it as a submodule: ``self.decoder = AttDecoder(...)``), or ""."""
        for blocks in self.blocks.values():
            for b in blocks:
                if b.kind != "class" or b.name == name or _LOSS_NAME.search(b.name) or name not in b.calls:
                    continue
                if self.module_status(b.name) is not ModuleStatus.NOT_MODULE:
                    return b.name
        return ""

    # ------------------------------------------------------------ roots and reach
    @property
    def roots_known(self) -> bool:
        """True when the run has export roots and every one resolves to a class or function of the run."""
        return bool(self.roots) and all(r.resolved and r.name in self.blocks for r in self.roots)

    def blocks_at(self, path: str, line: int) -> list[Block]:
        """The top-level classes and functions of ``path`` whose text holds ``line``, in run order."""
        if self._by_path is None:
            self._by_path = {}
            for blocks in self.blocks.values():
                for b in blocks:
                    self._by_path.setdefault(b.path, []).append(b)
        return [b for b in self._by_path.get(path, ()) if b.line <= line <= b.last_line]

    def _enclosing(self, root: Root) -> list[Block]:
        """The top-level function of the run whose body holds the export call of ``root`` (none for a
        ``models`` entry or a call at module level)."""
        if not root.line:
            return []
        return [b for b in self.blocks_at(root.path, root.line) if b.kind == "def" and b._text]

    def reached_from(self, names: list[str], stop: Callable[[Block], bool] | None = None) -> set[str] | None:
        """Names of the run's classes and functions reachable from ``names`` by the names their bodies call and
        their bases; ``None`` as soon as ``stop`` says a reached block makes the rest unknowable."""
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.blocks:
                continue
            seen.add(name)
            for b in self.blocks[name]:
                if stop is not None and stop(b):
                    return None
                todo.extend(b.calls)
                todo.extend(base.rsplit(".", 1)[-1] for base in b.bases)
        return seen

    @property
    def reach(self) -> set[str] | None:
        """Names of classes and functions reachable from the roots (by the names their bodies call and their
        bases); ``None`` when the roots are not all known."""
        if self._reach_done:
            return self._reach
        self._reach_done = True
        if not self.roots_known:
            return None
        todo = [r.name for r in self.roots]
        # the function that makes the export call builds what the root wraps (``GCNNet(MODELS.build(cfg))``):
        # what it calls is in the reach too, and a model it builds from a registry or checkpoint makes it unknown
        exporters = {id(b) for r in self.roots for b in self._enclosing(r)}
        todo.extend(b.name for r in self.roots for b in self._enclosing(r))

        def opaque(b: Block) -> bool:
            # an exporting function calls ``model.eval()``: the builtin eval/exec/getattr are not told apart
            # from methods by name there, so only the loaders and builders count
            calls = EXPORTER_OPAQUE_CALLS if id(b) in exporters else OPAQUE_CALLS
            if not b.calls.isdisjoint(calls) or any(c.startswith("build_") and c not in self.blocks for c in b.calls):
                self.opaque = f"{b.name} ({b.path}:{b.line}) builds a model from data the run cannot see"
                return True
            return False

        self._reach = self.reached_from(todo, opaque)
        return self._reach

    def forward_callers(self, function: str, path: str) -> list[Block]:
        """Model classes of other files of the run, in the reach of the export roots, whose ``forward`` calls
        ``function`` by a name it imports. Only where the roots are known: without them a helper called from
        some module's ``forward`` (often an eager inference wrapper around the model) is not linted."""
        if self.reach is None:
            return []
        return [b for b in self._model_callers(function, path) if not self.training_forward(b)]

    def training_callers(self, function: str, path: str) -> list[Block]:
        """The model classes of other files (as :meth:`forward_callers`) whose ``forward`` calls ``function`` but
        is a training step (:meth:`training_forward`): a helper that only they call is training-only."""
        if self.reach is None:
            return []
        return [b for b in self._model_callers(function, path) if self.training_forward(b)]

    def _model_callers(self, function: str, path: str) -> list[Block]:
        reach = self.reach
        if self._callers is None:
            self._callers = {}
            for blocks in self.blocks.values():
                for b in blocks:
                    for c in b.forward_calls:
                        self._callers.setdefault(c, []).append(b)
        return [b for b in self._callers.get(function, ()) if b.path != path and not b.runtime
                and not _LOSS_CLASS.search(b.name)
                and self.module_status(b.name) is not ModuleStatus.NOT_MODULE
                and reach is not None and b.name in reach]

    def training_forward(self, block: Block) -> str:
        """Why the ``forward`` of a class of the run is its training step ("" when it is not, or when the class
        cannot be read): it returns only losses, or inference goes through a separate method that does not call
        it (``analysis.scope.separate_inference_method``), and no export root exports the class itself. A helper
        of another file that only such a forward calls is training-only too."""
        if block._training is None:
            from .scope import returned_losses, separate_inference_method

            why = ""
            if block.kind == "class" and not any(not r.method for r in self.root_for(block.name)):
                cls = _parse_block(block)
                fwd = next((n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                            and n.name == "forward"), None) if cls is not None else None
                if cls is not None and fwd is not None:
                    losses = returned_losses(fwd)
                    roots = self.entry_methods(block.name)  # a root that traces ``model.inference`` calls it
                    other = "" if losses else separate_inference_method(
                        cls, lambda n: n in roots or self.method_called(n))
                    why = (f"forward returns only losses (`{losses}`)" if losses
                           else f"inference goes through {other}" if other else "")
            block._training = why
        return block._training

    def feeds_forward(self, path: str) -> bool:
        """Whether a module-level function of this file is called from another file's model ``forward``."""
        if self.reach is None:
            return False
        if self._feeding is None:
            self._feeding = set()
            for blocks in self.blocks.values():
                for b in blocks:
                    if b.kind == "def" and self.forward_callers(b.name, b.path):
                        self._feeding.add(b.path)
        return path in self._feeding

    def method_called(self, name: str) -> bool:
        """Some file of the run calls a method of this name on an object (``model.inference(...)``,
        ``self.gpt.generate(...)``): a bare definition or a call of a same-named function does not count."""
        if self._method_calls is None:
            self._method_calls = {}
        got = self._method_calls.get(name)
        if got is None:
            pattern = re.compile(rf"\.{re.escape(name)}[ \t]*\(")
            texts = {id(b._text): b._text for blocks in self.blocks.values() for b in blocks}
            got = self._method_calls[name] = any(pattern.search(t) for t in texts.values())
        return got

    def root_for(self, name: str) -> list[Root]:
        return [r for r in self.roots if r.name == name]

    def entry_methods(self, class_name: str) -> set[str]:
        return {r.method for r in self.roots if r.name == class_name and r.method}


def _parse_block(block: Block) -> ast.ClassDef | None:
    """The class of a block, parsed from its own text (None when that text does not parse alone)."""
    lines = block._text[block._head:block._end].rstrip().split("\n")
    while lines and (lines[-1].startswith("@") or not lines[-1].strip()):
        lines.pop()  # a decorator of the next block
    tree = _parse("\n".join(lines))
    node = tree.body[0] if tree is not None and tree.body else None
    return node if isinstance(node, ast.ClassDef) else None


def _split_bases(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part or "=" in part or part.startswith("*"):
            continue  # metaclass=..., **kwargs
        part = part.split("[", 1)[0].strip()
        if re.fullmatch(r"[A-Za-z_][\w.]*", part):
            out.append(part)
    return tuple(out)


# a line at column 0 that is a statement (not a comment, decorator, closing bracket or blank line)
_TOP_LEVEL_RE = re.compile(r"^(?![ \t#@)\]}\r\n])", re.MULTILINE)


def _block_end(text: str, start: int, head_end: int, limit: int) -> int:
    """Where the block that starts at ``start`` ends: at the first top-level statement after its header (module
    code such as ``model = Net().eval()`` after the last class is not the class's body), else at ``limit``. A
    candidate inside a triple-quoted string (an odd number of quotes before it) is skipped."""
    for m in _TOP_LEVEL_RE.finditer(text, head_end, limit):
        if m.start() <= head_end:
            continue
        between = text[start:m.start()]
        if between.count('"""') % 2 == 0 and between.count("'''") % 2 == 0:
            return m.start()
    return limit


def scan_text(path: str, text: str, index: RunIndex, parsed: "SourceFile | None" = None) -> None:
    """Add the top-level classes and functions of one file to the index (regular-expression scan); ``parsed``
    is the file already parsed, when the caller has it."""
    matches = list(_BLOCK_RE.finditer(text))
    line, last = 1, 0
    for i, m in enumerate(matches):
        end = _block_end(text, m.start(), m.end(), matches[i + 1].start() if i + 1 < len(matches) else len(text))
        line += text.count("\n", last, m.start())
        last = m.start()
        kind, name = m.group(1), m.group(2)
        bases = _split_bases(m.group(3)) if kind == "class" else ()
        index.blocks.setdefault(name, []).append(Block(name, kind, path, line, bases, text, m.end(), end, m.start()))
    if any(marker in text for marker in _EXPORT_MARKERS):
        if parsed is None:
            tree = _parse(text)
            if tree is None:
                return
            from ..source import SourceFile

            parsed = SourceFile(path, text, tree)
        index.export_files[path] = parsed
        index.roots.extend(find_roots(path, text, parsed.tree))


@functools.lru_cache(maxsize=32)
def _from_imports(text: str) -> frozenset[str]:
    """Names bound by ``from x import a, b as c`` anywhere in the file."""
    out: set[str] = set()
    for m in _FROM_IMPORT_RE.finditer(text):
        for part in m.group(1).strip("()").split(","):
            part = part.split("#")[0].strip()
            if part:
                out.add(part.split(" as ")[-1].strip())
    return frozenset(out)


def find_roots(path: str, text: str, tree: ast.Module | None = None) -> list[Root]:
    """What the exporter calls of one file are called on: the class or factory that built the model."""
    if tree is None:
        tree = _parse(text)
        if tree is None:
            return []
    imports = _imports(tree)
    roots: list[Root] = []
    # functions of the file: ``torch.jit.script(dice_loss)`` compiles a helper (a loss, a kernel), it does not
    # export a model, and must not narrow the reach to that helper
    functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    scopes: list[list[ast.stmt]] = [tree.body] + [n.body for n in ast.walk(tree)
                                                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for body in scopes:
        assigns: dict[str, list[tuple[int, ast.expr]]] = {}
        calls: list[ast.Call] = []
        stack: list[ast.AST] = list(body)
        while stack:
            n = stack.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        assigns.setdefault(t.id, []).append((n.lineno, n.value))
            if isinstance(n, ast.Call):
                calls.append(n)
            stack.extend(ast.iter_child_nodes(n))
        for call in calls:
            via = next((EXPORTERS[q] for q in _qualnames(call.func, imports) if q in EXPORTERS), None)
            if via is None:
                continue
            arg = call.args[0] if call.args else next((k.value for k in call.keywords
                                                        if k.arg in ("model", "mod", "obj", "module", "f")), None)
            if arg is None:
                continue
            if via == "torch.jit.script" and isinstance(arg, ast.Name) and arg.id in functions \
                    and arg.id not in assigns:
                continue
            name, method = _resolve_model(arg, call.lineno, assigns, 0)
            roots.append(Root(name, path, call.lineno, via, ast.unparse(arg)[:80], method,
                              getattr(call, "end_lineno", None) or call.lineno))
    return roots


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _resolve_model(node: ast.expr, line: int, assigns: dict[str, list[tuple[int, ast.expr]]],
                   depth: int) -> tuple[str, str]:
    """(class or factory name, entry method) that built the model expression; ("", "") if unknown."""
    if depth > 8:
        return "", ""
    if isinstance(node, ast.Call):
        fn = node.func
        if isinstance(fn, ast.Attribute) and fn.attr in _CHAIN:
            return _resolve_model(fn.value, line, assigns, depth + 1)
        if isinstance(fn, ast.Name):
            return fn.id, ""
        if isinstance(fn, ast.Attribute):
            return fn.attr, ""
        return "", ""
    if isinstance(node, ast.Name):
        earlier = [v for ln, v in assigns.get(node.id, ()) if ln <= line]
        if earlier:
            return _resolve_model(earlier[-1], line, assigns, depth + 1)
        if node.id in assigns:  # bound only later, or in a loop: not resolved
            return "", ""
        # a class or function itself (``torch.jit.script(fn)``); a parameter's name names no block of the
        # run, so such a root stays unresolved (``roots_known``)
        return node.id, ""
    if isinstance(node, ast.Attribute):
        # ``model.backbone`` (a submodule) or ``model.predict`` (an entry method): the model's root
        name, _ = _resolve_model(node.value, line, assigns, depth + 1)
        if name and node.attr not in _CHAIN:
            return name, node.attr if node.attr[:1].islower() else ""
        return name, ""
    return "", ""


def _imports(tree: ast.Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(n, ast.ImportFrom) and n.module:
            for a in n.names:
                out[a.asname or a.name] = f"{n.module}.{a.name}"
    return out


def _qualnames(node: ast.AST, imports: dict[str, str]) -> set[str]:
    if isinstance(node, ast.Name):
        return {imports.get(node.id, node.id)}
    if isinstance(node, ast.Attribute):
        return {f"{q}.{node.attr}" for q in _qualnames(node.value, imports)}
    return set()


def config_roots(entries: Iterable[str]) -> list[Root]:
    """``models = ["pkg.module:Class", "pkg.module:factory", "pkg.module:Class.method"]``."""
    out = []
    for entry in entries:
        module, _, obj = entry.partition(":")
        name, _, method = obj.partition(".")
        out.append(Root(name, module.replace(".", "/") + ".py", 0, "config models", entry, method))
    return out


def file_index(src: "SourceFile", models: Iterable[str] = ()) -> RunIndex:
    """The index of a run of one file, from the file already parsed (the pre-commit case: no second parse)."""
    index = RunIndex()
    scan_text(src.path, src.text, index, src)
    index.roots.extend(config_roots(models))
    return index


def build_index(files: Iterable[tuple[str, str]], models: Iterable[str] = ()) -> RunIndex:
    """Scan ``(display path, text)`` pairs into one index; ``models`` are the configuration's roots."""
    index = RunIndex()
    for path, text in files:
        scan_text(path, text, index)
    index.roots.extend(config_roots(models))
    return index
