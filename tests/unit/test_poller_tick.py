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


def test_a_feed_is_queued_every_interval_though_its_pass_reaches_it_sooner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from monitor.config.schema import Config, FeedConfig
    from monitor.state.memory import MemoryStore
    from workers import schedule

    clock = [1000.05]  # the first pass reaches the feed 50 ms into its tick
    monkeypatch.setattr(schedule, "send", lambda *args, **kwargs: None)
    config = Config(feeds=[FeedConfig(id="wire", url="https://example.org/", every="2s")])
    store = MemoryStore(clock=lambda: clock[0])
    assert schedule.poll_due_feeds(config, store) == ["wire"]
    clock[0] = 1001.02  # one tick on: within the interval
    assert schedule.poll_due_feeds(config, store) == []
    clock[0] = 1002.02  # two ticks on, 30 ms sooner into its tick than the first pass
    assert schedule.poll_due_feeds(config, store) == ["wire"]
    # and never twice within an interval: the claim lasts all but CLAIM_EARLY of it
    assert schedule.claim_ttl(2.0) == 2.0 - schedule.CLAIM_EARLY


def test_a_round_is_split_so_several_workers_parse_it() -> None:
    from workers.schedule import POLL_SPREAD, batch_size
    from workers.tasks import FEED_BATCH

    assert POLL_SPREAD > 1
    assert batch_size(20) == 5  # 20 feeds due: four messages, not one
    assert batch_size(3) == 1
    assert batch_size(2000) == FEED_BATCH  # a big round: full batches
    assert batch_size(0) == 1
