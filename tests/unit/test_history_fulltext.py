"""The history's pure parts: full-text keys, query strings, prefilter, settings; no database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import MonitorError
from monitor.history import DeliveryAttempt
from monitor.history.database import storable
from monitor.history.find import prefilter
from monitor.history.fulltext import (
    MAX_WORD,
    KeyGroup,
    KeyQuery,
    item_keys,
    parse_search,
    stored_keys,
    term_groups,
)
from monitor.history.search import fts5_match, tsquery
from monitor.history.store import History
from monitor.match.query import parse_query
from monitor.model import DeliveryResult, WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.text.morph import term_keys, text_keys
from monitor.text.tokenize import split_words
from tests.helpers import ROOT, corpus_items
from tests.unit.test_config import BASE, problems_in, write


def found(query: str, *fields: str) -> bool:
    """Whether an item holding ``fields`` is a candidate for ``query``."""
    keys = set(item_keys(*fields).split())
    return all(
        group.keys & keys or any(k.startswith(p) for k in keys for p in group.prefixes)
        for group in parse_search(query).groups
    )


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("الناتو", "وقال إن والناتو لن يتوسع"),
        ("الناتو", "رسالة للناتو"),
        ("ضمانات", "ضماناتها الأمنية"),
        ("Песков", "по словам Пескова"),
        ("NATO", "NATO-Russia talks"),
        ("NATO", "l'OTAN et NATO's"),
        ("guarantees", "a security guarantee"),
        ("Zelensk*", "Zelenskyy said"),
        ('"security guarantees"', "Security Guarantees"),
        ("NATO Peskov", "Peskov on NATO"),
    ],
)
def test_a_search_word_finds_the_forms_the_matcher_finds(query: str, text: str) -> None:
    assert found(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("NATO", "Senator Smith"),
        ("Путин", "Путинцев"),
        ("Zakharova", "Zakharov"),
        ("NATO Peskov", "NATO alone"),
        ('"guarantees"', "a guarantee"),
    ],
)
def test_a_search_word_does_not_find_what_the_matcher_refuses(query: str, text: str) -> None:
    assert not found(query, text)


def test_keys_are_space_free_and_distinct() -> None:
    keys = item_keys("NATO NATO", "والناتو\u0640 " + "x" * 500).split(" ")
    assert len(keys) == len(set(keys)) and "" not in keys
    assert "nato" in keys and "ar:الناتو" in keys
    assert all(len(key) < 250 for key in keys)  # a 500-letter "word" is not indexed


def test_keys_come_in_the_same_order_in_every_process() -> None:
    """Sets iterate in an order that changes with each process's string hashing: the
    stored keys must not (``PYTHONHASHSEED`` set apart for each run)."""
    text = "Peskov said NATO and НАТО, الناتو والناتو; Sicherheitsgarantien: OTAN Ukraine's"
    script = f"from monitor.history.fulltext import item_keys; print(item_keys({text!r}, {text!r}))"
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(runs) == 1 and item_keys(text, text) + "\n" in runs, runs


def test_an_empty_search_has_no_groups() -> None:
    assert parse_search("  ,, ").groups == ()


def test_query_strings_quote_every_key() -> None:
    query = KeyQuery(
        (KeyGroup(frozenset({"a'b", 'c"d'})), KeyGroup(frozenset(), frozenset({"na"})))
    )
    assert fts5_match(query) == '("a\'b" OR "c""d") AND ("na" *)'
    assert tsquery(query) == "('a''b' | 'c\"d') & ('na':*)"


def test_nul_characters_are_dropped_and_lone_surrogates_replaced() -> None:
    assert storable("a\x00b\ud800c\U0001f600") == "ab\ufffdc\U0001f600"
    item = WireItem(id="a\x00b", title="t\x00", body="b", source="s")
    row = History._item_row(item, datetime(2026, 1, 1))
    assert row["data"]["id"] == "a\x00b" and "title" not in row["data"]


def test_history_settings_default_and_refuse_bad_values(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, "monitor.yaml", BASE), env={}).settings
    assert (settings.history_url, settings.history_retention) == (None, 30 * 86400.0)
    for url in ("sqlite:///var/h.db", "postgresql://u@127.0.0.1:5432/test"):
        text = BASE + f"settings:\n  history_url: {url}\n  history_retention: 90d\n"
        settings = load_config(write(tmp_path, "monitor.yaml", text), env={}).settings
        assert (settings.history_url, settings.history_retention) == (url, 90 * 86400.0)
    [problem] = problems_in(tmp_path, BASE + "settings:\n  history_retention: 2h\n")
    assert problem.endswith(
        "settings.history_retention: must be at least 1d: the history is pruned daily"
    )
    for bad, says in [
        ("mysql://h/db", "the 'mysql' history database is not supported"),
        ("sqlite://", "bad history URL"),
        ("postgresql://:secret@/db", "bad URL"),
    ]:
        [problem] = problems_in(tmp_path, BASE + f"settings:\n  history_url: '{bad}'\n")
        assert "settings.history_url" in problem and says in problem, problem
        assert "secret" not in problem


@pytest.mark.parametrize(
    ("query", "groups"),
    [
        # literal words must all be there; a topic or speaker name stands for any term
        ("kremlin AND security", [{"kremlin"}, {"security"}]),
        ("NATO AND kremlin", [{"kremlin"}]),
        ('"Dmitry Peskov" AND kremlin', [{"kremlin"}]),
        ("kremlin NEAR/5 moscow", [{"kremlin"}, {"moscow"}]),
        ("kremlin OR moscow", [{"kremlin", "moscow"}]),
        # what the index cannot decide is left to the matcher
        ("kremlin AND NOT moscow", [{"kremlin"}]),
        ("lang:ru AND feed:wire AND tag:x", []),
        ('speaker:"Dmitry Peskov"', []),
        ('"security guarantees" OR kremlin', []),
    ],
)
def test_prefilter_keeps_only_words_every_match_holds(
    tmp_path: Path, query: str, groups: list[set[str]]
) -> None:
    config = load_config(write(tmp_path, "monitor.yaml", BASE), env={})
    found = prefilter(parse_query(query), config).groups
    words = {"kremlin", "security", "moscow"}
    assert [group.keys & words for group in found] == groups


def test_a_delivery_result_is_recorded_as_its_numbered_attempt() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    result = DeliveryResult("a1", "webhook", "retry", attempts=3, detail="HTTP 503")
    assert DeliveryAttempt.from_result(result, at) == DeliveryAttempt(
        "a1", "webhook", 3, "retry", at, "HTTP 503"
    )


def _keys_word_by_word(
    *fields: str, keys_of: Callable[[str], frozenset[str]] = stored_keys
) -> set[str]:
    """The definition ``item_keys`` keeps: every normalised word's ``stored_keys``
    (``text_keys``: every key the matcher gives the words)."""
    keys: set[str] = set()
    for text in fields:
        for norm in split_words(text).norms:
            if len(norm) <= MAX_WORD:
                keys |= keys_of(norm)
    return keys


def _fixture_items() -> list[WireItem]:
    items: list[WireItem] = []
    for path in sorted((ROOT / "tests" / "fixtures" / "feeds").iterdir()):
        try:
            items += parse_bytes(path.read_bytes(), SourceContext(source=path.name))
        except MonitorError:
            continue
    return items


def test_keys_are_every_normalised_word_keys_on_real_feeds() -> None:
    items = corpus_items() or _fixture_items()
    assert len(items) > 10
    for item in items:
        keys = item_keys(item.title, item.body).split()
        assert len(keys) == len(set(keys)), item.id  # each key once
        assert set(keys) == _keys_word_by_word(item.title, item.body), item.id


def test_stored_keys_find_what_every_key_would_find() -> None:
    """The index leaves out the tagged keys that repeat their word; a search word
    finds the same items as if every ``text_keys`` key were stored (and as rows
    written with every key stored, which the expanded search keys still meet)."""
    items = (corpus_items() or _fixture_items())[:150]
    assert len(items) > 10
    every = [_keys_word_by_word(i.title, i.body, keys_of=text_keys) for i in items]
    stored = [set(item_keys(i.title, i.body).split()) for i in items]
    assert sum(map(len, stored)) < 0.8 * sum(map(len, every))  # fewer keys written
    words = {w for i in items[::7] for w in split_words(i.title + " " + i.body).words}
    words |= {"NATO", "Peskov", "Песков", "الناتو", "guarantees", "Sicherheitsgarantien"}
    meets = 0
    for word in sorted(words):
        for exact in (False, True):
            plain = term_keys(word, exact=exact)
            [group] = term_groups(word, exact) or [KeyGroup(plain)]
            assert group.keys >= plain
            for all_keys, some_keys in zip(every, stored, strict=True):
                assert bool(plain & all_keys) == bool(group.keys & some_keys), (word, exact)
                assert bool(group.keys & all_keys) == bool(group.keys & some_keys), word
                meets += bool(plain & all_keys)
    assert meets > len(words)  # the words were found, not only missed alike


# Every character ``str.split()`` cuts on (``item_keys`` keys a text by its chunks)
WHITESPACE = [chr(code) for code in range(0x110000) if chr(code).isspace()]
# Words and non-words at the edges of those chunks: invisibles (inside a word, at its
# edge, alone), underscores, astral characters, marks alone, an over-long word
HARD_WORDS = [
    "NATO",
    "والناتو",
    "\u0640الناتو\u0640",
    "\u200bNATO\u200c",
    "\u200b",
    "snake_case_",
    "_lead",
    "😀Песков😀",
    "𝐍𝐀𝐓𝐎",
    "\u0301\u0301",
    "é\u0301",
    "l'OTAN",
    "NATO's",
    "x" * (MAX_WORD + 1),
]


@pytest.mark.parametrize("space", WHITESPACE)
def test_keys_are_every_normalised_word_keys_whatever_the_whitespace(space: str) -> None:
    title = space.join(HARD_WORDS)
    body = space + (space * 2).join(HARD_WORDS) + space
    keys = item_keys(title, body).split(" ")
    assert sorted(keys) == sorted(_keys_word_by_word(title, body))
    assert "nato" in keys
    # a word on its own, and at either end of a field
    for word in HARD_WORDS:
        for fields in ((word,), (space + word, word + space), (word + space + word,)):
            alone = item_keys(*fields).split()
            assert sorted(alone) == sorted(_keys_word_by_word(*fields)), fields


def _storable_reference(text: str) -> str:
    return "".join(
        "" if c == "\x00" else "\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text
    )


@pytest.mark.parametrize(
    "text",
    ["", "NATO", "NATO\x00", "\x00", "ناتو\x00", "ناتو", "\ud800", "ناتو\udfff", "a\ud83d\ude00",
     "😀\x00\udc00", "\ud83d", "\udfff\x00é"],
)  # fmt: skip
def test_storable_changes_only_nul_and_lone_surrogates(text: str) -> None:
    assert storable(text) == _storable_reference(text)


def test_storable_leaves_real_feeds_alone() -> None:
    for item in corpus_items() or _fixture_items():
        for text in (item.title, item.body):
            assert storable(text) == _storable_reference(text)


def test_an_attempt_as_a_task_argument_reads_back_and_stays_as_before() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    plain = DeliveryAttempt("a1", "webhook", 2, "retry", at, "HTTP 503")
    # a runner's attempt: the keys of the earlier release only, which its workers read
    assert set(plain.to_dict()) == {"alert_id", "channel", "attempt", "status", "at", "detail"}
    retried = DeliveryAttempt("a1", "webhook", 1, "sent", at, retried=True)
    stored = DeliveryAttempt("a1", "webhook", 1, "sent", at, series=2)
    for attempt in (plain, retried, stored):
        assert DeliveryAttempt.from_dict(attempt.to_dict()) == attempt
