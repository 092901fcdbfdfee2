"""Feeds removed from the config: their seen ids and feed state are forgotten, but only
once nobody has polled them for ``settings.seen_retention`` (a feed removed by mistake and
put back the next day must not alert its whole window again). The clock is moved by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest

from monitor import pipeline, runner
from monitor.config.schema import Config, FeedConfig, Settings
from monitor.errors import TransientFetchError
from monitor.match.engine import build_matcher
from monitor.pipeline import REMOVED_FEEDS_SWEEP_EVERY, Runtime, removed_feeds
from monitor.runner import EmbeddedRunner
from monitor.sources.cadence import INTERVAL_KEY
from monitor.sources.fetch import FetchResult
from monitor.state.base import LAST_POLL_KEY, Store
from monitor.state.memory import MemoryStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86400.0
WIRE = FeedConfig(id="wire", url="https://example.org/wire")
DESK = FeedConfig(id="desk", url="https://example.org/desk")
BOTH = Config(feeds=[WIRE, DESK], settings=Settings(seen_retention="30d"))
WIRE_ONLY = Config(feeds=[WIRE], settings=Settings(seen_retention="30d"))


def rss(*guids: str) -> bytes:
    items = "".join(f"<item><guid>{g}</guid><title>Story {g}</title></item>" for g in guids)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed</title><link>https://example.org/</link>{items}</channel></rss>"
    ).encode()


class FakeFeeds:
    """Stands in for ``fetch_feed``: a body per URL, with an ETag; or an error for all."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.error: Exception | None = None

    def __call__(self, url: str, **_: object) -> FetchResult:
        if self.error is not None:
            raise self.error
        headers = {"content-type": "application/rss+xml"}
        content = self.bodies[url]
        return FetchResult(url=url, status=200, content=content, headers=headers, etag='"v1"')


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> FakeFeeds:
    fake = FakeFeeds()
    fake.bodies = {WIRE.url or "": rss("w1", "w2"), DESK.url or "": rss("d1", "d2")}
    monkeypatch.setattr(pipeline, "fetch_feed", fake)
    return fake


@pytest.fixture
def store(local_store: Store) -> Store:
    return local_store


# after one good poll at T0 that found new items: validators, time, interval back at `every`
WIRE_STATE_AT_T0 = {
    "etag": '"v1"',
    LAST_POLL_KEY: repr(T0.timestamp()),
    INTERVAL_KEY: repr(WIRE.every),
}


def days(n: float) -> timedelta:
    return timedelta(days=n)


def runner_at(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> Callable[[datetime, Config], EmbeddedRunner]:
    def run_at(at: datetime, config: Config) -> EmbeddedRunner:
        monkeypatch.setattr(runner, "utcnow", lambda: at)
        made = EmbeddedRunner(Runtime(config, store, build_matcher(config), {}))
        made.run(once=True)
        return made

    return run_at


def seen_ids(store: Store, feed_id: str) -> list[str]:
    """The ids of this feed's items (parsed at T0) that the store has as seen."""
    fake = FakeFeeds()
    fake.bodies = {WIRE.url or "": rss("w1", "w2"), DESK.url or "": rss("d1", "d2")}
    feed = WIRE if feed_id == "wire" else DESK
    with patch.object(pipeline, "fetch_feed", fake):  # whatever the test's feeds do now
        ids = [item.id for item in pipeline.poll_feed(feed, BOTH, MemoryStore(), now=T0).items]
    unseen = set(store.seen_filter(feed_id, ids))
    return [item_id for item_id in ids if item_id not in unseen]


# --- the pure decision --------------------------------------------------------------------
def test_removed_feeds_lists_only_unconfigured_feeds_idle_longer_than_the_retention() -> None:
    now = T0.timestamp() + 100 * DAY
    activity = {
        "wire": 0.0,  # configured: never listed, however old
        "gone-long-ago": now - 31 * DAY,
        "gone-yesterday": now - DAY,
        "at-the-cutoff": now - 30 * DAY,  # exactly the retention: kept one more sweep
        "no-time": 0.0,
    }
    assert removed_feeds(activity, WIRE_ONLY, now=now) == ["gone-long-ago", "no-time"]
    longer = Config(feeds=[WIRE], settings=Settings(seen_retention="60d"))
    assert removed_feeds(activity, longer, now=now) == ["no-time"]


def test_a_successful_poll_records_its_time_in_the_feed_state(
    feeds: FakeFeeds, store: Store
) -> None:
    result = pipeline.poll_feed(WIRE, BOTH, store, now=T0)
    pipeline.commit_poll(result, store)
    assert store.get_feed_state("wire") == WIRE_STATE_AT_T0
    assert store.feed_activity() == {"wire": T0.timestamp()}


# --- through the embedded runner ----------------------------------------------------------
def test_a_removed_feed_is_kept_within_the_retention_and_forgotten_after(
    feeds: FakeFeeds, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_at = runner_at(monkeypatch, store)
    run_at(T0, BOTH)
    assert len(seen_ids(store, "desk")) == 2 and len(seen_ids(store, "wire")) == 2
    # desk leaves the config; wire stays but fails for months, so its last poll is old too
    feeds.error = TransientFetchError("HTTP 503 from the feed")
    run_at(T0 + days(29), WIRE_ONLY)
    assert len(seen_ids(store, "desk")) == 2  # within the retention: kept
    assert store.get_feed_state("desk")["etag"] == '"v1"'
    # put back by then, it would alert nothing again
    run_at(T0 + days(31), WIRE_ONLY)
    assert seen_ids(store, "desk") == []
    assert store.get_feed_state("desk") == {}
    assert "desk" not in store.feed_activity()
    # the configured feed keeps everything, however long since its last good poll
    assert len(seen_ids(store, "wire")) == 2
    state = store.get_feed_state("wire")
    # its failures are kept beside what it had (`monitor feeds status` shows them)
    assert state == {
        **WIRE_STATE_AT_T0,
        "last_error": "HTTP 503 from the feed",
        "last_error_at": repr((T0 + days(31)).timestamp()),
        "error_streak": "2",
    }


def test_a_feed_removed_and_put_back_keeps_its_seen_ids(
    feeds: FakeFeeds, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_at = runner_at(monkeypatch, store)
    run_at(T0, BOTH)
    run_at(T0 + days(1), WIRE_ONLY)  # removed by mistake...
    back = run_at(T0 + days(2), BOTH)  # ...and put back the next day
    assert back.stats.items == 0  # nothing of its window is new again
    # its last poll is now T0 + 2 days: 31 days after T0 it is not idle
    run_at(T0 + days(31), WIRE_ONLY)
    assert len(seen_ids(store, "desk")) == 2


def test_the_embedded_runner_sweeps_at_start_then_once_a_day(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[float] = []

    def spy(config: Config, store: Store, *, now: float) -> list[str]:
        calls.append(now)
        return []

    monkeypatch.setattr(runner, "forget_removed_feeds", spy)
    made = EmbeddedRunner(Runtime(WIRE_ONLY, store, build_matcher(WIRE_ONLY), {}))
    for hours in (0, 1, 23.9, 24, 30, 48.5):
        at = T0 + timedelta(hours=hours)
        monkeypatch.setattr(runner, "utcnow", lambda at=at: at)
        made._forget_removed_feeds()
    start = T0.timestamp()
    assert calls == [start, start + 24 * 3600, start + 48.5 * 3600]
    assert REMOVED_FEEDS_SWEEP_EVERY == DAY


def test_a_failed_sweep_does_not_stop_the_runner(
    feeds: FakeFeeds, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(config: Config, store: Store, *, now: float) -> list[str]:
        raise OSError("disk full")

    monkeypatch.setattr(runner, "forget_removed_feeds", broken)
    made = runner_at(monkeypatch, store)(T0, BOTH)
    assert made.stats.polls == 2 and made.stats.items == 4


# --- through the poller -------------------------------------------------------------------
class TickingStop(threading.Event):
    """A stop event whose ``wait`` moves a fake clock by ``step`` and stops after ``ticks``."""

    def __init__(self, clock: list[float], step: float, ticks: int) -> None:
        super().__init__()
        self.clock, self.step, self.ticks = clock, step, ticks

    def wait(self, timeout: float | None = None) -> bool:
        self.clock[0] += self.step
        self.ticks -= 1
        if self.ticks <= 0:
            self.set()
        return self.is_set()


def test_the_poller_sweeps_at_its_first_tick_then_once_a_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workers import schedule

    clock = [T0.timestamp()]
    swept: list[float] = []

    def spy(config: Config, store: Store, *, now: float) -> list[str]:
        swept.append(now)
        return []

    class FakeTime:
        @staticmethod
        def time() -> float:
            return clock[0]

        monotonic = time

    nothing: Callable[..., Any] = lambda *a, **k: []  # noqa: E731
    monkeypatch.setattr(schedule, "time", FakeTime)
    monkeypatch.setattr(schedule, "forget_removed_feeds", spy)
    monkeypatch.setattr(schedule, "poll_due_feeds", nothing)
    monkeypatch.setattr(schedule, "queue_due_digests", nothing)
    monkeypatch.setattr(schedule, "requeue_stale_pending", nothing)
    monkeypatch.setattr(schedule, "requeue_stale_queued", lambda *a, **k: ([], []))
    monkeypatch.setattr(schedule, "process_backlog", lambda: 0)
    monkeypatch.setattr(schedule, "stale_after", lambda requested=0: 600.0)
    # one tick per hour for 50 hours: swept at the start, after 24 h and after 48 h
    stop = TickingStop(clock, step=3600.0, ticks=50)
    schedule.run_poller(WIRE_ONLY, MemoryStore(), stop)
    start = T0.timestamp()
    assert swept == [start, start + 24 * 3600, start + 48 * 3600]


def test_the_poller_forgets_a_feed_removed_long_ago(
    feeds: FakeFeeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the real sweep, on the store a poller shares with its workers
    store = MemoryStore()
    pipeline.commit_poll(pipeline.poll_feed(DESK, BOTH, store, now=T0), store)
    now = (T0 + days(31)).timestamp()
    assert pipeline.forget_removed_feeds(BOTH, store, now=now) == []  # still configured
    assert pipeline.forget_removed_feeds(WIRE_ONLY, store, now=now) == ["desk"]
    assert store.feed_activity() == {}
