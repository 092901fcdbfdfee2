"""The new-word needle screen: rule out, in C, a word that can start no term.

Pure, no I/O. The first token of every compiled term gets a few *needles*:
strings such that any text word that can match the token holds one of them in
its folded form (``fold_text``), at the word's start or end where a needle says
so (its *anchor*). The needles go into one pyahocorasick automaton. A word the
term index meets for the first time that holds none starts no term, so its keys
(three Snowball stems for a Latin word) are never derived (``TermIndex``, always
on): most new words hold none, and deriving keys is the costliest step of a new
word (``bench/bench_match.py`` counts the share let through; bench/RESULTS.md,
section bench_match).

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
(a word holding ``barinson`` whole holds ``barinso`` at its start). A token with
an empty needle lets every word through. A prefilter on the first letters of
every term key would be simpler, but nearly every word shares its first letters
with some key of a large config; anchored needles are far more selective.
``tests/unit/test_needles.py`` checks these rules on every word of a benchmark
corpus, the labelled set, the seeds and words built with the suffixes the
stemmers rewrite, and that matches are the same with and without the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

import ahocorasick

__all__ = ["Needle", "NeedleScreen", "token_needles"]


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


class NeedleScreen:
    """One automaton of the needles of every term's first token: ``word`` tells
    whether a normalised word may start a term. Tokens are collected by ``add``
    and compiled by ``build`` (or on first use).

    The automaton maps a needle's text to ``len << 4 | anchors`` (every anchor any
    of its tokens asks for); a found needle counts when one of its anchors holds
    in the word."""

    def __init__(self) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._pending: list[tuple[frozenset[str], str | None]] = []
        self._always = False  # some token has an empty needle

    @property
    def needles(self) -> int:
        self.build()
        return len(self._automaton)

    def add(self, keys: frozenset[str], prefix: str | None = None) -> None:
        """Screen for one first token: its keys, or a wildcard's ``prefix``."""
        self._pending.append((keys, prefix))

    def build(self) -> None:
        """Compile the tokens added since the last build (a no-op when none were)."""
        if not self._pending:
            return
        anchors: dict[str, int] = {}
        cache: dict[frozenset[str], frozenset[Needle]] = {}
        for keys, prefix in self._pending:
            if prefix is not None:
                needles = token_needles((), prefix)
            else:  # terms share first tokens: their needles are worked out once
                needles = cache.get(keys) or cache.setdefault(keys, token_needles(keys))
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
        """Whether one normalised word may start a term (False: it can not).
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
