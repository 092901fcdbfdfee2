"""bench/stages.py: exclusive stage times stay right when timed calls run in threads
(the runner fetches in a pool while the main thread processes)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from stages import StageTimer


def test_a_call_in_another_thread_is_not_counted_inside_an_open_call() -> None:
    timer = StageTimer()
    fetch_open, inner_done = threading.Event(), threading.Event()

    def fetch() -> None:
        fetch_open.set()
        inner_done.wait(5)  # open across the main thread's inner call and its end
        time.sleep(0.05)

    def inner() -> None:
        time.sleep(0.05)

    timed_fetch = timer.wrap("fetch", fetch)
    timed_inner = timer.wrap("inner", inner)

    def outer() -> None:
        fetch_open.wait(5)
        timed_inner()
        inner_done.set()
        time.sleep(0.05)

    other = threading.Thread(target=timed_fetch)
    other.start()
    timer.wrap("outer", outer)()
    other.join()
    # each stage at least its own sleeps, none credited with another thread's time
    assert timer.seconds["inner"] >= 0.05
    assert timer.seconds["outer"] >= 0.05
    assert timer.seconds["fetch"] >= 0.1
