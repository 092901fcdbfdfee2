"""Hostile configs (issue #12 items 1 and 2): deep nesting and YAML alias bombs are one
``FILE:LINE`` error each, never a RecursionError or a memory blow-up; a reload that fails
in any way keeps the last good config; and libyaml's loader reads every config exactly as
the pure-Python one does (issue #11)."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from monitor.config import loader
from monitor.config.loader import load_config
from monitor.config.reload import ConfigReloader
from monitor.config.schema import Config
from monitor.errors import ConfigError
from monitor.match.query import MAX_QUERY_DEPTH, QuerySyntaxError, parse_query

FIXTURES = Path(__file__).parent.parent / "fixtures" / "config"
EXAMPLE = Path(__file__).parent.parent.parent / "config"
BASE = (FIXTURES / "good.yaml").read_text(encoding="utf-8")


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deep_list.yaml", ":1: x-deep[0]: too deeply nested (limit 100)"),
        ("deep_keys.yaml", ":13: x-keys.k: too deeply nested (limit 100)"),
        ("deep_parens.yaml", ":8: watchlists.w.when: bad query: column 101: too deeply nested"),
        ("deep_nots.yaml", ":8: watchlists.w.when: bad query: column 401: too deeply nested"),
    ],
)
def test_deep_nesting_is_one_error_with_its_line(name: str, expected: str) -> None:
    [problem] = _problems(FIXTURES / name)
    assert problem.startswith(f"{FIXTURES / name}{expected}"), problem


def test_an_alias_bomb_is_refused_at_once_with_flat_memory() -> None:
    path = FIXTURES / "alias_bomb.yaml"
    assert path.stat().st_size < 700
    tracemalloc.start()
    try:
        [problem] = _problems(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.startswith(f"{path}:7: x-bomb.a5: too large once YAML aliases are expanded")
    assert peak < 20 * 1024 * 1024, peak


def test_a_merge_key_bomb_is_refused_too(tmp_path: Path) -> None:
    levels = ["x-a0: &a0 {k0: v, k1: v, k2: v}"]
    for level in range(1, 12):
        refs = ", ".join(f"*a{level - 1}" for _ in range(9))
        levels.append(f"x-a{level}: &a{level} [{refs}]")
    levels.append("x-use:\n  <<: *a0\n  also: *a11")
    path = tmp_path / "merge.yaml"
    path.write_text(BASE + "\n".join(levels) + "\n", encoding="utf-8")
    [problem] = _problems(path)
    assert "too large once YAML aliases are expanded" in problem


def test_a_deep_alias_counts_its_expanded_depth(tmp_path: Path) -> None:
    path = tmp_path / "deep_alias.yaml"
    deep = "[" * 60 + "]" * 60
    path.write_text(BASE + f"x-a: &a {deep}\nx-b: {'[' * 60}*a{']' * 60}\n", encoding="utf-8")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:14: x-b[0]: too deeply nested (limit 100)"), problem


@pytest.mark.parametrize("text", ["(" * 3000 + "a" + ")" * 3000, "NOT " * 5000 + "a"])
def test_the_query_parser_refuses_deep_nesting(text: str) -> None:
    with pytest.raises(QuerySyntaxError, match="too deeply nested"):
        parse_query(text)


def test_the_query_parser_takes_nesting_up_to_its_limit() -> None:
    depth = MAX_QUERY_DEPTH // 2
    parse_query("(" * depth + "NOT " * depth + "a" + ")" * depth)


def test_a_reload_that_raises_anything_keeps_the_last_good_config(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(BASE, encoding="utf-8")
    calls = iter([load_config, _explode])

    def load(config_path: Path) -> Config:
        return next(calls)(config_path)

    reloader = ConfigReloader.start(path, load=load, interval=0.0, settle=0.0)
    good = reloader.config
    path.write_text(BASE + "# changed\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    with capture_logs() as logs:
        assert reloader.check() is None
    assert reloader.config is good
    [line] = [entry for entry in logs if entry["event"] == "config_rejected"]
    assert line["log_level"] == "error"
    assert line["errors"] == [f"{path}: cannot load the config (RecursionError)"]


def _explode(path: Path) -> Config:
    raise RecursionError("maximum recursion depth exceeded")


def test_a_reload_of_an_alias_bomb_keeps_the_last_good_config(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(BASE, encoding="utf-8")
    reloader = ConfigReloader.start(path, interval=0.0, settle=0.0)
    good = reloader.config
    path.write_bytes((FIXTURES / "alias_bomb.yaml").read_bytes())
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    with capture_logs() as logs:
        assert reloader.check() is None
    assert reloader.config is good
    [line] = [entry for entry in logs if entry["event"] == "config_rejected"]
    assert "too large once YAML aliases are expanded" in line["errors"][0]


# --- libyaml and the pure reader agree ---------------------------------------------------


def _config_paths() -> Iterator[Path]:
    yield EXAMPLE
    yield from sorted(FIXTURES.glob("*.yaml"))


def _outcome(path: Path) -> Any:
    try:
        return load_config(path, env={})
    except ConfigError as exc:
        return exc.problems


@pytest.mark.skipif(loader.FAST_LOADER is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", list(_config_paths()), ids=lambda path: path.name)
def test_the_c_loader_reads_every_config_as_the_pure_one(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _outcome(path)
    monkeypatch.setattr(loader, "_FAST_LINE_LOADER", None)
    assert _outcome(path) == fast


@pytest.mark.skipif(loader.FAST_LOADER is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize(
    "text",
    [
        "feeds: [\n",  # a syntax error: libyaml words it differently
        "feeds:\n  - id: a\n\tpath: x\n",
        "topics:\n  NATO: [NATO]\n  NATO: [OTAN]\n",
        "topics: {NATO: \x07}\n",  # a character YAML forbids, which libyaml lets through
        "x-t: !!timestamp 2020-13-45\n",
    ],
)
def test_both_loaders_give_the_same_messages(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    fast = _problems(path)
    monkeypatch.setattr(loader, "_FAST_LINE_LOADER", None)
    assert _problems(path) == fast
    assert all(problem.startswith(f"{path}:") for problem in fast)


# --- random hostile YAML -------------------------------------------------------------------

_scalars = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="ab\n\t:-[]{}&*!#'\"", max_size=5000),
    st.sampled_from(
        [
            *("!!binary AAAA", "!!timestamp 2020-13-45", "!!python/object:os.system x"),
            *("!foo bar", "!!int 0x1F", "!!float .nan", "!!set {a, b}", "<<: *x"),
            *("9" * 5000, "~", ".inf"),
        ]
    ),
)


@st.composite
def _nested(draw: st.DrawFn) -> str:
    """A YAML text: nested flow collections, anchors and aliases, odd scalars."""
    depth = draw(st.integers(0, 300))
    opens = draw(st.lists(st.sampled_from(["[", "{k: ", "&a [", "[*a, *a, "]), min_size=depth))
    body = draw(_scalars)
    closes = ["}" if op.startswith("{") else "]" for op in reversed(opens)]
    text = "".join(opens) + body + "".join(closes)
    section = draw(st.sampled_from(["x-deep", "feeds", "topics", "settings", "channels"]))
    aliases = draw(st.integers(0, 12))
    bomb = "".join(
        f"x-b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]\n" for i in range(1, aliases)
    )
    return ("x-b0: &b0 [x]\n" if aliases else "") + bomb + f"{section}: {text}\n"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=_nested())
def test_random_hostile_yaml_gives_only_config_errors_with_lines(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        load_config(path, env={})
    except ConfigError as exc:
        assert exc.problems
        assert all(problem.startswith(f"{path}:") for problem in exc.problems)
        assert all(problem[len(f"{path}:") :].split(":")[0].isdigit() for problem in exc.problems)
    else:
        pass  # some random texts are a valid (empty-ish) config
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024, peak


def test_pyyaml_alone_recurses_on_the_deep_fixture() -> None:
    """The fault is real: without the guard PyYAML's composer recurses per level."""
    text = (FIXTURES / "deep_list.yaml").read_text(encoding="utf-8")
    with pytest.raises(RecursionError):
        yaml.load(text, Loader=yaml.SafeLoader)
