"""The compiled term index (monitor.match.compile) and the engine's watchlist prefilter.

Multi-key tokens, overlapping terms, prefix wildcards, sentence limits, the
longest-match and duplicate rules, the chunk scan agreeing with the reference
(tests/reference_index.py), and per-field language detection.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config.schema import Config
from monitor.match import engine
from monitor.match.compile import Entry, TermHit, TermIndex
from monitor.model import WireItem
from monitor.text.tokenize import tokenize
from tests import reference_index


def index_of(*terms: str) -> TermIndex:
    index = TermIndex()
    for term in terms:
        assert index.add(term, Entry("topic", term, term))
    return index


def spans(index: TermIndex, text: str) -> set[tuple[str, str]]:
    """(term, matched text) for every hit."""
    parts, hits = index.find_text(text)
    assert "".join(parts) == text
    tokens = tokenize(text)
    return {(h.entry.term, text[tokens[h.first].start : tokens[h.last].end]) for h in hits}


def test_multi_key_tokens_match_inflected_forms() -> None:
    index = index_of("гарантии безопасности", "الناتو", "security guarantees")
    found = spans(index, "О гарантиях безопасности. وقال إن للناتو. A security guarantee.")
    assert found == {
        ("гарантии безопасности", "гарантиях безопасности"),
        ("الناتو", "للناتو"),
        ("security guarantees", "security guarantee"),
    }


def test_overlapping_terms_are_all_found() -> None:
    index = index_of("security", "security guarantees", "guarantees for Ukraine")
    found = spans(index, "Talks on security guarantees for Ukraine")
    assert found == {
        ("security", "security"),
        ("security guarantees", "security guarantees"),
        ("guarantees for Ukraine", "guarantees for Ukraine"),
    }


def test_phrases_stay_within_a_sentence_and_in_order() -> None:
    index = index_of("security guarantees")
    assert spans(index, "It was about security. Guarantees came later.") == set()
    assert spans(index, "guarantees of security") == set()
    assert spans(index, "security\n  guarantees") == {
        ("security guarantees", "security\n  guarantees")
    }


def test_prefix_wildcards_alone_and_after_words() -> None:
    index = index_of("Sicherheits*", "North Atl*", "x*")
    found = spans(index, "Die Sicherheitskonferenz und North Atlantic, xylophone; Sicherheit")
    assert found == {
        ("Sicherheits*", "Sicherheitskonferenz"),
        ("North Atl*", "North Atlantic"),
        ("x*", "xylophone"),
    }
    assert spans(index, "North. Atlantic") == set()


def test_exact_and_acronym_terms_do_not_inflect() -> None:
    index = index_of('"Brent"', "NATO")
    assert spans(index, "Brents NATOs Brent NATO") == {('"Brent"', "Brent"), ("NATO", "NATO")}


def test_duplicate_terms_give_one_hit_per_span() -> None:
    index = TermIndex()
    entry = Entry("topic", "NATO", "NATO")
    index.add("NATO", entry)
    index.add("NATO", entry)
    _, hits = index.find_text("NATO and NATO")
    assert sorted((h.first, h.last) for h in hits) == [(0, 0), (2, 2)]


def test_terms_added_after_a_scan_are_found() -> None:
    index = index_of("NATO")
    assert spans(index, "OTAN") == set()
    index.add("OTAN", Entry("topic", "OTAN", "OTAN"))
    assert spans(index, "OTAN") == {("OTAN", "OTAN")}


def test_blank_words_do_not_shift_token_indexes() -> None:
    # A lone combining mark is a run of marks only: tokenize drops it.
    text = "alpha \u0301 NATO beta"
    index = index_of("NATO")
    parts, hits = index.find_text(text)
    assert "".join(parts) == text
    assert [(h.first, h.last) for h in hits] == [(1, 1)]
    assert tokenize(text)[1].text == "NATO"


_WORDS = ["NATO", "security", "guarantees", "Sicherheitsrat", "Путина", "للناتو", "and", "the"]
_GAPS = [" ", ", ", ". ", "\n", "-", " \u200f"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_GAPS)), max_size=12))
def test_find_text_agrees_with_the_reference_on_tokens(pieces: list[tuple[str, str]]) -> None:
    text = "".join(word + gap for word, gap in pieces)
    index = index_of("NATO", "security guarantees", "Sicherheits*", "Путин", "الناتو", "the NATO")
    _, hits = index.find_text(text)

    def key(h: TermHit) -> tuple[str, int, int]:
        return (h.entry.term, h.first, h.last)

    assert sorted(map(key, hits)) == sorted(map(key, reference_index.find(index, tokenize(text))))


# -- the engine: longest match, watchlist prefilter, languages -------------------------


def config(watchlists: dict[str, Any], **extra: Any) -> Config:
    return Config.model_validate(
        {
            "topics": {"NATO": ["NATO", "OTAN", "الناتو"], "Ukraine": ["Ukraine"]},
            "speakers": {"Dmitry Peskov": ["Dmitry Peskov", "Peskov", "Dmitry"]},
            "watchlists": watchlists,
            **extra,
        }
    )


def item(body: str, title: str = "", **fields: Any) -> WireItem:
    return WireItem(id="x", title=title, body=body, source="test", **fields)


def test_longest_alias_wins_and_repeats_collapse() -> None:
    matcher = engine.build_matcher(config({"w": {"speakers": ["Dmitry Peskov"]}}))
    (match,) = matcher.match(item("Dmitry Peskov spoke. Peskov left."))
    assert [h.text for h in match.hits] == ["Dmitry Peskov", "Peskov"]


def test_the_watchlist_prefilter_still_runs_queries_that_need_no_hit() -> None:
    matcher = engine.build_matcher(
        config(
            {
                "not-nato": {"when": "NOT NATO"},
                "arabic": {"when": "lang:ar"},
                "nato": {"topics": ["NATO"]},
            }
        )
    )
    assert [m.watchlist for m in matcher.match(item("Weather", language="en"))] == ["not-nato"]
    assert [m.watchlist for m in matcher.match(item("طقس", language="ar"))] == [
        "not-nato",
        "arabic",
    ]
    assert [m.watchlist for m in matcher.match(item("NATO", language="en"))] == ["nato"]


def test_languages_detected_per_field_only_when_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_detect(text: str, hint: str | None = None) -> str | None:
        calls.append(text)
        return "fr" if "OTAN" in text else "en"

    monkeypatch.setattr(engine, "detect_language", fake_detect)
    plain = engine.build_matcher(config({"w": {"topics": ["NATO"]}}))
    assert plain.match(item("NATO met.", title="L'OTAN")) != []
    assert calls == []  # no watchlist asks for a language: nothing detected

    matcher = engine.build_matcher(
        config(
            {
                "fr": {"topics": ["NATO"], "languages": ["fr"]},
                "q": {"when": "NATO AND lang:en"},
            }
        )
    )
    matches = matcher.match(item("NATO ministers met.", title="L'OTAN se réunit"))
    assert len(calls) == 2  # title and body, once each for the item
    by_name = {m.watchlist: m for m in matches}
    assert [(h.field, h.text) for h in by_name["fr"].hits] == [("title", "OTAN")]
    assert "q" in by_name
    # A declared language wins over detection.
    calls.clear()
    assert [m.watchlist for m in matcher.match(item("NATO", title="OTAN", language="de"))] == []
    assert calls == []


# -- the fast tokeniser against its definition ------------------------------------

_CHARS = st.sampled_from(
    [*"aZ5 .,-'’_\n", "ى", "ـ", "\u200f", "\u200c", "\u064e", "\u0301", "й", "\U0001d165", "😀"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CHARS, max_size=40).map("".join))
def test_fast_split_matches_the_word_definition(text: str) -> None:
    from monitor.text import tokenize as tk
    from monitor.text.normalize import normalize_token

    # The definition: _WORD (no invisible character at a word's edge), minus
    # runs whose normal form is empty.
    expected = [
        (m.start(), m.group()) for m in tk._WORD.finditer(text) if normalize_token(m.group())
    ]
    assert [(t.start, t.text) for t in tokenize(text)] == expected
    assert [(t.start, t.text) for t in tk.TokenView(tk.split_words(text).parts, text)] == expected
    assert "".join(tk.split_words(text).parts) == text
