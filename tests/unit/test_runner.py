"""The embedded runner in process, with an in-memory store: items flow to the
file channel, a poisoned item does not stop the others, a flaky channel is
retried, and deliveries a crashed run left pending are sent at the next start."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.config.loader import load_config
from monitor.errors import TransientDeliveryError
from monitor.match.engine import build_matcher
from monitor.model import Alert, Match, WireItem
from monitor.pipeline import Runtime, build_channels, process_item, utcnow
from monitor.runner import EmbeddedRunner
from monitor.state.memory import MemoryStore
from tests.helpers import SEED_AR, SEEDS, example_config


def _runtime(tmp_path: Path, seeds: list[Path]) -> Runtime:
    config = load_config(example_config(tmp_path, seeds=seeds), env={})
    return Runtime(config, MemoryStore(), build_matcher(config), build_channels(config))


def _archived(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "alerts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line)["alert"] for line in lines]


def test_one_pass_archives_one_alert_per_matching_item(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, [SEED_AR, SEEDS / "weather-kyiv.uk.txt"])
    stats = EmbeddedRunner(runtime).run(once=True)
    assert (stats.items, stats.alerts) == (2, 1)
    assert [alert["watchlist"] for alert in _archived(tmp_path)] == ["russia-nato"]


class _PoisonMatcher:
    """Raises on one item, as a matcher bug or a hostile item might."""

    def __init__(self, inner: object, poison_title: str) -> None:
        self.inner = inner
        self.poison_title = poison_title

    def match(self, item: WireItem) -> list[Match]:
        if item.title.startswith(self.poison_title):
            raise RuntimeError("boom")
        return self.inner.match(item)  # type: ignore[attr-defined, no-any-return]


def test_a_poisoned_item_does_not_stop_the_others(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, [SEED_AR, SEEDS / "zakharova-nato-expansion.ru.txt"])
    runtime.matcher = _PoisonMatcher(runtime.matcher, "Захарова")  # type: ignore[assignment]
    stats = EmbeddedRunner(runtime).run(once=True)
    assert stats.items == 2
    assert len(_archived(tmp_path)) == 1


class _Flaky:
    """Fails the first ``failures`` sends with a transient fault, then delegates."""

    def __init__(self, inner: object, failures: int) -> None:
        self.inner = inner
        self.name = "archive"
        self.failures = failures
        self.calls = 0

    def send(self, alert: Alert) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientDeliveryError("try later", retry_after=0.05)
        self.inner.send(alert)  # type: ignore[attr-defined]


def test_a_transient_fault_is_retried_in_the_same_run(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, [SEED_AR])
    flaky = _Flaky(runtime.channels["archive"], failures=2)
    runtime.channels["archive"] = flaky
    EmbeddedRunner(runtime).run(once=True)
    assert flaky.calls == 3
    assert len(_archived(tmp_path)) == 1
    entry = runtime.store.get_delivery(_archived(tmp_path)[0]["id"], "archive")  # type: ignore[arg-type]
    assert entry is not None and entry.status == "sent"


def test_deliveries_left_pending_by_a_crash_are_sent_at_the_next_start(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, [SEED_AR])
    item = WireItem(id="x1", title="NATO and Peskov", body="Peskov said NATO.", source="t")
    # A crash right after deciding: the ledger holds the alert as pending, nothing sent.
    alerts = process_item(item, runtime.matcher, runtime.store, runtime.config, now=utcnow())
    assert len(alerts) == 1
    assert _archived(tmp_path) == []
    stats = EmbeddedRunner(runtime).run(once=True)  # the seed is new too
    archived_ids = [alert["id"] for alert in _archived(tmp_path)]
    assert alerts[0].id in archived_ids
    assert len(archived_ids) == 2 and stats.alerts == 1
    assert isinstance(Alert.from_message(alerts[0].to_message()), Alert)
