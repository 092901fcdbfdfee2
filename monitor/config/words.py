"""How config problems name what the user wrote: a value's kind, a "did you mean" hint.

Shared by the merge, validation and reference stages so the same slip reads the same way
wherever it is found.
"""

from __future__ import annotations

import difflib
from typing import Any


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def hint(word: str, options: Any, list_all: bool = False) -> str:
    choices = [str(option) for option in options]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:  # case slips (`nato` for `NATO`) fall below difflib's cutoff
        close = [choice for choice in choices if choice.casefold() == word.casefold()]
    if close:
        return f"; did you mean {close[0]!r}?"
    if list_all and choices:
        listed = ", ".join(choices[:10]) + (", ..." if len(choices) > 10 else "")
        return f"; expected one of: {listed}"
    return ""
