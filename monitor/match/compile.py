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
  (``()`` for most words); only the few words that start a term are looked at
  in Python, and only then are the next tokens' keys derived and compared;
- no regex over a whole field: ``locate`` cuts it with ``str.split`` on spaces
  and line breaks into *chunks* ("said," "(NATO)." "NATO-Russia") and maps each
  through a per-index chunk cache (its words, their starts, the terms each can
  start; ``tokenize.chunk_tokens`` on a miss); news text
  repeats its chunks as it repeats its words. Token indexes and offsets are
  summed (in C) only up to the chunks that hold a hit, and a speaker's role
  reads the tokens it needs from the chunks (``Located``). Measured on
  the benchmark (presearch only, warm): 10k terms 4,970 -> 9,240 items/s, 100k
  3,610 -> 4,410; ``Matcher.match`` warm at 10k 3,380 -> ~5,000;
- for a word met for the first time, an Aho-Corasick check of its normalised
  form against the *needles* of every term's first token
  (``monitor.match.presearch``: substrings any word with a given key must hold,
  anchored at the word's start or end): most new words hold none, and their keys
  (three Snowball stemmers for a Latin word) are never derived. Measured: steady
  10k terms 1,810 -> 2,190 items/s, 100k 900 -> 1,040 (same machine, same run).
  A new word costs ~5 us at 10k terms, mostly C work that a batch of a field's
  new words would not share (dict and cache inserts, the needle check, folding,
  stemming), so each is learnt on its miss; the stemmers run without
  PyStemmer's own word cache and folding skips its ``translate`` when there is
  nothing to drop or map: steady
  ``Matcher.match`` at 100k terms 1,361-1,601 -> 1,577-2,008 items/s, at 10k
  3,675-4,142 -> 3,986-4,578 (same runs, best of 4-6 trials from reset caches; a
  one-off script, not kept: ``bench/bench_match.py`` reproduces the totals only).

This module and the rest of the item's path are compiled by mypyc in the
deployed build (setup.py, ``make bench``): the same code, fewer instructions
per new item (``bench/instructions.py``, callgrind: 10k terms 1.86M -> 1.29M,
100k terms 3.66M -> 2.51M). It compiles only code whose annotations hold at run
time (a ``cast`` that lies fails there), a native class cannot be weakly
referenced (hence the plain chunk dict), and a tuple of fixed length is kept
unboxed, as a C struct, so one that is stored and read back per chunk is typed
as a tuple of any length (``_Chunk``: 1.58M -> 1.29M at 10k terms).

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

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, compress, islice
from operator import itemgetter
from typing import Any, Final, Literal, NamedTuple, cast

from monitor.match.presearch import Presearch
from monitor.text.morph import term_keys, text_keys
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import (
    SENTENCE_BREAK,
    Token,
    chunk_tokens,
    split_parts,
    split_words,
)

__all__ = [
    "BLANK",
    "Entry",
    "Located",
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

    __slots__ = ("entry", "prefix", "rest", "steps", "width")

    def __init__(self, entry: Entry, rest: tuple[frozenset[str], ...], prefix: str | None):
        self.entry = entry
        self.rest = rest
        self.prefix = prefix
        self.width = len(rest) + (prefix is not None)  # tokens after the first
        # The tokens after the first: key sets, then None for a wildcard prefix.
        self.steps: tuple[frozenset[str] | None, ...] = rest + ((None,) if prefix else ())


# Stands for a word whose normalised form is empty (marks only): not a token.
BLANK: Final = (_Term(Entry("literal", "", ""), (), None),)
_CACHE_LIMIT = 262_144  # words per cache (most map to the shared empty tuple)
_HEAD = 2  # single-token wildcards are hashed by this many leading letters


# What the index knows of one chunk (a space-free piece of text): the terms
# each of its words can start (``()`` when none can start any), its words,
# where each word starts in it, and its *weight*: its length plus the space
# after it, plus its word count times ``_TOKEN``, so that one C-level ``sum``
# over a run of chunks gives both the characters and the tokens they span:
# (tuple[tuple[_Term, ...], ...], tuple[str, ...], tuple[int, ...], int).
# Typed as a tuple of any length: mypyc keeps a fixed-length tuple unboxed, as a
# C struct, so each chunk appended to a field's list was unpacked and packed
# into a new tuple (a tuple and an int allocated and freed per chunk, ~500 an
# item); a tuple of any length stays the cached object.
_Chunk = tuple[Any, ...]
_TOKEN = 1 << 40
_words_of = itemgetter(1)
_weight_of = itemgetter(3)
_new_tuple = tuple.__new__


def _tokens_of(total: int) -> int:
    return total // _TOKEN


_chars_of = _TOKEN.__rmod__  # a chunk total -> its first character


class Located:
    """The words of a text found chunk by chunk (``text.split(" ")``). Token
    offsets are worked out only for the tokens a scan looks at (a field's
    candidates and the words after them), walking from the nearest known one:
    summing every chunk's length up front costs more than most matches."""

    __slots__ = ("_chunks", "_infos", "_parts", "_totals", "_where", "text")

    def __init__(self, text: str, chunks: list[str], infos: list[_Chunk]) -> None:
        self.text = text
        self._chunks = chunks
        self._infos = infos
        # token index -> (offset of its chunk in the text, chunk, word in chunk)
        self._where: dict[int, tuple[int, int, int]] = {}
        self._parts: list[str] | None = None
        self._totals: list[int] | None = None

    @property
    def parts(self) -> list[str]:
        """Separators and words alternating (``split_words(text).parts``)."""
        if self._parts is None:
            parts = split_parts(self.text)
            # ``split_words`` differs only by dropping words of marks alone, which
            # no chunk holds: the same count of words means the same parts.
            if len(parts) // 2 != self.totals()[-1] // _TOKEN:
                parts = split_words(self.text).parts
            self._parts = parts
        return self._parts

    def words(self, first: int = 0, stop: int | None = None) -> list[str]:
        """The words ``first .. stop - 1`` (every word by default), in order
        (token ``i`` is ``words()[i]``)."""
        if stop is None:
            return list(chain.from_iterable(map(_words_of, self._infos)))[first:]
        totals = self.totals()
        # The chunk holding token t is the last whose total is below t + 1
        # tokens, whatever its characters (they are the low bits).
        low = bisect_right(totals, (first + 1) * _TOKEN - 1) - 1
        high = bisect_right(totals, stop * _TOKEN - 1)
        skip = first - totals[low] // _TOKEN
        words = chain.from_iterable(map(_words_of, self._infos[low:high]))
        return list(islice(words, skip, skip + stop - first))

    def totals(self) -> list[int]:
        """Summed chunk weights: chunk ``k`` starts at character
        ``totals[k] % _TOKEN`` and token ``totals[k] // _TOKEN`` (one C pass)."""
        if self._totals is None:
            self._totals = list(accumulate(map(_weight_of, self._infos), initial=0))
        return self._totals

    def count(self) -> int:
        """How many tokens the text has."""
        return self.totals()[-1] // _TOKEN

    def word_at(self, index: int) -> tuple[str, int]:
        """(token ``index``, where it starts in the text): a ``TokenSource`` for
        ``TokenView``, so a speaker's role reads its tokens from the chunks and
        the field is not split again."""
        totals = self.totals()
        chunk = bisect_right(totals, (index + 1) * _TOKEN - 1) - 1
        total = totals[chunk]
        info = self._infos[chunk]
        words: tuple[str, ...] = info[1]
        starts: tuple[int, ...] = info[2]
        local = index - total // _TOKEN
        return words[local], total % _TOKEN + starts[local]

    def index_at(self, offset: int) -> int:
        """How many tokens start at or before character ``offset``."""
        totals = self.totals()
        chunk = min(bisect_right(totals, offset, key=_chars_of) - 1, len(self._infos) - 1)
        if chunk < 0:
            return 0
        starts: tuple[int, ...] = self._infos[chunk][2]
        return totals[chunk] // _TOKEN + bisect_right(starts, offset - totals[chunk] % _TOKEN)

    def _place(self, index: int) -> tuple[int, int, int]:
        place = self._where.get(index)
        if place is None:  # not met by a scan
            totals = self.totals()
            chunk = bisect_right(totals, index, key=_tokens_of) - 1
            local = index - totals[chunk] // _TOKEN
            if not 0 <= chunk < len(self._infos) or local >= len(self._infos[chunk][1]):
                raise IndexError(index)
            place = self._where[index] = (totals[chunk] % _TOKEN, chunk, local)
        return place

    def start(self, index: int) -> int:
        """Offset in the text where token ``index`` starts."""
        offset, chunk, local = self._place(index)
        starts: tuple[int, ...] = self._infos[chunk][2]
        return offset + starts[local]

    def end(self, index: int) -> int:
        """Offset in the text just after token ``index``."""
        offset, chunk, local = self._place(index)
        info = self._infos[chunk]
        words: tuple[str, ...] = info[1]
        starts: tuple[int, ...] = info[2]
        return offset + starts[local] + len(words[local])

    def word(self, index: int) -> str:
        _, chunk, local = self._place(index)
        words: tuple[str, ...] = self._infos[chunk][1]
        return words[local]

    def broken(self, index: int) -> bool:
        """Does a sentence break separate tokens ``index - 1`` and ``index``?"""
        gap = self.text[self.end(index - 1) : self.start(index)]
        return SENTENCE_BREAK.search(gap) is not None


class TermIndex:
    """Every term of every watchlist, compiled once; ``find_words`` scans a field."""

    def __init__(self) -> None:
        self._first: dict[str, list[_Term]] = {}
        self._prefixes: dict[str, list[tuple[str, _Term]]] = {}  # head -> wildcards
        self._short: list[tuple[str, _Term]] = []  # wildcards shorter than the head
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        self._words: dict[str, tuple[_Term, ...]] = {}
        self._norms: dict[str, tuple[_Term, ...]] = {}
        # chunk -> what the index knows of it (news text repeats its chunks)
        self._chunks: dict[str, _Chunk] = {}
        self._keys: dict[str, frozenset[str]] = {}  # text word -> its keys
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
        self._chunks.clear()
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

    def _starts(self, word: str, norm: str | None = None) -> tuple[_Term, ...]:
        """The terms whose first token ``word`` (normalised: ``norm``) can be
        (cached per word and norm)."""
        if norm is None:
            norm = normalize_token(word)
            if not norm:
                return BLANK
        found = self._norms.get(norm)
        if found is None:
            if self.screen_new_words and not self._openers.word(norm):
                # No term's first token can be this word (a needle check in C): its
                # keys (stemmers, endings, clitics) are never derived.
                found = ()
            else:
                found = self._derive(norm)
            if len(self._norms) >= _CACHE_LIMIT:
                self._norms.clear()
            self._norms[norm] = found
        if len(self._words) >= _CACHE_LIMIT:
            self._words.clear()
        self._words[word] = found
        return found

    def _derive(self, norm: str) -> tuple[_Term, ...]:
        """The terms a word with normalised form ``norm`` can start, from its keys."""
        # One lookup per key (the lists are never empty), in C.
        lists: list[Sequence[_Term]] = list(filter(None, map(self._first.get, text_keys(norm))))
        wildcards = self._prefixes.get(norm[:_HEAD])
        if self._short:  # rare: no tuple of every wildcard built for each word
            wildcards = [*(wildcards or ()), *self._short]
        if wildcards:
            lists.append([t for p, t in wildcards if norm.startswith(p)])
        if not lists:
            return ()
        if len(lists) == 1:
            return tuple(lists[0])
        # One term reached through several keys: once.
        return tuple(dict.fromkeys(chain.from_iterable(lists)))

    def _chunk(self, chunk: str) -> _Chunk:
        """What the index knows of a chunk met for the first time (cached)."""
        words, starts, norms = chunk_tokens(chunk)
        if len(words) == 1:  # the usual chunk: a word, maybe with punctuation
            word = words[0]
            got = self._words.get(word)
            if got is None:
                got = self._starts(word, norms[0])
            terms: tuple[tuple[_Term, ...], ...] = (got,) if got else ()
        else:
            known = self._words.get
            terms = tuple(
                self._starts(word, norm) if (got := known(word)) is None else got
                for word, norm in zip(words, norms, strict=True)
            )
            if not any(terms):
                terms = ()
        found = (terms, words, starts, len(chunk) + 1 + len(words) * _TOKEN)
        if len(self._chunks) >= _CACHE_LIMIT:
            self._chunks.clear()
        self._chunks[chunk] = found
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
        located, hits = self.locate(text)
        return located.parts, hits

    def locate(self, text: str) -> tuple[Located, list[TermHit]]:
        """``find_text`` without splitting the whole text: the hits, and the
        text's words with offsets computed on demand (``Located``)."""
        # Line breaks cut chunks too (same length: offsets hold), so a paragraph's
        # first and last words are chunks met before, not a new "end.\n\nStart".
        chunks = (text.replace("\n", " ") if "\n" in text else text).split(" ")
        cache = self._chunks
        infos: list[_Chunk] = []
        marked: list[int] = []  # the chunks holding a word that can start a term: few
        # One plain loop: no slower than ``map``s of ``dict.get`` and ``itemgetter``
        # in CPython, and as many instructions compiled by mypyc (callgrind).
        for number, chunk in enumerate(chunks):
            info = cache.get(chunk)
            if info is None:
                info = self._chunk(chunk)
            infos.append(info)
            if info[0]:
                marked.append(number)
        located = Located(text, chunks, infos)
        if not marked:
            return located, []
        return located, self._scan_located(located, marked)

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

    def _word_keys(self, word: str) -> frozenset[str]:
        """The keys of a text word (cached per index: phrases test the same few)."""
        if len(self._keys) >= _CACHE_LIMIT:
            self._keys.clear()
        keys = self._keys[word] = text_keys(normalize_token(word))
        return keys

    def _scan_located(self, located: Located, marked: list[int]) -> list[TermHit]:
        """``_scan`` over the words of ``located``, visiting only the ``marked``
        chunks: the same hits, in the same order. Words are addressed as
        (chunk, word in chunk) until a hit needs token indexes and offsets, so
        the many candidates that fail on their next word cost no position work.

        The terms a word can start share the word after it: where it is, its
        keys, its normalised form and the gap before it are worked out once per
        word (a word starts ~1.7 terms at 100k), and most terms fail right there,
        on one ``isdisjoint``; only those that get past it walk on (``_follow``)."""
        found: list[TermHit] = []
        keys_of = self._keys.get
        infos = located._infos
        where = located._where
        total = len(infos)
        seen = token = offset = 0  # chunk ``seen`` starts at ``token``, ``offset``
        for chunk in marked:
            info = infos[chunk]
            here: tuple[str, ...] = info[1]
            heads: tuple[tuple[_Term, ...], ...] = info[0]
            for local, terms in enumerate(heads):
                if not terms:
                    continue
                c = -1  # the next word (word w of chunk c) is not worked out yet
                mark = len(found)  # the hits of the terms this word starts follow
                for term in terms:
                    steps = term.steps
                    if not steps:  # a single-token term: a hit here
                        end_chunk, end_word = chunk, local
                    else:
                        if c < 0:  # the first longer term of this word
                            c, w, words = chunk, local + 1, here
                            if w == len(words):  # the next word is in a later chunk
                                w = 0
                                c += 1
                                while c < total and not infos[c][1]:
                                    c += 1
                                words = infos[c][1] if c < total else ()
                            word = words[w] if c < total else None
                            have: frozenset[str] | None = None
                            norm: str | None = None
                            broken: bool | None = None
                        if word is None:
                            continue  # the text ends before any longer term would
                        keys = steps[0]
                        if keys is not None:
                            if have is None:
                                have = keys_of(word)
                                if have is None:
                                    have = self._word_keys(word)
                            if keys.isdisjoint(have):
                                continue
                        else:
                            if norm is None:
                                norm = normalize_token(word)
                            if not norm.startswith(cast(str, term.prefix)):
                                continue
                        # Keys agree: a sentence break in between? (Token sums
                        # are brought to this chunk first: the hit needs them.)
                        if chunk > seen:
                            weight = sum(map(_weight_of, infos[seen:chunk]))
                            token += weight // _TOKEN
                            offset += weight % _TOKEN
                            seen = chunk
                        if broken is None:
                            broken = _broken(located, chunk, offset, chunk, local, c, w)
                        if broken:
                            continue
                        if len(steps) == 1:
                            end_chunk, end_word = c, w
                        else:
                            end = self._follow(located, steps, term.prefix, chunk, offset, c, w)
                            if end is None:
                                continue
                            end_chunk, end_word = end
                    # A hit: token indexes (sums in C over the chunks skipped).
                    if chunk > seen:
                        weight = sum(map(_weight_of, infos[seen:chunk]))
                        token += weight // _TOKEN
                        offset += weight % _TOKEN
                        seen = chunk
                    first = token + local
                    where[first] = (offset, chunk, local)
                    last = first
                    if end_chunk > chunk:
                        if end_chunk == chunk + 1:
                            weight = info[3]
                        else:
                            weight = sum(map(_weight_of, infos[chunk:end_chunk]))
                        last = token + weight // _TOKEN + end_word
                        where[last] = (offset + weight % _TOKEN, end_chunk, end_word)
                    elif end_word > local:
                        last = token + end_word
                        where[last] = (offset, end_chunk, end_word)
                    # ``tuple.__new__`` in C: the named tuple's own ``__new__`` is Python.
                    hit = _new_tuple(TermHit, (term.entry, first, last))
                    # A repeat (two terms of one entry, one span) starts here too.
                    if len(found) == mark or hit not in found[mark:]:
                        found.append(hit)
        return found

    def _follow(
        self,
        located: Located,
        steps: tuple[frozenset[str] | None, ...],
        prefix: str | None,  # set when a step is None (a wildcard's)
        chunk: int,
        offset: int,
        c: int,
        w: int,
    ) -> tuple[int, int] | None:
        """Where a term of several tokens ends (chunk, word), its first two tokens
        matched at word w of chunk c (the text's chunk ``chunk`` starts at character
        ``offset``); None when a later token does not match."""
        infos = located._infos
        total = len(infos)
        words: tuple[str, ...] = infos[c][1]
        for keys in steps[1:]:
            pc, pw = c, w
            w += 1
            if w == len(words):  # the next word is in a later chunk
                w = 0
                c += 1
                while c < total and not infos[c][1]:
                    c += 1
                if c == total:
                    return None  # the text ends before the term would
                words = infos[c][1]
            word = words[w]
            if keys is not None:
                have = self._keys.get(word)
                if have is None:
                    have = self._word_keys(word)
                if keys.isdisjoint(have):
                    return None
            elif not normalize_token(word).startswith(cast(str, prefix)):
                return None
            if _broken(located, chunk, offset, pc, pw, c, w):
                return None
        return c, w


def _broken(located: Located, chunk: int, offset: int, pc: int, pw: int, c: int, w: int) -> bool:
    """Does a sentence break separate word pw of chunk pc from word w of chunk c
    (the text's chunk ``chunk``, at or before pc, starts at character ``offset``)?"""
    infos, chunks = located._infos, located._chunks
    tail: int = infos[pc][2][pw] + len(infos[pc][1][pw])
    head: int = infos[c][2][w]
    if pc == c:  # no line break inside a chunk
        gap = chunks[c][tail:head]
    elif c == pc + 1:
        # One space or line break between: never a blank line.
        gap = chunks[pc][tail:] + " " + chunks[c][:head]
    else:  # the text's own gap: the chunks lost its line breaks
        at = offset
        if pc > chunk:
            at += sum(map(_weight_of, infos[chunk:pc])) % _TOKEN
        after = at + sum(map(_weight_of, infos[pc:c])) % _TOKEN
        gap = located.text[at + tail : after + head]
    return SENTENCE_BREAK.search(gap) is not None
