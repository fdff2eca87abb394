"""Property-based tests (hypothesis) for the inputs a user types: the configuration file, rule selectors and
targets. Whatever the input, the answer is a value or one clear ValueError (exit 2), never another exception."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from trtlint.compat import Target, TargetError, trt_versions, vstr  # noqa: E402
from trtlint.config import Config, ConfigError, load_config  # noqa: E402
from trtlint.registry import all_rules  # noqa: E402
from trtlint.report.escape import inert, unicode_only  # noqa: E402
from trtlint.selectors import SelectorError, check_selectors, resolve  # noqa: E402

CODES = sorted(all_rules())
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ----------------------------------------------------------------------------- selectors

selector_text = st.one_of(
    st.sampled_from(["ALL", "all", "TRT", "TRT1", "TRT10", "TRT9", " trt101 ", "", "TRT0", "E501", "TRT1000"]),
    st.sampled_from(CODES).map(lambda c: c[: len(c) - 1] if c.endswith("1") else c),
    st.text(max_size=8),
)


@SETTINGS
@given(st.lists(selector_text, max_size=5), st.lists(selector_text, max_size=5))
def test_selectors_resolve_or_refuse(select: list[str], ignore: list[str]) -> None:
    try:
        sel = check_selectors(select, CODES, "--select")
        ign = check_selectors(ignore, CODES, "--ignore")
    except SelectorError as exc:
        assert str(exc).startswith(("--select", "--ignore")) and "unknown rule selector" in str(exc)
        return
    enabled = resolve(CODES, sel, ign)
    assert enabled <= set(CODES)
    for code in CODES:  # an exact code in ignore always wins; an exact code in select alone always enables
        if code in ign:
            assert code not in enabled
        elif code in sel:
            assert code in enabled


@SETTINGS
@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=4))
def test_select_all_then_ignore_exact_codes(ignored: list[str]) -> None:
    enabled = resolve(CODES, ["ALL"], ignored)
    assert enabled == set(CODES) - set(ignored)


# ----------------------------------------------------------------------------- targets

known_trt = st.sampled_from([vstr(v) for v in trt_versions()])


@SETTINGS
@given(st.text(max_size=30))
def test_any_target_text_parses_or_is_one_target_error(text: str) -> None:
    try:
        t = Target.parse(text).validate()
    except TargetError as exc:
        assert str(exc) and "\n" not in inert(str(exc))
        return
    assert trt_versions()[0] <= t.trt <= trt_versions()[-1]
    t.trt_entry()  # a validated target never fails later
    t.opset_range()


@SETTINGS
@given(known_trt, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_known_trt_versions_are_accepted_and_others_named(trt: str, major: int, minor: int) -> None:
    assert Target.parse(f"trt{trt}").validate().trt_str == trt
    version = (major, minor)
    inside = trt_versions()[0] <= version <= trt_versions()[-1]
    try:
        Target.parse(f"trt{major}.{minor}").validate()
        assert inside
    except TargetError as exc:
        assert not inside and "valid targets: trt8.0" in str(exc)


# ----------------------------------------------------------------------------- configuration

toml_scalar = st.one_of(st.integers(), st.booleans(), st.text(max_size=10), st.floats(allow_nan=False))
toml_value = st.recursive(toml_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(st.text(max_size=6), inner,
                                                                               max_size=3)), max_leaves=8)
keys = st.sampled_from(["select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude",
                        "target", "unknown-key"])


def _toml(value: object) -> str:
    """A TOML inline value (JSON strings are valid TOML basic strings for what hypothesis draws)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if not isinstance(value, float) else json.dumps(value).replace("Infinity", "inf")
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@SETTINGS
@given(st.dictionaries(keys, toml_value, max_size=4))
def test_any_trtlint_table_loads_or_is_one_config_error(tmp_path_factory, table: dict) -> None:
    path = Path(tmp_path_factory.mktemp("cfg")) / "pyproject.toml"
    path.write_text("[tool.trtlint]\n" + "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in table.items()),
                    encoding="utf-8")
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        assert str(exc).startswith(str(path)) and len(inert(str(exc)).splitlines()) == 1
        return
    assert isinstance(cfg, Config)
    assert all(isinstance(s, str) for s in (*cfg.select, *cfg.ignore, *cfg.exclude, *cfg.extend_select))
    assert cfg.target is None or isinstance(cfg.target, str)


@SETTINGS
@given(st.binary(max_size=200))
def test_any_pyproject_bytes_load_or_are_one_config_error(tmp_path_factory, data: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("cfg")) / "pyproject.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(exc).startswith(str(path))


# ----------------------------------------------------------------------------- escaping

@SETTINGS
@given(st.text())
def test_inert_text_is_one_printable_line(text: str) -> None:
    out = inert(text)
    assert "\n" not in out and "\r" not in out and "##[" not in out
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]", out)
    unicode_only(text).encode("utf-8")
    if text.isprintable() and "##[" not in text:
        assert out == text  # ordinary names are left alone
