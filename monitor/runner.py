"""The embedded runner: the whole pipeline in one process, no Redis.

``monitor run`` polls every feed on its ``every:`` interval, adapted to how often the
feed brings something new (``sources.cadence``: longer while it is quiet, back to
``every`` with a new item; drop folders keep ``every``), processes new items, delivers
alerts, and remembers what it has seen in the local store (SQLite under
``settings.state_dir``), so a second run alerts nothing new.
Transient delivery faults are retried from an in-process schedule; deliveries
left pending by a crash or an early exit are resumed at the next start. Digest
channels are flushed every tick (``pipeline.flush_digests``); ``--once`` sends the
digests whose period has elapsed and leaves the others held for the next run.

At start and then once a day it forgets the seen ids and feed state of feeds removed
from the config longer than ``settings.seen_retention`` ago (``pipeline.forget_removed_feeds``).

Unlike the distributed runner, it records no queued items (``pipeline.record_queued``):
it processes each item in this process before ``commit_poll`` marks it seen, so there
is no queue to lose an item in; a crash in between leaves it unseen and the next poll
reads it again. A poll's decisions are one store batch, sent alerts only after it: one
commit per poll, not several per item; ``commit_poll`` follows once the poll's history
is written, which ``monitor run`` hands to a process of its own
(``monitor.history.writer``) so that the next polls are processed meanwhile.

Does I/O through the pipeline's readers, the store and the channels.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor import feedhealth, metrics
from monitor.backoff import EQUAL_JITTER, backoff_delay
from monitor.config.reload import ConfigReloader
from monitor.errors import MonitorError, TransientError, TransientHistoryError
from monitor.history.recorder import HistoryRecorder, PendingWrite, batch_of
from monitor.logs import get_logger
from monitor.model import Alert
from monitor.pipeline import (
    REMOVED_FEEDS_SWEEP_EVERY,
    PollResult,
    Runtime,
    commit_poll,
    decide_item,
    deliver_alerts,
    flush_digests,
    forget_removed_feeds,
    held_without_digest,
    poll_feeds,
    record_poll_failure,
    utcnow,
)
from monitor.sources import cadence
from monitor.sources.fetchpool import FetchPool

log = get_logger(__name__)

# In `--once` mode, wait this long at most for retries that are due soon.
ONCE_RETRY_WAIT = 20.0
# A feed that failed is tried again after a backoff from its interval (``_feed_failed``),
# at most this long unless its interval is longer.
FEED_ERROR_BACKOFF_CAP = 3600.0
# /healthz turns 503 when the poll loop has not gone round for this long: a pass waits
# for its fetches, which settings.fetch_timeout (30s) bounds.
LOOP_STALE_AFTER = 120.0


@dataclass
class RunStats:
    """What one run did: ``deliveries`` sent, ``failures`` dead-lettered."""

    polls: int = 0
    poll_failures: int = 0
    items: int = 0
    alerts: int = 0
    deliveries: int = 0
    failures: int = 0
    pending: int = 0  # retries not yet due when the run ended: resumed at the next start

    @property
    def failed(self) -> bool:
        """A delivery was dead-lettered, or every poll failed (``run --once`` exits 3)."""
        return self.failures > 0 or 0 < self.polls == self.poll_failures

    def summary(self) -> str:
        """One line for the end of a run."""
        return (
            f"run finished: feed polls {self.polls}, failed {self.poll_failures}; "
            f"items {self.items}; alerts {self.alerts}; "
            f"deliveries sent {self.deliveries}, dead {self.failures}, pending {self.pending}"
        )


@dataclass(order=True)
class _Retry:
    due: float
    seq: int
    alert: Alert = field(compare=False)
    channel: str = field(compare=False)
    attempt: int = field(compare=False)


class EmbeddedRunner:
    """Drives ``poll_feed → process_item → deliver_alerts`` on a local schedule."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        stop: threading.Event | None = None,
        reloader: ConfigReloader | None = None,
        rng: Callable[[], float] = random.random,
        history_process: bool = False,
    ) -> None:
        self.runtime = runtime
        self.stop = stop or threading.Event()
        self.reloader = reloader  # continuous mode: the config is read again when it changes
        self.stats = RunStats()
        self._retries: list[_Retry] = []
        self._seq = itertools.count()
        self._next_due: dict[str, float] = {}
        self._errors: dict[str, int] = {}
        self._rng = rng  # the jitter of a failed feed's backoff
        self._removed_swept_at: float | None = None
        # due feeds are read at once: one slow feed does not hold up the others
        self.pool = FetchPool()
        # /healthz of `monitor run --metrics-port`: when the poll loop last went round
        self.heartbeat = metrics.Heartbeat("last_poll_loop", max_age=LOOP_STALE_AFTER)
        # docs/history.md: every item, match, alert and delivery attempt (``_polled``, ``_deliver``)
        # (``history_process``: written by a process of its own, ``monitor.history.writer``)
        self.history = HistoryRecorder(
            runtime.config.settings, stop=self.stop, own_process=history_process
        )
        # polls processed whose history is being written: committed once it is
        self._unwritten: deque[tuple[PendingWrite, PollResult, datetime]] = deque()

    # --- the loop -------------------------------------------------------------------
    def run(self, *, once: bool = False) -> RunStats:
        self.history.start()
        self._resume_pending()
        self._forget_removed_feeds()
        if once:
            pending = [feed.id for feed in self.runtime.config.feeds]
            # a document read in batches: its next batch at once, until it is done
            while pending and not self.stop.is_set():
                pending = self._poll(pending)
            self._drain_retries(deadline=utcnow().timestamp() + ONCE_RETRY_WAIT)
            self._flush_digests()
            # after the polls, not before: the writer process is up by then
            self.history.prune_if_due()
        else:
            start = utcnow().timestamp()
            self._next_due = {feed.id: start for feed in self.runtime.config.feeds}
            while not self.stop.is_set():
                self._reload()
                now = utcnow().timestamp()
                self._poll([feed_id for feed_id, due in self._next_due.items() if due <= now])
                self._drain_retries(deadline=now)
                self._flush_digests()
                self.history.flush_attempts()
                self._forget_removed_feeds()
                self.heartbeat.beat()
                self.history.prune_if_due(self.runtime.config.settings.history_retention)
                self.stop.wait(self._sleep_time())
        self.history.flush_attempts(final=True)
        self.history.close()
        self.stats.pending = len(self._retries)
        log.info("run_finished", **vars(self.stats))
        return self.stats

    def _sleep_time(self) -> float:
        now = utcnow().timestamp()
        candidates = list(self._next_due.values())
        if self._retries:
            candidates.append(self._retries[0].due)
        if not candidates:
            return 1.0
        return min(max(min(candidates) - now, 0.05), 1.0)

    def _reload(self) -> None:
        """Swap in a changed config (``ConfigReloader``): new feeds are due now, removed
        ones are no longer polled, the others keep their schedule."""
        config = self.reloader.check() if self.reloader is not None else None
        if config is None:
            return
        self.runtime = self.runtime.reconfigured(config)
        now = utcnow().timestamp()
        ids = {feed.id for feed in config.feeds}
        self._next_due = {feed_id: self._next_due.get(feed_id, now) for feed_id in ids}
        self._errors = {feed_id: n for feed_id, n in self._errors.items() if feed_id in ids}

    # --- stages -----------------------------------------------------------------------
    def _poll(self, feed_ids: list[str]) -> list[str]:
        """Poll the feeds at once (``FetchPool``), each one's items processed here as
        soon as its read completes, while the others are still being fetched. Returns
        the feeds whose document has a next batch waiting (``PollResult.more``)."""
        runtime = self.runtime
        feeds = [runtime.config.feed(feed_id) for feed_id in feed_ids]
        now = utcnow()
        more: list[str] = []
        for outcome in poll_feeds(feeds, runtime.config, runtime.store, self.pool, now=now):
            feed = outcome.job
            self.stats.polls += 1
            if isinstance(outcome.error, MonitorError):
                self._feed_failed(feed.id, feed.every, outcome.error, now)
            elif outcome.error is not None:
                raise outcome.error
            elif outcome.result is not None:
                self._polled(outcome.result, now)
                if outcome.result.more:
                    more.append(feed.id)
            self._commit_written(wait=False)
            if self.stop.is_set():
                break  # the fetches under way are dropped: their feeds stay unseen
        failed = self._commit_written(wait=True)
        return [feed_id for feed_id in more if feed_id not in failed]

    def _polled(self, result: PollResult, now: datetime) -> None:
        """Process one poll's items and send their alerts; the poll is committed (its
        items marked seen) once their history is written (``_commit_written``)."""
        runtime = self.runtime
        feed_id = result.feed_id
        for warning in result.warnings:
            log.warning("feed_warning", feed=feed_id, warning=warning)
        alerts: list[Alert] = []
        started = time.perf_counter()
        outcomes = []
        # One store batch (one SQLite transaction) for the poll's decisions; the alerts
        # go once it has committed. A crash before then loses the poll's decisions and
        # nothing was sent, so the next poll redoes it. Its history is written next
        # (``HistoryRecorder.submit``: by the writer process while the next polls are
        # processed); only then are its items marked seen. A crash in between, or a
        # history that cannot be written, leaves them unseen: read again, decided
        # again (the same alerts, which the ledger does not send twice) and written.
        with runtime.store.batch():
            for item in result.items:
                try:
                    with runtime.store.batch():  # a failed item's writes are undone alone
                        found = decide_item(
                            item, runtime.matcher, runtime.store, runtime.config, now=now
                        )
                    outcomes.append(found)
                    alerts += found.alerts
                except Exception as exc:
                    # One poisoned item must not stop the others or the runner.
                    log.error("item_failed", feed=feed_id, item=item.id, error=repr(exc))
        metrics.items_processed(len(result.items), started, alerts)
        # the poll counts as done for the metrics now, as the workers count it once its
        # items are queued; if its history then cannot be written it fails too
        metrics.poll_done(len(result.items))
        self.stats.items += len(result.items)
        self.stats.alerts += len(alerts)
        self._deliver(alerts, attempt=1)
        self._unwritten.append((self.history.submit(batch_of(outcomes)), result, now))

    def _commit_written(self, *, wait: bool) -> set[str]:
        """Commit the polls whose history is written, in the order they were processed
        (``wait``: every one, waiting for their writes). A poll whose history could not
        be written is undone: its feed counts as failed and is read again later. The
        feeds undone."""
        failed: set[str] = set()
        while self._unwritten and (wait or self._unwritten[0][0].done()):
            pending, result, now = self._unwritten.popleft()
            feed_id = result.feed_id
            try:
                pending.wait()
            except TransientHistoryError as exc:
                self._feed_failed(feed_id, self.runtime.config.feed(feed_id).every, exc, now)
                failed.add(feed_id)
                continue
            with self.runtime.store.batch():
                commit_poll(result, self.runtime.store)
            self._errors.pop(feed_id, None)
            self._ops(feed_id, now, ok=True, new_items=len(result.items))
            self._next_due[feed_id] = now.timestamp() + result.interval
            log.info(
                "poll", feed=feed_id, new_items=len(result.items), next_in=round(result.interval, 1)
            )
        return failed

    def _feed_failed(self, feed_id: str, every: float, exc: MonitorError, now: datetime) -> None:
        self.stats.poll_failures += 1
        metrics.poll_failed(exc)
        failures = self._errors.get(feed_id, 0) + 1
        self._errors[feed_id] = failures
        record_poll_failure(feed_id, str(exc), self.runtime.store, now=now.timestamp())
        cap = max(every, FEED_ERROR_BACKOFF_CAP)
        delay = backoff_delay(failures, first=every, cap=cap, jitter=EQUAL_JITTER, rng=self._rng)
        if isinstance(exc, TransientError):
            # a 429/503 Retry-After, believed up to the adaptive interval's ceiling
            delay = cadence.retry_delay(every, delay, exc.retry_after)
        self._next_due[feed_id] = now.timestamp() + delay
        log.error("poll_failed", feed=feed_id, error=str(exc), retry_in=round(delay, 1))
        self._ops(feed_id, now, ok=False, error=str(exc))

    def _ops(self, feed_id: str, now: datetime, **outcome: Any) -> None:
        """Alert the ops channel about a feed gone quiet or failing (``feedhealth``)."""
        runtime = self.runtime
        at = now.timestamp()
        for alert in feedhealth.check_feed(
            feed_id, runtime.config, runtime.store, now=at, **outcome
        ):
            self._deliver([alert], attempt=1)

    def _deliver(self, alerts: list[Alert], *, attempt: int, only: str | None = None) -> None:
        """Send the alerts (``deliver_alerts``: each channel's together); a failed send
        is queued for its retry."""
        if not alerts:
            return
        runtime = self.runtime
        now = utcnow()
        results = deliver_alerts(
            alerts,
            runtime.channels,
            runtime.store,
            runtime.config,
            now=now,
            only=only,
            attempt=attempt,
        )
        self.history.add_attempts(results, now)
        by_id = {alert.id: alert for alert in alerts}
        for result in results:
            self.stats.deliveries += result.status == "sent"
            self.stats.failures += result.status == "dead"
            if result.status == "retry":
                delay = result.retry_after if result.retry_after is not None else 1.0
                heapq.heappush(
                    self._retries,
                    _Retry(
                        now.timestamp() + delay,
                        next(self._seq),
                        by_id[result.alert_id],
                        result.channel,
                        attempt + 1,
                    ),
                )

    def _flush_digests(self) -> None:
        """Send the digests that are due; a failed one stays held and is tried again
        by a later flush (its ``due`` is the backoff), so nothing is queued here."""
        runtime = self.runtime
        try:
            now = utcnow()
            results = flush_digests(runtime.channels, runtime.store, runtime.config, now=now)
        except MonitorError as exc:
            log.error("digest_flush_failed", error=str(exc))
            return
        self.history.add_attempts(results, now)
        for result in results:
            self.stats.deliveries += result.status == "sent"
            self.stats.failures += result.status == "dead"

    def _drain_retries(self, *, deadline: float) -> None:
        """Send retries due by ``deadline``, sleeping until each is due."""
        while self._retries and self._retries[0].due <= deadline and not self.stop.is_set():
            wait = self._retries[0].due - utcnow().timestamp()
            if wait > 0 and self.stop.wait(wait):
                return
            retry = heapq.heappop(self._retries)
            self._deliver([retry.alert], attempt=retry.attempt, only=retry.channel)

    def _forget_removed_feeds(self) -> None:
        """At start, then once a day: forget feeds gone from the config long enough."""
        now = utcnow().timestamp()
        last = self._removed_swept_at
        if last is not None and now - last < REMOVED_FEEDS_SWEEP_EVERY:
            return
        self._removed_swept_at = now
        try:
            forget_removed_feeds(self.runtime.config, self.runtime.store, now=now)
        except Exception as exc:
            # housekeeping: a failed sweep must not stop polling; tried again tomorrow
            log.error("removed_feeds_sweep_failed", error=repr(exc))

    def _resume_pending(self) -> None:
        """Re-send deliveries a previous run left pending (crash, exit before retry), and
        alerts held for a channel whose ``digest:`` was removed since."""
        store, config = self.runtime.store, self.runtime.config
        for entry in [*store.list_deliveries("pending"), *held_without_digest(store, config)]:
            if not entry.payload:
                continue
            # a channel removed from the config too: deliver_alerts records the entry dead
            alert = Alert.from_message(json.loads(entry.payload))
            log.info("delivery_resumed", alert=entry.alert_id, channel=entry.channel)
            self._deliver([alert], attempt=entry.attempts + 1, only=entry.channel)
