"""Shared helpers of the stores: story records as JSON, and batching of long
id lists (SQLite caps bound parameters, Redis pipelines are better in slices).

Pure, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from monitor.state.base import StoryRecord


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def story_to_json(record: StoryRecord) -> str:
    """A StoryRecord as compact JSON."""
    return json.dumps(
        {
            "alert_id": record.alert_id,
            "watchlist": record.watchlist,
            "story_key": record.story_key,
            "first_seen": record.first_seen,
            "sources": list(record.sources),
            "updates": record.updates,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def story_from_json(text: str) -> StoryRecord:
    data = json.loads(text)
    return StoryRecord(
        alert_id=str(data["alert_id"]),
        watchlist=str(data["watchlist"]),
        story_key=str(data["story_key"]),
        first_seen=float(data["first_seen"]),
        sources=tuple(str(s) for s in data["sources"]),
        updates=int(data.get("updates", 0)),
    )
