"""Chunk-wise tokenising (``tokenize.chunk_words``) and the chunk scan
(``TermIndex.locate``) agree with the whole-text tokeniser, offsets included."""

from __future__ import annotations

from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match.compile import Entry, TermHit, TermIndex
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import chunk_tokens, chunk_words, split_words, tokenize

_PIECES = [
    "NATO",
    "security",
    "guarantees",
    "Sicherheitsrat",
    "Путина",
    "للناتو",
    "the",
    "x\u0301",  # a mark inside a word
    "\u0301",  # marks only: not a token
    "\u0640\u0644",  # tatweel at a word's edge
    "a_b",
    "l'OTAN",
    "«Kyiv»",
    "1,000",
    "\U0001d400b",  # an astral letter
]
_GAPS = [" ", "  ", ", ", ". ", "\n", "\n\n", " \n \n", "\n \n", "-", " \u200f", "! ", "\t", ""]


def _reference(chunk: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    parts = split_words(chunk).parts
    return tuple(parts[1::2]), tuple(accumulate(map(len, parts[: len(parts) - 1])))[::2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES + [g for g in _GAPS if " " not in g]), max_size=6))
def test_chunk_words_are_split_words(pieces: list[str]) -> None:
    chunk = "".join(pieces)
    assert chunk_words(chunk) == _reference(chunk)
    words, starts, norms = chunk_tokens(chunk)
    assert (words, starts) == _reference(chunk)
    assert norms == tuple(map(normalize_token, words))


def _index() -> TermIndex:
    index = TermIndex()
    for term in ("NATO", "security guarantees", "Sicherheits*", "Путин", "الناتو", "the NATO", "x"):
        assert index.add(term, Entry("topic", term, term))
    return index


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GAPS)), max_size=14))
def test_locate_agrees_with_tokenize(pieces: list[tuple[str, str]]) -> None:
    text = "".join(word + gap for word, gap in pieces)
    index = _index()
    located, hits = index.locate(text)
    tokens = tokenize(text)

    def key(h: TermHit) -> tuple[str, int, int]:
        return (h.entry.term, h.first, h.last)

    assert sorted(map(key, hits)) == sorted(map(key, index.find(tokens)))
    assert located.parts == split_words(text).parts
    assert located.words() == [t.text for t in tokens]
    for hit in hits:  # offsets of the tokens a scan met
        assert located.start(hit.first) == tokens[hit.first].start
        assert located.end(hit.last) == tokens[hit.last].end
    for number, token in enumerate(tokens):  # and of any other token
        assert (located.start(number), located.end(number)) == (token.start, token.end)


def test_phrases_do_not_cross_blank_lines_or_sentences() -> None:
    index = _index()
    for text in ("security\n\nguarantees", "security \n \nguarantees", "security.  guarantees"):
        assert index.locate(text)[1] == []
    for text in ("security\nguarantees", "security   guarantees", "security \n guarantees"):
        hits = index.locate(text)[1]
        assert [(h.entry.term, h.first, h.last) for h in hits] == [("security guarantees", 0, 1)]
