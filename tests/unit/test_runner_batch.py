"""The embedded runner puts each poll in one store batch (SQLite: one transaction) and
sends its alerts once the batch has committed: a crash before the commit sends nothing
and the next run redoes the poll, alerting each story once; a poisoned item's writes are
undone alone. On the real SQLite state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import runner as runner_module
from monitor.history import open_history
from monitor.history.recorder import history_url
from monitor.model import Match, WireItem
from monitor.runner import EmbeddedRunner
from monitor.state.base import Store
from tests.helpers import SEEDS, archived_ids, example_runtime

ALL_SEEDS = sorted(SEEDS.glob("*.txt"))


class Crash(BaseException):
    """The process dying: nothing catches it."""


@pytest.mark.parametrize("history_process", [False, True], ids=["inline", "writer-process"])
def test_a_crash_before_the_decisions_commit_sends_nothing_and_is_redone_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, history_process: bool
) -> None:
    decide = runner_module.decide_item
    calls: list[str] = []

    def crash_on_the_third(item: WireItem, *args: object, **kwargs: object) -> object:
        calls.append(item.id)
        if len(calls) == 3:
            raise Crash
        return decide(item, *args, **kwargs)  # type: ignore[arg-type]

    runtime = example_runtime(tmp_path, ALL_SEEDS)
    with monkeypatch.context() as patch:
        patch.setattr(runner_module, "decide_item", crash_on_the_third)
        with pytest.raises(Crash):
            EmbeddedRunner(runtime, history_process=history_process).run(once=True)
    assert archived_ids(tmp_path) == []
    assert runtime.store.list_deliveries() == []  # the batch was rolled back
    runtime.store.close()

    runtime = example_runtime(tmp_path, ALL_SEEDS)  # the next start, on the same state file
    stats = EmbeddedRunner(runtime, history_process=history_process).run(once=True)
    assert stats.alerts == 5
    sent = archived_ids(tmp_path)
    assert len(sent) == len(set(sent)) == 5
    assert EmbeddedRunner(runtime, history_process=history_process).run(once=True).alerts == 0
    assert len(archived_ids(tmp_path)) == 5
    runtime.store.close()


@pytest.mark.parametrize("history_process", [False, True], ids=["inline", "writer-process"])
def test_a_crash_before_the_items_are_marked_seen_sends_no_alert_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, history_process: bool
) -> None:
    """Decided, sent and written, not yet marked seen: the next start reads the items
    again and decides them again (the same alerts, which the ledger does not send
    again); the history holds each once."""

    def crash(*_args: object) -> None:
        raise Crash

    runtime = example_runtime(tmp_path, ALL_SEEDS)
    with monkeypatch.context() as patch:
        patch.setattr(runner_module, "commit_poll", crash)
        with pytest.raises(Crash):
            EmbeddedRunner(runtime, history_process=history_process).run(once=True)
    sent = archived_ids(tmp_path)
    assert len(sent) == len(set(sent)) == 5
    assert runtime.store.feed_activity() == {}  # nothing marked seen
    runtime.store.close()

    runtime = example_runtime(tmp_path, ALL_SEEDS)
    again = EmbeddedRunner(runtime, history_process=history_process).run(once=True)
    assert again.items == 6  # read again
    assert archived_ids(tmp_path) == sent  # nothing sent twice
    assert EmbeddedRunner(runtime, history_process=history_process).run(once=True).items == 0
    runtime.store.close()
    with open_history(history_url(runtime.config.settings)) as history:
        assert history.count_items() == 6
        assert sorted(stored.alert.id for stored in history.alerts()) == sorted(sent)


class _PoisonWriter:
    """Writes to the store, then raises, on one item: its write must not survive."""

    def __init__(self, inner: object, store: Store, poison_title: str) -> None:
        self.inner, self.store, self.poison_title = inner, store, poison_title

    def match(self, item: WireItem) -> list[Match]:
        if item.title.startswith(self.poison_title):
            self.store.mark_seen("probe", [item.id])
            raise RuntimeError("boom")
        return self.inner.match(item)  # type: ignore[attr-defined, no-any-return]


def test_a_poisoned_item_is_undone_alone_and_the_poll_commits(tmp_path: Path) -> None:
    runtime = example_runtime(tmp_path, ALL_SEEDS)
    poison = _PoisonWriter(runtime.matcher, runtime.store, "Захарова")
    runtime.matcher = poison  # type: ignore[assignment]
    stats = EmbeddedRunner(runtime).run(once=True)
    assert (stats.items, stats.alerts) == (6, 4)
    assert set(runtime.store.feed_activity()) == {"desk-drop"}  # no "probe" feed
    assert len(archived_ids(tmp_path)) == 4
    runtime.store.close()
