"""An alert is encoded for the ledger once, however many entries record it: deciding
records it pending on each channel and each send records it again (``ledger_payload``
keeps the JSON of a poll's alerts; an ``Alert`` never changes, a grown story is a new one)."""

from __future__ import annotations

import dataclasses
import importlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.config.schema import Config
from monitor.match.engine import build_matcher
from monitor.model import WireItem
from monitor.pipeline import deliver_alerts, process_item
from monitor.state.memory import MemoryStore
from tests.unit.test_digest import make_alert
from tests.unit.test_removed_channels import Sink

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# the module, not the function ``monitor.alerts`` exports under the same name
deliver_module = importlib.import_module("monitor.alerts.deliver")


class CountingJson:
    """``json`` as the deliver module sees it, counting the encodings."""

    def __init__(self) -> None:
        self.dumps_calls = 0

    def dumps(self, value: Any, **options: Any) -> str:
        self.dumps_calls += 1
        return json.dumps(value, **options)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingJson:
    counter = CountingJson()
    monkeypatch.setattr(deliver_module, "json", counter)
    monkeypatch.setattr(deliver_module, "_payloads", {})
    return counter


def test_the_same_alert_is_encoded_once(counting: CountingJson) -> None:
    alert = make_alert(1)
    first = deliver_module.ledger_payload(alert)
    assert deliver_module.ledger_payload(alert) == first
    assert counting.dumps_calls == 1
    # an equal copy is another object: encoded again, to the same text
    assert deliver_module.ledger_payload(dataclasses.replace(alert)) == first
    assert counting.dumps_calls == 2


def test_a_grown_story_is_encoded_anew(counting: CountingJson) -> None:
    alert = make_alert(2)
    before = deliver_module.ledger_payload(alert)
    grown = dataclasses.replace(alert, sources=(*alert.sources, "TASS"), update=1)
    after = deliver_module.ledger_payload(grown)
    assert json.loads(after)["story"]["sources"] == ["Sputnik", "TASS"]
    assert json.loads(before)["story"]["sources"] == ["Sputnik"]
    assert deliver_module.ledger_payload(alert) == before  # the older one again


def test_deciding_and_sending_on_two_channels_encodes_the_alert_once(
    counting: CountingJson,
) -> None:
    channels = {"desk": {"type": "console"}, "archive": {"type": "console"}}
    config = Config.model_validate(
        {
            "topics": {"NATO": ["NATO"]},
            "watchlists": {"nato": {"topics": ["NATO"], "channels": sorted(channels)}},
            "channels": channels,
        }
    )
    store = MemoryStore()
    item = WireItem(id="i1", title="NATO story", body="NATO met.", source="t")
    (alert,) = process_item(item, build_matcher(config), store, config, now=NOW)
    sinks = {name: Sink(name) for name in channels}
    results = deliver_alerts([alert], sinks, store, config, now=NOW)
    assert [result.status for result in results] == ["sent", "sent"]
    assert all(sink.sent == [alert.id] for sink in sinks.values())
    entries = [store.get_delivery(alert.id, name) for name in channels]
    assert all(entry is not None and entry.payload for entry in entries)
    assert counting.dumps_calls == 1
