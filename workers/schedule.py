"""The poll scheduler (``monitor poller``): due feeds into the ``poll`` queue.

A feed is due when its claim in Redis (``SET NX PX`` for its ``every:``
interval) can be taken, so any number of pollers together poll each feed once
per interval, and when one dies the others take over at the next interval. The
poll task then extends the claim to the feed's adapted interval when that is longer
than ``every`` (``monitor.sources.cadence``: longer while the feed brings nothing new,
kept in the feed state), so the next poll waits that long whichever poller takes it.
Also re-queues deliveries left pending too long (a worker died between
deciding an alert and queueing its delivery) and items queued too long ago and
never processed (the broker lost their message), forgets the items it gave up on once
they have been dead for ``settings.seen_retention`` (``pipeline.forget_dead_queued``), and
queues the digest of every digest email channel whose period has come
(``monitor.alerts.digest``). Once a day it forgets feeds removed from the config long
enough ago (``pipeline.forget_removed_feeds``).
"""

from __future__ import annotations

import json
import threading
import time

import structlog
from kombu.exceptions import ChannelError, OperationalError
from redis.exceptions import RedisError

from monitor import metrics
from monitor.alerts.digest import due_channels, flush_periods
from monitor.config.reload import ConfigReloader
from monitor.config.schema import Config
from monitor.history.recorder import HistoryRecorder
from monitor.model import Alert
from monitor.pipeline import (
    REMOVED_FEEDS_SWEEP_EVERY,
    forget_dead_queued,
    forget_removed_feeds,
    held_without_digest,
)
from monitor.state.base import LedgerEntry, QueuedItem, Store
from workers.publish import send

log = structlog.get_logger(__name__)

TICK = 1.0
# A claim lapses this much before its feed's interval is over. The pass that took it
# reached the feed some milliseconds into its tick, and the pass one interval later may
# reach it a little sooner: a claim of exactly ``every`` would then still stand, and the
# feed would wait a whole tick more (a feed of ``every: 1s`` polled every 2 s).
CLAIM_EARLY = 0.1 * TICK
# A poll message lives at least this long: a pool replacing its children slowly
# (billiard looks for exited ones every 5 s; ``--max-tasks-per-child``) or a queue a
# little behind must not drop every poll of a fast feed before any child can take it.
POLL_EXPIRES_MIN = 10 * TICK
# the fewest poll_feeds messages a tick's due feeds are split into (see batch_size)
POLL_SPREAD = 4
PENDING_SWEEP_EVERY = 60.0
# A pending delivery or queued item counts as lost once older than this; None: the
# visibility timeout, after which Celery itself would have redelivered a live message.
PENDING_STALE_AFTER: float | None = None
# a digest flush is queued again for a channel still due after this long
DIGEST_REQUEUE_AFTER = 10.0
# An item queued again this often and still not processed is given up on: its record
# moves to the store's dead list (Store.list_queued(dead=True), `monitor items dead`) with
# an error log line, and is forgotten after settings.seen_retention.
QUEUED_MAX_REQUEUES = 3
# records taken per store call; a sweep takes batches until none is left
QUEUED_SWEEP_BATCH = 500


def next_tick_after(scheduled: float, now: float) -> float:
    """The first tick of the fixed ``TICK`` grid from ``scheduled`` that is still ahead
    of ``now`` (a pass longer than a tick skips the ticks it overran, not the grid)."""
    if now < scheduled + TICK:
        return scheduled + TICK
    return scheduled + TICK * (int((now - scheduled) / TICK) + 1)


def claim_ttl(every: float) -> float:
    """How long a poller's claim on a feed polled every ``every`` seconds lasts."""
    return max(every - CLAIM_EARLY, every / 2)


def poll_expiry(every: float) -> float:
    """Seconds a queued poll of feeds polled every ``every`` seconds is kept: one
    interval, for slow feeds; ``POLL_EXPIRES_MIN`` for fast ones. Polls queued while
    no worker ran pile up no further than that; those that do run one at a time per
    feed (``workers.tasks.poll_lease_key``)."""
    return max(every, POLL_EXPIRES_MIN)


def batch_size(due: int) -> int:
    """Feeds per ``poll_feeds`` message when ``due`` feeds are due at once: at most
    ``FEED_BATCH`` (one task fetches them at once), and small enough to make at least
    ``POLL_SPREAD`` messages, so that several worker processes parse a round side by
    side instead of one parsing it all."""
    from workers.tasks import FEED_BATCH

    return max(1, min(FEED_BATCH, -(-due // POLL_SPREAD)))


def poll_due_feeds(config: Config, store: Store) -> list[str]:
    """Queue a poll for every feed whose interval has passed, ``batch_size`` feeds to a
    ``poll_feeds`` message (a worker reads them at once); return their ids."""
    from workers.tasks import poll_feeds

    due = [feed for feed in config.feeds if store.claim_feed(feed.id, claim_ttl(feed.every))]
    size = batch_size(len(due))
    for start in range(0, len(due), size):
        batch = due[start : start + size]
        # A poll still queued long after the next one is due is dropped (poll_expiry):
        # polls queued while no worker ran would otherwise pile up, each one more read
        # of the feed once a worker comes.
        every = min(f.every for f in batch)
        send(poll_feeds, ([feed.id for feed in batch],), expires=poll_expiry(every))
    return [feed.id for feed in due]


def queue_due_digests(
    config: Config, store: Store, *, now: float, queued_at: dict[str, float] | None = None
) -> list[str]:
    """Queue a digest flush for every digest channel with a held alert that is due.

    Each flush takes its alerts with ``Store.claim_held``, so a flush queued twice
    (two pollers, a slow worker) sends nothing twice; while one runs, the alerts it
    took are no longer due and are not queued again.
    """
    from workers.tasks import flush_digest

    periods = flush_periods(config)
    if not periods:
        return []
    last = queued_at if queued_at is not None else {}
    # one index read per digest channel, however many alerts a daily digest holds
    channels = [
        channel
        for channel in due_channels(store.earliest_held(sorted(periods)), now)
        if now - last.get(channel, float("-inf")) >= DIGEST_REQUEUE_AFTER
    ]
    for channel in channels:
        # not one per tick while the workers are busy: once, then again if still due later
        send(flush_digest, (channel,), expires=DIGEST_REQUEUE_AFTER)
        last[channel] = now
    return channels


def stale_after(requested: float | None = PENDING_STALE_AFTER) -> float:
    """How old a pending delivery must be to count as lost: ``requested``, by default the
    visibility timeout (a task runs 2/3 of it at most, so an older record is no task's).

    Never less than the longest retry countdown (plus a margin): a delivery waiting
    for its next attempt is pending too, and queueing it again would run two series
    of attempts side by side.
    """
    from workers.app import visibility_timeout
    from workers.tasks import max_countdown

    base = visibility_timeout() if requested is None else requested
    return max(base, max_countdown() + 2 * TICK)


class HeldWithoutDigest:
    """Finds the alerts held for a channel that has no digest now (its ``digest:`` or the
    whole channel left the config), without reading every held alert each sweep.

    Only a config change makes such entries, so the full scan (``held_without_digest``)
    runs at the first sweep and at the first sweep after each reload (a new ``Config``
    object). Every other sweep asks the held index (``Store.earliest_held``, one read per
    channel) about every channel without a digest that this poller has known: those of
    the config now, of every earlier config, and those the scans found held (a channel
    removed before this poller started is in no config it read). It scans again only if
    one of them still has alerts held, which lasts until a worker has sent them or
    recorded them dead. A worker still on an older config may hold an alert for a channel
    after the reload: named by the earlier config, it is seen all the same.
    """

    def __init__(self) -> None:
        self._config: Config | None = None
        self._channels: set[str] = set()  # every channel name met so far

    def entries(self, store: Store, config: Config) -> list[LedgerEntry]:
        self._channels.update(config.channels)
        if config is not self._config:  # the first sweep, or a reload
            found = held_without_digest(store, config)
            self._config = config  # only once scanned: a store fault scans again next sweep
            self._channels.update(entry.channel for entry in found)
            return found
        watched = sorted(self._channels - flush_periods(config).keys())
        if not watched or not store.earliest_held(watched):
            return []
        return held_without_digest(store, config)


def requeue_stale_pending(
    store: Store,
    *,
    now: float,
    older_than: float,
    config: Config | None = None,
    held: HeldWithoutDigest | None = None,
) -> int:
    """Queue again the deliveries left pending longer than ``older_than`` seconds, and
    with ``config`` the alerts held that long for a channel without a digest now (one by
    one, like pending ones; ``held`` keeps this from reading every held alert each time).

    The safety net for a deliver task the broker lost: kombu's Redis transport pops a
    message (BRPOP) and records it as unacked in a second command, so a Redis that
    dies in between loses the message outright (seen in test_reliability).
    """
    from workers.tasks import deliver

    count = 0
    entries = store.list_deliveries("pending")
    if config is not None:
        entries += (held or HeldWithoutDigest()).entries(store, config)
    for entry in entries:
        # a retry waiting for its backoff (``due``) is not lost before it is due
        if entry.payload and now - max(entry.updated, entry.due) > older_than:
            alert = Alert.from_message(json.loads(entry.payload))
            send(deliver, (alert.to_message(), entry.channel, entry.attempts + 1))
            count += 1
    return count


def requeue_stale_queued(
    store: Store,
    *,
    now: float,
    older_than: float,
    max_requeues: int = QUEUED_MAX_REQUEUES,
    backlog: int = 0,
) -> tuple[list[QueuedItem], list[QueuedItem]]:
    """Queue again the items queued more than ``older_than`` seconds ago and not yet
    processed; give up on those already queued again ``max_requeues`` times. Returns
    ``(requeued, dead)``.

    The safety net for a ``process_items`` message the broker lost (see
    ``requeue_stale_pending``): its item was marked seen once queued, so no poll finds it
    again; its queued record (``pipeline.record_queued``) does. With ``backlog``
    messages waiting in the process queue nothing is done: an item queued long ago may
    just be waiting its turn behind them, and the next sweep looks again.

    Processing an item twice is harmless: ``decide`` gives the same alert for the same
    item and the ledger keeps each channel from sending it twice. Each record is taken
    by one sweep (``Store.claim_stale_queued``), so two pollers queue it once.
    """
    from workers.tasks import queue_items

    requeued: list[QueuedItem] = []
    dead: list[QueuedItem] = []
    if backlog > 0:
        return requeued, dead
    while True:
        again, buried = store.claim_stale_queued(
            now=now, older_than=older_than, max_requeues=max_requeues, limit=QUEUED_SWEEP_BATCH
        )
        for record in buried:
            log.error(
                "queued_item_dead",
                feed=record.feed_id,
                item=record.item_id,
                requeues=record.requeues,
            )
        queue_items([(record.feed_id, record.item_id) for record in again])
        for record in again:
            log.warning(
                "queued_item_requeued",
                feed=record.feed_id,
                item=record.item_id,
                requeues=record.requeues,
            )
        requeued += again
        dead += buried
        if len(again) + len(buried) < QUEUED_SWEEP_BATCH:
            return requeued, dead


def process_backlog() -> int:
    """How many messages wait in the ``process`` queue (0 when it does not exist)."""
    from workers.app import app

    with app.connection_for_read() as conn:
        try:
            declared = conn.default_channel.queue_declare(queue="process", passive=True)
        except ChannelError:  # kombu's Redis transport: no key, no queue, nothing waiting
            return 0
        return int(declared.message_count)


def run_poller(
    config: Config,
    store: Store,
    stop: threading.Event,
    *,
    pending_stale_after: float | None = PENDING_STALE_AFTER,
    queued_stale_after: float | None = PENDING_STALE_AFTER,
    queued_max_requeues: int = QUEUED_MAX_REQUEUES,
    reloader: ConfigReloader | None = None,
    heartbeat: metrics.Heartbeat | None = None,
    history: HistoryRecorder | None = None,
) -> None:
    last_sweep = 0.0
    removed_swept_at: float | None = None  # at the first tick, then once a day
    digests_queued: dict[str, float] = {}
    held = HeldWithoutDigest()
    older_than = stale_after(pending_stale_after)
    # A queued item waits for the same things as a pending delivery: a retry countdown
    # after a store fault (capped below the visibility timeout), a worker's turn.
    queued_older_than = stale_after(queued_stale_after)
    # a quarter: a record is found lost at most 1.25 x its threshold after it was written
    sweep_every = min(PENDING_SWEEP_EVERY, older_than / 4, queued_older_than / 4)
    log.info(
        "poller_started",
        feeds=len(config.feeds),
        pending_stale_after=older_than,
        queued_stale_after=queued_older_than,
    )
    # Ticks keep a fixed rate: a slow pass (the first one opens the history and sweeps)
    # does not push every later tick back, so a lapsed claim waits at most one TICK.
    next_tick = time.monotonic()
    while not stop.is_set():
        # a changed config: its feeds and digests count from this tick (README, Configuration)
        config = (reloader.check() if reloader is not None else None) or config
        try:
            queued = poll_due_feeds(config, store)
            if queued:
                log.info("polls_queued", feeds=queued)
            digests = queue_due_digests(config, store, now=time.time(), queued_at=digests_queued)
            if digests:
                log.info("digests_queued", channels=digests)
            if time.time() - last_sweep > sweep_every:
                last_sweep = time.time()
                requeued = requeue_stale_pending(
                    store, now=last_sweep, older_than=older_than, config=config, held=held
                )
                if requeued:
                    log.warning("pending_requeued", deliveries=requeued)
                items, dead = requeue_stale_queued(
                    store,
                    now=last_sweep,
                    older_than=queued_older_than,
                    max_requeues=queued_max_requeues,
                    backlog=process_backlog(),
                )
                metrics.items_given_up(len(dead))
                if items or dead:
                    log.warning("queued_requeued", items=len(items), dead=len(dead))
                # whatever the backlog: the dead wait for nobody
                forget_dead_queued(config, store, now=last_sweep)
            now = time.time()
            if removed_swept_at is None or now - removed_swept_at >= REMOVED_FEEDS_SWEEP_EVERY:
                removed_swept_at = now  # a Redis fault skips a day: nothing is lost by waiting
                forget_removed_feeds(config, store, now=now)
            if heartbeat is not None:  # /healthz: a pass that went through
                heartbeat.beat()
            if history is not None:
                # settings.history_retention: at start, then daily
                history.prune_if_due(config.settings.history_retention)
        except (RedisError, OperationalError) as exc:
            # Redis down: try again next tick. A feed claimed but not queued (Redis went
            # away in between) waits for its claim to lapse: one interval skipped.
            log.error("poller_redis_error", error=str(exc))
        except Exception:
            # Anything else: logged whole, and the poller goes on. A poller that ended
            # here would leave every feed unpolled and every lost message unswept.
            log.exception("poller_tick_failed")
        next_tick = next_tick_after(next_tick, time.monotonic())
        stop.wait(next_tick - time.monotonic())
    log.info("poller_stopped")
