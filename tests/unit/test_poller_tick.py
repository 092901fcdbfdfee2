"""The poller's ticks keep a fixed rate whatever a pass costs (workers.schedule)."""

from __future__ import annotations

import pytest

from workers.schedule import TICK, next_tick_after


def test_a_quick_pass_waits_for_the_next_tick_of_the_grid() -> None:
    assert next_tick_after(100.0, 100.2) == 100.0 + TICK


def test_a_slow_pass_is_not_added_to_the_next_wait() -> None:
    # 0.9 of a tick spent working leaves 0.1 to wait, not a whole tick
    assert next_tick_after(100.0, 100.0 + 0.9 * TICK) == pytest.approx(100.0 + TICK)


def test_a_pass_longer_than_a_tick_skips_the_ticks_it_overran() -> None:
    assert next_tick_after(100.0, 100.0 + 2.5 * TICK) == pytest.approx(100.0 + 3 * TICK)
    assert next_tick_after(100.0, 100.0 + TICK) == pytest.approx(100.0 + 2 * TICK)
