"""Chunk-wise tokenising (``tokenize.chunk_words``) and the chunk scan
(``TermIndex.locate``) agree with the whole-text tokeniser, offsets included."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match.compile import Entry, TermHit, TermIndex
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import TokenView, chunk_tokens, chunk_words, split_words, tokenize
from tests import reference_index

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

    assert sorted(map(key, hits)) == sorted(map(key, reference_index.find(index, tokens)))
    assert located.parts == split_words(text).parts
    assert located.words() == [t.text for t in tokens]
    for hit in hits:  # offsets of the tokens a scan met
        assert located.start(hit.first) == tokens[hit.first].start
        assert located.end(hit.last) == tokens[hit.last].end
    for number, token in enumerate(tokens):  # and of any other token
        assert (located.start(number), located.end(number)) == (token.start, token.end)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GAPS)), max_size=14))
def test_token_view_of_located_agrees_with_tokenize(pieces: list[tuple[str, str]]) -> None:
    text = "".join(word + gap for word, gap in pieces)
    tokens = tokenize(text)
    located = _index().locate(text)[0]
    for view in (TokenView(located), TokenView(split_words(text).parts, text)):
        assert len(view) == len(tokens)
        assert [t[:4] for t in view] == [t[:4] for t in tokens]  # text, offsets, norm
        assert view.norms(0, len(view)) == [t.norm for t in tokens]
        for i in range(1, len(tokens)):  # sentences: numbered apart, split alike
            same = tokens[i].sentence == tokens[i - 1].sentence
            assert (view[i].sentence == view[i - 1].sentence) is same
            assert view[i].sentence >= view[i - 1].sentence
        for i, token in enumerate(tokens):
            inside = [j for j, t in enumerate(tokens) if t.sentence == token.sentence]
            assert view.sentence_bounds(i) == (inside[0], inside[-1])
    for first in range(len(tokens)):
        for stop in range(first, len(tokens) + 1):
            assert located.words(first, stop) == [t.text for t in tokens[first:stop]]


def test_phrases_do_not_cross_blank_lines_or_sentences() -> None:
    index = _index()
    for text in ("security\n\nguarantees", "security \n \nguarantees", "security.  guarantees"):
        assert index.locate(text)[1] == []
    for text in ("security\nguarantees", "security   guarantees", "security \n guarantees"):
        hits = index.locate(text)[1]
        assert [(h.entry.term, h.first, h.last) for h in hits] == [("security guarantees", 0, 1)]


def test_located_reads_any_token() -> None:
    pieces = [*_PIECES, *_PIECES[::-1], "NATO"]
    gaps = [_GAPS[i % len(_GAPS)] for i in range(len(pieces))]
    text = "".join(word + gap for word, gap in zip(pieces, gaps, strict=True))
    tokens = tokenize(text)
    starts = [t.start for t in tokens]
    located = _index().locate(text)[0]
    assert located.count() == len(tokens)
    for i in sorted(range(len(tokens)), key=lambda i: (i * 7) % len(tokens)):
        assert located.word_at(i) == (tokens[i].text, tokens[i].start)
    for offset in range(len(text) + 1):
        assert located.index_at(offset) == bisect_right(starts, offset)
    for first in range(len(tokens) + 1):
        for stop in range(first, len(tokens) + 1):
            assert located.words(first, stop) == [t.text for t in tokens[first:stop]]
