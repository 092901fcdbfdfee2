"""Per-token normalisation: the form under which two spellings count as equal.

Pure, no I/O. ``normalize_token`` is called for every token of every item, so it
is cached; it never changes the number of tokens (it works on one token at a
time), which is what lets hits keep offsets into the original text.

What is folded (SPEC section 2): Unicode NFKC, case (``casefold``), accents and
every other combining mark (this also removes Arabic tashkeel and the hamza
carried on alef), tatweel, bidi and zero-width marks; Arabic letter variants
(أ إ آ ٱ -> ا, ى ی -> ي, ة -> ه, ک -> ك, ھ -> ه); Arabic-Indic and Persian digits
-> ASCII digits.

No per-character Python loop: marks are dropped and letters mapped by one
``str.translate`` table (built once at import from the Unicode database).
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache

__all__ = ["IGNORABLE", "MARKS", "fold_text", "normalize_token"]

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
    "ۀ": "ه",
    "ھ": "ه",
    "ک": "ك",
    "ڪ": "ك",
}
_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}


def _scan_marks() -> tuple[str, str]:
    """(every combining mark: categories Mn/Mc/Me; those with a non-zero combining
    class, which are the ones folding drops). One pass over the code space (~0.1 s)."""
    marks: list[str] = []
    dropped: list[str] = []
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if unicodedata.category(ch)[0] == "M":
            marks.append(ch)
            if unicodedata.combining(ch):
                dropped.append(ch)
    return "".join(marks), "".join(dropped)


MARKS, _COMBINING = _scan_marks()

# й and ї are letters of their own in Russian/Ukrainian (ё is folded to е, as
# Russian writers do themselves), so after decomposition their marks are put
# back before every other combining mark is deleted.
_KEEP = (("и\u0306", "й"), ("і\u0308", "ї"))
_TABLE = str.maketrans(
    {**_LETTERS, **_DIGITS, **dict.fromkeys(IGNORABLE, None), **dict.fromkeys(_COMBINING, None)}
)


def fold_text(text: str) -> str:
    """Normalise a whole string (any length); ``normalize_token`` applies this per token."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    # Decompose so accents and Arabic marks become separate combining characters,
    # drop those, then map letter variants that do not decompose (ٱ, ى, ة, ک).
    decomposed = unicodedata.normalize("NFD", text)
    for pair, letter in _KEEP:
        if pair in decomposed:
            decomposed = decomposed.replace(pair, letter)
    return unicodedata.normalize("NFC", decomposed.translate(_TABLE))


@lru_cache(maxsize=262_144)
def normalize_token(token: str) -> str:
    """The matching form of one token (see the module docstring)."""
    return fold_text(token)
