"""Untrusted feed text made into one safe line (subjects, console lines, chat, HTML).

Control and line-breaking characters become spaces, runs of spaces collapse, and bidi
embeddings, overrides and isolates are dropped: a feed's U+202E could otherwise reorder
what follows it (a spoofed subject or console line). Direction is set by the renderer
instead (``dir`` in HTML, isolates we add ourselves elsewhere).
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Cc covers CR, LF, TAB, NUL, ESC...; Zl/Zp are U+2028/U+2029 line/paragraph separators.
# Lone surrogates (Cs) cannot be encoded: left in, they would make every send raise.
_LINE_SAFE = {"Cc": " ", "Zl": " ", "Zp": " ", "Cs": "\ufffd"}
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def flat(text: str) -> str:
    """``text`` on one line, spaces collapsed but not stripped (a piece of a longer line)."""
    chars = (_LINE_SAFE.get(unicodedata.category(ch), ch) for ch in text)
    return _SPACES.sub(" ", "".join(chars).translate(_BIDI_CONTROLS))


def clean_line(text: str | None) -> str:
    """One line of text: control/format-breaking characters -> spaces, runs collapsed."""
    return flat(text).strip() if text else ""
