"""Which way a text runs and which quotation marks its language uses.

Pure. Mail clients do not all honour ``dir="auto"`` (Outlook ignores it), so the
renderers set the direction themselves from the first strong character, as the Unicode
bidi algorithm's paragraph rule (P2) does. Quotation marks come from the one table
here, ``QUOTE_MARKS``; the quote's language is the item's, else guessed from its script.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Direction = Literal["ltr", "rtl"]

# Opening and closing marks in each language's usual typography. « » are mirrored
# characters: inside a right-to-left run the opening « shows on the right as », so
# Arabic text stored as «…» reads correctly once its element has dir="rtl".
QUOTE_MARKS: dict[str, tuple[str, str]] = {
    "ar": ("«", "»"),
    "fa": ("«", "»"),
    "ru": ("«", "»"),
    "uk": ("«", "»"),
    "be": ("«", "»"),
    "fr": ("«\u00a0", "\u00a0»"),
    "es": ("«", "»"),
    "it": ("«", "»"),
    "de": ("„", "“"),
    "pl": ("„", "”"),
    "cs": ("„", "“"),
    "he": ("„", "”"),
    "en": ("“", "”"),
}
DEFAULT_QUOTE_MARKS = QUOTE_MARKS["en"]
_RTL_CLASSES = frozenset({"R", "AL"})


def direction(text: str) -> Direction:
    """``rtl`` when the first strong character of ``text`` is right-to-left, else ``ltr``."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in _RTL_CLASSES:
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


# languages written in each script the quote's letters can tell apart from Latin
_SCRIPT_LANGUAGES = {
    "ARABIC": ("ar", frozenset({"ar", "fa", "ur", "ps"})),
    "HEBREW": ("he", frozenset({"he", "yi"})),
    "CYRILLIC": ("ru", frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk"})),
}
_NON_LATIN = frozenset().union(*(langs for _, langs in _SCRIPT_LANGUAGES.values()))


def quote_language(text: str, declared: str | None) -> str | None:
    """The language of a quote: the item's (``en-GB`` -> ``en``) when the quote is in
    that language's script, else a guess from the script (an Arabic quote in an English
    item is Arabic; a Cyrillic one in a Ukrainian item stays Ukrainian)."""
    primary = (declared or "").replace("_", "-").split("-")[0].lower() or None
    letter = next((ch for ch in text if ch.isalpha()), None)
    script = unicodedata.name(letter, "").split(" ")[0] if letter else ""
    if script in _SCRIPT_LANGUAGES:
        guess, languages = _SCRIPT_LANGUAGES[script]
        return primary if primary in languages else guess
    if primary in _NON_LATIN:  # a Latin-script quote in an Arabic or Russian item
        return None
    return primary


def quote_marks(language: str | None) -> tuple[str, str]:
    """The (opening, closing) marks for ``language`` (default: English curly quotes)."""
    return QUOTE_MARKS.get(language or "", DEFAULT_QUOTE_MARKS)
