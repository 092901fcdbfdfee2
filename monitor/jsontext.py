"""JSON as text that keeps its characters, for what goes to Redis.

``json.dumps`` escapes every non-ASCII character (``\\uXXXX``) by default: an Arabic or
Russian item takes twice its size or more, and longer to read back. Text as it is
must still be UTF-8, which a lone surrogate (a badly decoded feed) is not: such a
value keeps the escapes. Any JSON reader reads either. Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_text"]


def json_text(data: Any, encoder: type[json.JSONEncoder] | None = None) -> str:
    """``data`` as JSON with its characters as they are; escaped when it holds a lone
    surrogate, which UTF-8 cannot carry. ``encoder``: a ``JSONEncoder`` for types
    ``json`` does not know."""
    text = json.dumps(data, cls=encoder, ensure_ascii=False)
    if text.isascii():  # told at once: no surrogate, no encoding pass to find one
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, cls=encoder)
    return text
