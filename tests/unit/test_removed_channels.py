"""Deliveries for a channel a reload removed, or whose ``digest:`` it removed: recorded
dead once (``monitor alerts dead`` shows them, ``alerts retry`` re-sends them), never
queued again by every sweep of the poller; and the sweep finds the alerts held for a
channel without a digest without reading every held alert each time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.alerts.deliver import ledger_payload
from monitor.config.schema import Config
from monitor.match.engine import build_matcher
from monitor.model import Alert, WireItem
from monitor.pipeline import REMOVED_CHANNEL_DETAIL, deliver_alerts, process_item, record_pending
from monitor.state.base import DeliveryStatus, LedgerEntry
from monitor.state.memory import MemoryStore
from tests.unit.test_digest import make_alert
from tests.unit.test_queued_items import FakeTask

T0 = 1_700_000_000.0
EMAIL = {
    "type": "email",
    "to": ["desk@example.org"],
    "from": "monitor@example.org",
    "smtp": "smtp://127.0.0.1:9",
}


def _config(desk: str | None) -> Config:
    """``desk``: "digest" (an email channel with ``digest: 60s``), "email" (without),
    None (removed from the config); ``archive`` is always there."""
    channels: dict[str, Any] = {"archive": {"type": "console"}}
    if desk == "digest":
        channels["desk"] = {**EMAIL, "digest": "60s"}
    elif desk == "email":
        channels["desk"] = dict(EMAIL)
    return Config.model_validate(
        {
            "topics": {"NATO": ["NATO"]},
            "watchlists": {"nato": {"topics": ["NATO"], "channels": sorted(channels)}},
            "channels": channels,
        }
    )


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _alert(store: MemoryStore, config: Config, n: int, now: float = T0) -> Alert:
    item = WireItem(id=f"i{n}", title=f"NATO story {n}", body="NATO met.", source="t")
    (alert,) = process_item(item, build_matcher(config), store, config, now=_at(now))
    return alert


class Sink:
    """A channel that keeps what it was sent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[str] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert.id)


class CountingStore(MemoryStore):
    """Counts the full reads of the held alerts (``list_deliveries("held")``)."""

    def __init__(self) -> None:
        super().__init__()
        self.held_scans = 0

    def list_deliveries(self, status: DeliveryStatus | None = None) -> list[LedgerEntry]:
        self.held_scans += status == "held"
        return super().list_deliveries(status)


@pytest.fixture
def deliver_task(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTask]:
    from workers import tasks

    fake = FakeTask()
    monkeypatch.setattr(tasks, "deliver", fake)
    yield fake


def _swept_channels(deliver_task: FakeTask) -> list[str]:
    return [args[1] for args in deliver_task.sent]


# --- item 1: dead, once --------------------------------------------------------------------
def test_a_delivery_for_a_removed_channel_is_dead_and_never_swept_again(
    deliver_task: FakeTask,
) -> None:
    from workers.schedule import requeue_stale_pending

    store, before = MemoryStore(), _config("email")
    alert = _alert(store, before, 1)
    archive = Sink("archive")
    deliver_alerts([alert], {"archive": archive}, store, before, now=_at(T0), only="archive")
    after = _config(None)  # a reload removed "desk" before its delivery ran
    archive_only = {"archive": archive}
    assert deliver_alerts([alert], archive_only, store, after, now=_at(T0 + 1), only="desk") == []
    entry = store.get_delivery(alert.id, "desk")
    assert entry is not None
    assert (entry.status, entry.detail, entry.updated) == ("dead", REMOVED_CHANNEL_DETAIL, T0 + 1)
    assert Alert.from_message(json.loads(entry.payload)) == alert  # re-sendable
    assert [e.channel for e in store.list_deliveries("dead")] == ["desk"]

    for sweep in range(3):  # it was re-queued at every sweep, forever
        requeue_stale_pending(store, now=T0 + 1000 * (sweep + 1), older_than=300, config=after)
    assert _swept_channels(deliver_task) == []

    # the channel comes back: `monitor alerts retry` sends it
    desk = Sink("desk")
    [result] = deliver_alerts([alert], {"desk": desk}, store, before, now=_at(T0 + 2), only="desk")
    assert (result.status, desk.sent) == ("sent", [alert.id])


def test_a_settled_delivery_stays_as_it_was() -> None:
    store, config = MemoryStore(), _config("email")
    alert = _alert(store, config, 1)
    desk = Sink("desk")
    deliver_alerts([alert], {"desk": desk}, store, config, now=_at(T0), only="desk")
    # a duplicate task for it runs after a reload removed the channel
    deliver_alerts([alert], {}, store, _config(None), now=_at(T0 + 5), only="desk")
    entry = store.get_delivery(alert.id, "desk")
    assert entry is not None and (entry.status, entry.updated) == ("sent", T0)


def test_alerts_held_for_a_removed_channel_end_dead_after_one_sweep(
    deliver_task: FakeTask,
) -> None:
    from workers.schedule import HeldWithoutDigest, requeue_stale_pending

    store, before = MemoryStore(), _config("digest")
    alert = _alert(store, before, 1)
    assert store.get_delivery(alert.id, "desk").status == "held"  # type: ignore[union-attr]
    after, held = _config(None), HeldWithoutDigest()
    requeue_stale_pending(store, now=T0 + 600, older_than=300, config=after, held=held)
    assert sorted(_swept_channels(deliver_task)) == ["archive", "desk"]  # archive: pending
    # the worker runs the deliver task on the new config
    [(message, channel, _)] = [args for args in deliver_task.sent if args[1] == "desk"]
    deliver_alerts([Alert.from_message(message)], {}, store, after, now=_at(T0 + 601), only=channel)
    entry = store.get_delivery(alert.id, "desk")
    assert entry is not None and (entry.status, entry.detail) == ("dead", REMOVED_CHANNEL_DETAIL)
    assert store.earliest_held(["desk"]) == {}
    deliver_task.sent.clear()
    requeue_stale_pending(store, now=T0 + 1200, older_than=300, config=after, held=held)
    assert "desk" not in _swept_channels(deliver_task)


def test_the_embedded_runner_records_them_dead_at_start(deliver_task: FakeTask) -> None:
    from monitor.pipeline import Runtime
    from monitor.runner import EmbeddedRunner

    store, before = MemoryStore(), _config("digest")
    alert = _alert(store, before, 1)
    after = _config(None)
    runner = EmbeddedRunner(
        Runtime(after, store, build_matcher(after), {"archive": Sink("archive")})
    )
    runner._resume_pending()
    entry = store.get_delivery(alert.id, "desk")
    assert entry is not None and entry.status == "dead"


# --- item 4: the sweep reads the held index, not every held alert ---------------------------
def test_the_full_scan_runs_at_start_and_after_a_reload_only() -> None:
    from workers.schedule import HeldWithoutDigest

    store, digest = CountingStore(), _config("digest")
    _alert(store, digest, 1)
    held = HeldWithoutDigest()
    assert held.entries(store, digest) == [] and store.held_scans == 1  # at start
    for _ in range(5):
        assert held.entries(store, digest) == []
    assert store.held_scans == 1  # the digest channel's alerts are the flush's business

    plain = _config("email")  # a reload took `digest:` off desk
    [entry] = held.entries(store, plain)
    assert (entry.channel, store.held_scans) == ("desk", 2)
    assert held.entries(store, plain) == [entry]  # still held: found again
    store.put_delivery(LedgerEntry(entry.alert_id, "desk", "sent", 1, "ok", T0 + 700))
    scans = store.held_scans
    for _ in range(5):
        assert held.entries(store, plain) == []
    assert store.held_scans == scans  # none held for a channel without a digest: no scan


def test_a_worker_on_the_old_config_holding_for_a_removed_channel_is_seen() -> None:
    from workers.schedule import HeldWithoutDigest

    store, before, after = CountingStore(), _config("digest"), _config(None)
    held = HeldWithoutDigest()
    held.entries(store, before)
    assert held.entries(store, after) == []  # the reload: nothing held yet
    scans = store.held_scans
    assert held.entries(store, after) == [] and store.held_scans == scans
    alert = _alert(store, before, 2)  # a worker that has not reloaded yet holds it
    assert [(e.alert_id, e.channel) for e in held.entries(store, after)] == [(alert.id, "desk")]


def test_alerts_held_for_a_channel_removed_before_the_poller_started_are_found() -> None:
    from workers.schedule import HeldWithoutDigest

    store, before, after = CountingStore(), _config("digest"), _config(None)
    alert = _alert(store, before, 3)
    held = HeldWithoutDigest()  # started on the config without "desk"
    assert [e.alert_id for e in held.entries(store, after)] == [alert.id]
    assert [e.alert_id for e in held.entries(store, after)] == [alert.id]  # every sweep
    assert store.held_scans == 2


# --- item 5: the ledger payload is written one way ------------------------------------------
def test_record_pending_writes_the_ledger_payload() -> None:
    store = MemoryStore()
    alert = make_alert(1, title="NATO \udcff")  # a lone surrogate from a broken feed
    record_pending(alert, store, now=_at(T0), digests={"archive": 60.0})
    for channel in ("desk", "archive"):
        entry = store.get_delivery(alert.id, channel)
        assert entry is not None and entry.payload == ledger_payload(alert)
        entry.payload.encode("utf-8")  # storable in SQLite and Redis
