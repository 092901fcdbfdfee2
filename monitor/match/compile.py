"""Compile terms into one index over token keys, and find them in token streams.

Pure, no I/O. Every token has a small set of *keys* (``monitor.text.morph``):
its normalised form plus derived forms (stems, endings, Arabic clitics). A term
token matches a text token when their key sets meet; a term of n tokens matches
n consecutive text tokens of one sentence; a trailing ``*`` token matches any
token whose normalised form starts with it.

The index ("one automaton over the normalised token stream"):

- ``first``: a hash from every key of every term's *first* token to the terms
  starting with it (single-token wildcards are hashed by their first two letters);
- a per-index cache from each raw word seen to the terms its keys can start
  (``()`` for most words), so a field costs one ``re.split`` and one C-level
  ``map(cache.get, words)``; only the few words that start a term are looked at
  in Python, and only then are the next tokens' keys derived and compared;
- for a word met for the first time, an Aho-Corasick check of its normalised
  form against the *needles* of every term's first token
  (``monitor.match.presearch``: substrings any word with a given key must hold,
  anchored at the word's start or end): most new words hold none, and their keys
  (three Snowball stemmers for a Latin word) are never derived. Measured: steady
  10k terms 1,810 -> 2,190 items/s, 100k 900 -> 1,040 (same machine, same run).

Measured, not assumed (``bench/bench_match.py``: 3.2 KB items in six languages,
one core, CPython 3.11, warm token caches; presearch = ``find_text`` on title
and body, no watchlist evaluation; on a machine shared with other jobs):

====================================  =========================  ==========================
index                                 10k terms                  100k terms
====================================  =========================  ==========================
trie over token keys (the one this    1.90 s, +186 MB compile;   28.5 s, +1,498 MB;
replaced), walked from every token    313 items/s                51 items/s
hashed first keys + word cache (this) 0.16 s, +21 MB;            2.3-2.6 s, +149-154 MB;
                                      5,100 items/s              3,400-3,500 items/s
pyahocorasick over the joined stream  4,300 items/s              3,800 items/s
of normalised forms (exact forms
only: no stems, endings or clitics)
``re.split`` alone (the tokeniser)    8,600 items/s              8,600 items/s
====================================  =========================  ==========================

Why not Aho-Corasick over token-key strings? A token here is a *set* of keys,
asymmetric between terms and text (a text word gets every plausible ending or
clitic stripped, a term word only guarded forms), so there is no one key string
per token: the automaton would need every combination of a term's key sets as
patterns (the trie did exactly that, hence its memory) and one stream per
combination of text keys. Restricted to exact forms, where it does work, it is
within 20% of the hashed lookups either way, which also handle the derived
keys; so the hash is kept. Both are bound by the same C-level tokenisation
(``re.split``, then one dict lookup per word); the Python work left is per
*candidate* word only. A prefilter on the first three letters of every term
key, to skip deriving the keys of a new word that cannot start a term, was
measured too: it let 98% of new words through at 10k terms; the anchored
needles above let about a third through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import Final, Literal, NamedTuple, cast

from monitor.match.presearch import Presearch
from monitor.text.morph import term_keys, text_keys
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import SENTENCE_BREAK, Token, split_parts, split_words

__all__ = [
    "BLANK",
    "Entry",
    "TermHit",
    "TermIndex",
    "parse_term",
    "term_keys",
    "text_keys",
]

EntryKind = Literal["topic", "speaker", "exclude", "literal"]


class Entry(NamedTuple):
    """What a compiled term stands for: a topic's term, a speaker's alias, a topic's
    exclude phrase, or a literal from a query (``name`` is then the literal).

    Tuples, not dataclasses: hits are keyed and deduplicated by entry, and a
    tuple of strings hashes in C from the strings' cached hashes."""

    kind: EntryKind
    name: str
    term: str


class TermHit(NamedTuple):
    """``entry`` matched tokens ``first..last`` (inclusive) of a token list."""

    entry: Entry
    first: int
    last: int


@dataclass(frozen=True)
class ParsedTerm:
    """A config term split into per-token key sets; ``prefix`` is the normalised
    prefix of a trailing ``*`` wildcard token, if any."""

    keys: tuple[frozenset[str], ...]
    prefix: str | None


def parse_term(term: str) -> ParsedTerm | None:
    """Split a term (``NATO``, ``"exact words"``, ``Sicherheits*``) into token keys.

    Returns None for a term with no word tokens at all.
    """
    text = term.strip()
    exact = len(text) >= 2 and text[0] in '"“«' and text[-1] in '"”»'
    if exact:
        text = text[1:-1]
    wildcard = text.endswith("*")
    split = split_words(text.rstrip("*"))
    words, norms = split.words, split.norms
    if not words:
        return None
    prefix: str | None = None
    if wildcard and text.rstrip("*")[-1:].strip():
        prefix = norms[-1]
        words = words[:-1]
    keys = tuple(_term_keys(word, exact) for word in words)
    return ParsedTerm(keys, prefix)


@lru_cache(maxsize=65_536)
def _term_keys(word: str, exact: bool) -> frozenset[str]:
    # Compiling 100k terms meets the same words again and again.
    return term_keys(word, exact)


class _Term:
    """One compiled term: the key sets of its tokens after the first, and the
    prefix of a trailing wildcard token."""

    __slots__ = ("entry", "prefix", "rest", "width")

    def __init__(self, entry: Entry, rest: tuple[frozenset[str], ...], prefix: str | None):
        self.entry = entry
        self.rest = rest
        self.prefix = prefix
        self.width = len(rest) + (prefix is not None)  # tokens after the first


# Stands for a word whose normalised form is empty (marks only): not a token.
BLANK: Final = (_Term(Entry("literal", "", ""), (), None),)
_CACHE_LIMIT = 262_144  # words per cache (most map to the shared empty tuple)
_HEAD = 2  # single-token wildcards are hashed by this many leading letters


class TermIndex:
    """Every term of every watchlist, compiled once; ``find_words`` scans a field."""

    def __init__(self) -> None:
        self._first: dict[str, list[_Term]] = {}
        self._prefixes: dict[str, list[tuple[str, _Term]]] = {}  # head -> wildcards
        self._short: list[tuple[str, _Term]] = []  # wildcards shorter than the head
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        self._words: dict[str, tuple[_Term, ...]] = {}
        self._norms: dict[str, tuple[_Term, ...]] = {}
        self.presearch = Presearch()
        self._openers = Presearch()
        # False: derive the keys of every new word (the reference the needle
        # screen is checked against, tests/unit/test_presearch.py).
        self.screen_new_words = True
        self.size = 0

    def add(self, term: str, entry: Entry) -> bool:
        """Add one term; False if it has no word tokens (nothing to match)."""
        parsed = parse_term(term)
        if parsed is None:
            return False
        keys = tuple(self._interned.setdefault(k, k) for k in parsed.keys)
        if entry.kind != "exclude":  # an exclude phrase only vetoes a topic's hit
            self.presearch.add(keys, parsed.prefix)
        # Every term's first token, for the words met for the first time.
        self._openers.add(keys[:1], parsed.prefix if len(keys) == 0 else None)
        if not keys:  # a lone wildcard token: Sicherheits*
            assert parsed.prefix is not None
            compiled = _Term(entry, (), None)
            pair = (parsed.prefix, compiled)
            if len(parsed.prefix) < _HEAD:
                self._short.append(pair)
            else:
                self._prefixes.setdefault(parsed.prefix[:_HEAD], []).append(pair)
        else:
            compiled = _Term(entry, keys[1:], parsed.prefix)
            for key in keys[0]:
                self._first.setdefault(key, []).append(compiled)
        self._words.clear()
        self._norms.clear()
        self.size += 1
        return True

    def prepare(self) -> None:
        """Compile the needles of the terms added so far (else done on first use)."""
        self._openers.build()

    @property
    def seen(self) -> int:
        """How many distinct normalised words the start cache holds."""
        return len(self._norms)

    # -- finding -----------------------------------------------------------------

    def _starts(self, word: str) -> tuple[_Term, ...]:
        """The terms whose first token ``word`` can be (cached per word and norm)."""
        norm = normalize_token(word)
        if not norm:
            return BLANK
        found = self._norms.get(norm)
        if found is None and self.screen_new_words and not self._openers.word(norm):
            # No term's first token can be this word (a needle check in C): its
            # keys (stemmers, endings, clitics) are never derived.
            found = ()
            if len(self._norms) >= _CACHE_LIMIT:
                self._norms.clear()
            self._norms[norm] = found
        if found is None:
            first = self._first
            lists = [first[key] for key in text_keys(norm) if key in first]
            wildcards = self._prefixes.get(norm[:_HEAD])
            if wildcards or self._short:
                lists.append(
                    [t for p, t in (*(wildcards or ()), *self._short) if norm.startswith(p)]
                )
            if not lists:
                found = ()
            elif len(lists) == 1:
                found = tuple(lists[0])
            else:  # one term reached through several keys: once
                found = tuple(dict.fromkeys(t for terms in lists for t in terms))
            if len(self._norms) >= _CACHE_LIMIT:
                self._norms.clear()
            self._norms[norm] = found
        if len(self._words) >= _CACHE_LIMIT:
            self._words.clear()
        self._words[word] = found
        return found

    def starts(self, words: Sequence[str]) -> list[tuple[_Term, ...]]:
        """For each word, the terms it can start (``BLANK`` for a blank word)."""
        found = list(map(self._words.get, words))
        if None in found:
            # list.index scans in C: cheaper than enumerating ~450 words in Python.
            index = found.index(None)
            try:
                while True:
                    found[index] = self._starts(words[index])
                    index = found.index(None, index + 1)
            except ValueError:
                pass
        return cast(list[tuple[_Term, ...]], found)

    def find_text(self, text: str) -> tuple[list[str], list[TermHit]]:
        """Split ``text`` (``tokenize.split_words``: separators and words
        alternating) and find every (entry, token span) in it; phrases stay
        within one sentence. Token indexes are those of ``tokenize(text)``."""
        parts = split_parts(text)
        words = parts[1::2]
        starts = self.starts(words)
        if BLANK in starts:  # rare: drop runs of marks, as tokenize does
            parts = split_words(text).parts
            words = parts[1::2]
            starts = self.starts(words)

        def broken(index: int) -> bool:
            return SENTENCE_BREAK.search(parts[2 * index]) is not None

        return parts, self._scan(words, starts, broken)

    def find(self, tokens: Sequence[Token]) -> list[TermHit]:
        """Every (entry, token span) in a ``tokenize`` list; phrases stay within
        one sentence."""
        words = [token.text for token in tokens]

        def broken(index: int) -> bool:
            return tokens[index].sentence != tokens[index - 1].sentence

        return self._scan(words, self.starts(words), broken)

    @staticmethod
    def _scan(
        words: Sequence[str],
        starts: Sequence[tuple[_Term, ...]],
        broken: Callable[[int], bool],
    ) -> list[TermHit]:
        found: dict[tuple[Entry, int, int], None] = {}
        count = len(words)
        keys_at: dict[int, frozenset[str]] = {}  # several terms may test one token
        for first in compress(range(count), starts):
            for term in starts[first]:
                last = first + term.width
                if last == first:
                    found[(term.entry, first, first)] = None
                    continue
                if last >= count:
                    continue
                index = first
                for keys in term.rest:
                    index += 1
                    # Keys first: they rule out nearly every candidate, and cheaply.
                    have = keys_at.get(index)
                    if have is None:
                        have = keys_at[index] = text_keys(normalize_token(words[index]))
                    if keys.isdisjoint(have) or broken(index):
                        break
                else:
                    if term.prefix is not None:
                        index += 1
                        if not normalize_token(words[index]).startswith(term.prefix) or broken(
                            index
                        ):
                            continue
                    found[(term.entry, first, last)] = None
        return [TermHit(entry, first, last) for entry, first, last in found]
