"""Thin Celery tasks: decode the JSON arguments, call one pipeline function,
enqueue the next stage. All logic lives in ``monitor.pipeline``.

The poller queues due feeds in batches (``poll_feeds``, read at once through a
``FetchPool``) and a poll's new items in batches (``process_queued``): one message per
batch, not per item, because each costs about a millisecond of broker work. A message
names its items by the keys of their queued records, which hold the items: an item goes
to Redis once, not again in a message that the broker then copies to its unacked set
and the worker's main process to a pool child. The tasks that carry items
(``process_items``, ``process_item``) stay registered, so messages queued by an older
version still run. A batch's alerts go to a channel that sends many at once (the file
channel) in one ``deliver_batch`` message, to the others in a ``deliver`` message each.
Every task runs under the time limits of ``workers.app.task_time_limits``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from monitor import feedhealth, metrics, pipeline
from monitor.alerts.channels import BatchChannel
from monitor.backoff import EQUAL_JITTER, backoff_delay
from monitor.config.schema import Config, FeedConfig
from monitor.errors import MonitorError, TransientError, TransientHistoryError
from monitor.history.recorder import HistoryRecorder, attempts_of, batch_of
from monitor.history.records import DeliveryAttempt, HistoryBatch
from monitor.model import Alert, DeliveryResult, WireItem
from monitor.sources import cadence
from monitor.sources.fetchpool import FetchPool, Outcome
from monitor.state.base import CLAIM_RELEASED, Store
from workers.app import app, process, runtime, time_limits, visibility_timeout
from workers.publish import send
from workers.schedule import poll_expiry

log = structlog.get_logger(__name__)

# items per process_items message, feeds per poll_feeds message
ITEM_BATCH = 50
FEED_BATCH = 50
# A poll_feeds task fetches for this share of its soft time limit at most: the rest is
# for parsing and queueing what was fetched.
FETCH_SHARE = 0.6
# one per process, threads made on first use (after the pool forks)
FETCH_POOL = FetchPool()


# A store or broker fault inside a task (Redis restarting, loading, full, read-only).
STORE_FAULTS = (RedisError, OperationalError)
STORE_RETRY_CAP = 60.0
# tries of one history write inside a task (at most 1.5 s) before the task is retried
HISTORY_TRIES = 3


def history(rt: pipeline.Runtime) -> HistoryRecorder:
    """This process's history (made on first use, after the pool forks)."""
    if process.history is None:
        process.history = HistoryRecorder(rt.config.settings, tries=HISTORY_TRIES)
    return process.history


def backoff(task: Any) -> float:
    """The countdown before ``task`` runs again: from 1 s, doubling with each retry."""
    cap = min(STORE_RETRY_CAP, max_countdown())
    return backoff_delay(task.request.retries + 1, first=1.0, cap=cap, jitter=EQUAL_JITTER)


def max_countdown() -> float:
    """Retry countdowns stay far below the visibility timeout (kombu#337)."""
    return visibility_timeout() / 4


def retry_after_store_fault(task: Any, exc: Exception) -> NoReturn:
    """Run the task again later. With late acks Celery acknowledges a task that raised,
    so without this an item already marked seen by its poll would never be processed.
    Re-running is safe: deciding is idempotent and the ledger drops repeats."""
    countdown = backoff(task)
    log.warning("store_fault", task=task.name, error=str(exc), retry_in=countdown)
    raise task.retry(exc=exc, countdown=countdown)


@app.task(name="monitor.poll_feed", bind=True, max_retries=None)
def poll_feed(self: Any, feed_id: str) -> int:
    """One feed (queued by an older poller; ``poll_feeds`` does the same for many)."""
    return _poll_batch([feed_id])


@app.task(name="monitor.poll_feeds", bind=True, max_retries=None)
def poll_feeds(self: Any, feed_ids: list[str]) -> int:
    """Poll up to ``FEED_BATCH`` feeds at once; queue their new items in batches."""
    return _poll_batch(feed_ids)


def poll_lease_key(feed_id: str) -> str:
    """The store claim a worker holds on a feed while it polls it: from before the read
    until its new items are queued and marked seen."""
    return f"poll:{feed_id}"


def _poll_batch(feed_ids: list[str]) -> int:
    rt = runtime()
    soft, hard = time_limits()
    feeds: list[FeedConfig] = []
    for feed_id in feed_ids:
        try:
            feed = rt.config.feed(feed_id)
        except KeyError:
            # queued by a poller whose config differs from this worker's: a reload removed
            # the feed since, or added it and this worker has not reloaded yet
            log.warning("poll_skipped", feed=feed_id, reason="no such feed in this worker's config")
            continue
        # Polls of one feed queued while no worker took them (poll_expiry) must not run
        # side by side: each would queue the same new items before either marks them
        # seen. One after another, the later finds them seen. The lease lapses with the
        # task's hard limit if its worker dies.
        if rt.store.claim_feed(poll_lease_key(feed.id), hard):
            feeds.append(feed)
        else:
            log.info("poll_skipped", feed=feed.id, reason="another poll of it is under way")
    deadline = time.monotonic() + soft * FETCH_SHARE
    now = pipeline.utcnow()
    found = 0
    more: list[FeedConfig] = []
    try:
        for outcome in pipeline.poll_feeds(
            feeds, rt.config, rt.store, FETCH_POOL, now=now, deadline=deadline
        ):
            result = _polled(outcome, rt)
            if result is not None:
                found += len(result.items)
                if result.more:
                    more.append(outcome.job)
    finally:
        for feed in feeds:
            rt.store.hold_claim(poll_lease_key(feed.id), CLAIM_RELEASED)
    for feed in more:
        # a document read in batches (``PollResult.more``): its next batch at once, now
        # that the lease is released
        send(poll_feeds, ([feed.id],), expires=poll_expiry(feed.every))
    return found


def _polled(
    outcome: Outcome[FeedConfig, pipeline.PollResult], rt: pipeline.Runtime
) -> pipeline.PollResult | None:
    """Handle one feed's poll: its result once its new items are queued, else None."""
    feed = outcome.job
    if outcome.skipped:
        # not reached in time: due again at once, for whichever poller ticks next
        rt.store.hold_claim(feed.id, 0.001)
        log.warning("poll_deferred", feed=feed.id, reason="task time limit near")
    elif isinstance(outcome.error, MonitorError):
        _poll_failed(feed, outcome.error, rt.store)
        _feed_health(rt, feed.id, ok=False, error=str(outcome.error))
    elif outcome.error is not None:
        # a bug or a store fault: this feed is polled again when its claim lapses,
        # and the batch's other feeds go on
        log.error("poll_crashed", feed=feed.id, error=repr(outcome.error))
    elif outcome.result is not None:
        _queue_poll(feed, outcome.result, rt.store)
        _feed_health(rt, feed.id, ok=True, new_items=len(outcome.result.items))
        return outcome.result
    return None


def _poll_failed(feed: FeedConfig, exc: MonitorError, store: Store) -> None:
    pipeline.record_poll_failure(feed.id, str(exc), store, now=time.time())
    metrics.poll_failed(exc)
    if isinstance(exc, TransientError):
        # Polled again when the poller's claim (`every`) lapses, or after the server's
        # Retry-After, believed up to the adaptive ceiling.
        retry_in = cadence.retry_delay(feed.every, feed.every, exc.retry_after)
        if retry_in > feed.every:
            store.hold_claim(feed.id, retry_in)
        log.warning("poll_failed", feed=feed.id, error=str(exc), transient=True, retry_in=retry_in)
    else:
        log.error("poll_failed", feed=feed.id, error=str(exc))


def _queue_poll(feed: FeedConfig, result: pipeline.PollResult, store: Store) -> None:
    # Recorded before queueing and marking seen: a message the broker loses is found
    # again by the poller's sweep (workers.schedule.requeue_stale_queued).
    pipeline.record_queued(result.items, store, now=pipeline.utcnow().timestamp())
    queue_items([pipeline.queued_key(item) for item in result.items])
    pipeline.commit_poll(result, store)  # only after every item is queued
    metrics.poll_done(len(result.items))
    # The next poll, by whichever poller, is due once the adapted interval has passed:
    # the claim the poller took for `every` now lasts that long from this poll. At
    # `every` (a drop folder, a feed with news) the poller's own claim stands.
    if result.interval > feed.every:
        store.hold_claim(feed.id, result.interval)
    log.info(
        "poll",
        feed=feed.id,
        new_items=len(result.items),
        warnings=len(result.warnings),
        next_in=round(result.interval, 1),
    )


def _feed_health(rt: pipeline.Runtime, feed_id: str, **outcome: Any) -> None:
    """Alert the ops channel about a feed gone quiet or failing (``monitor.feedhealth``):
    recorded pending, then queued like any delivery (the poller's sweep finds it if lost)."""
    alerts = feedhealth.check_feed(feed_id, rt.config, rt.store, now=time.time(), **outcome)
    _queue_deliveries(alerts, rt)


def queue_items(keys: Sequence[tuple[str, str]]) -> None:
    """Queue the items of these queued records (``pipeline.queued_key``) for processing,
    ``ITEM_BATCH`` to a message."""
    for start in range(0, len(keys), ITEM_BATCH):
        send(process_queued, ([list(key) for key in keys[start : start + ITEM_BATCH]],))


def _key(item_data: dict[str, Any]) -> tuple[str, str]:
    """The key of the item's queued record (only on the paths that queue items again)."""
    return pipeline.queued_key(WireItem.from_dict(item_data))


@app.task(name="monitor.process_item", bind=True, max_retries=None)
def process_item(self: Any, item_data: dict[str, Any]) -> int:
    """One item (queued by an older version; ``process_items`` does the same for many)."""
    rt = runtime()
    item = WireItem.from_dict(item_data)
    try:
        outcome = _process(item, rt.config, rt)
        _finish([outcome], rt)
    except (*STORE_FAULTS, TransientHistoryError) as exc:
        retry_after_store_fault(self, exc)
    return len(outcome.alerts)


@app.task(name="monitor.process_queued", bind=True, max_retries=None)
def process_queued(self: Any, keys: list[list[str]]) -> int:
    """Process the items whose queued records have these keys ``[feed_id, item_id]``,
    read from the store in one read, as ``process_items`` does. An item without a record
    was processed already (a message delivered twice) or given up on and forgotten: it
    is skipped."""
    try:
        payloads = runtime().store.queued_payloads([(feed, item) for feed, item in keys])
    except STORE_FAULTS as exc:
        retry_after_store_fault(self, exc)
    items_data = [json.loads(payload) for payload in payloads if payload is not None]
    if len(items_data) < len(keys):
        log.info("items_done_already", items=len(keys) - len(items_data))
    return _process_batch(self, items_data, keyed=True)


@app.task(name="monitor.process_items", bind=True, max_retries=None)
def process_items(self: Any, items_data: list[dict[str, Any]]) -> int:
    """The items themselves, queued by an older version; ``process_queued`` reads them
    from their records."""
    return _process_batch(self, items_data, keyed=False)


def _process_batch(task: Any, items_data: list[dict[str, Any]], *, keyed: bool) -> int:
    """Process a batch of items, each on its own: one that fails is logged and left to
    the poller's sweep (its queued record stays), the others go on. Items a store fault
    stopped are retried together later; those the soft time limit cut off are queued
    again at once. The batch's history is written in one transaction before any item is
    acknowledged (``_finish``); a history fault retries the batch like a store fault.

    The batch's store writes go together (``Store.batch``: on Redis one MULTI/EXEC
    between two reads, not one per item) and its deliveries are queued once they are
    written, so a delivery task never finds its ledger entry missing. A worker killed
    before the writes leaves every queued record: the batch is redelivered and redone
    (deciding is idempotent). Killed after them, before queueing the deliveries: their
    ledger entries are pending, and the poller's sweep queues them. ``keyed``: the task
    ran with the records' keys (``process_queued``), and is retried with them."""
    started = time.perf_counter()
    rt = runtime()
    decided: list[tuple[dict[str, Any], pipeline.ItemOutcome]] = []
    again: list[dict[str, Any]] = []
    fault: Exception | None = None
    try:
        with rt.store.batch():
            for index, item_data in enumerate(items_data):
                try:
                    decided.append((item_data, _decide(item_data, rt)))
                except SoftTimeLimitExceeded:
                    rest = items_data[index:]
                    log.warning("batch_cut", items=len(rest), reason="task time limit near")
                    queue_items([_key(data) for data in rest])
                    break
                except STORE_FAULTS as exc:
                    again.append(item_data)
                    fault = exc
                except Exception as exc:
                    # One poisoned item must not fail the batch: its queued record stays,
                    # so the poller queues it again (and gives up after
                    # QUEUED_MAX_REQUEUES).
                    log.error(
                        "item_failed",
                        feed=item_data.get("feed_id"),
                        item=item_data.get("id"),
                        error=repr(exc),
                    )
            # the history, then the acknowledgements, sent with the batch's other writes
            _finish([outcome for _, outcome in decided], rt)
    except (*STORE_FAULTS, TransientHistoryError) as exc:
        # the batch's last writes were not sent: redo every item (idempotent; the
        # history's writes are upserts)
        again = [item_data for item_data, _ in decided] + again
        decided, fault = [], exc
    alerts = [alert for _, outcome in decided for alert in outcome.alerts]
    metrics.items_processed(len(decided), started, alerts)
    try:
        _queue_deliveries(alerts, rt)
    except STORE_FAULTS as exc:
        # the ledger holds them pending: the poller's sweep queues them
        log.warning("deliveries_not_queued", error=str(exc), reason="left to the poller's sweep")
    if again and fault is not None:
        countdown = backoff(task)
        log.warning(
            "store_fault", task=task.name, error=str(fault), retry_in=countdown, items=len(again)
        )
        args = [list(_key(data)) for data in again] if keyed else again
        raise task.retry(args=(args,), exc=fault, countdown=countdown)
    return len(alerts)


def _decide(item_data: dict[str, Any], rt: pipeline.Runtime) -> pipeline.ItemOutcome:
    """One item of a batch: its alerts decided in a nested store batch, so a failure
    undoes its own writes not yet sent (its queued record stays) and leaves the others'
    alone."""
    item = WireItem.from_dict(item_data)
    with rt.store.batch():
        return pipeline.decide_item(item, rt.matcher, rt.store, rt.config, now=pipeline.utcnow())


def _queue_deliveries(alerts: list[Alert], rt: pipeline.Runtime) -> None:
    """Queue the first send of each alert on each of its channels (digest channels hold
    it in the ledger until ``flush_digest`` sends it): a ``deliver`` task per alert and
    channel, but one ``deliver_batch`` for a channel's alerts where that channel sends
    many in one go (a ``BatchChannel``: the file channel's one write and fsync), as the
    embedded runner hands it a poll's alerts."""
    together: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        message = alert.to_message()
        for channel in pipeline.immediate_channels(alert, rt.config):
            if isinstance(rt.channels.get(channel), BatchChannel):
                together.setdefault(channel, []).append(message)
            else:
                send(deliver, (message, channel, 1))
    for channel, messages in together.items():
        if len(messages) == 1:
            send(deliver, (messages[0], channel, 1))
        else:
            send(deliver_batch, (messages, channel))


def _process(item: WireItem, config: Config, rt: pipeline.Runtime) -> pipeline.ItemOutcome:
    outcome = pipeline.decide_item(item, rt.matcher, rt.store, config, now=pipeline.utcnow())
    _queue_deliveries(outcome.alerts, rt)
    return outcome


def _finish(outcomes: list[pipeline.ItemOutcome], rt: pipeline.Runtime) -> None:
    """Write the items' history (one transaction), then acknowledge them. Last: their
    deliveries are in the ledger (pending, swept if lost) and queued. A task that raised
    leaves the records, so the poller queues the items again."""
    history(rt).write(batch_of(outcomes))
    for outcome in outcomes:
        pipeline.finish_queued(outcome.item, rt.store)


def _record_attempts(results: list[DeliveryResult], rt: pipeline.Runtime) -> None:
    """The history of sends made: written now, or by a ``record_attempts`` task of its
    own when the database is away (the send is done: it must not be made again)."""
    attempts = attempts_of(results, pipeline.utcnow())
    try:
        history(rt).write(HistoryBatch(deliveries=tuple(attempts)))
    except TransientHistoryError:
        send(record_attempts, ([a.to_dict() for a in attempts],), countdown=1.0)


@app.task(name="monitor.record_attempts", bind=True, max_retries=None)
def record_attempts(self: Any, attempts_data: list[dict[str, Any]]) -> int:
    """Write delivery attempts the sending task could not (``_record_attempts``)."""
    attempts = tuple(DeliveryAttempt.from_dict(data) for data in attempts_data)
    try:
        history(runtime()).write(HistoryBatch(deliveries=attempts))
    except TransientHistoryError as exc:
        raise self.retry(exc=exc, countdown=backoff(self)) from None
    return len(attempts)


@app.task(name="monitor.deliver", bind=True, max_retries=None)
def deliver(
    self: Any,
    alert_data: dict[str, Any],
    channel: str,
    attempt: int,
    not_before: float | None = None,
) -> str:
    """Send one alert on one channel. A retry due later than a countdown may wait
    (``max_countdown``, kombu#337) comes with ``not_before`` (unix seconds) and waits in
    hops of at most that long, so a long backoff or Retry-After is kept whole."""
    if not_before is not None and not_before > time.time():
        _queue_retry(alert_data, channel, attempt, not_before)
        return "waiting"
    rt = runtime()
    try:
        results, dead = _send_now([alert_data], channel, attempt, rt)
    except STORE_FAULTS as exc:
        retry_after_store_fault(self, exc)
    return results[0].status if results else "dead" if dead else "skipped"


@app.task(name="monitor.deliver_batch", bind=True, max_retries=None)
def deliver_batch(self: Any, alerts_data: list[dict[str, Any]], channel: str) -> int:
    """The first send of several alerts on one channel that sends them in one go
    (``_queue_deliveries``): ``deliver`` for each, at once. An alert the ledger holds
    as sent is not sent again (a message redelivered); each alert that fails is
    retried by a ``deliver`` task of its own. The number of alerts sent, now or before."""
    rt = runtime()
    try:
        results, _ = _send_now(alerts_data, channel, 1, rt)
    except STORE_FAULTS as exc:
        retry_after_store_fault(self, exc)
    return sum(result.status == "sent" for result in results)


def _send_now(
    alerts_data: list[dict[str, Any]], channel: str, attempt: int, rt: pipeline.Runtime
) -> tuple[list[DeliveryResult], set[str]]:
    """Send the alerts on ``channel`` (try ``attempt``) but those dead-lettered already
    (``pipeline.dead_already``); queue a retry of each that failed for now, and write
    the history of the sends. The results, and the ids left out as dead."""
    dead = pipeline.dead_already([data["id"] for data in alerts_data], channel, attempt, rt.store)
    alerts = [Alert.from_message(data) for data in alerts_data if data["id"] not in dead]
    results = pipeline.deliver_alerts(
        alerts,
        rt.channels,
        rt.store,
        rt.config,
        now=pipeline.utcnow(),
        only=channel,
        attempt=attempt,
        # no task runs longer than the hard limit: a claim that old is nobody's
        lease=time_limits()[1],
    )
    data_of = {data["id"]: data for data in alerts_data}
    for result in results:
        if result.status == "retry":
            due = time.time() + (result.retry_after or 1.0)
            _queue_retry(data_of[result.alert_id], channel, attempt + 1, due)
    _record_attempts(results, rt)
    return results, dead


def _queue_retry(alert_data: dict[str, Any], channel: str, attempt: int, due: float) -> None:
    """Queue the attempt due at ``due``: directly when the wait fits in one countdown,
    else as a hop that waits ``max_countdown`` and looks again. The ledger entry says
    when it is due (``LedgerEntry.due``), so the poller's sweep leaves it alone till then."""
    wait = max(0.0, due - time.time())
    if wait <= max_countdown():
        send(deliver, (alert_data, channel, attempt), countdown=wait)
    else:
        send(deliver, (alert_data, channel, attempt, due), countdown=max_countdown())


@app.task(name="monitor.flush_digest", bind=True, max_retries=None)
def flush_digest(self: Any, channel: str) -> int:
    """Send ``channel``'s digest if it is due (the poller queues this when it is).
    A duplicate task is harmless: the store hands the held alerts to one caller."""
    rt = runtime()
    try:
        results = pipeline.flush_digests(
            rt.channels, rt.store, rt.config, now=pipeline.utcnow(), only=channel
        )
        _record_attempts(results, rt)
    except STORE_FAULTS as exc:
        retry_after_store_fault(self, exc)
    return len(results)
