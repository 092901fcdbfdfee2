"""Thin Celery tasks: decode the JSON arguments, call one pipeline function,
enqueue the next stage. All logic lives in ``monitor.pipeline``."""

from __future__ import annotations

from typing import Any, NoReturn

import structlog
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from monitor import pipeline
from monitor.errors import MonitorError, TransientError
from monitor.model import Alert, WireItem
from monitor.sources import cadence
from workers.app import app, runtime, visibility_timeout

log = structlog.get_logger(__name__)


# A store or broker fault inside a task (Redis restarting, loading, full, read-only).
STORE_FAULTS = (RedisError, OperationalError)
STORE_RETRY_CAP = 60.0


def max_countdown() -> float:
    """Retry countdowns stay far below the visibility timeout (kombu#337)."""
    return visibility_timeout() / 4


def retry_after_store_fault(task: Any, exc: Exception) -> NoReturn:
    """Run the task again later. With late acks Celery acknowledges a task that raised,
    so without this an item already marked seen by its poll would never be processed.
    Re-running is safe: deciding is idempotent and the ledger drops repeats."""
    countdown = min(2.0**task.request.retries, STORE_RETRY_CAP, max_countdown())
    log.warning("store_fault", task=task.name, error=str(exc), retry_in=countdown)
    raise task.retry(exc=exc, countdown=countdown)


@app.task(name="monitor.poll_feed", bind=True, max_retries=None)
def poll_feed(self: Any, feed_id: str) -> int:
    rt = runtime()
    try:
        feed = rt.config.feed(feed_id)
    except KeyError:
        # queued by a poller whose config differs from this worker's: a reload removed
        # the feed since, or added it and this worker has not reloaded yet
        log.warning("poll_skipped", feed=feed_id, reason="no such feed in this worker's config")
        return 0
    try:
        result = pipeline.poll_feed(feed, rt.config, rt.store, now=pipeline.utcnow())
    except TransientError as exc:
        # Polled again when the poller's claim (`every`) lapses, or after the server's
        # Retry-After, believed up to the adaptive ceiling.
        retry_in = cadence.retry_delay(feed.every, feed.every, exc.retry_after)
        if retry_in > feed.every:
            rt.store.hold_claim(feed_id, retry_in)
        log.warning("poll_failed", feed=feed_id, error=str(exc), transient=True, retry_in=retry_in)
        return 0
    except MonitorError as exc:
        log.error("poll_failed", feed=feed_id, error=str(exc))
        return 0
    # Recorded before queueing and marking seen: a message the broker loses is found
    # again by the poller's sweep (workers.schedule.requeue_stale_queued).
    pipeline.record_queued(result.items, rt.store, now=pipeline.utcnow().timestamp())
    for item in result.items:
        process_item.delay(item.to_dict())
    pipeline.commit_poll(result, rt.store)  # only after every item is queued
    # The next poll, by whichever poller, is due once the adapted interval has passed:
    # the claim the poller took for `every` now lasts that long from this poll. At
    # `every` (a drop folder, a feed with news) the poller's own claim stands.
    if result.interval > feed.every:
        rt.store.hold_claim(feed_id, result.interval)
    if result.more:
        # a document read in batches (``PollResult.more``): its next batch at once
        poll_feed.apply_async((feed_id,), expires=feed.every)
    log.info(
        "poll",
        feed=feed_id,
        new_items=len(result.items),
        warnings=len(result.warnings),
        next_in=round(result.interval, 1),
    )
    return len(result.items)


@app.task(name="monitor.process_item", bind=True, max_retries=None)
def process_item(self: Any, item_data: dict[str, Any]) -> int:
    rt = runtime()
    item = WireItem.from_dict(item_data)
    try:
        alerts = pipeline.process_item(item, rt.matcher, rt.store, rt.config, now=pipeline.utcnow())
        for alert in alerts:
            # digest channels hold it in the ledger until flush_digest sends it
            for channel in pipeline.immediate_channels(alert, rt.config):
                deliver.delay(alert.to_message(), channel, 1)
        # Last: its deliveries are in the ledger (pending, swept if lost) and queued. A
        # task that raised leaves the record, so the poller queues the item again.
        pipeline.finish_queued(item, rt.store)
    except STORE_FAULTS as exc:
        retry_after_store_fault(self, exc)
    return len(alerts)


@app.task(name="monitor.deliver", bind=True, max_retries=None)
def deliver(self: Any, alert_data: dict[str, Any], channel: str, attempt: int) -> str:
    rt = runtime()
    alert = Alert.from_message(alert_data)
    try:
        results = pipeline.deliver_alert(
            alert,
            rt.channels,
            rt.store,
            rt.config,
            now=pipeline.utcnow(),
            only=channel,
            attempt=attempt,
        )
        for result in results:
            if result.status == "retry":
                countdown = min(result.retry_after or 1.0, max_countdown())
                deliver.apply_async((alert_data, channel, attempt + 1), countdown=countdown)
    except STORE_FAULTS as exc:
        retry_after_store_fault(self, exc)
    return results[0].status if results else "skipped"


@app.task(name="monitor.flush_digest", bind=True, max_retries=None)
def flush_digest(self: Any, channel: str) -> int:
    """Send ``channel``'s digest if it is due (the poller queues this when it is).
    A duplicate task is harmless: the store hands the held alerts to one caller."""
    rt = runtime()
    try:
        results = pipeline.flush_digests(
            rt.channels, rt.store, rt.config, now=pipeline.utcnow(), only=channel
        )
    except STORE_FAULTS as exc:
        retry_after_store_fault(self, exc)
    return len(results)
