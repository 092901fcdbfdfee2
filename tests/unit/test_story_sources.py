"""One alert per story (docs/delivery.md) through the pipeline, on the memory and SQLite
stores: a republication by
another outlet (same headline, or rewritten with the wire body kept) adds to the alert
already raised, never a second alert; a delivery not yet sent (pending, retrying, held
for a digest) goes out with every outlet ("also carried by"), one already sent gets them
in its ledger entry; different stories of one day stay different alerts; an item
processed again gives the same alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.alerts.decide import story_key
from monitor.alerts.render import render_console, render_digest_text, webhook_body
from monitor.config.schema import Config
from monitor.errors import TransientDeliveryError
from monitor.match.engine import build_matcher
from monitor.model import Alert, WireItem
from monitor.pipeline import deliver_alerts, flush_digests, process_item
from monitor.state.base import Store
from monitor.state.codec import story_from_json, to_json

STORIES = Path(__file__).parents[1] / "fixtures" / "stories"
INTRO = "Our partner Reuters reports from Moscow on the Kremlin's view of the talks.\n\n"


def story(name: str) -> tuple[str, str]:
    title, text = (STORIES / name).read_text(encoding="utf-8").split("\n\n", 1)
    return title, text


def wire(name: str, n: int, **kw: Any) -> WireItem:
    title, text = story(name)
    values: dict[str, Any] = {"title": title, "body": text, "agency": "Reuters"}
    values.update(kw)
    return WireItem(id=f"{name}#{n}", source=f"inbox/{n}.txt", **values)


def original() -> WireItem:
    return wire("peskov-talks.en.txt", 1)


def rewritten_copy() -> WireItem:
    """Another outlet's copy: its own headline and intro, the wire's last paragraph cut."""
    _, text = story("peskov-talks.en.txt")
    body = INTRO + "\n\n".join(text.split("\n\n")[:-1])
    title = "Kremlin denies link between military drills and Geneva security talks"
    return wire("peskov-talks.en.txt", 2, title=title, body=body, publisher="Daily Sabah")


class Record:
    """A channel that keeps every alert it is handed; fails ``failures`` times first."""

    def __init__(self, name: str = "archive", failures: int = 0) -> None:
        self.name = name
        self.failures = failures
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> None:
        if self.failures:
            self.failures -= 1
            raise TransientDeliveryError("connection reset")
        self.sent.append(alert)


class RecordDigest(Record):
    def __init__(self) -> None:
        super().__init__("desk")
        self.digests: list[list[Alert]] = []

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        self.digests.append(list(alerts))


def config(digest: str | None = None) -> Config:
    channels: dict[str, Any] = {"archive": {"type": "console"}}
    if digest is not None:
        channels["desk"] = {
            "type": "email",
            "to": ["desk@example.org"],
            "from": "monitor@example.org",
            "smtp": "smtp://127.0.0.1:9",
            "digest": digest,
        }
    return Config.model_validate(
        {
            "topics": {"NATO": ["NATO"]},
            "watchlists": {"russia-nato": {"topics": ["NATO"], "channels": sorted(channels)}},
            "channels": channels,
        }
    )


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def run(item: WireItem, store: Store, cfg: Config, now: float) -> list[Alert]:
    return process_item(item, build_matcher(cfg), store, cfg, now=at(now))


def ledger_sources(store: Store, alert_id: str, channel: str = "archive") -> list[str]:
    entry = store.get_delivery(alert_id, channel)
    assert entry is not None
    sources: list[str] = json.loads(entry.payload)["story"]["sources"]
    return sources


def test_rewritten_copy_joins_the_pending_alert_and_goes_out_with_it(local_store: Store) -> None:
    cfg = config()
    (alert,) = run(original(), local_store, cfg, 1000.0)
    assert story_key(rewritten_copy()) != story_key(original())  # only the body groups them
    assert run(rewritten_copy(), local_store, cfg, 1010.0) == []
    # Sent later, from the alert as decided (a task argument) or from the ledger payload
    # (the runner's resume): both carry the outlet added meanwhile.
    archive = Record()
    pending = local_store.get_delivery(alert.id, "archive")
    assert pending is not None and pending.status == "pending"
    for sending in (alert, Alert.from_message(json.loads(pending.payload))):
        deliver_alerts([sending], {"archive": archive}, local_store, cfg, now=at(1020.0))
    (sent,) = archive.sent  # one alert, never doubled: the second call finds it sent
    assert sent.id == alert.id
    assert sent.sources == ("Reuters", "Daily Sabah") and sent.update == 1
    assert "Also carried by: Daily Sabah" in render_console(sent)
    body = json.loads(webhook_body(sent))
    assert body["alert"]["story"]["sources"] == ["Reuters", "Daily Sabah"]
    assert ledger_sources(local_store, alert.id) == ["Reuters", "Daily Sabah"]


def test_a_retrying_delivery_carries_the_outlets_added_between_attempts(
    local_store: Store,
) -> None:
    cfg = config()
    archive = Record(failures=1)
    (alert,) = run(original(), local_store, cfg, 1000.0)
    (first,) = deliver_alerts([alert], {"archive": archive}, local_store, cfg, now=at(1000.0))
    assert first.status == "retry"
    same_title = wire("peskov-talks.en.txt", 3, agency="AFP")
    assert run(same_title, local_store, cfg, 1005.0) == []
    deliver_alerts([alert], {"archive": archive}, local_store, cfg, now=at(1010.0), attempt=2)
    (sent,) = archive.sent
    assert sent.sources == ("Reuters", "AFP")


def test_a_copy_after_the_send_is_recorded_in_the_ledger_not_sent(local_store: Store) -> None:
    cfg = config()
    archive = Record()
    (alert,) = run(original(), local_store, cfg, 1000.0)
    deliver_alerts([alert], {"archive": archive}, local_store, cfg, now=at(1000.0))
    assert run(rewritten_copy(), local_store, cfg, 1100.0) == []
    assert run(wire("peskov-talks.en.txt", 4, agency="TASS"), local_store, cfg, 1200.0) == []
    assert [a.sources for a in archive.sent] == [("Reuters",)]
    entry = local_store.get_delivery(alert.id, "archive")
    assert entry is not None and entry.status == "sent"
    assert ledger_sources(local_store, alert.id) == ["Reuters", "Daily Sabah", "TASS"]
    assert json.loads(entry.payload)["update"] == 2


def test_the_digest_shows_the_outlets_added_while_held(local_store: Store) -> None:
    cfg = config(digest="60s")
    desk, archive = RecordDigest(), Record()
    channels: dict[str, Any] = {"desk": desk, "archive": archive}
    (alert,) = run(original(), local_store, cfg, 1000.0)
    deliver_alerts([alert], channels, local_store, cfg, now=at(1000.0))
    assert run(rewritten_copy(), local_store, cfg, 1030.0) == []
    flush_digests(channels, local_store, cfg, now=at(1060.0))
    ((held,),) = desk.digests
    assert held.id == alert.id and held.sources == ("Reuters", "Daily Sabah")
    assert "Also carried by: Daily Sabah" in render_digest_text(desk.digests[0])
    assert ledger_sources(local_store, alert.id, "desk") == ["Reuters", "Daily Sabah"]
    # the archive sent it at once, before the copy: its ledger entry gets the outlet too
    assert ledger_sources(local_store, alert.id) == ["Reuters", "Daily Sabah"]


def test_different_stories_of_one_day_are_different_alerts(local_store: Store) -> None:
    cfg = config()
    talks = run(original(), local_store, cfg, 1000.0)
    gas = run(wire("peskov-gas.en.txt", 1), local_store, cfg, 1010.0)
    zakharova = run(wire("zakharova-reply.en.txt", 1, agency="TASS"), local_store, cfg, 1020.0)
    assert len({a.id for a in [*talks, *gas, *zakharova]}) == 3


def test_an_item_processed_again_gives_the_same_alert(local_store: Store) -> None:
    cfg = config()
    (first,) = run(original(), local_store, cfg, 1000.0)
    assert run(rewritten_copy(), local_store, cfg, 1010.0) == []
    (again,) = run(original(), local_store, cfg, 1020.0)  # a redelivered task
    assert again.id == first.id
    assert run(rewritten_copy(), local_store, cfg, 1030.0) == []  # the copy redelivered
    record = local_store.get_story("russia-nato", story_key(original()))
    assert record is not None and record.alert_id == first.id
    assert (record.sources, record.updates) == (("Reuters", "Daily Sabah"), 1)


def test_a_record_written_before_primary_names_still_takes_additions(local_store: Store) -> None:
    """Records stored by an earlier release have no ``primary``: read as "", and an
    addition through the key they are under still lands there (and goes out)."""
    cfg = config()
    (alert,) = run(original(), local_store, cfg, 1000.0)
    key = story_key(original())
    record = local_store.get_story("russia-nato", key)
    assert record is not None and record.primary == key
    old = json.loads(to_json(record))
    del old["primary"]
    local_store.put_story(story_from_json(json.dumps(old)), 3600)
    assert run(wire("peskov-talks.en.txt", 5, agency="AFP"), local_store, cfg, 1010.0) == []
    archive = Record()
    deliver_alerts([alert], {"archive": archive}, local_store, cfg, now=at(1020.0))
    assert [a.sources for a in archive.sent] == [("Reuters", "AFP")]
