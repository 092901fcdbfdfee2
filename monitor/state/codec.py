"""Shared helpers of the stores: story records and ledger entries as JSON, and batching of long
id lists (SQLite caps bound parameters, Redis pipelines are better in slices).

Pure, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields, replace
from json.encoder import encode_basestring
from typing import TypeVar, cast

from monitor.state.base import DeliveryStatus, LedgerEntry, StoryRecord

T = TypeVar("T")


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


_FIELDS = {kind: tuple(f.name for f in fields(kind)) for kind in (StoryRecord, LedgerEntry)}


def to_json(record: StoryRecord | LedgerEntry) -> str:
    """A story record or ledger entry as compact JSON (tuples become lists).

    A shallow dict of the fields rather than ``dataclasses.asdict``, whose deep copy was
    most of the cost of writing an item's ~34 story records; the text is the same."""
    data = {name: getattr(record, name) for name in _FIELDS[type(record)]}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


_KEY_SLOT = "\x00"  # a story key no record has: where each record's own key goes


def stories_json(records: list[StoryRecord]) -> list[str]:
    """``to_json`` of each record. A story is filed under its ~34 names as records that
    differ only in ``story_key``: each such record is encoded once, and each name is
    put into that text (the same text, a fraction of the cost)."""
    texts: list[str] = []
    encoded: dict[tuple[object, ...], tuple[str, str]] = {}
    for record in records:
        r = record
        rest = (r.alert_id, r.watchlist, r.first_seen, r.sources, r.updates, r.primary)
        parts = encoded.get(rest)
        if parts is None:
            blank = replace(record, story_key=_KEY_SLOT)
            head, _, tail = to_json(blank).partition('"story_key":"\\u0000"')
            parts = encoded[rest] = (head + '"story_key":', tail)
        key = encode_basestring(record.story_key)  # json.dumps's own, without its set-up
        texts.append(parts[0] + key + parts[1])
    return texts


def story_from_json(text: str) -> StoryRecord:
    data = json.loads(text)
    return StoryRecord(
        alert_id=str(data["alert_id"]),
        watchlist=str(data["watchlist"]),
        story_key=str(data["story_key"]),
        first_seen=float(data["first_seen"]),
        sources=tuple(str(s) for s in data["sources"]),
        updates=int(data.get("updates", 0)),
        primary=str(data.get("primary", "")),
    )


def entry_from_json(text: str) -> LedgerEntry:
    data = json.loads(text)
    return LedgerEntry(
        alert_id=str(data["alert_id"]),
        channel=str(data["channel"]),
        status=cast(DeliveryStatus, data["status"]),
        attempts=int(data["attempts"]),
        detail=str(data["detail"]),
        updated=float(data["updated"]),
        payload=str(data.get("payload", "")),
        due=float(data.get("due", 0.0)),
    )
