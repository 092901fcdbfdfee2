"""Adaptive polling (docs/config.md): the pure rules of ``sources.cadence``, then both runners on
an injected clock. A quiet feed is polled less and less often up to the ceiling, a new item
brings it back to ``every``, a server's max-age or Retry-After is believed up to the
ceiling, the interval outlives the runner in the feed state, and in the distributed mode
the claim every poller must take lasts the adapted interval."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from monitor import pipeline, runner
from monitor.config.schema import Config, FeedConfig, Settings
from monitor.errors import TransientFetchError
from monitor.match.engine import build_matcher
from monitor.pipeline import Runtime
from monitor.runner import EmbeddedRunner
from monitor.sources import cadence
from monitor.sources.cadence import (
    CEILING,
    INTERVAL_KEY,
    ceiling,
    current_interval,
    fresh_for,
    next_interval,
    retry_delay,
)
from monitor.sources.fetch import FetchResult
from monitor.state.base import Store
from monitor.state.memory import MemoryStore
from tests.unit.test_removed_feeds import rss

T0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
EVERY = 60.0
WIRE = FeedConfig(id="wire", url="https://example.org/wire", every=EVERY)
DESK = FeedConfig(id="desk", path="/nonexistent", every=EVERY)


# --- the pure rules -----------------------------------------------------------------------
def test_the_ceiling_is_four_times_every_and_never_more_than_an_hour_unless_every_is() -> None:
    assert ceiling(60) == 240
    assert ceiling(300) == 1200
    assert ceiling(1800) == CEILING == 3600  # 4 x 30 min would be 2 h
    assert ceiling(3600) == 3600
    assert ceiling(7200) == 7200  # a feed polled every 2 h is not slowed further


def test_a_quiet_feed_slows_down_to_the_ceiling_and_a_new_item_resets_it() -> None:
    interval = EVERY
    seen = []
    for _ in range(6):
        interval = next_interval(EVERY, interval, new_items=False)
        seen.append(interval)
    assert seen == [90, 135, 202.5, 240, 240, 240]
    assert next_interval(EVERY, 240, new_items=True) == EVERY


def test_a_server_max_age_is_believed_up_to_the_ceiling() -> None:
    assert next_interval(EVERY, EVERY, new_items=True, fresh_for=150) == 150
    assert next_interval(EVERY, EVERY, new_items=False, fresh_for=150) == 150
    assert next_interval(EVERY, 200, new_items=False, fresh_for=150) == 240  # 300, capped
    assert next_interval(EVERY, EVERY, new_items=True, fresh_for=86400) == 240
    assert next_interval(EVERY, EVERY, new_items=True, fresh_for=10) == EVERY  # never below


def test_retry_after_is_honoured_up_to_the_ceiling_and_never_shortens_the_backoff() -> None:
    assert retry_delay(EVERY, EVERY, None) == EVERY
    assert retry_delay(EVERY, EVERY, 120) == 120
    assert retry_delay(EVERY, EVERY, 86400) == 240
    assert retry_delay(EVERY, 480, 120) == 480  # the runner's doubling is longer already
    assert retry_delay(EVERY, 480, 86400) == 480


def test_the_stored_interval_is_read_back_within_the_limits() -> None:
    assert current_interval({}, EVERY) == EVERY
    assert current_interval({INTERVAL_KEY: "135.0"}, EVERY) == 135
    assert current_interval({INTERVAL_KEY: "9000"}, EVERY) == 240  # `every` was lowered
    assert current_interval({INTERVAL_KEY: "10"}, EVERY) == EVERY  # `every` was raised
    assert current_interval({INTERVAL_KEY: "soon"}, EVERY) == EVERY
    assert current_interval({INTERVAL_KEY: "nan"}, EVERY) == EVERY


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"cache-control": "max-age=600"}, 600),
        ({"cache-control": "public, max-age=600", "age": "100"}, 500),
        ({"cache-control": "max-age=600", "age": "700"}, None),  # stale in the cache
        ({"cache-control": "no-cache, max-age=600"}, None),
        ({"cache-control": "max-age=600, no-store"}, None),
        ({"cache-control": "max-age=soon"}, None),
        ({"cache-control": "max-age=0"}, None),
        ({"cache-control": 'MAX-AGE="120"'}, 120),
    ],
)
def test_fresh_for_reads_max_age_less_age(headers: dict[str, str], expected: float | None) -> None:
    assert fresh_for(headers) == expected


# --- a feed on a fake network ------------------------------------------------------------
@dataclass
class Clock:
    now: float = T0

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def time(self) -> float:
        return self.now


@dataclass
class FakeFeed:
    """Stands in for ``fetch_feed``: the feed's current items, each fetch's time."""

    clock: Clock
    guids: list[str] = field(default_factory=lambda: ["w1", "w2"])
    headers: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None
    fetched_at: list[float] = field(default_factory=list)

    def __call__(self, url: str, **_: object) -> FetchResult:
        self.fetched_at.append(self.clock.now)
        if self.error is not None:
            raise self.error
        headers = {"content-type": "application/rss+xml", **self.headers}
        return FetchResult(url=url, status=200, content=rss(*self.guids), headers=headers)

    def gaps(self) -> list[float]:
        return [round(b - a, 1) for a, b in itertools.pairwise(self.fetched_at)]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr(runner, "utcnow", made.utcnow)
    return made


@pytest.fixture
def feed(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> FakeFeed:
    fake = FakeFeed(clock)
    monkeypatch.setattr(pipeline, "fetch_feed", fake)
    return fake


CONFIG = Config(feeds=[WIRE], settings=Settings())


# --- the embedded runner -----------------------------------------------------------------
class ClockStop(threading.Event):
    """The runner's stop event: each wait moves the clock on; set once ``until`` is reached,
    calling ``at[t]`` when the clock first passes ``t``."""

    def __init__(self, clock: Clock, until: float, at: dict[float, Any] | None = None) -> None:
        super().__init__()
        self.clock, self.until, self.at = clock, until, dict(at or {})

    def wait(self, timeout: float | None = None) -> bool:
        self.clock.now += timeout or 0.0
        for when in sorted(self.at):
            if self.clock.now >= when:
                self.at.pop(when)()
        if self.clock.now >= self.until:
            self.set()
        return self.is_set()


def run_for(store: Store, clock: Clock, seconds: float, **at: Any) -> EmbeddedRunner:
    start = clock.now
    events = {start + float(k.removeprefix("t")): v for k, v in at.items()}
    stop = ClockStop(clock, start + seconds, events)
    # a failed feed's backoff takes its whole step (no jitter), so the gaps are exact
    runtime = Runtime(CONFIG, store, build_matcher(CONFIG), {})
    made = EmbeddedRunner(runtime, stop=stop, rng=lambda: 1.0)
    made.run()
    return made


def test_an_idle_feed_is_polled_less_often_and_at_every_again_after_new_items(
    clock: Clock, feed: FakeFeed
) -> None:
    store = MemoryStore(clock=clock.time)

    def publish() -> None:
        feed.guids.append("w3")

    # the feed publishes one more item 1000 s in, then nothing again
    run_for(store, clock, 1700, t1000=publish)
    gaps = feed.gaps()
    # quiet: 60 (first poll found its items), then x1.5 each time up to 4 x every
    assert gaps[:6] == [60, 90, 135, 202.5, 240, 240], gaps
    # the poll after the publication finds w3: back to every, then slowing down again
    found = next(i for i, at in enumerate(feed.fetched_at) if at >= T0 + 1000)
    assert feed.fetched_at[found] - (T0 + 1000) <= 240
    assert gaps[found : found + 4] == [60, 90, 135, 202.5], gaps
    assert store.get_feed_state("wire")[INTERVAL_KEY] == repr(240.0)  # in the feed state


def test_the_interval_outlives_the_runner(clock: Clock, feed: FakeFeed) -> None:
    store = MemoryStore(clock=clock.time)
    run_for(store, clock, 300)  # polls at 0, 60, 150: 135 s now
    assert store.get_feed_state("wire")[INTERVAL_KEY] == repr(202.5)
    clock.now += 30
    feed.fetched_at.clear()
    run_for(store, clock, 600)  # a new run polls at once, then goes on from where it was
    assert feed.gaps()[:2] == [240, 240], feed.gaps()


def test_a_servers_max_age_spaces_the_polls(clock: Clock, feed: FakeFeed) -> None:
    feed.headers = {"cache-control": "max-age=200"}
    run_for(MemoryStore(clock=clock.time), clock, 700)
    assert feed.gaps()[:3] == [200, 240, 240], feed.gaps()


def test_a_retry_after_is_honoured_up_to_the_ceiling_errors_keep_their_backoff(
    clock: Clock, feed: FakeFeed
) -> None:
    store = MemoryStore(clock=clock.time)
    feed.error = TransientFetchError("HTTP 429", retry_after=150)
    run_for(store, clock, 700)
    # the Retry-After (150 s) over the doubling from every (60, 120, 240), capped at 240
    assert feed.gaps()[:3] == [150, 150, 240], feed.gaps()
    assert INTERVAL_KEY not in store.get_feed_state("wire")  # errors leave the interval be
    feed.fetched_at.clear()
    feed.error = TransientFetchError("HTTP 429", retry_after=86400)
    run_for(MemoryStore(clock=clock.time), clock, 700)
    assert feed.gaps()[:2] == [240, 240], feed.gaps()  # a day, believed up to 4 x every


def test_a_drop_folder_keeps_its_every(tmp_path: Path, clock: Clock) -> None:
    folder = FeedConfig(id="desk", path=str(tmp_path), every=EVERY)
    config = Config(feeds=[folder], settings=Settings())
    store = MemoryStore(clock=clock.time)
    result = pipeline.poll_feed(folder, config, store, now=clock.utcnow())
    pipeline.commit_poll(result, store)
    assert result.interval == EVERY and result.items == []
    assert INTERVAL_KEY not in store.get_feed_state("desk")


# --- the distributed poller: the claim lasts the adapted interval -------------------------
@dataclass
class FakePollTask:
    """Stands in for the ``poll_feeds`` task the poller queues."""

    queued: list[str] = field(default_factory=list)

    def apply_async(self, args: tuple[list[str]], **_: object) -> None:
        self.queued.extend(args[0])


@pytest.fixture
def distributed(
    clock: Clock, feed: FakeFeed, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Runtime, Any, FakePollTask]]:
    from workers import app, tasks

    rt = Runtime(CONFIG, MemoryStore(clock=clock.time), build_matcher(CONFIG), {})
    monkeypatch.setattr(app.process, "runtime", rt)
    # Running a task's body makes Celery read its settings once, from this process's
    # config (app.config_reloader): give it a broker it never reaches (every .delay is
    # faked), not the repo's config, which has none. check(): no change, ever.
    settings = CONFIG.settings.model_copy(update={"broker_url": "redis://127.0.0.1:9/0"})
    stub = SimpleNamespace(
        config=CONFIG.model_copy(update={"settings": settings}), check=lambda: None
    )
    monkeypatch.setattr(app.process, "reloader", stub)
    monkeypatch.setattr(pipeline, "utcnow", clock.utcnow)
    body = tasks.poll_feed  # the real task, run in process with .run
    fake = FakePollTask()
    monkeypatch.setattr(tasks, "poll_feeds", fake)
    monkeypatch.setattr(tasks, "process_queued", FakePollTask())  # its items: not looked at
    yield rt, body, fake


def test_the_pollers_claim_lasts_the_adapted_interval(
    clock: Clock, feed: FakeFeed, distributed: tuple[Runtime, Any, FakePollTask]
) -> None:
    from workers.schedule import poll_due_feeds

    rt, poll_task, queue = distributed

    def tick_until_queued(limit: float = 1000) -> float:
        """The poller's loop, one tick a second: when it queues the feed's next poll; the
        queued poll then runs at once, as a free worker would."""
        start = clock.now
        while not poll_due_feeds(CONFIG, rt.store):
            clock.now += 1.0
            assert clock.now - start < limit, "never queued"
        poll_task.run(queue.queued[-1])
        return clock.now - start

    tick_until_queued()  # the first poll: two new items, so `every` next
    gaps = [tick_until_queued() for _ in range(5)]
    assert gaps == [60, 90, 135, 203, 240]  # a tick a second: 202.5 waits for the next
    assert rt.store.get_feed_state("wire")[INTERVAL_KEY] == repr(240.0)
    feed.guids.append("w3")
    assert tick_until_queued() == 240
    assert tick_until_queued() == 60  # the new item brought it back to `every`


def test_a_retry_after_holds_the_claim_in_the_distributed_mode_too(
    clock: Clock, feed: FakeFeed, distributed: tuple[Runtime, Any, FakePollTask]
) -> None:
    from workers.schedule import poll_due_feeds

    rt, poll_task, _ = distributed
    assert poll_due_feeds(CONFIG, rt.store) == ["wire"]
    feed.error = TransientFetchError("HTTP 503", retry_after=200)
    assert poll_task.run("wire") == 0
    clock.now += 199
    assert poll_due_feeds(CONFIG, rt.store) == []
    clock.now += 1.5
    assert poll_due_feeds(CONFIG, rt.store) == ["wire"]
    # without a Retry-After, an error leaves the poller's claim: polled again at `every`
    feed.error = TransientFetchError("HTTP 503")
    assert poll_task.run("wire") == 0
    clock.now += EVERY + 0.5
    assert poll_due_feeds(CONFIG, rt.store) == ["wire"]
    assert cadence.INTERVAL_KEY not in rt.store.get_feed_state("wire")


def test_a_document_of_many_batches_requeues_its_poll_until_done(
    clock: Clock, feed: FakeFeed, distributed: tuple[Runtime, Any, FakePollTask]
) -> None:
    rt, poll_task, queue = distributed
    feed.guids = [f"g{i}" for i in range(5000)]
    counts = [poll_task.run("wire")]
    while queue.queued:  # each batch queues the feed's next poll at once
        counts.append(poll_task.run(queue.queued.pop()))
    assert counts == [2000, 2000, 1000]
    assert rt.store.get_feed_state("wire")[pipeline.ENTRY_BATCH_KEY].startswith("done ")
    # the same document again: nothing read, nothing queued
    assert poll_task.run("wire") == 0 and queue.queued == []


def test_a_big_document_that_changes_on_every_fetch_still_comes_to_an_end(
    clock: Clock, feed: FakeFeed, distributed: tuple[Runtime, Any, FakePollTask]
) -> None:
    _, poll_task, queue = distributed
    feed.guids = [f"g{i}" for i in range(5000)]
    total, polls = poll_task.run("wire"), 1
    while queue.queued:
        feed.guids.insert(0, f"new{polls}")  # a new story on top before each fetch
        total += poll_task.run(queue.queued.pop())
        polls += 1
        assert polls < 10, "the batches never end"
    assert (polls, total) == (3, 5000)  # the new ones sit before the batch offset
    # the next regular poll reads the changed document from its start: the new ones
    assert poll_task.run("wire") == 2 and queue.queued == ["wire"]
    assert poll_task.run(queue.queued.pop()) == 0 and poll_task.run(queue.queued.pop()) == 0
    assert queue.queued == []
