"""The one backoff (``monitor.backoff``): its bounds, growth, cap and jitter, and the
places that wait with it (a failed feed in ``monitor run``, a task hit by a store fault;
deliveries in ``test_alerts``, history writes in ``test_history_recorder``)."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from monitor.backoff import EQUAL_JITTER, FULL_JITTER, backoff_delay
from monitor.errors import FetchError
from monitor.pipeline import utcnow
from monitor.runner import FEED_ERROR_BACKOFF_CAP, EmbeddedRunner
from tests.unit.test_runner import _runtime


def _step(attempt: int, first: float, cap: float) -> float:
    return min(cap, first * 2 ** (attempt - 1))


@pytest.mark.parametrize("jitter", [FULL_JITTER, EQUAL_JITTER, 0.25, 0.0])
def test_every_wait_lies_in_its_steps_jitter_range(jitter: float) -> None:
    rng = random.Random(17)
    for attempt in range(1, 40):
        step = _step(attempt, 0.5, 300.0)
        for _ in range(50):
            wait = backoff_delay(attempt, first=0.5, cap=300.0, jitter=jitter, rng=rng.random)
            assert step * (1 - jitter) <= wait <= step


def test_the_step_doubles_from_the_first_up_to_the_cap() -> None:
    waits = [backoff_delay(n, first=3.0, cap=50.0, rng=lambda: 1.0) for n in range(1, 8)]
    assert waits == [3.0, 6.0, 12.0, 24.0, 48.0, 50.0, 50.0]
    # the first try is attempt 1; nothing below it shortens the first step
    assert backoff_delay(0, first=3.0, cap=50.0, rng=lambda: 1.0) == 3.0


def test_huge_attempt_counts_stay_at_the_cap() -> None:
    for attempt in (64, 1_025, 10**9):
        assert backoff_delay(attempt, first=300.0, cap=3600.0, rng=lambda: 1.0) == 3600.0
        assert (
            backoff_delay(attempt, first=300.0, cap=3600.0, jitter=0.5, rng=lambda: 0.0) == 1800.0
        )


def test_jitter_sets_how_much_of_the_step_is_random() -> None:
    # the lowest draw takes the floor of the range, the highest its top
    assert backoff_delay(4, first=1.0, cap=60.0, jitter=FULL_JITTER, rng=lambda: 0.0) == 0.0
    assert backoff_delay(4, first=1.0, cap=60.0, jitter=EQUAL_JITTER, rng=lambda: 0.0) == 4.0
    assert backoff_delay(4, first=1.0, cap=60.0, jitter=0.0, rng=lambda: 0.3) == 8.0
    assert backoff_delay(4, first=1.0, cap=60.0, jitter=EQUAL_JITTER, rng=lambda: 0.5) == 6.0
    with pytest.raises(ValueError, match="jitter must be between 0 and 1"):
        backoff_delay(1, first=1.0, cap=60.0, jitter=1.5)


def test_the_default_random_source_spreads_the_waits() -> None:
    waits = [backoff_delay(5, first=1.0, cap=60.0) for _ in range(200)]
    assert all(0.0 <= wait <= 16.0 for wait in waits)
    # spread over the range, not one value: 200 draws leave no quarter of it empty
    assert {int(wait // 4) for wait in waits} == {0, 1, 2, 3}


def test_a_failed_feed_waits_a_jittered_doubling_from_its_interval(tmp_path: Path) -> None:
    draws = iter([1.0, 0.0, 1.0])
    runner = EmbeddedRunner(_runtime(tmp_path, []), rng=lambda: next(draws))
    now = utcnow()
    waits = []
    for _ in range(3):
        runner._feed_failed("desk", 300.0, FetchError("HTTP 404"), now)
        waits.append(runner._next_due["desk"] - now.timestamp())
    # steps of 300, 600 and 1200 s; the draw 0.0 takes half the step (equal jitter)
    assert waits == pytest.approx([300.0, 300.0, 1200.0])
    runner = EmbeddedRunner(_runtime(tmp_path, []), rng=lambda: 1.0)
    runner._errors["desk"] = 5_000  # a feed failing for weeks: capped, no overflow
    runner._feed_failed("desk", 300.0, FetchError("HTTP 404"), now)
    assert runner._next_due["desk"] - now.timestamp() == pytest.approx(FEED_ERROR_BACKOFF_CAP)


def test_a_task_retried_after_a_store_fault_waits_a_jittered_doubling() -> None:
    from workers import app
    from workers.tasks import STORE_RETRY_CAP, backoff

    app.set_visibility_timeout(400.0)  # countdowns of 100 s at most
    try:
        for retries, (low, high) in {0: (0.5, 1.0), 3: (4.0, 8.0), 9: (30.0, 60.0)}.items():
            task = SimpleNamespace(request=SimpleNamespace(retries=retries))
            countdowns = [backoff(task) for _ in range(50)]
            assert all(low <= countdown <= high for countdown in countdowns)
            assert len(set(countdowns)) > 1  # jittered: workers retry apart
        assert STORE_RETRY_CAP == 60.0
        app.set_visibility_timeout(40.0)  # now the visibility timeout caps it: 10 s
        task = SimpleNamespace(request=SimpleNamespace(retries=9))
        assert all(5.0 <= backoff(task) <= 10.0 for _ in range(50))
    finally:
        app.set_visibility_timeout(None)
