"""A poll's alerts go out a channel at a time (``deliver_alerts``, ``deliver_each``):
the ledger is read and written once per channel, and the file channel writes them in
one write with one fsync. Each alert still goes out once, is recorded sent only after
the send, and a failed send is each alert's failure."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.channels import Channel
from monitor.alerts.channels.file import FileChannelSender
from monitor.alerts.deliver import deliver_each
from monitor.config.schema import Config
from monitor.model import Alert
from monitor.pipeline import deliver_alerts
from monitor.state.base import LedgerEntry
from monitor.state.memory import MemoryStore
from tests.unit.test_digest import make_alert
from tests.unit.test_removed_channels import Sink

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class LedgerCounts(MemoryStore):
    """Counts the ledger's reads and writes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def get_delivery(self, alert_id: str, channel: str) -> LedgerEntry | None:
        self._count("get_delivery")
        return super().get_delivery(alert_id, channel)

    def get_deliveries(self, keys: list[tuple[str, str]]) -> list[LedgerEntry | None]:
        self._count("get_deliveries")
        return super().get_deliveries(keys)

    def put_delivery(self, entry: LedgerEntry) -> None:
        self._count("put_delivery")
        super().put_delivery(entry)

    def put_deliveries(self, entries: list[LedgerEntry]) -> None:
        self._count("put_deliveries")
        super().put_deliveries(entries)


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The descriptors fsynced, in order (each still fsynced for real)."""
    done: list[int] = []
    real = os.fsync

    def counted(fd: int) -> None:
        done.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counted)
    return done


def lines(path: Path) -> list[str]:
    return [
        json.loads(line)["alert"]["id"] for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_a_polls_alerts_go_in_one_write_and_one_fsync(tmp_path: Path, fsyncs: list[int]) -> None:
    path = tmp_path / "alerts.jsonl"
    store = LedgerCounts()
    alerts = [make_alert(n) for n in (1, 2, 3)]
    results = deliver_each(alerts, FileChannelSender("archive", path), store, now=100.0)
    assert [(r.alert_id, r.status) for r in results] == [(a.id, "sent") for a in alerts]
    assert lines(path) == [alert.id for alert in alerts]
    assert len(fsyncs) == 1
    assert store.calls == {"get_deliveries": 1, "put_deliveries": 1}
    for alert in alerts:
        entry = store.get_delivery(alert.id, "archive")
        assert entry is not None and entry.status == "sent" and entry.attempts == 1
        assert json.loads(entry.payload)["id"] == alert.id


def test_sent_alerts_and_copies_are_not_written_again(tmp_path: Path, fsyncs: list[int]) -> None:
    path = tmp_path / "alerts.jsonl"
    channel = FileChannelSender("archive", path)
    store = MemoryStore()
    first, second = make_alert(1), make_alert(2)
    deliver_each([first], channel, store, now=100.0)
    results = deliver_each([first, second, second], channel, store, now=101.0)
    assert [(r.alert_id, r.detail) for r in results] == [
        (first.id, "already sent"),
        (second.id, "sent"),
        (second.id, "sent"),
    ]
    assert lines(path) == [first.id, second.id]
    assert len(fsyncs) == 2


def test_a_failed_write_is_each_alerts_failure(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the channel's folder should be")
    channel = FileChannelSender("archive", blocked / "alerts.jsonl")
    store = MemoryStore()
    alerts = [make_alert(n) for n in (1, 2)]
    results = deliver_each(alerts, channel, store, now=100.0, attempt=1, max_attempts=3)
    assert [r.status for r in results] == ["retry", "retry"]
    assert all(r.retry_after is not None and r.retry_after > 0 for r in results)
    for alert, result in zip(alerts, results, strict=True):
        entry = store.get_delivery(alert.id, "archive")
        assert entry is not None and entry.status == "pending"
        assert entry.due == pytest.approx(100.0 + (result.retry_after or 0.0))
        assert "could not append" in entry.detail


def test_a_channel_without_batches_gets_each_alert_alone() -> None:
    store = LedgerCounts()
    recorded_before: list[list[str]] = []

    class Recording(Sink):
        """A channel that notes, at each send, which alerts the ledger says were sent."""

        def send(self, alert: Alert) -> None:
            entries = [store.get_delivery(a.id, "desk") for a in alerts]
            recorded_before.append([e.alert_id for e in entries if e and e.status == "sent"])
            super().send(alert)

    sink = Recording("desk")
    alerts = [make_alert(n) for n in (1, 2, 3)]
    results = deliver_each(alerts, sink, store, now=100.0)
    assert sink.sent == [alert.id for alert in alerts]
    assert [r.status for r in results] == ["sent"] * 3
    # each send recorded before the next goes: a process stopped between two sends
    # sends again only the one it had not recorded
    assert recorded_before == [[], [alerts[0].id], [alerts[0].id, alerts[1].id]]
    assert store.calls["get_deliveries"] == 1 and store.calls["put_delivery"] == 3


def config_of(channels: dict[str, Any]) -> Config:
    return Config.model_validate(
        {
            "topics": {"NATO": ["NATO"]},
            "watchlists": {"russia-nato": {"topics": ["NATO"], "channels": list(channels)}},
            "channels": channels,
        }
    )


def test_deliver_alerts_goes_a_channel_at_a_time(tmp_path: Path, fsyncs: list[int]) -> None:
    path = tmp_path / "alerts.jsonl"
    config = config_of(
        {"desk": {"type": "console"}, "archive": {"type": "file", "path": str(path)}}
    )
    desk = Sink("desk")
    channels: dict[str, Channel] = {"desk": desk, "archive": FileChannelSender("archive", path)}
    alerts: list[Alert] = [make_alert(n) for n in (1, 2, 3)]  # each names desk, archive
    results = deliver_alerts(alerts, channels, MemoryStore(), config, now=NOW)
    assert [(r.channel, r.alert_id) for r in results] == [
        *(("desk", a.id) for a in alerts),
        *(("archive", a.id) for a in alerts),
    ]
    assert desk.sent == lines(path) == [alert.id for alert in alerts]
    assert len(fsyncs) == 1
