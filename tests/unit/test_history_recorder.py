"""The runners' history writer on a real SQLite history: batches of what items found,
attempts of sends, retries of a transient fault with backoff, and daily pruning. A
flaky history (``_Flaky``) stands in for a database that goes away: the integration
tests (test_history_wiring) stop real servers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

from monitor.config.schema import Settings
from monitor.errors import HistoryError, TransientHistoryError
from monitor.history import History, HistoryBatch
from monitor.history import recorder as recorder_module
from monitor.history.recorder import HistoryRecorder, attempts_of, batch_of
from monitor.model import Alert, DeliveryResult, Hit, Match, SpeakerMatch, WireItem
from monitor.pipeline import ItemOutcome
from monitor.state.base import StoryRecord

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _item(ident: str) -> WireItem:
    return WireItem(id=ident, title=f"NATO {ident}", body="", source=f"https://e.org/{ident}")


def _match() -> Match:
    return Match(
        "russia-nato",
        ("NATO",),
        (SpeakerMatch("Dmitry Peskov", "quoted", "no"),),
        (Hit("title", 0, 4, "NATO", topic="NATO"),),
    )


def _alert(item: WireItem) -> Alert:
    match = _match()
    return Alert(
        id=f"alert-{item.id}",
        watchlist=match.watchlist,
        item=item,
        topics=match.topics,
        speakers=match.speakers,
        hits=match.hits,
        story_id=item.story,
        created_at=NOW.isoformat(),
    )


@pytest.fixture
def recorder(tmp_path: Path) -> HistoryRecorder:
    settings = Settings(state_dir=str(tmp_path / "state"), history_retention="2d")
    return HistoryRecorder(settings)


class _Flaky:
    """A history whose first ``failures`` writes fail as a stopped server's would."""

    def __init__(self, real: History, failures: int) -> None:
        self.real, self.failures, self.calls = real, failures, 0

    def write(self, batch: HistoryBatch) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientHistoryError("history: writing a batch failed: connection refused")
        self.real.write(batch)

    def close(self) -> None:
        self.real.close()


def test_a_batch_holds_every_item_match_and_alert() -> None:
    quiet, hot = _item("a"), _item("b")
    batch = batch_of(
        [ItemOutcome(quiet, [], [], []), ItemOutcome(hot, [_match()], [_alert(hot)], [])]
    )
    assert [i.id for i in batch.items] == ["a", "b"]
    assert [(item_id, m.watchlist) for item_id, m in batch.matches] == [("b", "russia-nato")]
    assert [a.id for a in batch.alerts] == ["alert-b"]


def test_attempts_leave_out_sends_made_by_another_task() -> None:
    results = [
        DeliveryResult("x", "mail", "sent", 1, "sent"),
        DeliveryResult("x", "hook", "retry", 2, "HTTP 503", retry_after=4.0),
        DeliveryResult("x", "file", "sent", 1, "already sent"),
        DeliveryResult("x", "chat", "busy", 0, "another sender holds it"),
        DeliveryResult("y", "mail", "dead", 8, "HTTP 400"),
    ]
    made = [(a.channel, a.attempt, a.status, a.detail) for a in attempts_of(results, NOW)]
    assert made == [
        ("mail", 1, "sent", "sent"),
        ("hook", 2, "retry", "HTTP 503"),
        ("mail", 8, "dead", "HTTP 400"),
    ]


def test_a_transient_fault_is_retried_with_backoff(
    recorder: HistoryRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(recorder, "stop", _Waits(waits))
    flaky = _Flaky(recorder._open(), failures=3)
    monkeypatch.setattr(recorder, "_history", flaky)
    item = _item("a")
    recorder.write(batch_of([ItemOutcome(item, [_match()], [_alert(item)], [])]))
    assert flaky.calls == 4 and len(waits) == 3
    for wait, step in zip(waits, [0.5, 1.0, 2.0], strict=True):
        assert step / 2 <= wait <= step  # a doubling step less its jitter (monitor.backoff)
    assert flaky.real.item("a") is not None and flaky.real.alert("alert-a") is not None


def test_a_fault_that_lasts_is_raised_for_the_caller_to_retry(
    recorder: HistoryRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder, "stop", _Waits([]))
    flaky = _Flaky(recorder._open(), failures=100)
    monkeypatch.setattr(recorder, "_history", flaky)
    with pytest.raises(TransientHistoryError):
        recorder.write(batch_of([ItemOutcome(_item("a"), [], [], [])]))
    assert flaky.calls == recorder.tries
    assert flaky.real.count_items() == 0


def test_a_batch_the_database_refuses_is_logged_and_dropped(
    recorder: HistoryRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(batch: HistoryBatch) -> None:
        raise HistoryError("history sqlite:///h.db: writing a batch failed: CHECK constraint")

    monkeypatch.setattr(recorder._open(), "write", refuse)
    with structlog.testing.capture_logs() as logs:
        recorder.write(batch_of([ItemOutcome(_item("a"), [], [], [])]))  # does not raise
    assert [entry["event"] for entry in logs] == ["history_write_refused"]
    assert logs[0]["log_level"] == "error" and "CHECK constraint" in logs[0]["error"]


def test_attempts_kept_through_a_fault_are_written_by_the_next_flush(
    recorder: HistoryRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _item("a")
    recorder.write(batch_of([ItemOutcome(item, [_match()], [_alert(item)], [])]))
    flaky = _Flaky(recorder._open(), failures=1)
    monkeypatch.setattr(recorder, "_history", flaky)
    recorder.add_attempts([DeliveryResult("alert-a", "mail", "sent", 1, "sent")], NOW)
    recorder.flush_attempts()  # fails: kept
    stored = flaky.real.alert("alert-a")
    assert stored is not None and stored.deliveries == ()
    recorder.flush_attempts()
    recorder.flush_attempts()  # nothing left: nothing written twice
    stored = flaky.real.alert("alert-a")
    assert stored is not None
    assert [(d.channel, d.status) for d in stored.deliveries] == [("mail", "sent")]
    assert flaky.calls == 2


def test_another_outlet_is_added_to_the_stored_alert_once(recorder: HistoryRecorder) -> None:
    first, copy = _item("a"), _item("b")
    raised = _alert(first)
    recorder.write(batch_of([ItemOutcome(first, [_match()], [raised], [])]))
    record = StoryRecord(raised.id, "russia-nato", "k", 0.0, ("UrduPoint", "TASS"), updates=1)
    again = batch_of([ItemOutcome(copy, [_match()], [], [record])])
    recorder.write(again)
    recorder.write(again)  # a batch written twice
    recorder.write(batch_of([ItemOutcome(first, [_match()], [raised], [])]))  # the first too
    stored = recorder._open().alert(raised.id)
    assert stored is not None
    assert stored.alert.sources == ("UrduPoint", "TASS") and stored.alert.update == 1
    assert len(recorder._open().alerts()) == 1


def test_pruning_runs_at_start_then_once_a_day(tmp_path: Path) -> None:
    clock = [1000.0]
    settings = Settings(state_dir=str(tmp_path / "state"), history_retention="2d")
    recorder = HistoryRecorder(settings, clock=lambda: clock[0])
    history = recorder._open()
    history.write(HistoryBatch(items=(_item("old"),)), now=datetime.now(UTC) - timedelta(days=3))
    history.write(HistoryBatch(items=(_item("new"),)))
    assert recorder.prune_if_due() == 1
    history.write(HistoryBatch(items=(_item("old2"),)), now=datetime.now(UTC) - timedelta(days=3))
    clock[0] += recorder_module.PRUNE_EVERY - 1
    assert recorder.prune_if_due() is None  # not due: kept till tomorrow
    assert history.item("old2") is not None
    clock[0] += 1
    assert recorder.prune_if_due() == 1
    assert history.item("old2") is None and history.item("new") is not None
    recorder.close()


def test_a_failed_pruning_is_tried_again_minutes_later(
    recorder: HistoryRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(recorder, "_clock", lambda: clock[0])
    calls: list[float] = []

    def down(retention: float) -> int:
        calls.append(retention)
        raise TransientHistoryError("history: pruning failed: connection refused")

    monkeypatch.setattr(recorder._open(), "prune", down)
    assert recorder.prune_if_due() is None
    clock[0] += recorder_module.PRUNE_RETRY - 1
    assert recorder.prune_if_due() is None  # not every tick: once in a while
    clock[0] += 1
    assert recorder.prune_if_due(86400.0 * 5) is None
    assert calls == [2 * 86400.0, 5 * 86400.0]


class _Waits(threading.Event):
    """A stop event that records the waits asked of it instead of sleeping."""

    def __init__(self, waits: list[float]) -> None:
        super().__init__()
        self.waits = waits

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        return False
