"""Per-token normalisation: the form under which two spellings count as equal.

Pure, no I/O. ``normalize_token`` is called for every token of every item, so it
is cached; it never changes the number of tokens (it works on one token at a
time), which is what lets hits keep offsets into the original text.

What is folded (SPEC section 2): Unicode NFKC, case (``casefold``), accents and
every other combining mark (this also removes Arabic tashkeel and the hamza
carried on alef), tatweel, bidi and zero-width marks; Arabic letter variants
(أ إ آ ٱ -> ا, ى ی -> ي, ة -> ه, ک -> ك, ھ -> ه); Arabic-Indic and Persian digits
-> ASCII digits.

``fold_keeping_accents`` is the same fold for names looked up as whole strings
(agencies, month names in datelines), where accents on Latin, Greek and Cyrillic
letters must stay: folded, the Scandinavian "på" is the agency "PA".

No per-character Python loop: marks are dropped and letters mapped by one
``str.translate`` table (built at import from the mark tables that
``monitor.text.gen_marks`` generates at build time), skipped
for the many words a regex finds nothing in for it to do.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["IGNORABLE", "MARKS", "fold_keeping_accents", "fold_text", "normalize_token"]

# Characters that are deleted outright: tatweel, bidi controls, zero-width
# joiners/spaces, the soft hyphen and the BOM. They carry no meaning for matching
# and publishers sprinkle them freely (bidi marks around numbers, ZWNJ in Persian).
IGNORABLE = (
    "\u0640"  # tatweel
    "\u00ad"  # soft hyphen
    "\u061c"  # Arabic letter mark
    "\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069"
    "\ufeff"
)

_LETTERS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ی": "ي",
    "ئ": "ي",
    "ؤ": "و",
    "ة": "ه",
    "ۃ": "ه",  # Urdu's ta marbuta (U+06C3), as UrduPoint's copy may write it
    "ۀ": "ه",
    "ھ": "ه",
    "ک": "ك",
    "ڪ": "ك",
}
_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}


def _load_marks() -> tuple[str, str]:
    """(every combining mark: categories Mn/Mc/Me; those with a non-zero combining
    class, which are the ones folding drops), from the tables generated at build
    time; scanned from the Unicode database (slow) when this Python's Unicode
    version is not theirs."""
    from monitor.text import _marks, gen_marks

    if unicodedata.unidata_version != _marks.UNIDATA_VERSION:
        return gen_marks.scan_marks()
    return gen_marks.from_ranges(_marks.MARKS), gen_marks.from_ranges(_marks.COMBINING)


MARKS, _COMBINING = _load_marks()

# й and ї are letters of their own in Russian/Ukrainian (ё is folded to е, as
# Russian writers do themselves), so after decomposition their marks are put
# back before every other combining mark is deleted.
_KEEP = (("и\u0306", "й"), ("і\u0308", "ї"))
_TABLE = str.maketrans(
    {**_LETTERS, **_DIGITS, **dict.fromkeys(IGNORABLE, None), **dict.fromkeys(_COMBINING, None)}
)


def _ranges(codes: list[int]) -> str:
    """A regex character class body for sorted code points (runs as ranges)."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in runs)


# A character ``_TABLE`` may drop or map: one of its BMP keys, or any astral
# character (one range, which keeps the class cheap). Most words hold none (no
# accent, no tashkeel, no letter variant); for them the ``translate`` (a failed
# dict lookup a character, several times the cost of the class) is skipped.
_TRANSLATED = re.compile(
    "[" + _ranges(sorted(code for code in _TABLE if code < 0x10000)) + "\\U00010000-\\U0010ffff]"
)


def fold_text(text: str) -> str:
    """Normalise a whole string (any length); ``normalize_token`` applies this per token."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    # Decompose so accents and Arabic marks become separate combining characters,
    # drop those, then map letter variants that do not decompose (ٱ, ى, ة, ک).
    decomposed = unicodedata.normalize("NFD", text)
    if _TRANSLATED.search(decomposed) is None:
        # Nothing to drop or map (й and ї decompose to a letter and a mark).
        return unicodedata.normalize("NFC", decomposed)
    for pair, letter in _KEEP:
        if pair in decomposed:
            decomposed = decomposed.replace(pair, letter)
    return unicodedata.normalize("NFC", decomposed.translate(_TABLE))


# Marks of the Arabic script: tashkeel, Quranic marks, the superscript alef and the
# hamza carried on alef/waw/yeh (أ ؤ ئ decompose to a letter and one of these).
_ARABIC_MARKS = "".join(
    ch
    for ch in _COMBINING
    if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u0870" <= ch <= "\u08ff"
)
_TABLE_KEEPING_ACCENTS = str.maketrans(
    {**_LETTERS, **_DIGITS, **dict.fromkeys(IGNORABLE, None), **dict.fromkeys(_ARABIC_MARKS, None)}
)


def fold_keeping_accents(text: str) -> str:
    """``fold_text`` except that marks on letters of other scripts stay (å, é, ё, й):
    NFKC, case, Arabic marks and letter variants, Arabic-Indic digits, tatweel and
    bidi marks are folded exactly as for matching. Not on the matching path."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text).translate(_TABLE_KEEPING_ACCENTS)
    return unicodedata.normalize("NFC", decomposed)


@lru_cache(maxsize=262_144)
def normalize_token(token: str) -> str:
    """The matching form of one token (see the module docstring)."""
    return fold_text(token)
