"""Run many feed reads at once, politely: a thread pool for blocking I/O with at most
``per_host`` reads of one host at a time.

Fetching is waiting: one slow feed must not hold up the others (``monitor run`` and a
worker's ``monitor.poll_feeds`` task both read their due feeds through this). The limit
per host is keyed by the URL's host and port, as aiohttp's ``limit_per_host`` is, so a
server carrying many feeds is never asked for more than ``per_host`` at once. Jobs are
handed out in order, round-robin over hosts; a job not started by the ``deadline`` is
returned as skipped, so a caller with a time limit gets its answer in time and can try
the rest later. Outcomes are yielded as they complete, so the caller works on one while
the pool waits for the others. Threads are made on first use in each process (never
across a fork). Does no I/O itself; the jobs do.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlsplit

J = TypeVar("J")
R = TypeVar("R")

DEFAULT_WORKERS = 32
DEFAULT_PER_HOST = 2


@dataclass(frozen=True)
class Outcome(Generic[J, R]):
    """One job's end: its ``result``, the ``error`` it raised, or ``skipped`` (not started
    before the deadline)."""

    job: J
    result: R | None = None
    error: BaseException | None = None
    skipped: bool = False


def host_key(url: str | None) -> str:
    """The politeness key of a URL: ``host:port`` (a drop folder, no URL: its own key)."""
    if not url:
        return ""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{(parts.hostname or '').lower()}:{port or parts.scheme}"


class FetchPool:
    """A per-process pool of ``workers`` threads, ``per_host`` jobs per host at most."""

    def __init__(self, *, workers: int = DEFAULT_WORKERS, per_host: int = DEFAULT_PER_HOST):
        if workers < 1 or per_host < 1:
            raise ValueError("a fetch pool needs at least one worker and one job per host")
        self.workers = workers
        self.per_host = per_host
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                # a forked child inherits the object but none of the threads
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="fetch")
                self._pid = os.getpid()
            return self._executor

    def run(
        self,
        jobs: Iterable[J],
        work: Callable[[J], R],
        key: Callable[[J], str],
        *,
        deadline: float | None = None,
    ) -> Iterator[Outcome[J, R]]:
        """Run ``work(job)`` for every job; yield each ``Outcome`` as it completes.
        ``deadline`` is a ``time.monotonic()`` value."""
        waiting: dict[str, deque[J]] = {}
        for job in jobs:
            waiting.setdefault(key(job), deque()).append(job)
        busy: dict[str, int] = dict.fromkeys(waiting, 0)
        running: dict[Future[R], tuple[J, str]] = {}
        pool = self._pool()

        def fill() -> None:
            progress = True
            while progress and len(running) < self.workers:
                progress = False
                for host, queue in waiting.items():  # round-robin over hosts
                    if queue and busy[host] < self.per_host and len(running) < self.workers:
                        job = queue.popleft()
                        running[pool.submit(work, job)] = (job, host)
                        busy[host] += 1
                        progress = True

        try:
            while True:
                if deadline is None or time.monotonic() < deadline:
                    fill()
                else:
                    for queue in waiting.values():
                        while queue:
                            yield Outcome(queue.popleft(), skipped=True)
                if not running:
                    return
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    job, host = running.pop(future)
                    busy[host] -= 1
                    error = future.exception()
                    if error is not None:
                        yield Outcome(job, error=error)
                    else:
                        yield Outcome(job, result=future.result())
        finally:
            # the caller stopped early: what was not started never will be
            for future in running:
                future.cancel()
