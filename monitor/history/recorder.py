"""Writing the history from the runners: one transaction per batch, retried.

Both runners (``monitor.runner`` and ``workers.tasks``) hand a ``HistoryRecorder``
what a batch did: the items processed with their matches and alerts (``batch_of``),
and the delivery attempts of sends (``attempts_of``). ``write`` retries a transient
fault (database restarting, locked, unreachable) with backoff before it gives up with
``TransientHistoryError``; the caller then leaves the batch unacknowledged and runs it
again later. Writes are upserts (``History.write``), so a batch written twice, or
decided again after a crash, leaves one row per item, match, alert and attempt.

``prune_if_due`` enforces ``settings.history_retention``: at the first call, then once
a day. Does I/O through the ``History`` it opens (lazily, at the first write).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from monitor.backoff import EQUAL_JITTER, backoff_delay
from monitor.config.schema import Settings
from monitor.errors import HistoryError, MonitorError, TransientHistoryError
from monitor.history import History, open_history
from monitor.history.database import history_url
from monitor.history.records import DeliveryAttempt, HistoryBatch, StoryAddition
from monitor.history.writer import ProcessHistory, Submitted
from monitor.logs import get_logger
from monitor.model import Alert, DeliveryResult, Match, WireItem
from monitor.pipeline import ItemOutcome

__all__ = ["HistoryRecorder", "PendingWrite", "attempts_of", "batch_of", "history_url"]

log = get_logger(__name__)

# backoff between tries of one write: 0.5 s doubling up to the cap, less some jitter
RETRY_FIRST = 0.5
RETRY_CAP = 8.0
PRUNE_EVERY = 86400.0
PRUNE_RETRY = 600.0  # after a failed pruning (the database away)
# what a result says when the send happened before (another task recorded it then)
_NOT_AN_ATTEMPT = ("already sent",)


def batch_of(outcomes: Iterable[ItemOutcome]) -> HistoryBatch:
    """The batch of what processing items found."""
    items: list[WireItem] = []
    matches: list[tuple[str, Match]] = []
    alerts: list[Alert] = []
    additions: list[StoryAddition] = []
    for outcome in outcomes:
        items.append(outcome.item)
        matches += [(outcome.item.id, match) for match in outcome.matches]
        alerts += outcome.alerts
        additions += [
            StoryAddition(record.alert_id, record.sources, record.updates)
            for record in outcome.additions
        ]
    return HistoryBatch(
        items=tuple(items), matches=tuple(matches), alerts=tuple(alerts), additions=tuple(additions)
    )


def attempts_of(
    results: Iterable[DeliveryResult], at: datetime, *, retried: bool = False
) -> list[DeliveryAttempt]:
    """The attempts that ``results`` made: not ``busy`` (another sender had it) nor a
    repeat finding it ``already sent`` (the send was recorded when it happened).
    ``retried``: made by ``monitor alerts retry``, each opens a new series."""
    return [
        DeliveryAttempt.from_result(result, at, retried=retried)
        for result in results
        if result.status != "busy" and result.detail not in _NOT_AN_ATTEMPT
    ]


def _empty(batch: HistoryBatch) -> bool:
    return not (batch.items or batch.alerts or batch.deliveries or batch.additions)


def _refused(exc: HistoryError, batch: HistoryBatch) -> None:
    log.error("history_write_refused", error=str(exc), items=len(batch.items))


class PendingWrite:
    """A batch handed to ``HistoryRecorder.submit``; ``wait`` for it before counting
    its items done."""

    def __init__(
        self,
        recorder: HistoryRecorder,
        batch: HistoryBatch,
        *,
        submitted: Submitted | None = None,
        error: TransientHistoryError | None = None,
    ) -> None:
        self._recorder = recorder
        self.batch = batch
        self.submitted = submitted  # in the writer process's hands; else written already
        self._error = error  # written in this process, and failed

    def done(self) -> bool:
        """Whether ``wait`` would return (or raise) at once."""
        return self.submitted is None or self.submitted[1].done()

    def wait(self) -> None:
        """Return once the batch is written or dropped as refused;
        ``TransientHistoryError`` when it could not be written."""
        if self._error is not None:
            raise self._error
        if self.submitted is not None:
            self._recorder._waited(self)


class HistoryRecorder:
    """The history of one process: batches written with retries, daily pruning."""

    def __init__(
        self,
        settings: Settings,
        *,
        stop: threading.Event | None = None,
        tries: int = 6,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        own_process: bool = False,
    ) -> None:
        self.url = history_url(settings)
        self.own_process = own_process  # written by a child process (``ProcessHistory``)
        self.retention = settings.history_retention
        self.stop = stop or threading.Event()
        self.tries = tries  # 8 to 16 s of backoff at the defaults
        self._clock = clock
        self._rng = rng  # the backoff's jitter
        self._history: History | ProcessHistory | None = None
        self._pruned_at: float | None = None
        self._attempts: list[DeliveryAttempt] = []

    def _open(self) -> History | ProcessHistory:
        if self._history is None:
            self._history = ProcessHistory(self.url) if self.own_process else open_history(self.url)
        return self._history

    def start(self) -> None:
        """With ``own_process``: start the writer process now (``ProcessHistory.start``)."""
        history = self._open() if self.own_process else None
        if isinstance(history, ProcessHistory):
            history.start()

    def close(self) -> None:
        if self._history is not None:
            self._history.close()
            self._history = None

    def write(self, batch: HistoryBatch) -> None:
        """Write ``batch`` in one transaction, trying again after a transient fault;
        ``TransientHistoryError`` once ``tries`` have failed (or the runner stops). A
        batch the database refuses (``HistoryError``: it would be refused again) is
        logged as an error and dropped: the runner goes on with its items."""
        if _empty(batch):
            return
        for attempt in range(1, self.tries + 1):
            try:
                self._open().write(batch)
                return
            except HistoryError as exc:
                _refused(exc, batch)
                return
            except TransientHistoryError as exc:
                last = attempt == self.tries or self.stop.is_set()
                delay = backoff_delay(
                    attempt, first=RETRY_FIRST, cap=RETRY_CAP, jitter=EQUAL_JITTER, rng=self._rng
                )
                log.warning(
                    "history_write_failed",
                    error=str(exc),
                    attempt=attempt,
                    retry_in=None if last else delay,
                    items=len(batch.items),
                    deliveries=len(batch.deliveries),
                )
                if last or self.stop.wait(delay):
                    raise
        raise AssertionError("not reached")  # pragma: no cover

    def submit(self, batch: HistoryBatch) -> PendingWrite:
        """Start writing ``batch``: with ``own_process`` the writer process takes it and
        the caller goes on; else it is written now. ``PendingWrite.wait`` then ends as
        ``write`` would have (a refused batch logged and dropped, a fault that lasts
        raised), a transient fault of the writer process retried as ``write`` does."""
        history = None if _empty(batch) else self._open()
        if isinstance(history, ProcessHistory):
            try:
                return PendingWrite(self, batch, submitted=history.submit(batch))
            except TransientHistoryError:
                pass  # its writer process died: written now, as ``write`` does
        try:
            self.write(batch)
        except TransientHistoryError as exc:
            return PendingWrite(self, batch, error=exc)
        return PendingWrite(self, batch)

    def _waited(self, pending: PendingWrite) -> None:
        history = self._history
        if pending.submitted is not None and isinstance(history, ProcessHistory):
            try:
                history.result(pending.submitted)
                return
            except HistoryError as exc:
                _refused(exc, pending.batch)
                return
            except TransientHistoryError as exc:
                log.warning("history_write_failed", error=str(exc), items=len(pending.batch.items))
        self.write(pending.batch)

    def add_attempts(
        self, results: Iterable[DeliveryResult], at: datetime, *, retried: bool = False
    ) -> None:
        """Keep the attempts of ``results`` for the next ``flush_attempts`` (``retried``:
        see ``attempts_of``)."""
        self._attempts += attempts_of(results, at, retried=retried)

    def flush_attempts(self, *, final: bool = False) -> None:
        """Write the attempts kept since the last flush, as one batch. A fault keeps them
        for the next flush (the runner calls it every tick), so sends are never held up;
        the ``final`` flush (the runner stopping) retries as ``write`` does, then logs
        what it could not write."""
        if not self._attempts:
            return
        batch = HistoryBatch(deliveries=tuple(self._attempts))
        try:
            if final:
                self.write(batch)
            else:
                self._open().write(batch)
        except TransientHistoryError as exc:
            if final:
                log.error("history_attempts_lost", error=str(exc), deliveries=len(self._attempts))
            else:
                log.warning("history_write_failed", error=str(exc), deliveries=len(self._attempts))
            return
        self._attempts = []

    def prune_if_due(self, retention: float | None = None) -> int | None:
        """Forget what is older than ``retention`` (default: ``settings.history_retention``
        at start; the runners pass a reloaded config's): at the first call, then once a
        day. The rows removed, or None when not due or it failed (logged; tried again
        ``PRUNE_RETRY`` later)."""
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return None
        if retention is not None:
            self.retention = retention
        try:
            removed = self._open().prune(self.retention)
        except MonitorError as exc:
            log.error("history_prune_failed", error=str(exc), retry_in=PRUNE_RETRY)
            self._pruned_at = now - PRUNE_EVERY + PRUNE_RETRY
            return None
        self._pruned_at = now
        log.info("history_pruned", rows=removed, retention=self.retention)
        return removed
