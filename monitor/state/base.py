"""The Store protocol: everything the pipeline remembers between items and runs.

The interface, and ``StoreBase``, what every implementation shares: the clock and the
one-record forms of the batch calls. No I/O. Implementations: ``memory.py`` (tests),
``sqlite.py`` (the embedded runner's local state file), ``redis.py`` (the distributed
runner). All methods are safe to call again after a crash (idempotent where it matters).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

# held: waiting in a digest channel for its summary mail (``monitor.alerts.digest``)
DeliveryStatus = Literal["pending", "held", "sent", "dead"]


@dataclass(frozen=True)
class StoryRecord:
    """The alert already raised for one (watchlist, story) within the story window."""

    alert_id: str
    watchlist: str
    story_key: str
    first_seen: float  # unix seconds
    sources: tuple[str, ...]
    updates: int = 0
    # The story key the alert was raised under (``decide.story_key`` of its item): the
    # record is filed under every name of the story, and this one is kept current.
    primary: str = ""


@dataclass(frozen=True)
class LedgerEntry:
    """Delivery state of one alert on one channel."""

    alert_id: str
    channel: str
    status: DeliveryStatus
    attempts: int
    detail: str
    updated: float  # unix seconds
    payload: str = ""  # the alert as JSON (Alert.to_message), so dead letters can be re-sent
    # held entries: when the digest that carries it may go; pending ones after a failed
    # attempt: when the next attempt is due (unix seconds)
    due: float = 0.0


@dataclass(frozen=True)
class QueuedItem:
    """An item handed to the process queue and not yet fully processed (distributed
    runner). The poll task records it before marking the item seen and ``process_item``
    removes it once the item's deliveries are recorded, so an item whose queue message
    the broker lost is still known and the poller queues it again (``workers.schedule``).
    """

    feed_id: str
    item_id: str
    payload: str  # the item as JSON (WireItem.to_dict)
    queued_at: float  # unix seconds: when it was last queued (or, once dead, given up on)
    requeues: int = 0  # how often the poller queued it again
    dead: bool = False  # given up on after too many requeues: kept for a human to look at


# Feed-state key ``pipeline.commit_poll`` sets to the time (unix seconds, as text) of the
# feed's last successful poll, 304 included: what tells a feed removed from the config
# long ago from one polled yesterday whose items are all still seen.
LAST_POLL_KEY = "polled_at"
# Feed-state keys ``pipeline.record_poll_failure`` sets when a poll fails: the error (one
# line), when (unix seconds) and how many polls in a row failed (0 again after a success).
LAST_ERROR_KEY = "last_error"
LAST_ERROR_AT_KEY = "last_error_at"
ERROR_STREAK_KEY = "error_streak"
# ``hold_claim(key, CLAIM_RELEASED)`` lets a claim held as a lease (a send, a poll) lapse
# at once (in Redis within a millisecond: PX must be positive)
CLAIM_RELEASED = 0.0


def last_activity(state: dict[str, str], latest_seen: float | None) -> float:
    """When a feed was last known to be polled: the later of its feed state's last
    successful poll and its ids' latest last-seen time (0.0 when neither is known)."""
    try:
        polled = float(state.get(LAST_POLL_KEY, "0"))
    except ValueError:  # written by hand or by something else: trust the seen times
        polled = 0.0
    return max(polled, latest_seen or 0.0)


def check_forget_before(now: float, forget_before: float | None) -> None:
    """Refuse a cutoff after ``now``: it would forget the ids being refreshed."""
    if forget_before is not None and forget_before > now:
        raise ValueError(f"forget_before ({forget_before}) is after now ({now})")


def refill(
    tokens: float | None, stamp: float | None, capacity: int, period: float, now: float
) -> float:
    """The tokens a bucket holds at ``now``: full when new (``tokens`` None), else
    ``tokens`` plus ``capacity / period`` per second since ``stamp``, at most ``capacity``.
    A clock that went back adds nothing. (redis.py's Lua script computes the same.)"""
    if tokens is None or stamp is None:
        return float(capacity)
    return min(float(capacity), tokens + max(0.0, now - stamp) * capacity / period)


class Store(Protocol):
    # --- batches: many calls, one write ------------------------------------------
    # ``with store.batch():`` groups the calls inside into as few writes as the store
    # allows (SQLite: one transaction, a savepoint when nested; Redis: the writes between
    # two reads in one MULTI/EXEC; memory: nothing to save). Inside a batch every read
    # sees the batch's own writes. Leaving it normally makes the writes durable; leaving
    # it by an exception undoes each call whole or keeps it whole (never half a call)
    # and re-raises: SQLite and memory undo every write of the batch (or, nested, of the
    # inner one), Redis only those not yet sent. A batch therefore holds work that is
    # redone when it is lost: the embedded runner puts one poll's items and its
    # ``commit_poll`` in one, and sends the alerts once it has committed
    # (``monitor.runner``). Other threads wait for a batch in progress (SQLite, memory).
    def batch(self) -> AbstractContextManager[None]:
        """Group the calls made inside the ``with`` block (see above)."""
        ...

    # --- seen items: what has been queued already -------------------------------
    # Each id carries the time it was last seen in its feed. ``refresh_seen`` keeps
    # that time current for ids the feed still lists and trims the rest once they are
    # older than the retention, so the set stays bounded without re-alerting an item
    # that stays in a feed's window for months (pipeline.commit_poll decides when).
    def seen_filter(self, feed_id: str, item_ids: list[str]) -> list[str]:
        """Return the ids in ``item_ids`` not yet marked seen for ``feed_id``."""
        ...

    def mark_seen(self, feed_id: str, item_ids: list[str], now: float | None = None) -> None:
        """Mark ids seen, last seen in the feed at ``now`` (unix seconds; default: the
        clock). Call only after the items were queued/processed."""
        ...

    def refresh_seen(
        self,
        feed_id: str,
        present_ids: list[str],
        *,
        now: float,
        forget_before: float | None = None,
    ) -> int:
        """Record that the feed's latest read still lists ``present_ids``, then trim.

        Ids of ``present_ids`` already seen get ``now`` as their last-seen time (never
        moved back); ids not seen yet are NOT added, so nothing becomes seen that was
        not queued. Then, if ``forget_before`` is given (at most ``now``), every id of
        this feed last seen before it is forgotten: the ids just refreshed never are.
        Returns how many ids were forgotten. One batched write, whatever the count.
        """
        ...

    # --- poll schedule ------------------------------------------------------------
    def claim_feed(self, feed_id: str, ttl_seconds: float) -> bool:
        """Claim a feed for one poll; False if another poller holds it (SET NX PX)."""
        ...

    def hold_claim(self, feed_id: str, ttl_seconds: float) -> None:
        """Make the feed's claim last ``ttl_seconds`` from now, held or not (SET PX): its
        next poll is due then, for every poller. A poll sets it to its adapted interval
        (``sources.cadence``) once it knows it."""
        ...

    def get_feed_state(self, feed_id: str) -> dict[str, str]:
        """Conditional-GET validators and schedule data (etag, last_modified, next_due...)."""
        ...

    def set_feed_state(self, feed_id: str, state: dict[str, str]) -> None: ...

    # --- feeds gone from the config ------------------------------------------------
    def feed_activity(self) -> dict[str, float]:
        """Every feed id the store keeps seen ids or feed state for, mapped to when it was
        last known to be polled (``last_activity``)."""
        ...

    def forget_feeds(self, feed_ids: list[str], *, idle_before: float) -> list[str]:
        """Forget the seen ids and feed state of each feed in ``feed_ids`` whose activity
        is still before ``idle_before``, checked again in the same step as the delete, so a
        feed polled since it was listed keeps everything. Returns the ids forgotten. One
        batched write, whatever the count."""
        ...

    # --- story index: one alert per (watchlist, story) ----------------------------
    def get_story(self, watchlist: str, story_key: str) -> StoryRecord | None: ...

    def put_story(self, record: StoryRecord, ttl_seconds: float) -> None: ...

    def get_stories(self, watchlist: str, story_keys: list[str]) -> list[StoryRecord | None]:
        """``get_story`` for each key, in order, in one round trip: an item goes by ~34
        names (title, story id, body bands) and is decided once per watchlist it matches."""
        ...

    def has_stories(self) -> bool:
        """Whether any story record is stored, under any watchlist (expired ones may
        count until the store purges them): run once per process, it may scan."""
        ...

    def put_stories(self, records: list[StoryRecord], ttl_seconds: float) -> None:
        """``put_story`` for each record, in one round trip (and one transaction)."""
        ...

    # --- alert ledger: delivery state per (alert, channel) ------------------------
    def get_delivery(self, alert_id: str, channel: str) -> LedgerEntry | None: ...

    def put_delivery(self, entry: LedgerEntry) -> None: ...

    def get_deliveries(self, keys: list[tuple[str, str]]) -> list[LedgerEntry | None]:
        """``get_delivery`` for each ``(alert_id, channel)``, in order, in one round trip."""
        ...

    def put_deliveries(self, entries: list[LedgerEntry]) -> None:
        """``put_delivery`` for each entry, in order (the last of one key wins), in one
        round trip and one transaction."""
        ...

    def list_deliveries(self, status: DeliveryStatus | None = None) -> list[LedgerEntry]: ...

    def claim_held(self, channel: str, *, now: float, lease: float) -> list[LedgerEntry]:
        """Take the alerts held for ``channel``'s next digest, if it is due.

        When any entry held for ``channel`` has ``due <= now``, set ``due = now + lease``
        on every entry held for it and return them (as updated, in ledger order);
        otherwise return ``[]``. Atomic: of callers racing for one channel, one gets the
        entries and the others ``[]`` until the lease runs out (a flusher that died
        mid-send leaves them to be taken again then: re-sent, never lost).
        """
        ...

    def earliest_held(self, channels: list[str]) -> dict[str, float]:
        """For each of ``channels`` with entries held, the earliest ``due`` among them;
        a channel with none held is absent. A channel's digest is due when this is at
        most ``now`` (``digest.due_channels``); ``claim_held`` then takes it.

        Read from an index: the cost grows with ``len(channels)``, not with how many
        alerts are held, so a poller or runner may ask every tick.
        """
        ...

    def take_token(self, bucket: str, capacity: int, period: float, *, now: float) -> bool:
        """Take one token from the token bucket ``bucket`` (a channel's ``rate_limit``):
        it holds at most ``capacity`` tokens, starts full and refills ``capacity`` per
        ``period`` seconds (``refill``). True if a token was taken, False if it is empty.
        Atomic across every process sharing the store: of N callers racing for the last
        tokens, exactly that many get True."""
        ...

    # --- queued items: in the process queue, not yet fully processed -------------
    # Only the distributed runner writes these; the embedded runner processes an item
    # before it marks it seen, so it has nothing in flight to lose.
    def put_queued(self, items: list[QueuedItem]) -> None:
        """Record items as in flight, replacing any record (in flight or dead) of the same
        (feed_id, item_id). One batched write, whatever the count."""
        ...

    def remove_queued(self, feed_id: str, item_id: str) -> None:
        """Forget the item's record, in flight or dead (it was processed); absent: nothing."""
        ...

    def list_queued(self, *, dead: bool = False) -> list[QueuedItem]:
        """The records in flight (or the dead ones), oldest ``queued_at`` first."""
        ...

    def count_queued(self, *, dead: bool = False) -> int:
        """How many records are in flight (or dead), without reading them: a watcher
        asking often must not load every payload each time."""
        ...

    def queued_payloads(self, keys: list[tuple[str, str]]) -> list[str | None]:
        """The payload of each ``(feed_id, item_id)``'s record, in flight or dead, in
        the order asked; None where there is none (processed already, or forgotten).
        One read, whatever the count: a worker takes a batch's items from here."""
        ...

    def claim_stale_queued(
        self, *, now: float, older_than: float, max_requeues: int, limit: int = 1000
    ) -> tuple[list[QueuedItem], list[QueuedItem]]:
        """Take the records in flight with ``queued_at < now - older_than`` (at most
        ``limit``, oldest first) and return ``(requeue, dead)``.

        A record with ``requeues < max_requeues`` gets ``queued_at = now`` and one more
        requeue, and is returned in ``requeue`` for the caller to queue again; the others
        become dead (``dead=True``, ``queued_at = now``) and are returned in ``dead``.
        Atomic: of callers racing, each record goes to one of them (a caller that dies
        before queueing leaves the record to be taken again after ``older_than``).
        """
        ...

    def forget_dead_queued(self, *, dead_before: float) -> int:
        """Forget the dead records given up on before ``dead_before`` (their
        ``queued_at``); return how many. Records in flight are never touched, nor is a
        dead one queued again meanwhile (``put_queued`` puts it back in flight)."""
        ...

    def close(self) -> None: ...


# Unix seconds now. Stores read it where a call takes no ``now``: a claim's or story's
# expiry in memory and SQLite, and the default time of ``mark_seen``.
Clock = Callable[[], float]


class StoreBase(ABC):
    """What every ``Store`` shares: its ``clock`` (``time.time`` unless a test drives
    one) and the one-record calls, each its batch call with one element."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock

    def _now(self, now: float | None) -> float:
        """``now`` when given, else the clock's time."""
        return self.clock() if now is None else now

    def get_story(self, watchlist: str, story_key: str) -> StoryRecord | None:
        return self.get_stories(watchlist, [story_key])[0]

    def put_story(self, record: StoryRecord, ttl_seconds: float) -> None:
        self.put_stories([record], ttl_seconds)

    def put_delivery(self, entry: LedgerEntry) -> None:
        self.put_deliveries([entry])

    @abstractmethod
    def get_stories(self, watchlist: str, story_keys: list[str]) -> list[StoryRecord | None]:
        """See ``Store.get_stories``."""

    @abstractmethod
    def put_stories(self, records: list[StoryRecord], ttl_seconds: float) -> None:
        """See ``Store.put_stories``."""

    @abstractmethod
    def put_deliveries(self, entries: list[LedgerEntry]) -> None:
        """See ``Store.put_deliveries``."""
