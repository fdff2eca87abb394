"""TensorRT Python API facts (deprecated/removed per release, from compat_matrix.yaml) for the build-script rules.

Two questions every TRT4xx rule asks before it reports a use of an old API:

* **Is the object TensorRT's?** ``receiver_kind`` resolves the expression in front of the attribute: a name bound
  to ``trt.Builder(...)``, to a TensorRT factory method (``create_builder_config()``, ``create_network()``,
  ``deserialize_cuda_engine()``...), or by ``with ... as name`` to one of those is ``"trt"``; ``self``/``cls`` of a
  class that does not derive from a TensorRT class, an instance of a class this file (or another file of the
  run) defines, and the result of
  ``parse_args()`` are ``"user"`` (their attributes are the user's own, whatever their names); anything else is
  ``"unknown"``.
* **Does the code already handle the version?** ``version_guarded`` is true inside either branch of an ``if`` or
  conditional expression that tests the TensorRT version (``trt.__version__``, ``packaging.version``, a name whose
  value was computed from the version, ``hasattr(...)``/``getattr(...)``), and inside a ``try`` whose handler
  catches ``AttributeError`` (or ``Exception``), or in that handler, and after an ``if <version test>: ... return``
  in the same block: one branch is written for the old release.
"""
from __future__ import annotations

import ast
import re
from typing import Any

from trtlint.compat import Target, load_matrix, parse_version
from trtlint.finding import Severity
from trtlint.source import SourceFile

# methods of TensorRT objects that return TensorRT objects
TRT_FACTORIES = frozenset({
    "create_builder_config", "create_network", "create_optimization_profile", "deserialize_cuda_engine",
    "create_execution_context", "create_execution_context_without_device_memory", "build_serialized_network",
    "build_engine", "get_input", "get_output", "get_layer", "create_inspector", "create_timing_cache",
    "create_engine_inspector", "create_refitter", "create_serialization_config", "serialize",
})
_VERSIONISH = re.compile(r"(?i)version|(^|_)trt_?(ge|gt|lt|le|v)?_?\d+|^is_?trt\d+|tensorrt_?\d+")


def imports_tensorrt(src: SourceFile) -> bool:
    return any(q == "tensorrt" or q.startswith("tensorrt.") for qs in src.imports.values() for q in qs)


def trt_alias(src: SourceFile) -> str:
    for name, quals in sorted(src.imports.items()):
        if "tensorrt" in quals:
            return name
    return "tensorrt"


def fact(name: str) -> dict[str, Any]:
    for entry in load_matrix().get("api", []):
        if entry["name"] == name:
            return entry
    raise KeyError(name)


def status(name: str, target: Target | None) -> tuple[Severity | None, str]:
    """Severity for using API ``name`` on ``target``: error once removed, warning once deprecated, else None."""
    f = fact(name)
    if target is None:
        return None, ""
    removed = parse_version(f["removed"]) if f.get("removed") else None
    deprecated = parse_version(f["deprecated"]) if f.get("deprecated") else None
    if removed is not None and target.trt >= removed:
        return Severity.ERROR, f"removed in TensorRT {f['removed']} (target {target.trt_str})"
    if deprecated is not None and target.trt >= deprecated:
        return Severity.WARNING, f"deprecated since TensorRT {f['deprecated']}, removed in {f['removed']}"
    return None, ""


def attribute_uses(src: SourceFile, attr: str) -> list[ast.Attribute]:
    index = src.cache.get(("trt_attrs",))
    if index is None:
        index = {}
        for n in ast.walk(src.tree):
            if isinstance(n, ast.Attribute):
                index.setdefault(n.attr, []).append(n)  # type: ignore[union-attr]
        src.cache[("trt_attrs",)] = index
    return list(index.get(attr, []))  # type: ignore[union-attr]


# ------------------------------------------------------------------ parents, scopes
def parents(src: SourceFile) -> dict[int, ast.AST]:
    table = src.cache.get(("trt_parents",))
    if table is None:
        table = {}
        for node in ast.walk(src.tree):
            for child in ast.iter_child_nodes(node):
                table[id(child)] = node  # type: ignore[index]
        src.cache[("trt_parents",)] = table
    return table  # type: ignore[return-value]


def _ancestors(src: SourceFile, node: ast.AST):  # type: ignore[no-untyped-def]
    table = parents(src)
    cur = table.get(id(node))
    child = node
    while cur is not None:
        yield cur, child
        child = cur
        cur = table.get(id(cur))


def _enclosing(src: SourceFile, node: ast.AST) -> tuple[ast.AST, ast.ClassDef | None]:
    """The innermost function (or the module) around ``node``, and the class of that function if it is a method."""
    scope: ast.AST | None = None
    for anc, _ in _ancestors(src, node):
        if scope is None and isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            scope = anc
            continue
        if scope is not None and isinstance(anc, ast.ClassDef):
            return scope, anc
        if scope is not None and isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return scope, None
    return (scope if scope is not None else src.tree), None


def _bindings(src: SourceFile, scope: ast.AST) -> dict[str, list[ast.AST]]:
    """Name -> the values bound to it in ``scope`` (assignments, ``with ... as``, annotated parameters)."""
    key = ("trt_bindings", id(scope))
    cached = src.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    out: dict[str, list[ast.AST]] = {}
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append(n.value)
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
            out.setdefault(n.target.id, []).append(n.value)
        elif isinstance(n, ast.withitem) and isinstance(n.optional_vars, ast.Name):
            out.setdefault(n.optional_vars.id, []).append(n.context_expr)
        stack.extend(ast.iter_child_nodes(n))
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for a in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs):
            if a.annotation is not None:
                out.setdefault(a.arg, []).append(a.annotation)
    src.cache[key] = out
    return out


def _is_trt_name(src: SourceFile, node: ast.AST) -> bool:
    return any(q == "tensorrt" or q.startswith("tensorrt.") for q in src.qualnames(node))


def _local_class(src: SourceFile, name: str) -> ast.ClassDef | None:
    return next((c for c in src.classes if c.name == name), None)


def _trt_based(src: SourceFile, cls: ast.ClassDef) -> bool:
    return any(_is_trt_name(src, b) or (isinstance(b, ast.Attribute) and b.attr.startswith("I") and
                                        _is_trt_name(src, b.value)) for b in cls.bases)


def _run_class(src: SourceFile, name: str) -> bool:
    """A class of that name is defined in another file of the run, and none of its bases is TensorRT's."""
    index = getattr(src, "index", None)
    blocks = getattr(index, "blocks", None) if index is not None else None
    if not isinstance(blocks, dict):
        return False
    classes = [b for b in blocks.get(name, ()) if getattr(b, "kind", "") == "class"]
    return bool(classes) and not any(
        "tensorrt" in base or base.startswith("trt.") for b in classes for base in getattr(b, "bases", ())
    )


def _value_kind(src: SourceFile, value: ast.AST, scope: ast.AST, depth: int) -> str:
    if isinstance(value, (ast.Name, ast.Attribute)) and _is_trt_name(src, value):
        return "trt"  # an annotation such as trt.ICudaEngine
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.startswith(("trt.", "tensorrt.")):
        return "trt"
    if not isinstance(value, ast.Call):
        return receiver_kind(src, value, scope, depth + 1) if isinstance(value, (ast.Name, ast.Attribute)) else "unknown"
    fn = value.func
    if _is_trt_name(src, fn):
        return "trt"
    if isinstance(fn, ast.Attribute):
        if fn.attr in TRT_FACTORIES:
            return "trt"
        if fn.attr.startswith("add_") and (
            "network" in ast.unparse(fn.value).lower() or receiver_kind(src, fn.value, scope, depth + 1) == "trt"
        ):
            return "trt"  # network.add_convolution_nd(...) and the other layers
        if fn.attr in ("parse_args", "parse_known_args"):
            return "user"
    if isinstance(fn, ast.Name):
        cls = _local_class(src, fn.id)
        if cls is not None and not _trt_based(src, cls):
            return "user"
        if cls is None and _run_class(src, fn.id):
            return "user"
        if fn.id in ("dict", "SimpleNamespace", "EasyDict", "edict"):
            return "user"
    return "unknown"


def receiver_kind(src: SourceFile, node: ast.AST, scope: ast.AST | None = None, depth: int = 0) -> str:
    """``"trt"``, ``"user"`` or ``"unknown"`` for the object an attribute is looked up on (see the module doc)."""
    if depth > 4:
        return "unknown"
    if scope is None:
        scope, cls = _enclosing(src, node)
    else:
        cls = None
    if isinstance(node, ast.Name):
        if node.id in ("self", "cls"):
            if cls is None:
                scope2, cls = _enclosing(src, node)
            if cls is not None:
                return "trt" if _trt_based(src, cls) else "user"
            return "unknown"
        values = _bindings(src, scope).get(node.id) or (
            _bindings(src, src.tree).get(node.id) if scope is not src.tree else None
        )
        if not values and node.id in src.imports:
            # a module or name imported from elsewhere: `utils.get_binding_shape(...)` is the user's helper
            return "trt" if _is_trt_name(src, node) else "user"
        if not values:
            return "unknown"
        kinds = {_value_kind(src, v, scope, depth) for v in values}
        if "trt" in kinds:
            return "trt"
        return "user" if kinds == {"user"} else "unknown"
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        # self.builder: what the class assigns to it anywhere
        _, owner = _enclosing(src, node)
        if owner is None:
            return "unknown"
        for n in ast.walk(owner):
            if isinstance(n, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == node.attr and isinstance(t.value, ast.Name)
                and t.value.id == "self" for t in n.targets
            ):
                k = _value_kind(src, n.value, scope, depth)
                if k != "unknown":
                    return k
        return "unknown"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRT_FACTORIES:
        return "trt"
    if isinstance(node, ast.Call) and _is_trt_name(src, node.func):
        return "trt"
    return "unknown"


# the TensorRT class a factory returns (the names TensorRT's Python bindings give them)
_FACTORY_CLASS = {
    "Builder": "IBuilder", "Runtime": "IRuntime", "create_builder_config": "IBuilderConfig",
    "create_network": "INetworkDefinition", "deserialize_cuda_engine": "ICudaEngine", "build_engine": "ICudaEngine",
    "build_cuda_engine": "ICudaEngine", "create_execution_context": "IExecutionContext",
    "create_execution_context_without_device_memory": "IExecutionContext",
}
# a receiver's own name when nothing in the file says where it came from: `config`, `builder_config`, `trt_engine`
_NAME_CLASS = (("config", "IBuilderConfig"), ("builder", "IBuilder"), ("engine", "ICudaEngine"),
               ("context", "IExecutionContext"), ("runtime", "IRuntime"), ("network", "INetworkDefinition"))


def trt_class(src: SourceFile, node: ast.AST, depth: int = 0) -> str | None:
    """The TensorRT class of the object ``node`` evaluates to (``"IBuilder"``, ``"IBuilderConfig"``...), or None.

    From the factory the name is bound to in its scope (``trt.Builder(...)``, ``builder.create_builder_config()``,
    ``runtime.deserialize_cuda_engine(...)``), else from the receiver's own name (``config``, ``builder``,
    ``engine``...), else None."""
    if depth > 4:
        return None
    if isinstance(node, ast.Call):
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
        if name in _FACTORY_CLASS and (isinstance(fn, ast.Attribute) or _is_trt_name(src, fn)):
            return _FACTORY_CLASS[name]
        return None
    if isinstance(node, ast.Name):
        scope, _ = _enclosing(src, node)
        values = _bindings(src, scope).get(node.id) or (
            _bindings(src, src.tree).get(node.id) if scope is not src.tree else None) or []
        found = {trt_class(src, v, depth + 1) for v in values if isinstance(v, ast.Call)} - {None}
        if len(found) == 1:
            return found.pop()
        label = node.id
    elif isinstance(node, ast.Attribute):
        label = node.attr
    else:
        return None
    low = label.lower()
    return next((cls for word, cls in _NAME_CLASS if word in low), None)


# ------------------------------------------------------------------ version guards
def _is_version_test(src: SourceFile, test: ast.AST, depth: int = 0) -> bool:
    for n in ast.walk(test):
        if isinstance(n, ast.Attribute) and n.attr in ("__version__", "version_info"):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("hasattr", "getattr"):
            return True
        if isinstance(n, ast.Name) and _VERSIONISH.search(n.id):
            return True
        if isinstance(n, ast.Attribute) and _VERSIONISH.search(n.attr):
            return True
        if isinstance(n, ast.Name) and depth < 2:
            for v in _bindings(src, src.tree).get(n.id, []):
                if _is_version_test(src, v, depth + 1):
                    return True
    return False


def _catches_attribute_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(t, ast.Name) and t.id in ("AttributeError", "Exception", "BaseException") for t in names)


def version_guarded(src: SourceFile, node: ast.AST) -> bool:
    """True where ``node`` sits in a branch chosen by a TensorRT version/feature test, or an AttributeError fallback."""
    for anc, child in _ancestors(src, node):
        if isinstance(anc, (ast.If, ast.IfExp, ast.While)) and child is not anc.test and _is_version_test(src, anc.test):
            return True
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(anc, field, None)
            if isinstance(stmts, list) and any(st is child for st in stmts):
                # `if <version test>: ...; return` earlier in the block: what follows is the other generation's code
                for prev in stmts[: next(i for i, st in enumerate(stmts) if st is child)]:
                    if isinstance(prev, ast.If) and prev.body and _is_version_test(src, prev.test) and isinstance(
                        prev.body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break)
                    ):
                        return True
        if isinstance(anc, ast.Try) and any(_catches_attribute_error(h) for h in anc.handlers):
            return True
        if isinstance(anc, ast.ExceptHandler) and _catches_attribute_error(anc):
            return True
        if isinstance(anc, ast.BoolOp) and any(_is_version_test(src, v) for v in anc.values if v is not child):
            return True
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)) and _VERSIONISH.search(anc.name) and \
                re.search(r"(?i)legacy|old|trt_?[5-9]|v[5-9]", anc.name):
            return True
    return False


def reportable(src: SourceFile, attr: ast.Attribute, strict: bool = False) -> bool:
    """Should a use of an old API at ``attr`` be reported: not version-guarded, and not on an object of the user's.

    ``strict``: the name is common (``execute``, ``precision``): report only when the receiver is TensorRT's."""
    if version_guarded(src, attr):
        return False
    kind = receiver_kind(src, attr.value)
    if strict:
        return kind == "trt"
    return kind != "user"


# ------------------------------------------------------------------ ONNX parsing and optimization profiles
def _open_target(src: SourceFile, expr: ast.AST, scope: ast.AST) -> ast.AST | None:
    """For ``f.read()`` / ``open(p).read()`` / ``Path(p).read_bytes()``: the path expression ``p``."""
    if isinstance(expr, ast.Name):
        values = _bindings(src, scope).get(expr.id, [])
        return _open_target(src, values[-1], scope) if values else expr
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("read", "read_bytes"):
        inner = expr.func.value
        if isinstance(inner, ast.Call) and inner.args:
            return inner.args[0]
        if isinstance(inner, ast.Name):
            values = _bindings(src, scope).get(inner.id, [])
            for v in values:
                if isinstance(v, ast.Call) and v.args:
                    return v.args[0]
    return expr


def onnx_parses(src: SourceFile) -> list[tuple[ast.Call, ast.AST, ast.AST]]:
    """``(call, path_expr, scope)`` for each ``parser.parse_from_file(p)`` / ``parser.parse(f.read())``."""
    out = []
    for call in src.calls:
        fn = call.func
        if not (isinstance(fn, ast.Attribute) and fn.attr in ("parse_from_file", "parse") and call.args):
            continue
        kind = receiver_kind(src, fn.value)
        if kind == "user" or (kind == "unknown" and "pars" not in ast.unparse(fn.value).lower()):
            continue
        scope, _ = _enclosing(src, call)
        path = call.args[0] if fn.attr == "parse_from_file" else _open_target(src, call.args[0], scope)
        if path is not None:
            out.append((call, path, scope))
    return out


def path_basename(src: SourceFile, expr: ast.AST, scope: ast.AST) -> str | None:
    todo, seen = [expr], 0
    while todo and seen < 8:
        n = todo.pop()
        seen += 1
        for sub in ast.walk(n):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.endswith(".onnx"):
                return sub.value.replace("\\", "/").rsplit("/", 1)[-1]
            if isinstance(sub, ast.Name):
                todo.extend(_bindings(src, scope).get(sub.id, []))
                if scope is not src.tree:
                    todo.extend(_bindings(src, src.tree).get(sub.id, []))
    return None


def profile_shapes(src: SourceFile) -> list[tuple[ast.Call, Any, list[Any]]]:
    """``(call, input_name_or_None, [min, opt, max] as literals or None)`` for each ``profile.set_shape(...)``."""
    out = []
    for call in src.calls:
        fn = call.func
        if not (isinstance(fn, ast.Attribute) and fn.attr == "set_shape" and len(call.args) >= 4):
            continue
        kind = receiver_kind(src, fn.value)
        if kind == "user" or (kind == "unknown" and "profile" not in ast.unparse(fn.value).lower()):
            continue
        vals = []
        for a in call.args[:4]:
            try:
                vals.append(ast.literal_eval(a))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                vals.append(None)
        name = vals[0] if isinstance(vals[0], str) else None
        out.append((call, name, vals[1:4]))
    return out


def linked_exports(src: SourceFile, path_expr: ast.AST, scope: ast.AST, n_parses: int) -> list[Any]:
    """The export calls (this file or the run) that write the ONNX file a build script parses.

    Linked by the ``.onnx`` basename when both sides write it as a literal; within one file also by the same
    variable, or, when the file has exactly one export and one parse, by being the only pair."""
    from ._export import export_summaries, run_export_summaries

    base = path_basename(src, path_expr, scope)
    if base is not None:
        return [s for s in run_export_summaries(src) if s.onnx == base]
    local = export_summaries(src)
    expr = ast.unparse(path_expr)
    same = [s for s in local if s.file_expr == expr]
    if same:
        return same
    if len(local) == 1 and n_parses == 1 and local[0].onnx is None:
        return local
    return []
