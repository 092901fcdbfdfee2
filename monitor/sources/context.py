"""What a parser knows about an input besides its bytes: where it came from.

Pure data, no I/O. Every format parser takes ``(data: bytes, ctx: SourceContext)``
and returns ``list[WireItem]``, raising ``ParseError`` for input it cannot read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class SourceContext:
    source: str  # file path or URL, named in every error and warning
    feed_id: str | None = None
    language: str | None = None  # the feed's declared language hint, if any
    tags: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # HTTP response headers
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: list[str] = field(default_factory=list)  # parsers append one-line warnings
