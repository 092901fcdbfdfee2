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
            poll_feed.delay(feed.id)
            queued.append(feed.id)
    return queued


def requeue_stale_pending(store: Store, *, now: float) -> int:
    from workers.tasks import deliver

    count = 0
    for entry in store.list_deliveries("pending"):
        if entry.payload and now - entry.updated > PENDING_STALE_AFTER:
            alert = Alert.from_message(json.loads(entry.payload))
            deliver.delay(alert.to_message(), entry.channel, entry.attempts + 1)
            count += 1
    return count


def run_poller(config: Config, store: Store, stop: threading.Event) -> None:
    last_sweep = 0.0
    log.info("poller_started", feeds=len(config.feeds))
    while not stop.is_set():
        try:
            queued = poll_due_feeds(config, store)
            if queued:
                log.info("polls_queued", feeds=queued)
            if time.time() - last_sweep > PENDING_SWEEP_EVERY:
                last_sweep = time.time()
                requeued = requeue_stale_pending(store, now=last_sweep)
                if requeued:
                    log.warning("pending_requeued", deliveries=requeued)
        except RedisError as exc:
            # Redis down: nothing was claimed or queued; try again next tick.
            log.error("poller_redis_error", error=str(exc))
        stop.wait(TICK)
    log.info("poller_stopped")
