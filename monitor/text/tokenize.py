"""Split text into word tokens with offsets into the original string.

Pure, no I/O. A token is a run of letters, digits and combining marks (plus the
invisible characters ``normalize`` deletes, so a tatweel or a bidi mark inside a
word does not split it). Everything else separates tokens: spaces, punctuation,
hyphens and apostrophes (``NATO-Russia``, ``l'OTAN``, ``l’Ukraine``, ``NATO's``),
and the underscore.

Each token also records the sentence it is in: sentence punctuation
(``. ! ? ؟ ; ؛ … ۔``) or a blank line between two tokens starts a new sentence, so
phrases can be matched across line breaks but not across sentences.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import NamedTuple

from monitor.text.normalize import IGNORABLE, normalize_token

__all__ = ["SENTENCE_BREAK", "Token", "tokenize"]


class Token(NamedTuple):
    """``text == original[start:end]``; ``norm`` is ``normalize_token(text)``."""

    text: str
    start: int
    end: int
    norm: str
    sentence: int = 0


def _mark_class() -> str:
    """A regex character class of every combining mark (categories Mn, Mc, Me)."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


_EXTRA = _mark_class() + "".join(re.escape(ch) for ch in IGNORABLE)
_WORD = re.compile(rf"(?:[^\W_]|[{_EXTRA}])+")
SENTENCE_BREAK = re.compile(r"[.!?;…。！？；؟؛۔‼⁇⁈⁉]|\n[^\S\n]*\n")


def tokenize(text: str) -> list[Token]:
    """Word tokens of ``text`` in order, each with its offsets and sentence number."""
    tokens: list[Token] = []
    # Sentence breaks found in one pass; a token starts a new sentence when a
    # break lies between it and the previous token.
    breaks = [found.start() for found in SENTENCE_BREAK.finditer(text)]
    next_break = 0
    sentence = 0
    for found in _WORD.finditer(text):
        start, end = found.span()
        word = found.group()
        if word[0] in IGNORABLE or word[-1] in IGNORABLE:
            # A bidi or zero-width mark at the edge of a word is not part of the word.
            while start < end and text[start] in IGNORABLE:
                start += 1
            while end > start and text[end - 1] in IGNORABLE:
                end -= 1
            word = text[start:end]
        norm = normalize_token(word) if word else ""
        if not norm:  # only invisible characters or marks: nothing to match
            continue
        if next_break < len(breaks) and breaks[next_break] < start:
            if tokens:
                sentence += 1
            while next_break < len(breaks) and breaks[next_break] < start:
                next_break += 1
        tokens.append(Token(word, start, end, norm, sentence))
    return tokens
