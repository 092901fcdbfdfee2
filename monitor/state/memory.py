"""MemoryStore: the Store protocol in process memory.

For tests and throw-away runs; nothing survives the process. No I/O. Thread-safe
(one lock around every method) so a threaded runner or test can share one instance.
Expiring entries (feed claims, story records) expire by the store's ``clock``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from monitor.state.base import (
    Clock,
    DeliveryStatus,
    LedgerEntry,
    QueuedItem,
    StoreBase,
    StoryRecord,
    check_forget_before,
    last_activity,
    refill,
)


class MemoryStore(StoreBase):
    """Dicts behind a lock; see ``monitor.state.base.Store`` for the contract."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self._lock = threading.RLock()  # re-entered by the calls inside a batch
        self._seen: dict[str, dict[str, float]] = {}  # feed -> id -> last seen
        self._claims: dict[str, float] = {}  # feed id -> claim expiry (unix seconds)
        self._feed_state: dict[str, dict[str, str]] = {}
        self._stories: dict[tuple[str, str], tuple[StoryRecord, float]] = {}
        self._deliveries: dict[tuple[str, str], LedgerEntry] = {}
        self._queued: dict[tuple[str, str], QueuedItem] = {}  # (feed, item) -> record
        self._buckets: dict[str, tuple[float, float]] = {}  # bucket -> (tokens, stamp)

    # --- batches -------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold the lock for the block; on an exception put every dict back as it was."""
        with self._lock:
            saved = self._snapshot()
            try:
                yield
            except BaseException:
                self._restore(saved)
                raise

    def _snapshot(self) -> dict[str, Any]:
        return {
            "_seen": {feed: dict(ids) for feed, ids in self._seen.items()},
            "_claims": dict(self._claims),
            "_feed_state": {feed: dict(state) for feed, state in self._feed_state.items()},
            "_stories": dict(self._stories),
            "_deliveries": dict(self._deliveries),
            "_queued": dict(self._queued),
            "_buckets": dict(self._buckets),
        }

    def _restore(self, saved: dict[str, Any]) -> None:
        for name, value in saved.items():
            setattr(self, name, value)

    # --- seen items ---------------------------------------------------------------
    def seen_filter(self, feed_id: str, item_ids: list[str]) -> list[str]:
        with self._lock:
            seen = self._seen.get(feed_id, {})
            return [item_id for item_id in item_ids if item_id not in seen]

    def mark_seen(self, feed_id: str, item_ids: list[str], now: float | None = None) -> None:
        stamp = self._now(now)
        with self._lock:
            seen = self._seen.setdefault(feed_id, {})
            for item_id in item_ids:
                seen[item_id] = max(seen.get(item_id, stamp), stamp)

    def refresh_seen(
        self,
        feed_id: str,
        present_ids: list[str],
        *,
        now: float,
        forget_before: float | None = None,
    ) -> int:
        check_forget_before(now, forget_before)
        with self._lock:
            seen = self._seen.get(feed_id)
            if seen is None:
                return 0
            for item_id in present_ids:
                if item_id in seen:  # refresh only: never mark an id that was not queued
                    seen[item_id] = max(seen[item_id], now)
            if forget_before is None:
                return 0
            expired = [item_id for item_id, last in seen.items() if last < forget_before]
            for item_id in expired:
                del seen[item_id]
            return len(expired)

    # --- poll schedule ------------------------------------------------------------
    def claim_feed(self, feed_id: str, ttl_seconds: float) -> bool:
        now = self.clock()
        with self._lock:
            if self._claims.get(feed_id, 0.0) > now:
                return False
            self._claims[feed_id] = now + ttl_seconds
            return True

    def hold_claim(self, feed_id: str, ttl_seconds: float) -> None:
        with self._lock:
            self._claims[feed_id] = self.clock() + ttl_seconds

    def take_token(self, bucket: str, capacity: int, period: float, *, now: float) -> bool:
        with self._lock:
            tokens, stamp = self._buckets.get(bucket, (None, None))
            left = refill(tokens, stamp, capacity, period, now)
            taken = left >= 1.0
            self._buckets[bucket] = (left - 1.0 if taken else left, now)
            return taken

    def get_feed_state(self, feed_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._feed_state.get(feed_id, {}))

    def set_feed_state(self, feed_id: str, state: dict[str, str]) -> None:
        with self._lock:
            self._feed_state[feed_id] = dict(state)

    # --- feeds gone from the config ------------------------------------------------
    def feed_activity(self) -> dict[str, float]:
        with self._lock:
            return {feed_id: self._activity(feed_id) for feed_id in self._feed_ids()}

    def forget_feeds(self, feed_ids: list[str], *, idle_before: float) -> list[str]:
        with self._lock:
            known = self._feed_ids()
            gone = [
                feed_id
                for feed_id in dict.fromkeys(feed_ids)
                if feed_id in known and self._activity(feed_id) < idle_before
            ]
            for feed_id in gone:
                self._seen.pop(feed_id, None)
                self._feed_state.pop(feed_id, None)
            return gone

    def _feed_ids(self) -> set[str]:
        return {feed for feed, ids in self._seen.items() if ids} | set(self._feed_state)

    def _activity(self, feed_id: str) -> float:
        seen = self._seen.get(feed_id)
        return last_activity(
            self._feed_state.get(feed_id, {}), max(seen.values(), default=None) if seen else None
        )

    # --- story index --------------------------------------------------------------
    def has_stories(self) -> bool:
        with self._lock:
            return bool(self._stories)

    def get_stories(self, watchlist: str, story_keys: list[str]) -> list[StoryRecord | None]:
        found: list[StoryRecord | None] = []
        with self._lock:
            now = self.clock()
            for story_key in story_keys:
                stored = self._stories.get((watchlist, story_key))
                if stored is not None and stored[1] <= now:
                    del self._stories[(watchlist, story_key)]
                    stored = None
                found.append(None if stored is None else stored[0])
        return found

    def put_stories(self, records: list[StoryRecord], ttl_seconds: float) -> None:
        with self._lock:
            expires = self.clock() + ttl_seconds
            for record in records:
                self._stories[(record.watchlist, record.story_key)] = (record, expires)

    # --- alert ledger -------------------------------------------------------------
    def get_delivery(self, alert_id: str, channel: str) -> LedgerEntry | None:
        with self._lock:
            return self._deliveries.get((alert_id, channel))

    def get_deliveries(self, keys: list[tuple[str, str]]) -> list[LedgerEntry | None]:
        with self._lock:
            return [self._deliveries.get(key) for key in keys]

    def put_deliveries(self, entries: list[LedgerEntry]) -> None:
        with self._lock:
            for entry in entries:
                self._deliveries[(entry.alert_id, entry.channel)] = entry

    def list_deliveries(self, status: DeliveryStatus | None = None) -> list[LedgerEntry]:
        with self._lock:
            entries = [e for e in self._deliveries.values() if status is None or e.status == status]
        return sorted(entries, key=_ledger_order)

    def claim_held(self, channel: str, *, now: float, lease: float) -> list[LedgerEntry]:
        with self._lock:
            held = [
                e for e in self._deliveries.values() if e.channel == channel and e.status == "held"
            ]
            if not any(e.due <= now for e in held):
                return []
            taken = [replace(e, due=now + lease) for e in held]
            for entry in taken:
                self._deliveries[(entry.alert_id, entry.channel)] = entry
        return sorted(taken, key=_ledger_order)

    def earliest_held(self, channels: list[str]) -> dict[str, float]:
        # a walk of the ledger: fine for tests, the real stores read an index
        wanted = set(channels)
        earliest: dict[str, float] = {}
        with self._lock:
            for entry in self._deliveries.values():
                if entry.status == "held" and entry.channel in wanted:
                    earliest[entry.channel] = min(entry.due, earliest.get(entry.channel, entry.due))
        return earliest

    # --- queued items ---------------------------------------------------------------
    def put_queued(self, items: list[QueuedItem]) -> None:
        with self._lock:
            for item in items:
                self._queued[(item.feed_id, item.item_id)] = item

    def remove_queued(self, feed_id: str, item_id: str) -> None:
        with self._lock:
            self._queued.pop((feed_id, item_id), None)

    def list_queued(self, *, dead: bool = False) -> list[QueuedItem]:
        with self._lock:
            found = [item for item in self._queued.values() if item.dead == dead]
        return sorted(found, key=_queued_order)

    def count_queued(self, *, dead: bool = False) -> int:
        with self._lock:
            return sum(1 for item in self._queued.values() if item.dead == dead)

    def queued_payloads(self, keys: list[tuple[str, str]]) -> list[str | None]:
        with self._lock:
            records = [self._queued.get(key) for key in keys]
        return [None if record is None else record.payload for record in records]

    def claim_stale_queued(
        self, *, now: float, older_than: float, max_requeues: int, limit: int = 1000
    ) -> tuple[list[QueuedItem], list[QueuedItem]]:
        requeue: list[QueuedItem] = []
        dead: list[QueuedItem] = []
        with self._lock:
            stale = [
                item
                for item in self._queued.values()
                if not item.dead and item.queued_at < now - older_than
            ]
            for item in sorted(stale, key=_queued_order)[:limit]:
                if item.requeues < max_requeues:
                    taken = replace(item, queued_at=now, requeues=item.requeues + 1)
                    requeue.append(taken)
                else:
                    taken = replace(item, queued_at=now, dead=True)
                    dead.append(taken)
                self._queued[(item.feed_id, item.item_id)] = taken
        return requeue, dead

    def forget_dead_queued(self, *, dead_before: float) -> int:
        with self._lock:
            gone = [
                key
                for key, item in self._queued.items()
                if item.dead and item.queued_at < dead_before
            ]
            for key in gone:
                del self._queued[key]
        return len(gone)

    def close(self) -> None:
        """Nothing to release; kept for the protocol."""


def _queued_order(item: QueuedItem) -> tuple[float, str, str]:
    return (item.queued_at, item.feed_id, item.item_id)


def _ledger_order(entry: LedgerEntry) -> tuple[float, str, str]:
    return (entry.updated, entry.alert_id, entry.channel)
