"""The poll scheduler (``monitor poller``): due feeds into the ``poll`` queue.

A feed is due when its claim in Redis (``SET NX PX`` for its ``every:``
interval) can be taken, so any number of pollers together poll each feed once
per interval, and when one dies the others take over at the next interval.
Also re-queues deliveries left pending too long (a worker died between
deciding an alert and queueing its delivery).
"""

from __future__ import annotations

import json
import threading
import time

import structlog
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from monitor.config.schema import Config
from monitor.model import Alert
from monitor.state.base import Store

log = structlog.get_logger(__name__)

TICK = 1.0
PENDING_SWEEP_EVERY = 60.0
PENDING_STALE_AFTER = 300.0


def poll_due_feeds(config: Config, store: Store) -> list[str]:
    """Queue a poll for every feed whose interval has passed; return their ids."""
    from workers.tasks import poll_feed

    queued = []
    for feed in config.feeds:
        if store.claim_feed(feed.id, feed.every):
            # A poll still queued when the next one is due is dropped: polls queued while
            # no worker ran would otherwise pile up and then run side by side, each
            # queueing the same new items before any of them marks them seen.
            poll_feed.apply_async((feed.id,), expires=feed.every)
            queued.append(feed.id)
    return queued


def stale_after(requested: float = PENDING_STALE_AFTER) -> float:
    """How old a pending delivery must be to count as lost.

    Never less than the longest retry countdown (plus a margin): a delivery waiting
    for its next attempt is pending too, and queueing it again would run two series
    of attempts side by side.
    """
    from workers.tasks import max_countdown

    return max(requested, max_countdown() + 2 * TICK)


def requeue_stale_pending(
    store: Store, *, now: float, older_than: float = PENDING_STALE_AFTER
) -> int:
    """Queue again the deliveries left pending longer than ``older_than`` seconds.

    The safety net for a deliver task the broker lost: kombu's Redis transport pops a
    message (BRPOP) and records it as unacked in a second command, so a Redis that
    dies in between loses the message outright (seen in test_reliability).
    """
    from workers.tasks import deliver

    count = 0
    for entry in store.list_deliveries("pending"):
        if entry.payload and now - entry.updated > older_than:
            alert = Alert.from_message(json.loads(entry.payload))
            deliver.delay(alert.to_message(), entry.channel, entry.attempts + 1)
            count += 1
    return count


def run_poller(
    config: Config,
    store: Store,
    stop: threading.Event,
    *,
    pending_stale_after: float = PENDING_STALE_AFTER,
) -> None:
    last_sweep = 0.0
    older_than = stale_after(pending_stale_after)
    sweep_every = min(PENDING_SWEEP_EVERY, older_than / 2)
    log.info("poller_started", feeds=len(config.feeds), pending_stale_after=older_than)
    while not stop.is_set():
        try:
            queued = poll_due_feeds(config, store)
            if queued:
                log.info("polls_queued", feeds=queued)
            if time.time() - last_sweep > sweep_every:
                last_sweep = time.time()
                requeued = requeue_stale_pending(store, now=last_sweep, older_than=older_than)
                if requeued:
                    log.warning("pending_requeued", deliveries=requeued)
        except (RedisError, OperationalError) as exc:
            # Redis down: try again next tick. A feed claimed but not queued (Redis went
            # away in between) waits for its claim to lapse: one interval skipped.
            log.error("poller_redis_error", error=str(exc))
        stop.wait(TICK)
    log.info("poller_stopped")
