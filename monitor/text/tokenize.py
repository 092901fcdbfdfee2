"""Split text into word tokens with offsets into the original string.

Pure, no I/O. A token is a run of letters, digits and combining marks (plus the
invisible characters ``normalize`` deletes, so a tatweel or a bidi mark inside a
word does not split it, while one at either edge is not part of the word).
Everything else separates tokens: spaces, punctuation, hyphens and apostrophes
(``NATO-Russia``, ``l'OTAN``, ``l’Ukraine``, ``NATO's``), and the underscore.
A run whose normalised form is empty (only marks) is not a token.

Each token also records the sentence it is in: sentence punctuation
(``. ! ? ; ؛ … ۔``) or a blank line between two tokens starts a new sentence, so
phrases can be matched across line breaks but not across sentences.

Speed: the matcher does not split whole fields. It cuts a field on spaces and
line breaks (``str.split``: no token spans one) and caches what it learns of
each chunk; ``chunk_tokens`` analyses a chunk it has not met, without a regex
for the usual shapes (a word, a word between punctuation, words joined by
hyphens or apostrophes), and returns the words' normalised forms it had to
compute anyway (``chunk_words`` leaves them out). ``split_parts`` remains the
reference and the path for everything else (``tokenize``, term parsing): one
``re.split`` with a class ``re`` compiles to a bitmap, repaired in Python only
for the rare text with an underscore, an invisible character at a word's edge
or an astral character. ``split_words`` adds the cached ``normalize_token`` by a
C-level ``map``; ``tokenize`` builds ``Token`` objects from it, offsets coming
from the cumulative lengths of the parts. ``TokenView`` builds them one at a
time, for speakers' roles, from what the matcher's chunk scan already knows (a
``TokenSource``): a field that names a speaker is not split again, and only the
tokens its roles read are built (``bench/bench_match.py``; bench/RESULTS.md,
section bench_match).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import NamedTuple, Protocol, overload

from monitor.text.normalize import IGNORABLE, MARKS, normalize_token

__all__ = [
    "SENTENCE_BREAK",
    "Token",
    "TokenSource",
    "TokenView",
    "Words",
    "chunk_tokens",
    "chunk_words",
    "split_parts",
    "split_words",
    "tokenize",
]


class Token(NamedTuple):
    """``text == original[start:end]``; ``norm`` is ``normalize_token(text)``."""

    text: str
    start: int
    end: int
    norm: str
    sentence: int = 0


def _char_class(chars: str) -> str:
    """A compact regex character class body for ``chars`` (ranges merged)."""
    codes = sorted(set(map(ord, chars)))
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


# A word starts and ends with a letter, digit or mark; invisible characters may
# only sit inside it. ``_WORD`` says exactly that, but its class of every mark
# holds astral code points, which keeps ``re`` from compiling it to a bitmap: it
# is several times slower than ``_FAST`` (letters, digits, marks of the BMP and
# invisibles).
# ``split_words`` uses ``_FAST`` and repairs its two differences in Python: an
# underscore splits words, and invisibles at a word's edges belong to the gap.
_IGNORABLE = _char_class(IGNORABLE)
_BMP_MARKS = _char_class("".join(ch for ch in MARKS if ord(ch) < 0x10000))
_CORE = rf"(?:(?![{_IGNORABLE}])[^\W_]|[{_char_class(MARKS)}])"
_INNER = rf"(?:[^\W_]|[{_char_class(MARKS + IGNORABLE)}])"
_WORD = re.compile(rf"({_CORE}(?:{_INNER}*{_CORE})?)")
_FAST = re.compile(rf"([\w{_BMP_MARKS}{_IGNORABLE}]+)")
# An invisible character at the edge of a run of word characters (only then does
# a word from ``_FAST`` need trimming; a tatweel inside a word is the usual case).
_EDGE_IGNORABLE = re.compile(
    rf"(?<![\w{_BMP_MARKS}{_IGNORABLE}])[{_IGNORABLE}]|[{_IGNORABLE}](?![\w{_BMP_MARKS}{_IGNORABLE}])"
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SPECIAL = re.compile(rf"[_{_IGNORABLE}\U00010000-\U0010ffff]")
_BREAK_CHARS = ".!?;…。！？；؟؛۔‼⁇⁈⁉"
SENTENCE_BREAK = re.compile(rf"[{re.escape(_BREAK_CHARS)}]|\n[^\S\n]*\n")
# Blank lines alone: ``re`` finds them by their literal first character.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


class Words(NamedTuple):
    """A field split for matching. ``parts`` alternates separator and word
    (``parts[2*i + 1]`` is word ``i``, ``parts[2*i]`` the text before it), so they
    concatenate back to the text; ``norms[i]`` is word ``i`` normalised."""

    parts: list[str]
    norms: list[str]

    @property
    def words(self) -> list[str]:
        return self.parts[1::2]

    def offsets(self) -> list[int]:
        """Cumulative part lengths: word ``i`` is ``text[ends[2*i] : ends[2*i + 1]]``."""
        return [0, *accumulate(map(len, self.parts))]


def split_parts(text: str) -> list[str]:
    """``_WORD.split(text)``, fast for text without astral characters."""
    if _SPECIAL.search(text) is None:  # the common case: one scan, then one split
        return _FAST.split(text)
    if _ASTRAL.search(text) is not None:
        return _WORD.split(text)
    if "_" in text:
        # The underscore is a word character to ``re`` but a separator here; the
        # same-length swap keeps every offset.
        spaced = text.replace("_", " ")
        parts = _FAST.split(spaced)
        _restore(parts, text)
    else:
        spaced = text
        parts = _FAST.split(text)
    if _EDGE_IGNORABLE.search(spaced) is None:
        return parts
    for index in range(1, len(parts), 2):
        word = parts[index]
        if word[0] in IGNORABLE or word[-1] in IGNORABLE:
            core = word.strip(IGNORABLE)
            if not core:  # invisible characters only: all gap
                parts[index - 1] += word
                parts[index] = ""
                continue
            lead = word.index(core[0]) if word[0] in IGNORABLE else 0
            parts[index - 1] += word[:lead]
            parts[index] = core
            parts[index + 1] = word[lead + len(core) :] + parts[index + 1]
    if "" in parts[1::2]:
        # Drop emptied words, joining the gaps around them.
        merged = [parts[0]]
        for index in range(1, len(parts), 2):
            if parts[index]:
                merged += (parts[index], parts[index + 1])
            else:
                merged[-1] += parts[index + 1]
        parts = merged
    return parts


def _restore(parts: list[str], text: str) -> None:
    """Put back the underscores ``_split`` swapped for spaces (in the gaps)."""
    position = 0
    for index, part in enumerate(parts):
        if index % 2 == 0 and " " in part:
            parts[index] = text[position : position + len(part)]
        position += len(part)


def split_words(text: str) -> Words:
    """Split ``text`` into words and separators, with each word normalised."""
    parts = split_parts(text)
    norms = list(map(normalize_token, parts[1::2]))
    if "" in norms:
        # Rare: a run of marks only. Fold it into the separators around it so
        # word indexes count real tokens only.
        merged: list[str] = [parts[0]]
        kept: list[str] = []
        for index, norm in enumerate(norms):
            word, after = parts[2 * index + 1], parts[2 * index + 2]
            if norm:
                merged += (word, after)
                kept.append(norm)
            else:
                merged[-1] += word + after
        parts, norms = merged, kept
    return Words(parts, norms)


def tokenize(text: str) -> list[Token]:
    """Word tokens of ``text`` in order, each with its offsets and sentence number."""
    split = split_words(text)
    parts, norms = split.parts, split.norms
    if not norms:
        return []
    ends = split.offsets()
    # Sentence numbers: count the separators that carry a break, except the
    # text before the first word.
    flags = [0, *map(bool, map(SENTENCE_BREAK.search, parts[2 : len(parts) - 1 : 2]))]
    sentences = accumulate(flags)
    return [
        Token(parts[2 * i + 1], ends[2 * i + 1], ends[2 * i + 2], norm, sentence)
        for i, (norm, sentence) in enumerate(zip(norms, sentences, strict=False))
    ]


class TokenSource(Protocol):
    """Where a ``TokenView`` finds its words: the matcher's chunked text
    (``monitor.match.compile.Located``) or split parts."""

    @property
    def text(self) -> str: ...

    def count(self) -> int:
        """How many tokens the text has."""
        ...

    def word_at(self, index: int) -> tuple[str, int]:
        """(token ``index``, where it starts in the text)."""
        ...

    def words(self, first: int = 0, stop: int | None = None) -> list[str]:
        """The words ``first .. stop - 1``."""
        ...

    def index_at(self, offset: int) -> int:
        """How many tokens start at or before ``offset``."""
        ...


class _Parts:
    """A ``TokenSource`` over split parts (separators and words alternating)."""

    __slots__ = ("_starts", "_words", "text")

    def __init__(self, parts: list[str], text: str) -> None:
        self.text = text
        self._words = parts[1::2]
        self._starts = list(accumulate(map(len, parts)))[::2][: len(self._words)]

    def count(self) -> int:
        return len(self._words)

    def word_at(self, index: int) -> tuple[str, int]:
        return self._words[index], self._starts[index]

    def words(self, first: int = 0, stop: int | None = None) -> list[str]:
        return self._words[first:stop]

    def index_at(self, offset: int) -> int:
        return bisect_right(self._starts, offset)


class TokenView(Sequence[Token]):
    """The tokens of a text, built one at a time on access: the matcher needs
    whole ``Token`` objects only around a speaker's name. The words come from a
    ``TokenSource``: ``Located`` knows them from matching (the field is not
    split again), or split ``parts`` (blank words already removed, as
    ``split_words`` leaves them).

    ``Token.sentence`` is here the number of sentence breaks before the token:
    the same within a sentence and growing, like ``tokenize``'s, but a gap
    holding two breaks (``?!``, a full stop and a blank line) counts twice, so
    the numbers need not be consecutive (``sentence_bounds`` finds a sentence's
    ends). Counting each gap once would mean mapping every break to its token;
    the breaks alone are a scan of the text."""

    __slots__ = ("_bounds", "_breaks", "_count", "_source", "_tokens", "notes")

    def __init__(self, source: TokenSource | list[str], text: str | None = None) -> None:
        if isinstance(source, list):
            source = _Parts(source, "".join(source) if text is None else text)
        self._source = source
        self._count = source.count()
        self._breaks = _breaks(source.text)
        self._tokens: list[Token | None] = [None] * self._count
        self._bounds: dict[int, tuple[int, int]] = {}
        # What later passes learn of these tokens whoever asks (which sentences
        # follow up a speaker's words), shared by the several names of a field.
        self.notes: dict[tuple[str, int], str | None] = {}

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Token: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Token]: ...

    def __getitem__(self, index: int | slice) -> Token | Sequence[Token]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        token = self._tokens[index]  # IndexError out of range
        if token is None:
            index %= self._count
            word, start = self._source.word_at(index)
            token = self._tokens[index] = Token(
                word,
                start,
                start + len(word),
                normalize_token(word),
                bisect_right(self._breaks, start),
            )
        return token

    def norms(self, first: int, stop: int) -> list[str]:
        """The normalised words ``first .. stop - 1`` (no ``Token`` built)."""
        return list(map(normalize_token, self._source.words(first, stop)))

    def sentence_bounds(self, index: int) -> tuple[int, int]:
        """(first, last) token of the sentence holding token ``index``."""
        at = self[index].sentence  # breaks before it
        bounds = self._bounds.get(at)
        if bounds is None:
            # No break is inside a word: a sentence is the tokens starting
            # between two breaks.
            breaks = self._breaks
            first = self._source.index_at(breaks[at - 1]) if at else 0
            stop = self._source.index_at(breaks[at]) if at < len(breaks) else self._count
            bounds = self._bounds[at] = (first, stop - 1)
        return bounds


def _breaks(text: str) -> list[int]:
    """Where ``SENTENCE_BREAK`` matches in ``text``, in order. The punctuation
    by ``str.find``, one character at a time: a C scan several times faster
    than ``re`` over a class of them."""
    found: list[int] = []
    for char in _BREAK_CHARS:
        at = text.find(char)
        while at >= 0:
            found.append(at)
            at = text.find(char, at + 1)
    if "\n" in text:
        found += (blank.start() for blank in _BLANK_LINE.finditer(text))
    found.sort()
    return found


# -- chunks: the space-free pieces of a text -----------------------------------
#
# A space always separates tokens, so ``text.split(" ")`` (C speed, no regex)
# cuts a text into *chunks* that tokenise independently: the words of a text are
# the words of its chunks in order. News text repeats its chunks (``the``,
# ``said,``, ``Ukraine.``) as it repeats its words, so the matcher caches what it
# learns of each chunk and most chunks cost one dict lookup, not a regex scan.

# Characters that always separate words (no letter, digit, mark, invisible or
# underscore among them): a chunk that is runs of letters and digits between
# these splits with ``str.translate`` and ``str.split``, no regex.
_SEPARATORS = (
    "".join(chr(code) for code in range(0x80) if not chr(code).isalnum() and chr(code) != "_")
    + "\u00a0«»“”‘’„‚‹›–—…·،؛؟۔"
)
_TO_SPACE = str.maketrans(dict.fromkeys(_SEPARATORS, " "))
_TATWEEL = "\u0640"  # a letter to ``str.isalnum`` but invisible to ``normalize``


def chunk_words(chunk: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(the words of ``chunk``, a text without spaces; each word's start in it),
    the words ``split_words(chunk)`` finds."""
    words, starts, _ = chunk_tokens(chunk)
    return words, starts


def chunk_tokens(chunk: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    """``chunk_words`` and each word's ``normalize_token`` form (never empty):
    the fast paths fold the words anyway, to tell tokens from runs of marks."""
    # Fast paths: ``str.isalnum`` is ``re``'s ``[^\W_]`` (letters and digits,
    # no marks), and a run of those whose form is not empty is one token.
    if chunk.isalnum() and _TATWEEL not in chunk:
        norm = normalize_token(chunk)
        if norm:
            return (chunk,), (0,), (norm,)
    core = chunk.strip(_SEPARATORS)  # "(NATO)." «Kyiv» Ukraine.\n\n
    if core.isalnum() and _TATWEEL not in core:
        norm = normalize_token(core)
        if norm:
            return (core,), (len(chunk) - len(chunk.lstrip(_SEPARATORS)),), (norm,)
    pieces = chunk.translate(_TO_SPACE).split(" ")
    words = tuple(filter(None, pieces))
    if all(map(str.isalnum, words)) and _TATWEEL not in chunk:
        norms = tuple(map(normalize_token, words))
        if all(norms):
            starts: list[int] = []
            position = 0
            for piece in pieces:
                if piece:
                    starts.append(position)
                position += len(piece) + 1
            return words, tuple(starts), norms
    split = split_words(chunk)
    parts = split.parts
    return (
        tuple(parts[1::2]),
        tuple(accumulate(map(len, parts[: len(parts) - 1])))[::2],
        tuple(split.norms),
    )
