"""Substring presearch: rule out, in C, text that cannot hold a term.

Pure, no I/O. Every compiled term gets a few *needles*: strings such that any
text word that can match one of the term's tokens holds one of them in its
folded form (``fold_text``), at the word's start or end where a needle says so
(its *anchor*). The needles go into a pyahocorasick automaton. Two uses:

- the new-word screen (``TermIndex``, always on): the needles of every term's
  first token; a word met for the first time that holds none starts no term, so
  its keys (three Snowball stems for a Latin word) are never derived;
- the paragraph presearch (``Matcher(config, presearch=True)``, off by default):
  the needles of each term's most selective token; a paragraph is folded in C
  (``fast_fold``) and one without a needle is never split into words. Results
  are identical, but on the benchmark corpus it costs more than it saves (see
  ``monitor.match.engine``).

Needles per token key (``monitor.text.morph``), each a substring of the folded
text word that has that key:

- an untagged key is the text word's normalised form itself;
- ``ar:f``: ``f`` is the word less some leading clitics and maybe an attached
  pronoun (somewhere in it; less a final ``ه``, which may be written ``ت`` there);
- ``ru:x``: ``x`` is the word less an ending, or its Snowball Russian stem (both
  prefixes: that stemmer only strips suffixes and undoubles a final ``н``);
- ``en:s``: ``s``, less its last letter when that is one Porter2 may have
  written (``e i y l``: ``happy`` -> ``happi``, ``hoping`` -> ``hope``,
  ``capability`` -> ``capabl``); otherwise it only strips suffixes;
- ``fr:s``: likewise (``x l i``: ``heureuse`` -> ``heureux``, ``chevaux`` ->
  ``cheval``), less two letters after ``nt`` or ``iqu`` (``couramment`` ->
  ``courant``, ``-ic-`` -> ``iqu``, ``-ence`` -> ``ent``);
- ``de:s``: the stemmer reads ``ae``/``oe``/``ue`` as an umlaut and writes it
  back as ``a``/``o``/``u`` (``Mueller`` -> ``mull``), otherwise it only strips
  suffixes; so the word starts with ``s`` with or without an ``e`` after each
  ``a``/``o``/``u``: the needles are those spellings of a prefix of ``s`` (at
  most eight, long enough to be selective);
- a wildcard token's prefix.

A token's needles are all its keys' needles, less any that implies another
(a word holding ``barinson`` whole holds ``barinso`` at its start); a term is
filed under its token whose shortest needle is longest. A term with an empty
needle makes every text a candidate. ``tests/unit/test_presearch.py`` checks
these rules on every word of a benchmark corpus, the labelled set, the seeds and
words built with the suffixes the stemmers rewrite, and that matches are the
same with and without the screen and the presearch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

import ahocorasick

from monitor.text.normalize import fold_text

__all__ = ["Folded", "Needle", "Presearch", "fast_fold", "term_needles", "token_needles"]

# Characters whose folding is known per character (the scripts we watch, their
# punctuation and combining marks). Within these ranges no two characters
# compose once combining marks are gone (checked by the tests), so folding a
# string is folding each character: ``fast_fold`` does that by one ``re.sub``
# over the few characters folding changes instead of ``fold_text``'s
# per-character ``translate`` (~8x slower on Arabic or French text).
_SAFE_RANGES = (
    (0x0000, 0x024F),
    (0x0300, 0x036F),
    (0x0400, 0x052F),
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x2000, 0x206F),
)
_SAFE_CHARS = [chr(code) for start, end in _SAFE_RANGES for code in range(start, end + 1)]
_UNSAFE = re.compile(
    "[^" + "".join(f"\\U{start:08x}-\\U{end:08x}" for start, end in _SAFE_RANGES) + "]"
)
# ``fold_text`` keeps й and ї only when no other mark sorts between the letter and
# its breve or diaeresis: one followed by a mark is left to it.
_KEPT_MARKED = re.compile(
    "[йї]["
    + "".join(f"\\U{ord(ch):08x}" for ch in _SAFE_CHARS if unicodedata.category(ch)[0] == "M")
    + "]"
)
_FOLD_ONE = {ch: fold_text(ch) for ch in _SAFE_CHARS}
_FOLD_ONE = {ch: folded for ch, folded in _FOLD_ONE.items() if folded != ch}
_CHANGED = re.compile("[" + "".join(f"\\U{ord(ch):08x}" for ch in sorted(_FOLD_ONE)) + "]")


def _fold_one(found: re.Match[str]) -> str:
    return _FOLD_ONE[found.group()]


# A word character of folded text (``tokenize``: letters and digits; marks and
# invisible characters are gone once folded; ``_`` separates words).
_WORD_CHAR = re.compile(r"[^\W_]")


class Folded(NamedTuple):
    """Folded text; ``anchored`` when word edges in it are word edges of the
    original (folded character by character from the scripts we watch, where no
    separator folds to a word character: checked by the tests)."""

    text: str
    anchored: bool


def fast_fold(text: str) -> Folded:
    """``fold_text(text)``, faster for text in the scripts we watch."""
    if text.isascii():
        return Folded(text.lower(), True)  # NFKC and casefold of ASCII
    if _UNSAFE.search(text) is None:
        folded = unicodedata.normalize("NFKC", text).casefold()
        if _UNSAFE.search(folded) is None and _KEPT_MARKED.search(folded) is None:
            return Folded(_CHANGED.sub(_fold_one, folded), True)
    return Folded(fold_text(text), False)


# Anchors: where in the folded text word a needle must sit.
ANY, START, END, WHOLE = 1, 2, 4, 8
_DE_PIECES = re.compile("[^aou]*[aou]|[^aou]+$")


class Needle(NamedTuple):
    """``text`` occurs in a folded text word, at its start/end if ``anchor`` says so."""

    text: str
    anchor: int

    def implies(self, other: Needle) -> bool:
        """Whether every word holding this needle holds ``other``."""
        if other.anchor == ANY:
            return other.text in self.text
        if other.anchor == WHOLE:
            return self == other
        if other.anchor == START:
            return self.anchor in (START, WHOLE) and self.text.startswith(other.text)
        return self.anchor in (END, WHOLE) and self.text.endswith(other.text)


_EN_REWRITTEN = frozenset("eiyl")  # last letters Porter2 may write
_FR_REWRITTEN = frozenset("xli")
_FR_REWRITTEN_2 = ("nt", "iqu")
_DE_SPELLINGS = 8  # at most this many spellings of a German stem's prefix
_DE_LONG = 6  # ... each at least this long, or the whole stem


def _german(stem: str) -> tuple[Needle, ...]:
    """Prefixes of every word whose German stem is ``stem``: its pieces (cut after
    each a/o/u), each optionally followed by the ``e`` the stemmer dropped."""
    spellings = [""]
    for piece in _DE_PIECES.findall(stem):
        spellings = [s + piece for s in spellings]
        if min(map(len, spellings)) >= _DE_LONG or 2 * len(spellings) > _DE_SPELLINGS:
            break
        if piece[-1] in "aou":
            spellings += [s + "e" for s in spellings]
    return tuple(Needle(s, START) for s in spellings)


def _needles(key: str) -> tuple[Needle, ...]:
    """What every folded text word that has ``key`` holds, one of (module doc)."""
    tag, colon, body = key.partition(":")
    if not colon or len(tag) != 2:
        return (Needle(key, WHOLE),)
    if tag == "ar":
        # Leading clitics and a trailing pronoun may both be gone, and a final ه (a
        # folded ة) may be the ت written before the pronoun: body less that ه, anywhere.
        return (Needle(body[:-1] if body.endswith("ه") else body, ANY),)
    if tag == "ru":
        return (Needle(body, START),)
    if tag == "en":
        return (Needle(body[:-1] if body[-1:] in _EN_REWRITTEN else body, START),)
    if tag == "fr":
        if body.endswith(_FR_REWRITTEN_2):
            return (Needle(body[:-2], START),)
        return (Needle(body[:-1] if body[-1:] in _FR_REWRITTEN else body, START),)
    if tag == "de":
        return _german(body)
    return (Needle(key, WHOLE),)


def token_needles(keys: Iterable[str], prefix: str | None = None) -> frozenset[Needle]:
    """The needles of one term token (its keys, or a wildcard's prefix): every
    text word that can match the token holds one of them."""
    if prefix is not None:
        found = {Needle(prefix, START)}
    else:
        found = {needle for key in keys for needle in _needles(key)}
    if any(not needle.text for needle in found):
        return frozenset({Needle("", ANY)})
    # A word holding a needle that implies another holds that other: keep the other.
    ordered = sorted(found, key=lambda n: (len(n.text), n.anchor))  # weakest first
    kept: list[Needle] = []
    for needle in ordered:
        if not any(needle.implies(weaker) for weaker in kept):
            kept.append(needle)
    return frozenset(kept)


def _selectivity(needles: frozenset[Needle]) -> tuple[int, int]:
    # Anchored needles rule out most chance occurrences inside other words.
    return min(len(n.text) + (2 if n.anchor != ANY else 0) for n in needles), -len(needles)


def term_needles(keys: tuple[frozenset[str], ...], prefix: str | None) -> frozenset[Needle]:
    """The needles of a term: those of its most selective token."""
    options = [token_needles(k) for k in keys]
    if prefix is not None:
        options.append(token_needles((), prefix))
    return max(options, key=_selectivity)


class Presearch:
    """One automaton of needles (of every topic term, speaker alias and query
    literal for the paragraph presearch; of every term's first token for the
    new-word screen). Terms are collected by ``add`` and compiled by ``build``
    (or on first use).

    The automaton maps a needle's text to ``len << 4 | anchors`` (every anchor any
    of its terms asks for); a found needle counts when one of its anchors holds:
    a word edge is the text's edge or a character that is no word character."""

    def __init__(self) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._pending: list[tuple[tuple[frozenset[str], ...], str | None]] = []
        self._always = False  # some term has an empty needle

    @property
    def needles(self) -> int:
        self.build()
        return len(self._automaton)

    def add(self, keys: tuple[frozenset[str], ...], prefix: str | None) -> None:
        self._pending.append((keys, prefix))

    def build(self) -> None:
        """Compile the terms added since the last build (a no-op when none were)."""
        if not self._pending:
            return
        anchors: dict[str, int] = {}
        cache: dict[frozenset[str], frozenset[Needle]] = {}
        for keys, prefix in self._pending:
            options = [cache.get(k) or cache.setdefault(k, token_needles(k)) for k in keys]
            if prefix is not None:
                options.append(token_needles((), prefix))
            needles = max(options, key=_selectivity)
            for text, anchor in needles:
                if not text:
                    self._always = True
                anchors[text] = anchors.get(text, 0) | anchor
        self._pending.clear()
        automaton = self._automaton
        for text, anchor in anchors.items():
            if text:
                old = automaton.get(text, 0) & 15
                automaton.add_word(text, len(text) << 4 | old | anchor)
        if len(automaton):
            automaton.make_automaton()

    def word(self, norm: str) -> bool:
        """Whether one normalised word may hold a term's token (False: it can not).
        A needle anchored at the start must sit at 0, one at the end must end it."""
        if self._pending:
            self.build()
        if self._always:
            return True
        last = len(norm) - 1
        for end, value in self._automaton.iter(norm) if len(self._automaton) else ():
            anchors = value & 15
            if anchors & ANY:
                return True
            at_start = end + 1 == value >> 4
            if at_start and anchors & START:
                return True
            if end == last and (anchors & END or (at_start and anchors & WHOLE)):
                return True
        return False

    def hit(self, folded: Folded) -> bool:
        """Whether folded text may hold a term (False: it holds none)."""
        if self._pending:
            self.build()
        if self._always:
            return True
        automaton = self._automaton
        if not len(automaton):
            return False
        text = folded.text
        if not folded.anchored:
            return next(automaton.iter(text), None) is not None
        size = len(text)
        word = _WORD_CHAR.match
        for end, value in automaton.iter(text):
            anchors = value & 15
            if anchors & ANY:
                return True
            start = end - (value >> 4) + 1
            at_start = start == 0 or word(text, start - 1) is None
            if at_start and anchors & START:
                return True
            at_end = end + 1 == size or word(text, end + 1) is None
            if at_end and (anchors & END or (at_start and anchors & WHOLE)):
                return True
        return False
