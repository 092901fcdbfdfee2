"""The reference the term index's chunk scan is checked against.

``find`` scans a ``tokenize`` list the plain way: for every token, the terms it
can start (``TermIndex._starts``, the index's own start lookup), then each such
term's later tokens compared key set by key set, a sentence break ending every
phrase. ``TermIndex.locate`` must give the same hits (tests/unit/test_compile.py,
tests/unit/test_tokenize_chunks.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from monitor.match.compile import Entry, TermHit, TermIndex
from monitor.text.morph import text_keys
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import Token


def find(index: TermIndex, tokens: Sequence[Token]) -> list[TermHit]:
    """Every (entry, token span) in a ``tokenize`` list; phrases stay within one
    sentence."""
    words = [token.text for token in tokens]

    def broken(at: int) -> bool:
        return tokens[at].sentence != tokens[at - 1].sentence

    return scan(index, words, broken)


def scan(index: TermIndex, words: Sequence[str], broken: Callable[[int], bool]) -> list[TermHit]:
    """The hits in ``words``; ``broken(i)``: a sentence break before word ``i``."""
    found: dict[tuple[Entry, int, int], None] = {}
    count = len(words)
    for first, word in enumerate(words):
        for term in index._starts(word):
            last = first + term.width
            if last == first:
                found[(term.entry, first, first)] = None
                continue
            if last >= count:
                continue
            if _follows(term.rest, term.prefix, words, first, broken):
                found[(term.entry, first, last)] = None
    return [TermHit(entry, first, last) for entry, first, last in found]


def _follows(
    rest: tuple[frozenset[str], ...],
    prefix: str | None,
    words: Sequence[str],
    first: int,
    broken: Callable[[int], bool],
) -> bool:
    """Whether the words after ``first`` match a term's later tokens (key sets,
    then a wildcard's prefix), with no sentence break in between."""
    index = first
    for keys in rest:
        index += 1
        if keys.isdisjoint(text_keys(normalize_token(words[index]))) or broken(index):
            return False
    if prefix is not None:
        index += 1
        if not normalize_token(words[index]).startswith(prefix) or broken(index):
            return False
    return True
