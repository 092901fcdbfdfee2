"""Compile terms into one index over token keys, and find them in token streams.

Pure, no I/O. Every token has a small set of *keys* (``monitor.text.morph``):
its normalised form plus derived forms (stems, endings, Arabic clitics). A term
token matches a text token when their key sets meet; a term of n tokens matches
n consecutive text tokens of one sentence; a trailing ``*`` token matches any
token whose normalised form starts with it.

The index:

- ``first``: a hash from every key of every term's *first* token to the terms
  starting with it (single-token wildcards are hashed by their first two letters);
- a per-index cache from each raw word seen to the terms its keys can start
  (``()`` for most words); only the few words that start a term are looked at
  in Python, and only then are the next tokens' keys derived and compared;
- no regex over a whole field: ``locate`` cuts it with ``str.split`` on spaces
  and line breaks into *chunks* ("said," "(NATO)." "NATO-Russia") and maps each
  through a per-index chunk cache (its words, their starts, the terms each can
  start; ``tokenize.chunk_tokens`` on a miss); news text repeats its chunks as
  it repeats its words. Token indexes and offsets are summed (in C) only up to
  the chunks that hold a hit, and a speaker's role reads the tokens it needs
  from the chunks (``Located``);
- a word met for the first time goes through the new-word needle screen
  (``monitor.match.needles``) before its keys are derived: most new words can
  start no term, and their keys (three Snowball stemmers for a Latin word) are
  never derived. A new word's work is mostly C (dict and cache inserts, the
  needle check, folding, stemming) that a batch of a field's new words would not
  share, so each is learnt on its miss.

This module and the rest of the item's path are compiled by mypyc in the
deployed build (setup.py, ``make bench``): the same code, fewer instructions
per item (``bench/instructions.py``; figures in bench/RESULTS.md, section
instructions). mypyc compiles only code whose annotations hold at run time (a
``cast`` that lies fails there), a native class cannot be weakly referenced
(hence the plain chunk dict), and a tuple of fixed length is kept unboxed, as a
C struct, so one that is stored and read back per chunk is typed as a tuple of
any length (``_Chunk``).

Why hashed first keys, not Aho-Corasick over token-key strings? A token here is
a *set* of keys, asymmetric between terms and text (a text word gets every
plausible ending or clitic stripped, a term word only guarded forms), so there
is no one key string per token: the automaton would need every combination of a
term's key sets as patterns (a trie over token keys did exactly that, and its
memory and compile time grew with the config far beyond the hash's) and one
stream per combination of text keys. Restricted to exact forms, where it does
work, it is no faster than the hashed lookups, which also handle the derived
keys (``bench/bench_match.py`` measures both; bench/RESULTS.md, section
bench_match). Both are bound by the same C-level tokenisation (one split, then
one dict lookup per word); the Python work left is per *candidate* word only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, islice
from operator import itemgetter
from typing import Any, Final, Literal, NamedTuple, cast

from monitor.match.needles import NeedleScreen
from monitor.text.morph import term_keys, text_keys
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import (
    SENTENCE_BREAK,
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
    # Compiling a large config meets the same words again and again.
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
# where each word starts in it, and its *weight* (``_weight``):
# (tuple[tuple[_Term, ...], ...], tuple[str, ...], tuple[int, ...], int).
# Typed as a tuple of any length: mypyc keeps a fixed-length tuple unboxed, as a
# C struct, so each chunk appended to a field's list would be unpacked and
# packed into a new tuple (allocated and freed per chunk); a tuple of any length
# stays the cached object.
_Chunk = tuple[Any, ...]
_words_of = itemgetter(1)
_weight_of = itemgetter(3)
_new_tuple = tuple.__new__

# A chunk's weight packs two counts into one int: its characters (with the space
# after it) in the low bits, its words times ``_TOKEN`` above them, so that one
# C-level ``sum`` over a run of chunks counts both (``_run_weight``); ``_tokens_of``
# and ``_chars_of`` read them back.
_TOKEN: Final = 1 << 40


def _weight(chars: int, tokens: int) -> int:
    """The packed weight of ``chars`` characters holding ``tokens`` tokens."""
    return chars + tokens * _TOKEN


def _tokens_of(weight: int) -> int:
    """The tokens of a packed weight (or of a sum of them)."""
    return weight // _TOKEN


def _chars_of(weight: int) -> int:
    """The characters of a packed weight (or of a sum of them)."""
    return weight % _TOKEN


def _run_weight(infos: list[_Chunk], start: int, stop: int) -> int:
    """The summed weight of chunks ``start .. stop - 1`` (one pass in C)."""
    return sum(map(_weight_of, infos[start:stop]))


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
            if len(parts) // 2 != self.count():
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
        low = bisect_right(totals, _weight(0, first + 1) - 1) - 1
        high = bisect_right(totals, _weight(0, stop) - 1)
        skip = first - _tokens_of(totals[low])
        words = chain.from_iterable(map(_words_of, self._infos[low:high]))
        return list(islice(words, skip, skip + stop - first))

    def totals(self) -> list[int]:
        """Summed chunk weights: chunk ``k`` starts at character
        ``_chars_of(totals[k])`` and token ``_tokens_of(totals[k])`` (one C pass)."""
        if self._totals is None:
            self._totals = list(accumulate(map(_weight_of, self._infos), initial=0))
        return self._totals

    def count(self) -> int:
        """How many tokens the text has."""
        return _tokens_of(self.totals()[-1])

    def word_at(self, index: int) -> tuple[str, int]:
        """(token ``index``, where it starts in the text): a ``TokenSource`` for
        ``TokenView``, so a speaker's role reads its tokens from the chunks and
        the field is not split again."""
        totals = self.totals()
        chunk = bisect_right(totals, _weight(0, index + 1) - 1) - 1
        total = totals[chunk]
        info = self._infos[chunk]
        words: tuple[str, ...] = info[1]
        starts: tuple[int, ...] = info[2]
        local = index - _tokens_of(total)
        return words[local], _chars_of(total) + starts[local]

    def index_at(self, offset: int) -> int:
        """How many tokens start at or before character ``offset``."""
        totals = self.totals()
        chunk = min(bisect_right(totals, offset, key=_chars_of) - 1, len(self._infos) - 1)
        if chunk < 0:
            return 0
        starts: tuple[int, ...] = self._infos[chunk][2]
        total = totals[chunk]
        return _tokens_of(total) + bisect_right(starts, offset - _chars_of(total))

    def _place(self, index: int) -> tuple[int, int, int]:
        place = self._where.get(index)
        if place is None:  # not met by a scan
            totals = self.totals()
            chunk = bisect_right(totals, index, key=_tokens_of) - 1
            local = index - _tokens_of(totals[chunk])
            if not 0 <= chunk < len(self._infos) or local >= len(self._infos[chunk][1]):
                raise IndexError(index)
            place = self._where[index] = (_chars_of(totals[chunk]), chunk, local)
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
    """Every term of every watchlist, compiled once; ``locate`` scans a field."""

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
        self._screen = NeedleScreen()  # the first tokens' needles, for new words
        # False: derive the keys of every new word (the reference the needle
        # screen is checked against, tests/unit/test_needles.py).
        self.screen_new_words = True
        self.size = 0

    def add(self, term: str, entry: Entry) -> bool:
        """Add one term; False if it has no word tokens (nothing to match)."""
        parsed = parse_term(term)
        if parsed is None:
            return False
        keys = tuple(self._interned.setdefault(k, k) for k in parsed.keys)
        # Every term's first token, for the words met for the first time.
        if keys:
            self._screen.add(keys[0])
        else:
            self._screen.add(frozenset(), parsed.prefix)
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
        self._screen.build()

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
            if self.screen_new_words and not self._screen.word(norm):
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
        found = (terms, words, starts, _weight(len(chunk) + 1, len(words)))
        if len(self._chunks) >= _CACHE_LIMIT:
            self._chunks.clear()
        self._chunks[chunk] = found
        return found

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

    def _word_keys(self, word: str) -> frozenset[str]:
        """The keys of a text word (cached per index: phrases test the same few)."""
        keys = self._keys.get(word)
        if keys is None:
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            keys = self._keys[word] = text_keys(normalize_token(word))
        return keys

    def _scan_located(self, located: Located, marked: list[int]) -> list[TermHit]:
        """Every hit in ``located``, visiting only the ``marked`` chunks (those
        holding a word that can start a term), in text order. Words are addressed
        as (chunk, word in chunk) until a hit needs token indexes and offsets
        (``_Cursor``), so the many candidates that fail on their next word cost
        no position work."""
        found: list[TermHit] = []
        cursor = _Cursor()
        infos = located._infos
        for chunk in marked:
            heads: tuple[tuple[_Term, ...], ...] = infos[chunk][0]
            for local, terms in enumerate(heads):
                if terms:
                    self._scan_word(located, cursor, chunk, local, terms, found)
        return found

    def _scan_word(
        self,
        located: Located,
        cursor: _Cursor,
        chunk: int,
        local: int,
        terms: tuple[_Term, ...],
        found: list[TermHit],
    ) -> None:
        """Append the hits of ``terms``, which word ``local`` of chunk ``chunk``
        can start. They share the word after it: where it is, its keys, its
        normalised form and the gap before it are worked out once, for the first
        term that needs each; most terms fail right there, on one ``isdisjoint``,
        and only those that get past it walk on (``_follow``)."""
        infos = located._infos
        mark = len(found)  # the hits of the terms this word starts follow
        c = w = -1  # the next word (word w of chunk c), not worked out yet
        word: str | None = None
        have: frozenset[str] | None = None
        norm: str | None = None
        broken: bool | None = None
        for term in terms:
            steps = term.steps
            if not steps:  # a single-token term: a hit here
                end_chunk, end_word = chunk, local
            else:
                if c < 0:
                    c, w = _next_word(infos, chunk, local)
                    if c < len(infos):
                        word = infos[c][1][w]
                if word is None:
                    continue  # the text ends before any longer term would
                keys = steps[0]
                if keys is not None:
                    if have is None:
                        have = self._word_keys(word)
                    if keys.isdisjoint(have):
                        continue
                else:
                    if norm is None:
                        norm = normalize_token(word)
                    if not norm.startswith(cast(str, term.prefix)):
                        continue
                # Keys agree: a sentence break in between? (The gap is read from
                # the text: the cursor is brought to this chunk first.)
                cursor.to(infos, chunk)
                if broken is None:
                    broken = _broken(located, chunk, cursor.offset, chunk, local, c, w)
                if broken:
                    continue
                if len(steps) == 1:
                    end_chunk, end_word = c, w
                else:
                    end = self._follow(located, steps, term.prefix, chunk, cursor.offset, c, w)
                    if end is None:
                        continue
                    end_chunk, end_word = end
            hit = _hit(located, cursor, term.entry, chunk, local, end_chunk, end_word)
            # A repeat (two terms of one entry, one span) starts here too.
            if len(found) == mark or hit not in found[mark:]:
                found.append(hit)

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
        for keys in steps[1:]:
            pc, pw = c, w
            c, w = _next_word(infos, c, w)
            if c == len(infos):
                return None  # the text ends before the term would
            word: str = infos[c][1][w]
            if keys is not None:
                if keys.isdisjoint(self._word_keys(word)):
                    return None
            elif not normalize_token(word).startswith(cast(str, prefix)):
                return None
            if _broken(located, chunk, offset, pc, pw, c, w):
                return None
        return c, w


class _Cursor:
    """Where a scan stands in the text: chunk ``chunk`` starts at token ``token``
    and character ``offset``. Moved on (``to``) only when a candidate needs a
    position, by one C-level sum over the chunks passed."""

    __slots__ = ("chunk", "offset", "token")

    def __init__(self) -> None:
        self.chunk = 0
        self.token = 0
        self.offset = 0

    def to(self, infos: list[_Chunk], chunk: int) -> None:
        """Bring the cursor to ``chunk`` (at or after where it stands)."""
        if chunk > self.chunk:
            weight = _run_weight(infos, self.chunk, chunk)
            self.token += _tokens_of(weight)
            self.offset += _chars_of(weight)
            self.chunk = chunk


def _next_word(infos: list[_Chunk], c: int, w: int) -> tuple[int, int]:
    """The word after word ``w`` of chunk ``c``, as (chunk, word in it), skipping
    chunks without words; the chunk is ``len(infos)`` when the text ends first."""
    w += 1
    if w < len(infos[c][1]):
        return c, w
    total = len(infos)
    c += 1
    while c < total and not infos[c][1]:
        c += 1
    return c, 0


def _hit(
    located: Located,
    cursor: _Cursor,
    entry: Entry,
    chunk: int,
    local: int,
    end_chunk: int,
    end_word: int,
) -> TermHit:
    """The hit of ``entry`` from word ``local`` of chunk ``chunk`` to word
    ``end_word`` of chunk ``end_chunk``, in token indexes; the places of its
    first and last tokens are noted in ``located`` (``Located.start``, ``end``)."""
    infos = located._infos
    where = located._where
    cursor.to(infos, chunk)
    token, offset = cursor.token, cursor.offset
    first = token + local
    where[first] = (offset, chunk, local)
    last = first
    if end_chunk > chunk:
        if end_chunk == chunk + 1:
            weight: int = infos[chunk][3]
        else:
            weight = _run_weight(infos, chunk, end_chunk)
        last = token + _tokens_of(weight) + end_word
        where[last] = (offset + _chars_of(weight), end_chunk, end_word)
    elif end_word > local:
        last = token + end_word
        where[last] = (offset, end_chunk, end_word)
    # ``tuple.__new__`` in C: the named tuple's own ``__new__`` is Python.
    hit: TermHit = _new_tuple(TermHit, (entry, first, last))
    return hit


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
            at += _chars_of(_run_weight(infos, chunk, pc))
        after = at + _chars_of(_run_weight(infos, pc, c))
        gap = located.text[at + tail : after + head]
    return SENTENCE_BREAK.search(gap) is not None
