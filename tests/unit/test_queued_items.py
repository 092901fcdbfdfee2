"""Queued items: the record that makes an item whose ``process_item`` message the broker
lost recoverable (distributed runner), on an in-memory store and an injected clock.

The poll task records each item it queues before marking it seen; ``process_item``
removes the record once the item's deliveries are recorded; the poller's sweep queues
again the records older than the staleness bound and gives up on an item after
``max_requeues`` (dead list + an error log line). Processing an item a second time
records nothing new, so a sweep that queues an item that was only slow doubles nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from structlog.testing import capture_logs

from monitor.config.loader import load_config
from monitor.config.schema import Config, Settings
from monitor.match.engine import build_matcher
from monitor.model import WireItem
from monitor.pipeline import (
    Runtime,
    build_channels,
    finish_queued,
    forget_dead_queued,
    poll_feed,
    process_item,
    queued_key,
    record_queued,
    utcnow,
)
from monitor.state.base import CLAIM_RELEASED, QueuedItem, Store
from monitor.state.memory import MemoryStore
from tests.helpers import SEED_AR, SEEDS, example_config

T0 = 1_700_000_000.0


def item(n: int, feed: str = "desk") -> WireItem:
    return WireItem(
        id=f"item-{n}",
        title=f"Title {n}",
        body="Body",
        source=f"/inbox/{n}.txt",
        feed_id=feed,
        tags=("a", "b"),
    )


@dataclass
class FakeTask:
    """Stands in for a Celery task: records what ``apply_async`` would have sent."""

    sent: list[tuple[Any, ...]] = field(default_factory=list)

    def apply_async(self, args: tuple[Any, ...], **_: object) -> None:
        self.sent.append(args)

    def items(self) -> list[Any]:
        """The entries of every batch sent, in order: ``process_queued``'s record keys."""
        return [data for (batch,) in self.sent for data in batch]


@pytest.fixture
def fake_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeTask]]:
    from workers import tasks

    fakes = {"process_queued": FakeTask(), "deliver": FakeTask()}
    for name, fake in fakes.items():
        monkeypatch.setattr(tasks, name, fake)
    yield fakes


# --- the record ---------------------------------------------------------------------------
def test_record_queued_holds_the_item_and_finish_removes_it() -> None:
    store = MemoryStore()
    items = [item(1), item(2, feed="other")]
    record_queued(items, store, now=T0)
    records = store.list_queued()
    assert [(q.feed_id, q.item_id, q.queued_at, q.requeues) for q in records] == [
        ("desk", "item-1", T0, 0),
        ("other", "item-2", T0, 0),
    ]
    assert [WireItem.from_dict(json.loads(q.payload)) for q in records] == items
    finish_queued(items[0], store)
    assert [q.item_id for q in store.list_queued()] == ["item-2"]


def test_a_record_holds_the_items_characters_as_they_are() -> None:
    store = MemoryStore()
    text = WireItem(id="خبر-1", title="Песков", body="الناتو", source="s", feed_id="desk")
    record_queued([text], store, now=T0)
    (record,) = store.list_queued()
    assert "Песков" in record.payload and "الناتو" in record.payload
    assert "\\u" not in record.payload  # not escaped: half the size in Redis
    assert WireItem.from_dict(json.loads(record.payload)) == text


def test_an_item_with_a_lone_surrogate_is_recorded() -> None:
    store = MemoryStore()
    odd = WireItem(id="x\udcff", title="t\udcff", body="", source="s", feed_id="desk")
    record_queued([odd], store, now=T0)
    (record,) = store.list_queued()
    assert record.payload.isascii()
    assert WireItem.from_dict(json.loads(record.payload)) == odd


# --- the sweep, on an injected clock ----------------------------------------------------
def test_sweep_requeues_only_stale_records(fake_tasks: dict[str, FakeTask]) -> None:
    from workers.schedule import requeue_stale_queued

    store = MemoryStore()
    record_queued([item(1)], store, now=T0)
    record_queued([item(2)], store, now=T0 + 50)
    assert requeue_stale_queued(store, now=T0 + 60, older_than=60) == ([], [])
    assert fake_tasks["process_queued"].sent == []

    with capture_logs() as logs:
        requeued, dead = requeue_stale_queued(store, now=T0 + 61, older_than=60)
    assert [(q.item_id, q.requeues, q.queued_at) for q in requeued] == [("item-1", 1, T0 + 61)]
    assert dead == []
    # the task gets the key of the item's record, which holds the item as the poll read it
    assert fake_tasks["process_queued"].sent == [([["desk", "item-1"]],)]
    assert [(e["event"], e["feed"], e["item"]) for e in logs] == [
        ("queued_item_requeued", "desk", "item-1")
    ]
    # queued again just now: not stale again until another older_than has passed
    fake_tasks["process_queued"].sent.clear()
    requeued, _ = requeue_stale_queued(store, now=T0 + 111, older_than=60)
    assert [q.item_id for q in requeued] == ["item-2"]
    assert fake_tasks["process_queued"].sent == [([["desk", "item-2"]],)]


def test_a_processed_item_is_never_requeued(fake_tasks: dict[str, FakeTask]) -> None:
    from workers.schedule import requeue_stale_queued

    store = MemoryStore()
    record_queued([item(1), item(2)], store, now=T0)
    finish_queued(item(1), store)
    requeued, _ = requeue_stale_queued(store, now=T0 + 1000, older_than=60)
    assert [q.item_id for q in requeued] == ["item-2"]
    assert fake_tasks["process_queued"].sent == [([["desk", "item-2"]],)]


def test_an_item_that_keeps_failing_ends_in_the_dead_list(
    fake_tasks: dict[str, FakeTask],
) -> None:
    from workers.schedule import requeue_stale_queued

    store = MemoryStore()
    record_queued([item(1)], store, now=T0)
    now = T0
    for n in range(1, 4):  # never processed: queued again max_requeues times
        now += 100
        requeued, dead = requeue_stale_queued(store, now=now, older_than=60, max_requeues=3)
        assert ([q.requeues for q in requeued], dead) == ([n], [])
    now += 100
    with capture_logs() as logs:
        requeued, dead = requeue_stale_queued(store, now=now, older_than=60, max_requeues=3)
    assert requeued == []
    assert [(q.feed_id, q.item_id, q.requeues, q.dead) for q in dead] == [
        ("desk", "item-1", 3, True)
    ]
    assert [(e["event"], e["log_level"], e["feed"], e["item"]) for e in logs] == [
        ("queued_item_dead", "error", "desk", "item-1")
    ]
    assert len(fake_tasks["process_queued"].items()) == 3  # not a fourth time
    assert store.list_queued() == []
    assert store.list_queued(dead=True) == dead
    # and it stays there: later sweeps neither queue it nor log it again
    assert requeue_stale_queued(store, now=now + 10_000, older_than=60) == ([], [])


def test_no_requeue_while_the_process_queue_has_a_backlog(
    fake_tasks: dict[str, FakeTask],
) -> None:
    from workers.schedule import requeue_stale_queued

    store = MemoryStore()
    record_queued([item(1)], store, now=T0)
    assert requeue_stale_queued(store, now=T0 + 1000, older_than=60, backlog=5) == ([], [])
    assert fake_tasks["process_queued"].sent == []
    assert [q.requeues for q in store.list_queued()] == [0]  # untouched, not counted
    requeued, _ = requeue_stale_queued(store, now=T0 + 1000, older_than=60, backlog=0)
    assert [q.item_id for q in requeued] == ["item-1"]


def test_a_sweep_takes_every_stale_record_batch_after_batch(
    fake_tasks: dict[str, FakeTask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import schedule

    monkeypatch.setattr(schedule, "QUEUED_SWEEP_BATCH", 3)
    store = MemoryStore()
    record_queued([item(n) for n in range(7)], store, now=T0)
    requeued, _ = schedule.requeue_stale_queued(store, now=T0 + 100, older_than=60)
    assert sorted(q.item_id for q in requeued) == [f"item-{n}" for n in range(7)]
    assert len(fake_tasks["process_queued"].items()) == 7


def test_the_staleness_bound_stays_above_the_longest_retry_countdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workers import app, schedule
    from workers.tasks import max_countdown

    monkeypatch.setattr(app.process, "visibility_timeout", None)  # restored after the test
    app.set_visibility_timeout(400)
    assert max_countdown() == 100
    assert schedule.stale_after(5) == 100 + 2 * schedule.TICK
    assert schedule.stale_after(500) == 500


# --- processing an item twice doubles nothing --------------------------------------------
def _runtime(tmp_path: Path, seeds: list[Path]) -> Runtime:
    config = load_config(example_config(tmp_path, seeds=seeds), env={})
    return Runtime(config, MemoryStore(), build_matcher(config), build_channels(config))


def test_processing_an_item_twice_records_nothing_new(tmp_path: Path) -> None:
    rt = _runtime(tmp_path, [SEED_AR])
    feed = rt.config.feeds[0]
    (polled,) = poll_feed(feed, rt.config, rt.store, now=utcnow()).items
    first = process_item(polled, rt.matcher, rt.store, rt.config, now=utcnow())
    assert len(first) == 1
    ledger = rt.store.list_deliveries()
    assert {e.channel for e in ledger} == set(first[0].channels)
    assert {e.status for e in ledger} == {"pending"}

    # the sweep queues it again (its first message was only slow, or lost after deciding)
    again = process_item(polled, rt.matcher, rt.store, rt.config, now=utcnow())
    assert [a.id for a in again] == [first[0].id]  # the same alert: same webhook-id
    assert rt.store.list_deliveries() == ledger  # nothing new, nothing changed

    # once delivered, a third processing sends nothing again
    from monitor.pipeline import deliver_alerts

    results = deliver_alerts([first[0]], rt.channels, rt.store, rt.config, now=utcnow())
    assert {r.status for r in results} == {"sent"}
    archive = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    third = process_item(polled, rt.matcher, rt.store, rt.config, now=utcnow())
    results = deliver_alerts([third[0]], rt.channels, rt.store, rt.config, now=utcnow())
    assert {r.detail for r in results} == {"already sent"}
    assert (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines() == archive
    assert len(archive) == 1


# --- the tasks: record before marking seen, remove only once processed -------------------
@pytest.fixture
def task_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    from workers import app

    rt = _runtime(tmp_path, [SEED_AR, SEEDS / "zakharova-nato-expansion.ru.txt"])
    monkeypatch.setattr(app.process, "runtime", rt)
    # Running a task's body makes Celery read its settings once, from this process's
    # config (app.config_reloader): give it a broker it never reaches (every .delay is
    # faked), not the repo's config, which has none. check(): no change, ever.
    settings = rt.config.settings.model_copy(update={"broker_url": "redis://127.0.0.1:9/0"})
    stub = SimpleNamespace(
        config=rt.config.model_copy(update={"settings": settings}), check=lambda: None
    )
    monkeypatch.setattr(app.process, "reloader", stub)
    yield rt


def test_the_poll_task_records_items_before_it_marks_them_seen(
    task_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import tasks

    poll_task, process_task = tasks.poll_feed, tasks.process_queued
    fake_tasks = {"process_queued": FakeTask(), "deliver": FakeTask()}
    for name, fake in fake_tasks.items():
        monkeypatch.setattr(tasks, name, fake)
    store = task_runtime.store
    feed_id = task_runtime.config.feeds[0].id
    order: list[str] = []
    real_mark_seen = store.mark_seen

    def mark_seen(feed: str, ids: list[str], now: float | None = None) -> None:
        order.append(f"mark_seen {len(store.list_queued())} recorded")
        real_mark_seen(feed, ids, now)

    monkeypatch.setattr(store, "mark_seen", mark_seen)
    # .run: the task's body, without the Celery app (it would need a broker to configure)
    assert poll_task.run(feed_id) == 2
    assert order == ["mark_seen 2 recorded"]
    queued = fake_tasks["process_queued"].items()
    assert sorted([q.feed_id, q.item_id] for q in store.list_queued()) == sorted(queued)

    # a processed item leaves the record; one whose processing raised stays for the sweep
    assert process_task.run([queued[0]]) >= 0
    task_runtime.matcher = _Boom()  # type: ignore[assignment]
    with capture_logs() as logs:
        assert process_task.run([queued[1]]) == 0
    assert [e["item"] for e in logs if e["event"] == "item_failed"] == [queued[1][1]]
    left: list[QueuedItem] = store.list_queued()
    assert [q.item_id for q in left] == [queued[1][1]]
    # a message delivered again after its item was processed: nothing to do
    with capture_logs() as logs:
        assert process_task.run([queued[0]]) == 0
    assert [(e["event"], e["items"]) for e in logs] == [("items_done_already", 1)]


def test_a_poll_for_a_feed_not_in_the_workers_config_is_skipped(task_runtime: Runtime) -> None:
    from workers import tasks

    # queued by a poller whose config has the feed (added by a reload this worker has not
    # seen yet, or removed by one the poller has not): one warning, no traceback
    with capture_logs() as logs:
        assert tasks.poll_feed.run("not-here") == 0
    assert [(e["event"], e.get("feed"), e.get("reason")) for e in logs] == [
        ("poll_skipped", "not-here", "no such feed in this worker's config")
    ]
    assert task_runtime.store.list_queued() == []


class _Boom:
    def match(self, item: WireItem) -> list[Any]:
        raise RuntimeError("a matcher bug")


# --- the dead list: shown to a human, forgotten after the retention ------------------------
def test_dead_records_are_forgotten_once_dead_for_the_seen_retention(
    local_store: Store,
) -> None:
    config = Config(settings=Settings(seen_retention="30d"))
    month = 30 * 86400.0
    old = QueuedItem("desk", "old", "{}", T0, requeues=3, dead=True)
    young = QueuedItem("desk", "young", "{}", T0 + 1, requeues=3, dead=True)
    in_flight = QueuedItem("desk", "slow", "{}", T0 - month)  # older still, but not dead
    local_store.put_queued([old, young, in_flight])
    with capture_logs() as logs:
        assert forget_dead_queued(config, local_store, now=T0 + month) == 0  # not yet
        assert forget_dead_queued(config, local_store, now=T0 + month + 0.5) == 1
    assert local_store.list_queued(dead=True) == [young]
    assert local_store.list_queued() == [in_flight]
    assert [(e["event"], e["items"]) for e in logs] == [("dead_queued_forgotten", 1)]


# --- process_items: a batch whose items succeed or fail on their own -----------------------
class _BoomOn:
    """The real matcher, except that it raises on one item (a poisoned item)."""

    def __init__(self, matcher: Any, poisoned: str, error: Exception) -> None:
        self.matcher, self.poisoned, self.error = matcher, poisoned, error

    def match(self, item: WireItem) -> list[Any]:
        if item.id == self.poisoned:
            raise self.error
        return list(self.matcher.match(item))


def test_one_failing_item_does_not_fail_its_batch(
    task_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import tasks

    process_task = tasks.process_queued
    fake_tasks = {"process_queued": FakeTask(), "deliver": FakeTask()}
    for name, fake in fake_tasks.items():
        monkeypatch.setattr(tasks, name, fake)
    store = task_runtime.store
    assert tasks.poll_feeds.run([task_runtime.config.feeds[0].id]) == 2
    # the poll's two items went out as one batch, not one message each
    (batch,) = [args[0] for args in fake_tasks["process_queued"].sent]
    assert len(batch) == 2
    task_runtime.matcher = _BoomOn(task_runtime.matcher, batch[0][1], RuntimeError("bug"))  # type: ignore[assignment]
    with capture_logs() as logs:
        assert process_task.run(batch) == 1  # the other item's alert
    assert [(e["event"], e["item"]) for e in logs if e["event"] == "item_failed"] == [
        ("item_failed", batch[0][1])
    ]
    # the failed item keeps its record for the poller's sweep; the other one is done
    assert [q.item_id for q in store.list_queued()] == [batch[0][1]]
    assert len(fake_tasks["deliver"].sent) >= 1


def test_a_store_fault_retries_only_the_items_it_stopped(
    task_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    from workers import tasks

    process_task = tasks.process_queued
    fake_tasks = {"process_queued": FakeTask(), "deliver": FakeTask()}
    for name, fake in fake_tasks.items():
        monkeypatch.setattr(tasks, name, fake)
    assert tasks.poll_feeds.run([task_runtime.config.feeds[0].id]) == 2
    (batch,) = [args[0] for args in fake_tasks["process_queued"].sent]
    task_runtime.matcher = _BoomOn(  # type: ignore[assignment]
        task_runtime.matcher, batch[1][1], RedisConnectionError("Redis went away")
    )
    retried: list[dict[str, Any]] = []

    class Retry(Exception):
        pass

    def retry(*, args: tuple[Any, ...], exc: Exception, countdown: float) -> Exception:
        retried.append({"args": args, "countdown": countdown})
        return Retry()

    monkeypatch.setattr(process_task, "retry", retry)
    with pytest.raises(Retry):
        process_task.run(batch)
    assert [r["args"] for r in retried] == [([batch[1]],)]  # its key, as it came
    assert [q.item_id for q in task_runtime.store.list_queued()] == [batch[1][1]]


def test_a_batch_cut_by_the_time_limit_queues_the_rest_again(
    task_runtime: Runtime, fake_tasks: dict[str, FakeTask]
) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    from workers import tasks

    store = task_runtime.store
    batch = [item(n) for n in (1, 2, 3)]
    record_queued(batch, store, now=T0)
    task_runtime.matcher = _BoomOn(  # type: ignore[assignment]
        task_runtime.matcher, "item-2", SoftTimeLimitExceeded()
    )
    real = tasks.app.tasks["monitor.process_queued"]  # tasks.process_queued is faked
    with capture_logs() as logs:
        real.run([list(queued_key(i)) for i in batch])
    assert [(e["event"], e["items"]) for e in logs if e["event"] == "batch_cut"] == [
        ("batch_cut", 2)
    ]
    # the rest goes again by the keys of its records, which stay until it is done
    assert fake_tasks["process_queued"].sent == [([["desk", "item-2"], ["desk", "item-3"]],)]
    assert [q.item_id for q in store.list_queued()] == ["item-2", "item-3"]


def test_a_store_fault_reading_the_records_retries_the_message(
    task_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    from workers import tasks

    record_queued([item(1)], task_runtime.store, now=T0)

    def away(keys: list[tuple[str, str]]) -> list[str | None]:
        raise RedisConnectionError("Redis went away")

    monkeypatch.setattr(task_runtime.store, "queued_payloads", away)
    retried: list[Exception] = []

    class Retry(Exception):
        pass

    def retry(*, exc: Exception, countdown: float) -> Exception:
        retried.append(exc)
        return Retry()

    monkeypatch.setattr(tasks.process_queued, "retry", retry)
    with pytest.raises(Retry):
        tasks.process_queued.run([["desk", "item-1"]])
    assert [str(e) for e in retried] == ["Redis went away"]
    assert [q.item_id for q in task_runtime.store.list_queued()] == ["item-1"]


def test_a_message_of_an_older_version_carrying_its_items_still_runs(
    task_runtime: Runtime, fake_tasks: dict[str, FakeTask]
) -> None:
    from workers import tasks

    feed_id = task_runtime.config.feeds[0].id
    seed = [item(n, feed=feed_id) for n in (1, 2)]
    record_queued(seed, task_runtime.store, now=T0)
    assert tasks.process_items.run([i.to_dict() for i in seed]) == 0
    assert task_runtime.store.list_queued() == []


# --- process_items: the batch's writes go together, its deliveries after them ------------
@dataclass
class RedisTasks:
    """The real ``process_queued`` on a RedisStore, the tasks it queues faked."""

    store: Any
    process: Any  # the real task
    queued: FakeTask  # process_queued messages sent
    deliver: FakeTask


@pytest.fixture
def redis_tasks(
    task_runtime: Runtime, redis_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RedisTasks]:
    from monitor.state.redis import RedisStore
    from workers import tasks

    store = RedisStore(redis_db_url)
    task_runtime.store = store
    fixture = RedisTasks(store, tasks.process_queued, FakeTask(), FakeTask())
    monkeypatch.setattr(tasks, "process_queued", fixture.queued)
    monkeypatch.setattr(tasks, "deliver", fixture.deliver)
    yield fixture
    store.close()


def _exec_count(url: str) -> int:
    import redis

    stats = redis.Redis.from_url(url).info("commandstats")
    return int(stats.get("cmdstat_exec", {}).get("calls", 0))


def test_a_batch_of_quiet_items_is_one_write(redis_tasks: RedisTasks, redis_db_url: str) -> None:
    store = redis_tasks.store
    quiet = [item(n) for n in range(20)]  # nothing in them matches
    record_queued(quiet, store, now=T0)
    before = _exec_count(redis_db_url)
    assert redis_tasks.process.run([list(queued_key(i)) for i in quiet]) == 0
    # one MULTI/EXEC for the twenty records removed, not one per item
    assert _exec_count(redis_db_url) - before == 1
    assert store.list_queued() == []


def test_a_delivery_is_queued_once_its_ledger_entry_is_written(
    redis_tasks: RedisTasks,
    task_runtime: Runtime,
    redis_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from monitor.state.redis import RedisStore
    from workers import tasks

    assert tasks.poll_feeds.run([task_runtime.config.feeds[0].id]) == 2
    (batch,) = [args[0] for args in redis_tasks.queued.sent]
    other = RedisStore(redis_db_url)  # another process's view
    seen_when_queued: list[Any] = []

    class Deliver:
        def apply_async(self, args: tuple[Any, ...], **_: object) -> None:
            alert, channel, _attempt = args
            seen_when_queued.append(other.get_delivery(alert["id"], channel))

    monkeypatch.setattr(tasks, "deliver", Deliver())
    assert redis_tasks.process.run(batch) == 2
    assert len(seen_when_queued) >= 2
    assert all(entry is not None and entry.status == "pending" for entry in seen_when_queued)
    assert other.list_queued() == []
    other.close()


def test_a_store_fault_at_the_batch_end_retries_the_whole_batch(
    redis_tasks: RedisTasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    store = redis_tasks.store
    quiet = [item(n) for n in range(3)]
    record_queued(quiet, store, now=T0)
    real_flush = store._flush

    def flush() -> None:
        if store._pending():
            raise RedisConnectionError("Redis went away")

    monkeypatch.setattr(store, "_flush", flush)
    retried: list[tuple[Any, ...]] = []

    class Retry(Exception):
        pass

    def retry(*, args: tuple[Any, ...], exc: Exception, countdown: float) -> Exception:
        retried.append(args)
        return Retry()

    monkeypatch.setattr(redis_tasks.process, "retry", retry)
    with pytest.raises(Retry):
        redis_tasks.process.run([list(queued_key(i)) for i in quiet])
    # nothing was written, so every item is redone; its records stay meanwhile
    assert retried == [([list(queued_key(i)) for i in quiet],)]
    monkeypatch.setattr(store, "_flush", real_flush)
    assert [q.item_id for q in store.list_queued()] == [i.id for i in quiet]
    assert redis_tasks.deliver.sent == []


# --- polls of one feed do not run side by side ------------------------------------------------
def test_a_poll_of_a_feed_another_poll_holds_is_skipped(
    task_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polls that waited in the queue (``poll_expiry``) may reach two workers at once:
    the second finds the first's lease and queues nothing; once the first is done the
    lease is free and a poll finds the items seen."""
    from workers import tasks

    fake_tasks = {"process_queued": FakeTask(), "deliver": FakeTask()}
    for name, fake in fake_tasks.items():
        monkeypatch.setattr(tasks, name, fake)
    store = task_runtime.store
    feed_id = task_runtime.config.feeds[0].id
    lease = tasks.poll_lease_key(feed_id)
    assert store.claim_feed(lease, 60.0)  # another worker's poll, under way
    with capture_logs() as logs:
        assert tasks.poll_feeds.run([feed_id]) == 0
    assert fake_tasks["process_queued"].sent == []
    assert store.seen_filter(feed_id, ["anything"]) == ["anything"]
    assert [e["reason"] for e in logs if e["event"] == "poll_skipped"] == [
        "another poll of it is under way"
    ]

    store.hold_claim(lease, CLAIM_RELEASED)  # that poll ended without news
    assert tasks.poll_feeds.run([feed_id]) == 2
    assert store.claim_feed(lease, 60.0)  # released when the poll ended
    store.hold_claim(lease, CLAIM_RELEASED)
    assert tasks.poll_feeds.run([feed_id]) == 0  # its items are seen now
    assert len(fake_tasks["process_queued"].sent) == 1
