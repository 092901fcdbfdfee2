"""A worker's batch of items hands its alerts to a channel that sends many at once (the
file channel) in one ``deliver_batch`` task, as the embedded runner hands it a poll's
alerts: one write and one fsync, not a task, a write and an fsync per alert. Other
channels keep a ``deliver`` task per alert; each alert's retry is a ``deliver`` task of
its own; an alert sent or dead-lettered already is not sent again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.model import Alert
from monitor.pipeline import Runtime
from monitor.state.base import LedgerEntry
from tests.unit.test_deliver_each import fsyncs, lines  # noqa: F401  (a fixture)
from tests.unit.test_digest import make_alert
from tests.unit.test_queued_items import FakeTask, task_runtime  # noqa: F401  (a fixture)


def alert(n: int) -> Alert:
    """An alert for the example config's two channels: stdout (console), archive (file)."""
    return dataclasses.replace(make_alert(n), channels=("stdout", "archive"))


@pytest.fixture
def batch_task() -> Any:
    """The ``deliver_batch`` task itself (``queued`` replaces the module's name)."""
    from workers import tasks

    return tasks.deliver_batch


@pytest.fixture
def queued(batch_task: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeTask]]:
    """The delivery tasks' messages, kept instead of sent."""
    from workers import tasks

    fakes = {"deliver": FakeTask(), "deliver_batch": FakeTask()}
    for name, fake in fakes.items():
        monkeypatch.setattr(tasks, name, fake)
    yield fakes


def test_a_file_channel_gets_a_batchs_alerts_in_one_task(
    task_runtime: Runtime,  # noqa: F811
    queued: dict[str, FakeTask],
) -> None:
    from workers import tasks

    alerts = [alert(n) for n in (1, 2, 3)]
    tasks._queue_deliveries(alerts, task_runtime)
    messages = [a.to_message() for a in alerts]
    assert queued["deliver_batch"].sent == [(messages, "archive")]
    # the console sends one at a time: a task each, as before
    assert queued["deliver"].sent == [(m, "stdout", 1) for m in messages]


def test_a_lone_alert_goes_in_a_deliver_task(
    task_runtime: Runtime,  # noqa: F811
    queued: dict[str, FakeTask],
) -> None:
    from workers import tasks

    message = alert(1).to_message()
    tasks._queue_deliveries([alert(1)], task_runtime)
    assert queued["deliver_batch"].sent == []
    assert queued["deliver"].sent == [(message, "stdout", 1), (message, "archive", 1)]


def _archive(rt: Runtime) -> Path:
    return Path(rt.config.channels["archive"].path)  # type: ignore[union-attr]


def test_deliver_batch_writes_the_alerts_once_in_one_fsync(
    task_runtime: Runtime,  # noqa: F811
    batch_task: Any,
    queued: dict[str, FakeTask],
    fsyncs: list[int],  # noqa: F811
) -> None:
    alerts = [alert(n) for n in (1, 2, 3)]
    messages = [a.to_message() for a in alerts]
    assert batch_task.run(messages, "archive") == 3
    assert lines(_archive(task_runtime)) == [a.id for a in alerts]
    assert len(fsyncs) == 1
    for a in alerts:
        entry = task_runtime.store.get_delivery(a.id, "archive")
        assert entry is not None and (entry.status, entry.attempts) == ("sent", 1)
    # the message redelivered (its worker killed before the acknowledgement): the
    # ledger says sent, nothing is written again
    assert batch_task.run(messages, "archive") == 3
    assert lines(_archive(task_runtime)) == [a.id for a in alerts]
    assert len(fsyncs) == 1
    assert queued["deliver"].sent == []


def test_deliver_batch_leaves_out_an_alert_dead_lettered_already(
    task_runtime: Runtime,  # noqa: F811
    batch_task: Any,
    queued: dict[str, FakeTask],
) -> None:
    alerts = [alert(n) for n in (1, 2, 3)]
    dead = LedgerEntry(alerts[1].id, "archive", "dead", 1, "refused", 100.0, "{}")
    task_runtime.store.put_delivery(dead)
    assert batch_task.run([a.to_message() for a in alerts], "archive") == 2
    assert lines(_archive(task_runtime)) == [alerts[0].id, alerts[2].id]
    assert task_runtime.store.get_delivery(alerts[1].id, "archive") == dead


def test_a_failed_batch_write_retries_each_alert_in_a_task_of_its_own(
    task_runtime: Runtime,  # noqa: F811
    batch_task: Any,
    queued: dict[str, FakeTask],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the channel's folder should be")
    channel = task_runtime.channels["archive"]
    monkeypatch.setattr(channel, "path", blocked / "alerts.jsonl")
    retries: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def kept(args: tuple[Any, ...], **options: Any) -> None:
        retries.append((args, options))

    monkeypatch.setattr(queued["deliver"], "apply_async", kept)
    alerts = [alert(n) for n in (1, 2)]
    assert batch_task.run([a.to_message() for a in alerts], "archive") == 0
    assert [(args[0]["id"], args[1], args[2]) for args, _ in retries] == [
        (a.id, "archive", 2) for a in alerts
    ]
    assert all(options["countdown"] >= 0 for _, options in retries)
    for a in alerts:
        entry = task_runtime.store.get_delivery(a.id, "archive")
        assert entry is not None and entry.status == "pending"
