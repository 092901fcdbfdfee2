"""bench/stages.py: exclusive stage times, in each thread's CPU time, stay right when
timed calls run in threads (the runner fetches in a pool while the main thread
processes): waiting, for an event or for the GIL, is not a stage's time."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from stages import StageTimer


def _spin(seconds: float) -> None:
    """Use ``seconds`` of this thread's CPU."""
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass


def test_a_call_in_another_thread_is_not_counted_inside_an_open_call() -> None:
    timer = StageTimer()
    fetch_open, inner_done = threading.Event(), threading.Event()

    def fetch() -> None:
        fetch_open.set()
        inner_done.wait(5)  # open across the main thread's inner call and its end
        _spin(0.05)

    def inner() -> None:
        _spin(0.05)

    timed_fetch = timer.wrap("fetch", fetch)
    timed_inner = timer.wrap("inner", inner)

    def outer() -> None:
        fetch_open.wait(5)
        timed_inner()
        inner_done.set()
        _spin(0.05)

    other = threading.Thread(target=timed_fetch)
    other.start()
    timer.wrap("outer", outer)()
    other.join()
    # each stage its own CPU: none credited with another thread's work or with its own
    # waiting (fetch waited through inner's 0.05 s, and for the GIL while outer spun)
    assert 0.05 <= timer.seconds["inner"] < 0.09
    assert 0.05 <= timer.seconds["outer"] < 0.09
    assert 0.05 <= timer.seconds["fetch"] < 0.09
