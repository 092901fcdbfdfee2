"""A delivery retry due later than one countdown may wait (a quarter of the visibility
timeout, kombu#337) is not cut short: it waits in hops, and the poller's sweep of pending
deliveries leaves it alone until it is due (``LedgerEntry.due``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from monitor.alerts.deliver import deliver_each
from monitor.config.schema import Config, Settings
from monitor.errors import TransientDeliveryError
from monitor.state.memory import MemoryStore
from tests.unit.test_alerts import NOW, FakeChannel, new_alert


@dataclass
class FakeDeliver:
    queued: list[tuple[tuple[Any, ...], float]] = field(default_factory=list)

    def apply_async(self, args: tuple[Any, ...], countdown: float = 0.0) -> None:
        self.queued.append((args, countdown))


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, FakeDeliver]:
    from workers import app, tasks

    monkeypatch.setattr(app.process, "visibility_timeout", 90.0)  # countdowns of 22.5 s at most
    # Running a task's body makes Celery read its settings once: give it a broker it never
    # reaches (every send is faked), not the repo's config, which has none.
    config = Config(settings=Settings(broker_url="redis://127.0.0.1:9/0"))
    monkeypatch.setattr(app.process, "reloader", SimpleNamespace(config=config, check=lambda: None))
    body = tasks.deliver
    fake = FakeDeliver()
    monkeypatch.setattr(tasks, "deliver", fake)
    return body, fake


def test_a_long_wait_goes_in_hops_of_one_countdown(hops: tuple[Any, FakeDeliver]) -> None:
    from workers.tasks import _queue_retry, max_countdown

    body, fake = hops
    due = time.time() + 300  # a Retry-After of 5 minutes
    _queue_retry({"id": "a"}, "hook", 2, due)
    ((args, countdown),) = fake.queued
    assert args == ({"id": "a"}, "hook", 2, due) and countdown == max_countdown() == 22.5
    # the hop runs before it is due: it only queues the next hop, sending nothing
    assert body.run({"id": "a"}, "hook", 2, due) == "waiting"
    assert len(fake.queued) == 2 and fake.queued[1][0][3] == due
    # a short wait is one plain countdown, as before
    fake.queued.clear()
    _queue_retry({"id": "a"}, "hook", 2, time.time() + 5)
    ((args, countdown),) = fake.queued
    assert len(args) == 3 and 4 < countdown <= 5


def test_the_sweep_leaves_a_pending_retry_alone_until_it_is_due(
    hops: tuple[Any, FakeDeliver],
) -> None:
    from workers.schedule import requeue_stale_pending

    _, fake = hops
    store, alert = MemoryStore(), new_alert()
    failing = FakeChannel(fail=TransientDeliveryError("HTTP 429", retry_after=600))
    result = deliver_each([alert], failing, store, now=NOW)[0]
    assert result.status == "retry" and result.retry_after == 600
    (entry,) = store.list_deliveries("pending")
    assert entry.due == NOW + 600
    assert requeue_stale_pending(store, now=NOW + 300, older_than=90) == 0
    assert requeue_stale_pending(store, now=NOW + 600 + 91, older_than=90) == 1
    assert fake.queued[0][0][1:] == ("hook", 2)
