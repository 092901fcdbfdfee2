"""What a parser knows about an input besides its bytes: where it came from.

Pure data, no I/O. Every format parser takes ``(data: bytes, ctx: SourceContext)``
and returns ``list[WireItem]``, raising ``ParseError`` for input it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

# Entries of one document turned into items per read: bounds an item list's memory.
ENTRY_BATCH = 2000


@dataclass
class EntryBatch:
    """Which entries of a many-entry document one read turns into items.

    A parser reads entries ``start`` up to ``start + size`` and sets ``total`` (entries
    in the document) and ``end`` (one past the last entry read): the caller reads the
    next batch from ``end`` while ``end < total``, so a cap on memory loses no entry.
    """

    start: int = 0
    size: int = ENTRY_BATCH
    total: int = 0
    end: int = 0

    @property
    def more(self) -> bool:
        return self.end < self.total


@dataclass(frozen=True)
class SourceContext:
    source: str  # file path or URL, named in every error and warning
    feed_id: str | None = None
    language: str | None = None  # the feed's declared language hint, if any
    tags: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # HTTP response headers
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: list[str] = field(default_factory=list)  # parsers append one-line warnings
    batch: EntryBatch = field(default_factory=EntryBatch)  # feed documents read in batches
    # Of the ids given, those not seen before (the poller's seen-set): a feed entry whose
    # id is known without its text and seen is not made into an item again; its id goes
    # to ``skipped``. Polling a feed then costs its new entries, not all of them.
    unseen: Callable[[list[str]], Collection[str]] | None = None
    skipped: list[str] = field(default_factory=list)
