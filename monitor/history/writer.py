"""The history written by a process of its own, for ``monitor run``.

Writing a batch is the largest stage of an item's CPU in the embedded runner (every
word's full-text keys, the index insert: bench/bench_pipeline.py's breakdown). In the
runner's process that time holds the GIL; in a child process it runs on another core
while the runner goes on with the next polls (``HistoryRecorder.submit``). The runner
marks a poll's items seen only once their history is written, so what is written, and
when an item counts as done, do not change.

``ProcessHistory`` has the ``write``/``prune``/``close`` of ``History``, and ``submit``.
The child opens the history itself (``open_history``) and keeps it, and its keys
cache, for its life; it runs the calls one at a time, in the order given. Faults come
back as they were raised there (``HistoryError``, ``TransientHistoryError``). A child
that died (killed, out of memory) is a transient fault: the next call starts another.
The child is spawned, not forked (the runner has threads), and ignores SIGINT: a
Ctrl-C stops the runner, which then closes it. It exits by itself when the runner's
process is gone (killed with SIGKILL, say).
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, parent_process
from multiprocessing.connection import wait

from monitor.errors import TransientHistoryError
from monitor.history.database import parse_history_url
from monitor.history.records import HistoryBatch
from monitor.history.store import History

__all__ = ["ProcessHistory", "Submitted"]

# a write handed to the child: its pool, and its answer
Submitted = tuple[ProcessPoolExecutor, Future[None]]

# in the child: the history it opened, by URL
_opened: dict[str, History] = {}


def _start_child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(runner: int) -> None:
    """In the child: exit as soon as the runner's process is gone (killed, say), which
    would leave nobody to close it. A write under way is not committed: its items
    were not marked seen, so the next run reads them again."""
    wait([runner])
    os._exit(0)


def _history(url: str) -> History:
    if url not in _opened:
        from monitor.history import open_history

        _opened[url] = open_history(url)
    return _opened[url]


def _open(url: str) -> None:
    _history(url)


def _write(url: str, batch: HistoryBatch) -> None:
    _history(url).write(batch)


def _prune(url: str, retention: float) -> int:
    return _history(url).prune(retention)


class ProcessHistory:
    """The history at ``url``, written by a child process (started on first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._where = parse_history_url(url).render_as_string(hide_password=True)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=get_context("spawn"), initializer=_start_child
            )
        return self._pool

    def start(self) -> None:
        """Start the child and have it open the history now, not at the first write:
        its imports and the schema check overlap the runner's first fetches. A fault
        opening it is raised by the first write."""
        self._executor().submit(_open, self.url)

    def submit(self, batch: HistoryBatch) -> Submitted:
        """Have the child write ``batch`` after what it was given before; ``result``
        waits for it."""
        pool = self._executor()
        try:
            return pool, pool.submit(_write, self.url, batch)
        except BrokenProcessPool:
            raise self._died(pool) from None

    def result(self, submitted: Submitted) -> None:
        """Wait for a ``submit``; raises what the child raised."""
        pool, written = submitted
        try:
            written.result()
        except (BrokenProcessPool, CancelledError):
            raise self._died(pool) from None

    def write(self, batch: HistoryBatch) -> None:
        """Write ``batch`` in one transaction, in the child; raises what it raised."""
        self.result(self.submit(batch))

    def prune(self, retention: float) -> int:
        pool = self._executor()
        try:
            return pool.submit(_prune, self.url, retention).result()
        except (BrokenProcessPool, CancelledError):
            raise self._died(pool) from None

    def _died(self, pool: ProcessPoolExecutor) -> TransientHistoryError:
        """The child of ``pool`` is gone: the next call starts another."""
        if pool is self._pool:
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
        return TransientHistoryError(f"history {self._where}: its writer process died")

    def close(self) -> None:
        """Let the child finish what it was given, then stop it."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
