"""Export roots that are submodules of a model (docs/export-scope.md, section 3).

An export script that exports ``model.encoder``, ``model.predictor`` and ``model.decoder`` one by one records
each submodule's ``forward``; the parent's ``forward`` (which chains them, often with a data-dependent loop or
branch between them) is never exported. :func:`exported_through_attributes` tells when the run exports a class
only that way:

* a root of the run is an attribute of a model (``torch.onnx.export(model.encoder, ...)``), where ``model`` is
  built as the class (``model = Paraformer(...)``) or by a factory function of the run whose ``return`` gives an
  instance of it (``m = Paraformer(...)`` ... ``return m``), or is ``self.encoder`` in a method of the class;
  and the class's own body assigns that attribute (``self.encoder = ...``) and defines no method of that name
  (``model.predict`` is an entry method, not a submodule);
* no root of the run exports the class itself (or through a factory that builds it);
* every other root that does not resolve lies in a file that names neither the class nor the factories that
  build it: an unresolved root there cannot be told from an export of the whole model.

Classes and factories are told apart by file (the root file's own, else the module it imports the name from),
so that export scripts copied per target folder, each with its ``load_model``, decide their own model.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import Block, Root, RunIndex

_ATTR_EXPR = re.compile(r"^[A-Za-z_][\w.]*\.([A-Za-z_]\w*)$")


def _class_block(index: RunIndex, name: str) -> list[Block]:
    return [b for b in index.blocks.get(name, ()) if b.kind == "class"]


def _built_class(index: RunIndex, name: str, path: str, text: str) -> tuple[str, set[str]]:
    """The class a root's name stands for: the class itself, or the one class a factory function returns an
    instance of (``return Net(...)``, or ``m = Net(...)`` ... ``return m``); "" otherwise. The factory is the
    function of that name in the root's file, else the one of the module it is imported from (``from
    export_encoder_onnx import load_model``: export scripts copied per target define it once per folder)."""
    if _class_block(index, name):
        return name, _class_paths(index, name, path, text)
    funcs = [b for b in index.blocks.get(name, ()) if b.kind == "def"]
    here = [b for b in funcs if b.path == path]
    if not here:
        m = re.search(rf"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[^\n]*\b{re.escape(name)}\b", text, re.MULTILINE)
        if m is None:
            return "", set()
        module = m.group(1).lstrip(".").replace(".", "/")
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        here = [b for b in funcs if b.path.endswith((f"{module}.py", f"{module}/__init__.py"))]
        near = [b for b in here if (b.path.rsplit("/", 1)[0] if "/" in b.path else "") == folder]
        here = near or here
    got = {_returned_class(index, b) for b in here}
    if len(got) != 1 or "" in got:
        return "", set()
    cls = got.pop()
    paths: set[str] = set()
    for b in here:
        paths |= _class_paths(index, cls, b.path, b._text)
    return cls, paths


def _returned_class(index: RunIndex, b: Block) -> str:
    body = b._text[b._start:b._end]
    found: set[str] = set()
    for m in re.finditer(r"^[ \t]+return[ \t]+([A-Za-z_]\w*)[ \t]*(\(?)", body, re.MULTILINE):
        ret, call = m.group(1), m.group(2)
        if call:
            found.add(ret)
            continue
        built = re.findall(rf"^[ \t]+{re.escape(ret)}[ \t]*=[ \t]*([A-Za-z_]\w*)[ \t]*\(", body, re.MULTILINE)
        if len(set(built)) != 1:
            return ""
        found.add(built[0])
    classes = {c for c in found if _class_block(index, c)}
    return next(iter(classes)) if len(classes) == 1 and classes == found else ""


def _is_submodule(index: RunIndex, cls: str, attr: str, paths: set[str]) -> bool:
    """Every class of that name in those files assigns ``self.<attr> = ...`` and defines no method ``<attr>``."""
    blocks = [b for b in _class_block(index, cls) if b.path in paths]
    if not blocks:
        return False
    for b in blocks:
        body = b._text[b._start:b._end]
        if not re.search(rf"self\.{re.escape(attr)}[ \t]*(?::[^=\n]+)?=(?!=)", body) \
                or re.search(rf"^[ \t]+(?:async[ \t]+)?def[ \t]+{re.escape(attr)}\b", body, re.MULTILINE):
            return False
    return True


def _class_paths(index: RunIndex, name: str, path: str, text: str) -> set[str]:
    """The files whose class ``name`` a file means: its own, else the one of the module it imports the name from
    (the same folder preferred), else every class of that name in the run."""
    paths = {b.path for b in _class_block(index, name)}
    if path in paths:
        return {path}
    m = re.search(rf"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[^\n]*\b{re.escape(name)}\b", text, re.MULTILINE)
    if m is not None:
        module = m.group(1).lstrip(".").replace(".", "/")
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        hit = {p for p in paths if p.endswith((f"{module}.py", f"{module}/__init__.py"))}
        near = {p for p in hit if (p.rsplit("/", 1)[0] if "/" in p else "") == folder}
        if near or hit:
            return near or hit
    return paths


def _enclosing_class(index: RunIndex, root: Root) -> Block | None:
    """The top-level class of the run whose body holds the export call of ``root``."""
    for blocks in index.blocks.values():
        for b in blocks:
            if b.kind == "class" and b.path == root.path and b._text:
                last = b.line + b._text.count("\n", b._start, b._end)
                if b.line <= root.line <= last:
                    return b
    return None


class _AttributeRoots:
    def __init__(self, index: RunIndex) -> None:
        self.by_class: dict[tuple[str, str], list[Root]] = {}
        self.whole: set[tuple[str, str]] = set()  # classes (name, file) some root exports itself
        self.factories: dict[str, set[str]] = {}
        self.unresolved: list[Root] = []
        self.texts = {path: src.text for path, src in index.export_files.items()}
        for r in index.roots:
            text = self.texts.get(r.path, "")
            m = _ATTR_EXPR.match(r.expr)
            if r.name == "self" and r.expr == f"self.{r.method}":
                # ``torch.onnx.export(self.encoder, ...)`` in a method of the model itself
                owner = _enclosing_class(index, r)
                if owner is not None and _is_submodule(index, owner.name, r.method, {owner.path}):
                    self.by_class.setdefault((owner.name, owner.path), []).append(r)
                self.unresolved.append(r)  # what the attribute holds is not resolved: it may be any model
                continue
            if not r.resolved or r.name not in index.blocks:
                self.unresolved.append(r)
                continue
            cls, paths = _built_class(index, r.name, r.path, text)
            if not cls:
                self.unresolved.append(r)  # a factory whose model is not known
                continue
            if cls != r.name:
                self.factories.setdefault(cls, set()).add(r.name)
            if r.method and m is not None and m.group(1) == r.method and _is_submodule(index, cls, r.method, paths):
                for p in paths:
                    self.by_class.setdefault((cls, p), []).append(r)
            else:
                self.whole.update((cls, p) for p in paths)


def exported_through_attributes(index: RunIndex, cls: str, path: str) -> str:
    """Why the ``forward`` of class ``cls`` of file ``path`` is not an entry because the run exports only
    submodules of it (see the module docstring), or ""."""
    got = index.__dict__.get("_attribute_roots")
    if got is None:
        got = index.__dict__["_attribute_roots"] = _AttributeRoots(index)
    a: _AttributeRoots = got
    roots = a.by_class.get((cls, path))
    if not roots or (cls, path) in a.whole:
        return ""
    factories = a.factories.get(cls, set())
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(factories)) + r")\b") if factories else None
    for r in a.unresolved:
        if r in roots:
            continue
        text = a.texts.get(r.path)
        if text is None:  # a ``models`` entry that names no class of the run
            return ""
        # an unresolved export in a file that means this class, or names a factory of it, may export it whole
        if re.search(rf"\b{re.escape(cls)}\b", text) and path in _class_paths(index, cls, r.path, text):
            return ""
        if pattern is not None and pattern.search(text):
            return ""
    attrs = ", ".join(sorted({r.method for r in roots}))
    r = roots[0]
    return (f"not an entry: the run exports only submodules of {cls} ({attrs}; {r.via}({r.expr}) at "
            f"{r.path}:{r.line}), each through its own forward")
