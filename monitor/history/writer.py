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
The child is forked when the runner's process runs a single thread, as ``monitor
run`` does when it starts the writer (before its fetch threads and metrics server):
it then has the imports and the schema code already, where a spawned child would
import them again, and the first batch waits less. Forking a process with other
threads could leave the child a lock some thread held, so then it is spawned, and
off Linux too (macOS's system libraries are not safe in a forked child). A forked
child starts with the runner's objects frozen for the garbage collector
(``gc.freeze``), which keeps their pages shared. Either way it ignores SIGINT (a
Ctrl-C stops the runner, which then closes it), dies of SIGTERM whatever handler the
runner set, and exits by itself when the runner's process is gone (killed with
SIGKILL, say).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, parent_process
from multiprocessing.connection import wait
from typing import Any, Literal

from monitor.errors import TransientHistoryError
from monitor.history.database import parse_history_url
from monitor.history.records import HistoryBatch
from monitor.history.store import History
from monitor.logs import get_logger

__all__ = ["ProcessHistory", "StartMethod", "Submitted", "start_method"]

# a write handed to the child: its pool, and its answer
Submitted = tuple[ProcessPoolExecutor, Future[None]]
StartMethod = Literal["fork", "spawn"]

log = get_logger(__name__)

# in the child: the history it opened, by URL
_opened: dict[str, History] = {}


def start_method() -> StartMethod:
    """How a writer process started now would start: forked when this process runs a
    single thread on Linux, else spawned (the module docstring)."""
    if threading.active_count() == 1 and sys.platform.startswith("linux"):
        return "fork"
    return "spawn"


def _start_child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a forked child has the runner's handlers: ``ProcessPoolExecutor`` ends it by SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
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
    """The history at ``url``, written by a child process (started on first use).
    ``method``: how each child starts; by default ``start_method()`` when it does."""

    def __init__(self, url: str, *, method: StartMethod | None = None) -> None:
        self.url = url
        self.method = method
        self.started_by: StartMethod | None = None  # how the newest child started
        self._where = parse_history_url(url).render_as_string(hide_password=True)
        self._pool: ProcessPoolExecutor | None = None

    def _submit(
        self, call: Callable[..., Any], *args: Any
    ) -> tuple[ProcessPoolExecutor, Future[Any]]:
        """``call(*args)`` in the child, started first if there is none (with a fork
        context the pool forks it in this very ``submit``)."""
        pool = self._pool
        if pool is not None:
            return pool, pool.submit(call, *args)
        method = self.method or start_method()
        pool = self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=get_context(method), initializer=_start_child
        )
        self.started_by = method
        log.debug("history_writer_starting", method=method, history=self._where)
        if method == "spawn":
            return pool, pool.submit(call, *args)
        gc.freeze()  # the child's collector leaves what it inherits alone
        try:
            return pool, pool.submit(call, *args)
        finally:
            gc.unfreeze()

    def start(self) -> None:
        """Start the child and have it open the history now, not at the first write:
        its start and the schema check overlap the runner's first fetches. A fault
        opening it is raised by the first write. Nothing when a child is up already."""
        if self._pool is None:
            self._submit(_open, self.url)

    def submit(self, batch: HistoryBatch) -> Submitted:
        """Have the child write ``batch`` after what it was given before; ``result``
        waits for it."""
        try:
            return self._submit(_write, self.url, batch)
        except BrokenProcessPool:
            raise self._died(self._pool) from None

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
        pool: ProcessPoolExecutor | None = None
        try:
            pool, pruned = self._submit(_prune, self.url, retention)
            count: int = pruned.result()
            return count
        except (BrokenProcessPool, CancelledError):
            raise self._died(pool or self._pool) from None

    def _died(self, pool: ProcessPoolExecutor | None) -> TransientHistoryError:
        """The child of ``pool`` is gone: the next call starts another."""
        if pool is not None and pool is self._pool:
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
        return TransientHistoryError(f"history {self._where}: its writer process died")

    def close(self) -> None:
        """Let the child finish what it was given, then stop it."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
