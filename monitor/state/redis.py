"""RedisStore: the Store protocol in Redis, shared by every distributed worker.

Does network I/O (redis-py, the only module that imports it). Every key lives under
``prefix`` (default ``monitor:``) so one Redis can host several monitors and the Celery
queues side by side:

    {prefix}seen-at:{feed_id}              sorted set: item id scored by when the feed last
                                           listed it (unix seconds), trimmed by score
    {prefix}seen:{feed_id}                 legacy set of item ids (before retention): still
                                           read, folded into seen-at on the first write
    {prefix}claim:{feed_id}                string, SET NX PX: one poller per feed per interval
    {prefix}feed:{feed_id}                 hash of feed state (etag, last_modified, next_due...)
    {prefix}story:{watchlist}:{story_key}  StoryRecord as JSON, with a PX expiry
    {prefix}delivery:{alert_id}            hash: channel -> LedgerEntry as JSON
    {prefix}deliveries:{status}            sorted set of [alert_id, channel] by ``updated``
    {prefix}deliveries:all                 the same, every status
    {prefix}held:{channel}                 sorted set of alert ids held for a digest, by
                                           ``due``: claim_held and earliest_held read it
    {prefix}queued                         hash: [feed_id, item_id] -> the queued item as JSON
    {prefix}queued:at                      sorted set of those in flight, by ``queued_at``
    {prefix}queued:dead                    sorted set of those given up on, by when
    {prefix}queued:requeues                hash: [feed_id, item_id] -> requeue count

Watchlist ids cannot contain ``:`` (config ids are ``[a-z0-9_-]+``), so story keys are
unambiguous. Redis faults are not translated: ``redis.exceptions.ConnectionError`` and
``TimeoutError`` propagate to the caller, and the Celery tasks retry on them. Nothing is
written half-way: multi-key writes go in one MULTI/EXEC transaction. Inside ``batch()``
(per thread) the plain writes wait in a list and go together in one MULTI/EXEC, sent
before the next read (which must see them) or at the end of the batch.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, cast

import redis

from monitor.state.base import (
    LAST_POLL_KEY,
    Clock,
    DeliveryStatus,
    LedgerEntry,
    QueuedItem,
    StoreBase,
    StoryRecord,
    check_forget_before,
    last_activity,
)
from monitor.state.codec import chunks, entry_from_json, stories_json, story_from_json, to_json

# Redis unreachable or refusing: what ``monitor.state.store_faults`` reports as one line
# at the CLI (the Celery tasks catch RedisError themselves, to retry).
STORE_FAULTS: tuple[type[Exception], ...] = (redis.RedisError,)

_STATUSES: tuple[DeliveryStatus, ...] = ("pending", "held", "sent", "dead")
# claim_held retries this often when a concurrent write to the channel's held set
# (a new alert held, another flusher) invalidates its WATCH
_CLAIM_TRIES = 5
# Bound the size of one command when a feed returns thousands of ids.
_CHUNK = 1000

# forget_feeds, one feed per call, in one atomic step: the activity check (as in
# base.last_activity) and the delete, so a feed polled since it was listed is kept. A legacy
# seen set carries no times: it counts for nothing, and goes with the rest.
# KEYS: seen-at, seen (legacy), feed ; ARGV: idle_before, the last-poll key
_FORGET_FEED = """
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3]) == 0 then return 0 end
local last = 0
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if top[2] then last = tonumber(top[2]) end
local polled = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '')
if polled and polled > last then last = polled end
if last >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"""

# claim_stale_queued in one atomic step: workers remove records all the time, so an
# optimistic WATCH (as in claim_held) could keep failing under load.
# A token bucket (``base.refill``, computed the same here, atomically): a hash of tokens
# and stamp, kept two periods after its last use (by then it would be full again anyway).
# KEYS: bucket ; ARGV: capacity, period, now. Returns 1 when a token was taken.
_TAKE_TOKEN = """
local capacity, period, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local left = capacity
if state[1] and state[2] then
  local grown = tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * capacity / period
  left = math.min(capacity, grown)
end
local taken = 0
if left >= 1 then left = left - 1; taken = 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', left), 'stamp', ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(period * 2000))
return taken
"""

# KEYS: queued, queued:at, queued:requeues, queued:dead
# ARGV: cutoff (exclusive, "(<seconds>"), now, max_requeues, limit
_CLAIM_STALE_QUEUED = """
local members = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[4])
local taken = {}
for _, member in ipairs(members) do
  local payload = redis.call('HGET', KEYS[1], member)
  local requeues = tonumber(redis.call('HGET', KEYS[3], member) or '0')
  redis.call('ZREM', KEYS[2], member)
  if payload then
    if requeues < tonumber(ARGV[3]) then
      requeues = redis.call('HINCRBY', KEYS[3], member, 1)
      redis.call('ZADD', KEYS[2], ARGV[2], member)
      table.insert(taken, {member, payload, requeues, 0})
    else
      redis.call('ZADD', KEYS[4], ARGV[2], member)
      table.insert(taken, {member, payload, requeues, 1})
    end
  else
    redis.call('HDEL', KEYS[3], member)
  end
end
return taken
"""

# forget_dead_queued, one batch in one atomic step: a dead record queued again meanwhile
# (put_queued) has left queued:dead, so its payload is never deleted from under it.
# KEYS: queued, queued:requeues, queued:dead ; ARGV: cutoff (exclusive, "(<seconds>"), limit
_FORGET_DEAD_QUEUED = """
local members = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(members) do
  redis.call('ZREM', KEYS[3], member)
  redis.call('HDEL', KEYS[1], member)
  redis.call('HDEL', KEYS[2], member)
end
return #members
"""


class RedisStore(StoreBase):
    """See ``monitor.state.base.Store`` for the contract and the module doc for the keys.

    Claims and stories expire by Redis's own clock (PX), the one every worker shares;
    the store's ``clock`` gives the times it writes (a claim's stamp, ``mark_seen``'s
    default)."""

    def __init__(self, url: str, prefix: str = "monitor:", *, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.prefix = prefix
        self._pool = redis.ConnectionPool.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=5.0,
            socket_timeout=10.0,
            # a connection idle across a Redis restart is checked before use, not failed on
            health_check_interval=30,
        )
        self._client = redis.Redis(connection_pool=self._pool)
        self._closed = False
        self._folded: set[str] = set()  # feeds whose legacy seen set was folded in
        # per thread: .pending, the batch's queued writes (None outside a batch), and
        # .flushes, how often they were sent early
        self._local = threading.local()

    # --- batches -------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Queue the plain writes of the block and send them in one MULTI/EXEC, early
        when a read needs them; on an exception, drop the ones not sent yet (of an inner
        batch: its own) and re-raise."""
        pending = self._pending()
        outer = pending is None
        if pending is None:
            pending = self._local.pending = []
        mark, flushes = len(pending), getattr(self._local, "flushes", 0)
        try:
            yield
            if outer:
                self._flush()
        except BaseException:
            if getattr(self._local, "flushes", 0) == flushes:
                del pending[mark:]
            else:  # sent part of it already: what is left came after, inside this batch
                pending.clear()
            raise
        finally:
            if outer:
                self._local.pending = None

    def _pending(self) -> list[Callable[[Any], object]] | None:
        return cast(list[Callable[[Any], object]] | None, getattr(self._local, "pending", None))

    def _write(self, build: Callable[[Any], object]) -> None:
        """Run ``build(pipeline)`` in one MULTI/EXEC now, or queue it in the batch."""
        pending = self._pending()
        if pending is not None:
            pending.append(build)
            return
        with self._client.pipeline(transaction=True) as pipe:
            build(pipe)
            pipe.execute()

    def _flush(self) -> None:
        """Send the batch's queued writes (before a read, and at its end)."""
        pending = self._pending()
        if not pending:
            return
        with self._client.pipeline(transaction=True) as pipe:
            for build in pending:
                build(pipe)
            pipe.execute()
        pending.clear()
        self._local.flushes = getattr(self._local, "flushes", 0) + 1

    # --- seen items ---------------------------------------------------------------
    def seen_filter(self, feed_id: str, item_ids: list[str]) -> list[str]:
        if not item_ids:
            return []
        self._flush()  # a read: the batch's writes first
        key, legacy = self._key("seen-at", feed_id), self._key("seen", feed_id)
        scores: list[Any] = []
        legacy_flags: list[Any] = []
        with self._client.pipeline(transaction=False) as pipe:
            for chunk in chunks(item_ids, _CHUNK):
                pipe.zmscore(key, chunk)
                # a worker of the previous release may still add to the legacy set
                pipe.smismember(legacy, chunk)
            results = pipe.execute()
        for n, result in enumerate(results):
            (scores if n % 2 == 0 else legacy_flags).extend(result)
        return [
            item_id
            for item_id, score, old in zip(item_ids, scores, legacy_flags, strict=True)
            if score is None and not old
        ]

    def mark_seen(self, feed_id: str, item_ids: list[str], now: float | None = None) -> None:
        if not item_ids:
            return
        stamp = self._now(now)
        self._fold_legacy(feed_id, stamp)
        key = self._key("seen-at", feed_id)

        def build(pipe: Any) -> None:
            for chunk in chunks(item_ids, _CHUNK):
                # GT: a late or slow writer never moves a last-seen time back
                pipe.zadd(key, dict.fromkeys(chunk, stamp), gt=True)

        self._write(build)

    def refresh_seen(
        self,
        feed_id: str,
        present_ids: list[str],
        *,
        now: float,
        forget_before: float | None = None,
    ) -> int:
        check_forget_before(now, forget_before)
        self._flush()  # a read: the batch's writes first
        self._fold_legacy(feed_id, now)
        key = self._key("seen-at", feed_id)
        with self._client.pipeline(transaction=True) as pipe:
            for chunk in chunks(list(dict.fromkeys(present_ids)), _CHUNK):
                # XX: refresh only, never add an id that was not queued
                pipe.zadd(key, dict.fromkeys(chunk, now), xx=True, gt=True)
            if forget_before is not None:
                pipe.zremrangebyscore(key, "-inf", f"({forget_before!r}")
            results = pipe.execute()
        return int(results[-1]) if forget_before is not None else 0

    def _fold_legacy(self, feed_id: str, now: float) -> None:
        """Move a pre-retention seen set into the sorted set, once per feed and process.

        Its ids count as last seen ``now``, so their retention starts at the upgrade and
        none is forgotten sooner than it would have been.
        """
        if feed_id in self._folded:
            return
        # no flush: a batch never writes the legacy set, and the fold (a MAX union)
        # gives the same times before or after the batch's queued writes to seen-at
        legacy, key = self._key("seen", feed_id), self._key("seen-at", feed_id)
        if self._client.exists(legacy):
            with self._client.pipeline(transaction=True) as pipe:
                # a plain set's members score 1 in ZUNIONSTORE: weight ``now`` makes it ``now``
                pipe.zunionstore(key, {key: 1, legacy: now}, aggregate="MAX")
                pipe.delete(legacy)
                pipe.execute()
        self._folded.add(feed_id)

    # --- poll schedule ------------------------------------------------------------
    def claim_feed(self, feed_id: str, ttl_seconds: float) -> bool:
        self._flush()  # a read: the batch's writes first
        claimed = self._client.set(
            self._key("claim", feed_id), f"{self.clock():.3f}", nx=True, px=_millis(ttl_seconds)
        )
        return bool(claimed)

    def hold_claim(self, feed_id: str, ttl_seconds: float) -> None:
        key, stamp = self._key("claim", feed_id), f"{self.clock():.3f}"
        self._write(lambda pipe: pipe.set(key, stamp, px=_millis(ttl_seconds)))

    def take_token(self, bucket: str, capacity: int, period: float, *, now: float) -> bool:
        self._flush()  # a read: the batch's writes first
        args = (str(capacity), repr(float(period)), repr(float(now)))
        return bool(self._client.eval(_TAKE_TOKEN, 1, self._key("bucket", bucket), *args))

    def get_feed_state(self, feed_id: str) -> dict[str, str]:
        self._flush()  # a read: the batch's writes first
        return dict(cast(dict[str, str], self._client.hgetall(self._key("feed", feed_id))))

    def set_feed_state(self, feed_id: str, state: dict[str, str]) -> None:
        key = self._key("feed", feed_id)
        mapping: dict[Any, Any] = dict(state)  # redis-py's Mapping key type is invariant

        def build(pipe: Any) -> None:
            pipe.delete(key)
            if mapping:
                pipe.hset(key, mapping=mapping)

        self._write(build)

    # --- feeds gone from the config ------------------------------------------------
    def feed_activity(self) -> dict[str, float]:
        self._flush()  # a read: the batch's writes first
        # SCAN, not KEYS: it never blocks Redis, and this runs once a day
        feed_ids: set[str] = set()
        for kind in ("seen-at", "seen", "feed"):
            start = len(self._key(kind, ""))
            pattern = _glob_escape(self._key(kind, "")) + "*"
            feed_ids.update(str(key)[start:] for key in self._client.scan_iter(match=pattern))
        ordered = sorted(feed_ids)
        activity: dict[str, float] = {}
        for chunk in chunks(ordered, _CHUNK):
            with self._client.pipeline(transaction=False) as pipe:
                for feed_id in chunk:
                    pipe.zrevrange(self._key("seen-at", feed_id), 0, 0, withscores=True)
                    pipe.hgetall(self._key("feed", feed_id))
                results = pipe.execute()
            for n, feed_id in enumerate(chunk):
                top, state = results[2 * n], results[2 * n + 1]
                latest = float(top[0][1]) if top else None
                activity[feed_id] = last_activity(dict(state), latest)
        return activity

    def forget_feeds(self, feed_ids: list[str], *, idle_before: float) -> list[str]:
        self._flush()  # a read: the batch's writes first
        ordered = list(dict.fromkeys(feed_ids))
        gone: list[str] = []
        for chunk in chunks(ordered, _CHUNK):
            with self._client.pipeline(transaction=False) as pipe:
                for feed_id in chunk:
                    keys = (
                        self._key("seen-at", feed_id),
                        self._key("seen", feed_id),
                        self._key("feed", feed_id),
                    )
                    pipe.eval(_FORGET_FEED, 3, *keys, repr(idle_before), LAST_POLL_KEY)
                results = pipe.execute()
            gone.extend(feed_id for feed_id, done in zip(chunk, results, strict=True) if done)
        self._folded.difference_update(gone)
        return gone

    # --- story index --------------------------------------------------------------
    def has_stories(self) -> bool:
        self._flush()  # a read: the batch's writes first
        pattern = _glob_escape(self._key("story", "")) + "*"  # SCAN: never blocks Redis
        return next(iter(self._client.scan_iter(match=pattern, count=1000)), None) is not None

    def get_stories(self, watchlist: str, story_keys: list[str]) -> list[StoryRecord | None]:
        if not story_keys:
            return []
        self._flush()  # a read: the batch's writes first
        # GETs in one pipeline (one round trip), not MGET: MGET answers nil for a key of
        # the wrong type, and a damaged story key must be an error (the task is retried),
        # not a story never seen (a second alert).
        with self._client.pipeline(transaction=False) as pipe:
            for story_key in story_keys:
                pipe.get(self._key("story", watchlist, story_key))
            texts = cast(list[str | None], pipe.execute())
        return [None if text is None else story_from_json(text) for text in texts]

    def put_stories(self, records: list[StoryRecord], ttl_seconds: float) -> None:
        if not records:
            return
        rows = [
            (self._key("story", r.watchlist, r.story_key), text)
            for r, text in zip(records, stories_json(records), strict=True)
        ]

        def build(pipe: Any) -> None:  # one round trip, all or none
            for key, text in rows:
                pipe.set(key, text, px=_millis(ttl_seconds))

        self._write(build)

    # --- alert ledger -------------------------------------------------------------
    def get_delivery(self, alert_id: str, channel: str) -> LedgerEntry | None:
        self._flush()  # a read: the batch's writes first
        text = cast(str | None, self._client.hget(self._key("delivery", alert_id), channel))
        return None if text is None else entry_from_json(text)

    def get_deliveries(self, keys: list[tuple[str, str]]) -> list[LedgerEntry | None]:
        if not keys:
            return []
        self._flush()
        with self._client.pipeline(transaction=False) as pipe:
            for alert_id, channel in keys:
                pipe.hget(self._key("delivery", alert_id), channel)
            texts = cast(list[str | None], pipe.execute())
        return [None if text is None else entry_from_json(text) for text in texts]

    def put_deliveries(self, entries: list[LedgerEntry]) -> None:
        if not entries:
            return
        texts = [to_json(entry) for entry in entries]

        def build(pipe: Any) -> None:
            for entry, text in zip(entries, texts, strict=True):
                self._queue_delivery(pipe, entry, text)

        self._write(build)

    def _queue_delivery(self, pipe: Any, entry: LedgerEntry, text: str) -> None:
        member = json.dumps([entry.alert_id, entry.channel], ensure_ascii=False)
        pipe.hset(self._key("delivery", entry.alert_id), entry.channel, text)
        for status in _STATUSES:
            if status != entry.status:
                pipe.zrem(self._key("deliveries", status), member)
        pipe.zadd(self._key("deliveries", entry.status), {member: entry.updated})
        pipe.zadd(self._key("deliveries", "all"), {member: entry.updated})
        held = self._key("held", entry.channel)
        if entry.status == "held":
            pipe.zadd(held, {entry.alert_id: entry.due})
        else:
            pipe.zrem(held, entry.alert_id)

    def list_deliveries(self, status: DeliveryStatus | None = None) -> list[LedgerEntry]:
        self._flush()  # a read: the batch's writes first
        index = self._key("deliveries", status or "all")
        members = cast(list[str], self._client.zrange(index, 0, -1))
        pairs = [cast(list[str], json.loads(member)) for member in members]
        with self._client.pipeline(transaction=False) as pipe:
            for alert_id, channel in pairs:
                pipe.hget(self._key("delivery", alert_id), channel)
            texts = cast(list[str | None], pipe.execute())
        entries = [entry_from_json(text) for text in texts if text is not None]
        # the index and the hash are written together, but a reader may see an entry
        # whose status moved on between ZRANGE and HGET: filter on the record itself
        if status is not None:
            entries = [entry for entry in entries if entry.status == status]
        return sorted(entries, key=lambda e: (e.updated, e.alert_id, e.channel))

    def claim_held(self, channel: str, *, now: float, lease: float) -> list[LedgerEntry]:
        self._flush()  # a read: the batch's writes first
        held = self._key("held", channel)
        # optimistic: WATCH the channel's held set; every write to a held entry touches it
        for _ in range(_CLAIM_TRIES):
            with self._client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(held)  # type: ignore[no-untyped-call]
                    if not pipe.zrangebyscore(held, "-inf", now, start=0, num=1):
                        return []
                    ids = cast(list[str], pipe.zrange(held, 0, -1))
                    texts = [pipe.hget(self._key("delivery", i), channel) for i in ids]
                    entries = [
                        replace(entry_from_json(text), due=now + lease)
                        for text in cast(list[str | None], texts)
                        if text is not None
                    ]
                    entries = [e for e in entries if e.status == "held"]
                    pipe.multi()
                    for entry in entries:
                        pipe.hset(self._key("delivery", entry.alert_id), channel, to_json(entry))
                        pipe.zadd(held, {entry.alert_id: entry.due})
                    pipe.execute()
                except redis.WatchError:
                    continue
            return sorted(entries, key=lambda e: (e.updated, e.alert_id, e.channel))
        return []

    def earliest_held(self, channels: list[str]) -> dict[str, float]:
        self._flush()  # a read: the batch's writes first
        wanted = list(dict.fromkeys(channels))
        with self._client.pipeline(transaction=False) as pipe:
            for channel in wanted:
                pipe.zrange(self._key("held", channel), 0, 0, withscores=True)
            tops = cast(list[list[tuple[str, float]]], pipe.execute())
        return {channel: float(top[0][1]) for channel, top in zip(wanted, tops, strict=True) if top}

    # --- queued items ---------------------------------------------------------------
    def put_queued(self, items: list[QueuedItem]) -> None:
        if not items:
            return
        queued, at, requeues, dead = self._queued_keys()
        # the last record of one (feed_id, item_id) wins, as if written one by one
        latest = {_member(item.feed_id, item.item_id): item for item in items}
        rows = list(latest.items())

        def build(pipe: Any) -> None:
            # a few commands per chunk of records, not four per record
            for chunk in chunks(rows, _CHUNK):
                pipe.hset(queued, mapping={member: item.payload for member, item in chunk})
                pipe.hset(requeues, mapping={m: str(item.requeues) for m, item in chunk})
                for index, other in ((at, dead), (dead, at)):
                    scores = {
                        member: item.queued_at
                        for member, item in chunk
                        if item.dead == (index == dead)
                    }
                    if scores:
                        pipe.zadd(index, scores)
                        pipe.zrem(other, *scores)

        self._write(build)

    def remove_queued(self, feed_id: str, item_id: str) -> None:
        member = _member(feed_id, item_id)
        queued, at, requeues, dead = self._queued_keys()

        def build(pipe: Any) -> None:
            pipe.zrem(at, member)
            pipe.zrem(dead, member)
            pipe.hdel(requeues, member)
            pipe.hdel(queued, member)

        self._write(build)

    def list_queued(self, *, dead: bool = False) -> list[QueuedItem]:
        self._flush()  # a read: the batch's writes first
        queued, at, requeues, dead_key = self._queued_keys()
        scored = cast(
            list[tuple[str, float]],
            self._client.zrange(dead_key if dead else at, 0, -1, withscores=True),
        )
        if not scored:
            return []
        members = [member for member, _ in scored]
        with self._client.pipeline(transaction=False) as pipe:
            pipe.hmget(queued, members)
            pipe.hmget(requeues, members)
            payloads, counts = cast(list[list[str | None]], pipe.execute())
        found = []
        for (member, score), payload, count in zip(scored, payloads, counts, strict=True):
            if payload is None:
                continue  # removed between the two reads
            feed_id, item_id = cast(list[str], json.loads(member))
            found.append(QueuedItem(feed_id, item_id, payload, score, int(count or 0), dead))
        return sorted(found, key=lambda q: (q.queued_at, q.feed_id, q.item_id))

    def count_queued(self, *, dead: bool = False) -> int:
        self._flush()  # a read: the batch's writes first
        _, at, _, dead_key = self._queued_keys()
        return int(self._client.zcard(dead_key if dead else at))

    def queued_payloads(self, keys: list[tuple[str, str]]) -> list[str | None]:
        self._flush()  # a read: the batch's writes first
        if not keys:
            return []
        members = [_member(feed_id, item_id) for feed_id, item_id in keys]
        return cast(list[str | None], self._client.hmget(self._queued_keys()[0], members))

    def claim_stale_queued(
        self, *, now: float, older_than: float, max_requeues: int, limit: int = 1000
    ) -> tuple[list[QueuedItem], list[QueuedItem]]:
        self._flush()  # a read: the batch's writes first
        args: list[str | int] = [f"({now - older_than!r}", repr(now), max_requeues, limit]
        rows = cast(
            list[list[Any]],
            self._client.eval(_CLAIM_STALE_QUEUED, 4, *self._queued_keys(), *args),
        )
        requeue: list[QueuedItem] = []
        dead: list[QueuedItem] = []
        for member, payload, requeues, is_dead in rows:
            feed_id, item_id = cast(list[str], json.loads(member))
            item = QueuedItem(feed_id, item_id, payload, now, int(requeues), bool(is_dead))
            (dead if item.dead else requeue).append(item)
        return requeue, dead

    def forget_dead_queued(self, *, dead_before: float) -> int:
        self._flush()  # a read: the batch's writes first
        queued, _, requeues, dead = self._queued_keys()
        forgotten = 0
        while True:  # in batches: one script never blocks Redis for long
            count = int(
                cast(
                    int,
                    self._client.eval(
                        _FORGET_DEAD_QUEUED, 3, queued, requeues, dead, f"({dead_before!r}", _CHUNK
                    ),
                )
            )
            forgotten += count
            if count < _CHUNK:
                return forgotten

    def _queued_keys(self) -> tuple[str, str, str, str]:
        return (
            self._key("queued"),
            self._key("queued", "at"),
            self._key("queued", "requeues"),
            self._key("queued", "dead"),
        )

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close()
            self._pool.disconnect()

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)


def _member(feed_id: str, item_id: str) -> str:
    return json.dumps([feed_id, item_id])  # ASCII: an id with a lone surrogate still encodes


def _glob_escape(text: str) -> str:
    """``text`` matched literally in a SCAN MATCH pattern (a prefix may hold ``*`` or ``[``)."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


def _millis(seconds: float) -> int:
    # PX must be a positive integer; a zero or negative ttl still expires at once
    return max(1, round(seconds * 1000))
