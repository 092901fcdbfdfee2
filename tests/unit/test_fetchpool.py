"""``FetchPool``: jobs run at once, never more than ``per_host`` of one host together, a
slow one does not hold up the others, outcomes come as they complete, and what the
deadline leaves unstarted comes back as skipped."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from monitor.sources.fetchpool import FetchPool, host_key


class Tracker:
    """Counts the jobs of each host running at the same moment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.total_peak = 0

    def __call__(self, job: tuple[str, int]) -> int:
        host, n = job
        with self.lock:
            self.now[host] += 1
            self.peak[host] = max(self.peak[host], self.now[host])
            self.total_peak = max(self.total_peak, sum(self.now.values()))
        time.sleep(0.02)
        with self.lock:
            self.now[host] -= 1
        return n


def test_at_most_per_host_jobs_of_one_host_run_together() -> None:
    jobs = [(f"h{n % 4}", n) for n in range(40)]
    tracker = Tracker()
    pool = FetchPool(workers=16, per_host=2)
    outcomes = list(pool.run(jobs, tracker, key=lambda job: job[0]))
    assert sorted(o.result for o in outcomes if o.result is not None) == list(range(40))
    assert max(tracker.peak.values()) == 2  # the limit is reached, never passed
    assert tracker.total_peak == 8  # 4 hosts x 2: the hosts ran side by side


def test_a_slow_job_does_not_hold_up_the_others() -> None:
    release = threading.Event()

    def work(job: str) -> str:
        if job == "slow":
            release.wait(10)
        return job

    pool = FetchPool(workers=4, per_host=2)
    outcomes = pool.run(["slow", "a", "b", "c"], work, key=lambda job: job)
    first = [next(outcomes).job for _ in range(3)]
    assert sorted(first) == ["a", "b", "c"]  # all done while "slow" still waits
    release.set()
    assert [o.job for o in outcomes] == ["slow"]


def test_errors_are_outcomes_not_raised() -> None:
    def work(job: int) -> int:
        if job == 2:
            raise ValueError("bad feed")
        return job

    outcomes = {o.job: o for o in FetchPool(workers=2).run([1, 2, 3], work, key=str)}
    assert outcomes[1].result == 1 and outcomes[3].result == 3
    assert isinstance(outcomes[2].error, ValueError) and outcomes[2].result is None


def test_jobs_not_started_by_the_deadline_are_skipped() -> None:
    started: list[int] = []
    deadline = time.monotonic() + 0.5

    def work(job: int) -> int:
        started.append(job)
        while time.monotonic() <= deadline:  # the first job outlasts the deadline
            time.sleep(0.01)
        return job

    pool = FetchPool(workers=1, per_host=1)
    outcomes = list(pool.run([1, 2, 3], work, key=lambda job: "one-host", deadline=deadline))
    assert [(o.job, o.skipped) for o in outcomes if o.skipped] == [(2, True), (3, True)]
    assert started == [1]


def test_host_key_is_host_and_port() -> None:
    assert host_key("https://Example.org/a") == host_key("https://example.org/b")
    assert host_key("http://127.0.0.1:8001/f") != host_key("http://127.0.0.1:8002/f")
    assert host_key(None) == ""


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError):
        FetchPool(workers=0)
