"""Digest email channels: what is due when, how the ledger settles after a send, the
rendering of one mail for many alerts, and the pipeline and embedded runner holding
and flushing them (in process, memory store, a fake digest channel)."""

from __future__ import annotations

import email.policy
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor import runner as runner_module
from monitor.alerts.channels.email import build_digest_message
from monitor.alerts.deliver import deliver_digest
from monitor.alerts.digest import (
    digest_id,
    digest_periods,
    due_channels,
    held_entry,
    settle,
)
from monitor.alerts.render import render_digest_html, render_digest_subject, render_digest_text
from monitor.config.schema import Config
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.match.engine import build_matcher
from monitor.model import Alert, Hit, SpeakerMatch, WireItem
from monitor.pipeline import Runtime, deliver_alerts, flush_digests, process_item, utcnow
from monitor.runner import EmbeddedRunner
from monitor.state.base import DeliveryStatus, LedgerEntry
from monitor.state.memory import MemoryStore

BODY = "MOSCOW - Kremlin spokesman Dmitry Peskov said NATO must listen to Russia."


def make_alert(
    n: int, *, watchlist: str = "russia-nato", title: str | None = None, **item_kw: Any
) -> Alert:
    values: dict[str, Any] = {
        "url": f"https://example.org/{n}?a=1&b=2",
        "agency": "Sputnik",
        "language": "en",
    }
    values.update(item_kw)
    title = title if title is not None else f"Story number {n} about NATO"
    item = WireItem(id=f"item-{n}", title=title, body=BODY, source="t", **values)
    start = BODY.index("NATO")
    return Alert(
        id=f"alrt_{n:024d}",
        watchlist=watchlist,
        item=item,
        topics=("NATO",),
        speakers=(SpeakerMatch("Dmitry Peskov", "quoted", "NATO must listen to Russia."),),
        hits=(Hit(field="body", start=start, end=start + 4, text="NATO", topic="NATO"),),
        story_id=item.id,
        sources=("Sputnik",),
        channels=("desk", "archive"),
    )


def entry(n: int, *, due: float = 100.0, attempts: int = 0, channel: str = "desk") -> LedgerEntry:
    payload = json.dumps(make_alert(n).to_message())
    return replace(
        held_entry(f"alrt_{n:024d}", channel, payload, period=60, now=due - 60), attempts=attempts
    )


# --- what is due when -------------------------------------------------------------------------
def test_held_entry_is_due_one_period_after_it_was_held() -> None:
    held = held_entry("alrt_1", "desk", "{}", period=900, now=1000.0)
    assert (held.status, held.attempts, held.updated, held.due) == ("held", 0, 1000.0, 1900.0)


def test_due_channels_names_those_whose_earliest_held_alert_is_due() -> None:
    earliest = {"night": 500.0, "desk": 100.0}  # Store.earliest_held of the digest channels
    assert due_channels(earliest, now=120.0) == ["desk"]
    assert due_channels(earliest, now=500.0) == ["desk", "night"]  # due at exactly ``due``
    assert due_channels(earliest, now=10.0) == []
    assert due_channels({}, now=1e12) == []


def test_digest_periods_from_config() -> None:
    config = _config(digest="15m")
    assert digest_periods(config) == {"desk": 900.0}
    assert digest_periods(_config(digest=None)) == {}


def test_digest_id_is_stable_and_order_free() -> None:
    assert digest_id(["a", "b"]) == digest_id(["b", "a", "a"])
    assert digest_id(["a", "b"]) != digest_id(["a", "c"])
    assert digest_id(["a"]).startswith("dgst_")


# --- settling the ledger after a send -----------------------------------------------------------
def test_settle_sent_marks_every_alert_sent() -> None:
    settled = settle([entry(1), entry(2, attempts=1)], failure=None, now=500.0)
    assert [(e.status, e.attempts, e.updated, e.due) for e in settled] == [
        ("sent", 2, 500.0, 0.0),
        ("sent", 2, 500.0, 0.0),
    ]
    assert settled[0].detail == "sent in a digest of 2"
    assert settled[0].payload == entry(1).payload  # kept for audits and re-sends


def test_settle_transient_holds_them_for_a_backoff_retry() -> None:
    settled = settle(
        [entry(1), entry(2)], failure="SMTP 451", transient=True, now=500.0, rng=lambda: 1.0
    )
    # attempt 1 failed: full jitter up to base * 2**0 = 2 s, rng 1.0 takes the ceiling
    assert [(e.status, e.attempts, e.due, e.detail) for e in settled] == [
        ("held", 1, 502.0, "SMTP 451"),
        ("held", 1, 502.0, "SMTP 451"),
    ]
    later = settle(
        settled, failure="SMTP 451", transient=True, retry_after=30, now=600.0, rng=lambda: 0.0
    )
    assert [(e.attempts, e.due) for e in later] == [(2, 630.0), (2, 630.0)]  # Retry-After floor


def test_settle_gives_up_after_max_attempts_and_on_permanent_faults() -> None:
    last = settle(
        [entry(1, attempts=7)], failure="timeout", transient=True, now=1.0, max_attempts=8
    )
    assert (last[0].status, last[0].attempts) == ("dead", 8)
    assert last[0].detail == "gave up after 8 attempts: timeout"
    dead = settle([entry(1)], failure="SMTP 550", now=1.0)
    assert (dead[0].status, dead[0].detail) == ("dead", "SMTP 550")


# --- rendering ---------------------------------------------------------------------------------
def test_subject_names_count_and_watchlists_on_one_line() -> None:
    alerts = [make_alert(1), make_alert(2, watchlist="sanctions"), make_alert(3)]
    assert render_digest_subject(alerts) == "[russia-nato, sanctions] Digest: 3 alerts"
    assert render_digest_subject(alerts[:1]) == "[russia-nato] Digest: 1 alert"
    hostile = [make_alert(1, watchlist="a\r\nBcc: x@example.org")]
    subject = render_digest_subject(hostile)
    assert "\r" not in subject and "\n" not in subject
    msg = build_digest_message(
        hostile, "dgst_1", sender="m@example.org", recipients=("d@example.org",)
    )
    assert msg["Subject"] == subject and "Bcc" not in list(msg)
    msg.as_bytes(policy=email.policy.SMTP)


def test_text_lists_every_alert_with_its_evidence_by_watchlist() -> None:
    alerts = [make_alert(1), make_alert(2, watchlist="sanctions"), make_alert(3)]
    text = render_digest_text(alerts)
    assert text.index("Watchlist: russia-nato (2)") < text.index("Story number 1")
    assert text.index("Story number 3") < text.index("Watchlist: sanctions (1)")
    assert text.index("Watchlist: sanctions (1)") < text.index("Story number 2")
    for n in (1, 2, 3):
        assert f"Link: https://example.org/{n}?a=1&b=2" in text
        assert f"Alert id: alrt_{n:024d}" in text
    assert text.count("Speaker: Dmitry Peskov (quoted): “NATO must listen to Russia.”") == 3
    assert text.count("Topics: NATO") == 3
    assert text.count(f"- NATO [body]: {BODY}") == 3  # the hit with its snippet


def test_html_escapes_every_feed_string_and_sets_dir_auto() -> None:
    rtl = make_alert(1, title="بيسكوف: الناتو <b>يجب</b>")
    evil = make_alert(
        2,
        title='<script>alert("x")</script>',
        agency="<img src=x onerror=alert(1)>",
        watchlist="russia-nato",
    )
    html = render_digest_html([rtl, evil])
    assert "<script>" not in html and "<img" not in html and "<b>يجب</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "بيسكوف: الناتو &lt;b&gt;يجب&lt;/b&gt;" in html
    assert '<h3 class="headline" dir="rtl"' in html
    assert '<a href="https://example.org/1?a=1&amp;b=2"' in html
    # the quote stands in the body: its hit is marked inside the quote too
    assert html.count(">NATO</mark> must listen to Russia.”</div>") == 2
    assert html.count("quoted</span>") == 2
    assert html.count(">NATO</mark> must listen") == 4  # in the quotes and the passages


def test_html_drops_links_that_are_not_http() -> None:
    html = render_digest_html([make_alert(1, url="javascript:alert(1)")])
    assert "href=" not in html and "javascript" not in html


def test_message_is_multipart_with_a_stable_message_id() -> None:
    alerts = [make_alert(1), make_alert(2)]
    did = digest_id(a.id for a in alerts)
    msg = build_digest_message(alerts, did, sender="m@example.org", recipients=("d@example.org",))
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert msg["Message-ID"] == f"<{did}@example.org>"


# --- pipeline and runner ------------------------------------------------------------------------
class FakeDigest:
    """A digest channel that records what it sends, or raises ``error`` each time."""

    def __init__(self, name: str = "desk", error: Exception | None = None) -> None:
        self.name = name
        self.error = error
        self.digests: list[list[str]] = []
        self.single: list[str] = []
        self.held: list[int] = []

    def send(self, alert: Alert) -> None:
        self.single.append(alert.id)

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        if self.error is not None:
            raise self.error
        self.digests.append([alert.id for alert in alerts])
        self.held.append(held)


class Collect:
    name = "archive"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert.id)


def _config(digest: str | None = "1s", attempts: int = 8) -> Config:
    desk: dict[str, Any] = {
        "type": "email",
        "to": ["desk@example.org"],
        "from": "monitor@example.org",
        "smtp": "smtp://127.0.0.1:9",
    }
    if digest is not None:
        desk["digest"] = digest
    return Config.model_validate(
        {
            "topics": {"NATO": ["NATO"]},
            "watchlists": {"russia-nato": {"topics": ["NATO"], "channels": ["desk", "archive"]}},
            "channels": {"desk": desk, "archive": {"type": "console"}},
            "settings": {"delivery_attempts": attempts},
        }
    )


def _hold(store: MemoryStore, config: Config, title: str, now: float) -> Alert:
    item = WireItem(id=title, title=title, body="Peskov said NATO must listen.", source="t")
    (alert,) = process_item(item, build_matcher(config), store, config, now=_at(now))
    return alert


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_digest_channel_holds_while_other_channels_send_at_once() -> None:
    config, store = _config("60s"), MemoryStore()
    desk, archive = FakeDigest(), Collect()
    channels: dict[str, Any] = {"desk": desk, "archive": archive}
    alert = _hold(store, config, "Peskov on NATO talks today", now=1000.0)
    results = deliver_alerts([alert], channels, store, config, now=_at(1000.0))
    assert [(r.channel, r.status) for r in results] == [("archive", "sent")]
    assert archive.sent == [alert.id] and desk.single == [] and desk.digests == []
    held = store.get_delivery(alert.id, "desk")
    assert held is not None and (held.status, held.due) == ("held", 1060.0)
    assert store.list_deliveries("pending") == []  # nothing for the resume/requeue paths


def test_flush_sends_one_digest_when_due_and_each_alert_once() -> None:
    config, store = _config("60s"), MemoryStore()
    desk = FakeDigest()
    channels: dict[str, Any] = {"desk": desk, "archive": Collect()}
    first = _hold(store, config, "Peskov on NATO talks today", now=1000.0)
    second = _hold(store, config, "Zakharova answers NATO summit", now=1030.0)
    assert flush_digests(channels, store, config, now=_at(1059.0)) == []
    results = flush_digests(channels, store, config, now=_at(1060.0))
    assert desk.digests == [[first.id, second.id]]
    assert {(r.alert_id, r.status) for r in results} == {(first.id, "sent"), (second.id, "sent")}
    assert flush_digests(channels, store, config, now=_at(5000.0)) == []  # nothing twice
    third = _hold(store, config, "Peskov warns NATO over drills", now=5000.0)
    flush_digests(channels, store, config, now=_at(5060.0))
    assert desk.digests == [[first.id, second.id], [third.id]]


class IndexOnly(MemoryStore):
    """A store that refuses to list the ledger or claim a digest that is not due: the
    per-tick flush must find the due channels with ``earliest_held`` alone."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: list[str] = []

    def list_deliveries(self, status: DeliveryStatus | None = None) -> list[LedgerEntry]:
        raise AssertionError(f"the flush listed the ledger ({status})")

    def claim_held(self, channel: str, *, now: float, lease: float) -> list[LedgerEntry]:
        self.claims.append(channel)
        return super().claim_held(channel, now=now, lease=lease)


def test_the_runner_flush_claims_only_channels_the_index_says_are_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, store = _config("60s"), IndexOnly()
    desk = FakeDigest()
    channels: dict[str, Any] = {"desk": desk, "archive": Collect()}
    alerts = [_hold(store, config, f"Peskov on NATO, take {n}", now=1000.0 + n) for n in range(30)]
    runner = EmbeddedRunner(Runtime(config, store, build_matcher(config), channels))
    for tick in (1001.0, 1030.0, 1059.9):
        assert flush_digests(channels, store, config, now=_at(tick)) == []
    assert store.claims == []  # ticks before the first alert is due claim nothing
    monkeypatch.setattr(runner_module, "utcnow", lambda: _at(1060.0))
    runner._flush_digests()  # the runner's own per-tick call
    assert store.claims == ["desk"]
    assert desk.digests == [[alert.id for alert in alerts]]
    assert store.earliest_held(["desk"]) == {}  # all sent: nothing left to be due


def test_a_failed_digest_is_retried_later_then_dead_lettered() -> None:
    config, store = _config("60s", attempts=2), MemoryStore()
    desk = FakeDigest(error=TransientDeliveryError("SMTP 451"))
    channels: dict[str, Any] = {"desk": desk, "archive": Collect()}
    alert = _hold(store, config, "Peskov on NATO talks today", now=1000.0)
    (first,) = flush_digests(channels, store, config, now=_at(1060.0))
    assert first.status == "retry" and first.retry_after is not None
    held = store.get_delivery(alert.id, "desk")
    assert held is not None and held.status == "held" and held.attempts == 1
    assert held.due == 1060.0 + first.retry_after
    (second,) = flush_digests(channels, store, config, now=_at(held.due + 0.001))
    assert second.status == "dead"
    dead = store.list_deliveries("dead")
    assert [(e.alert_id, e.channel) for e in dead] == [(alert.id, "desk")]
    assert "gave up after 2 attempts" in dead[0].detail


def test_a_permanent_fault_dead_letters_the_digest_at_once() -> None:
    config, store = _config("60s"), MemoryStore()
    channels: dict[str, Any] = {
        "desk": FakeDigest(error=DeliveryError("SMTP 550")),
        "archive": Collect(),
    }
    alert = _hold(store, config, "Peskov on NATO talks today", now=1000.0)
    (result,) = flush_digests(channels, store, config, now=_at(1060.0))
    assert (result.status, result.detail) == ("dead", "SMTP 550")
    assert [e.alert_id for e in store.list_deliveries("dead")] == [alert.id]


def test_an_unreadable_held_payload_is_dead_and_the_rest_still_go() -> None:
    store = MemoryStore()
    store.put_delivery(entry(1, due=100.0))
    store.put_delivery(replace(entry(2, due=100.0), payload="{not json"))
    desk = FakeDigest()
    results = deliver_digest(desk, store, now=100.0)
    assert desk.digests == [[f"alrt_{1:024d}"]]
    assert sorted(r.status for r in results) == ["dead", "sent"]


def test_once_leaves_a_digest_that_is_not_due_held_for_the_next_run(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Peskov on NATO talks today\n\nPeskov said NATO.\n")
    base = _config("1h").model_dump(by_alias=True)
    base["feeds"] = [{"id": "drop", "path": str(inbox), "every": 1}]
    config = Config.model_validate(base)
    desk = FakeDigest()
    runtime = Runtime(
        config, MemoryStore(), build_matcher(config), {"desk": desk, "archive": Collect()}
    )
    stats = EmbeddedRunner(runtime).run(once=True)
    assert stats.alerts == 1 and desk.digests == []
    (held,) = runtime.store.list_deliveries("held")
    # the next run, once the hour has passed: the held alert goes, alone, once
    runtime.store.put_delivery(replace(held, due=utcnow().timestamp() - 1))
    EmbeddedRunner(runtime).run(once=True)
    assert desk.digests == [[held.alert_id]]
    assert runtime.store.list_deliveries("held") == []
    assert desk.single == []


def test_a_channel_that_gains_a_digest_holds_what_was_pending() -> None:
    store = MemoryStore()
    alert = _hold(store, _config(digest=None), "Peskov on NATO talks today", now=1000.0)
    assert store.get_delivery(alert.id, "desk").status == "pending"  # type: ignore[union-attr]
    desk = FakeDigest()
    channels: dict[str, Any] = {"desk": desk, "archive": Collect()}
    # the resume path of the next run, now with `digest: 60s`
    resumed = deliver_alerts([alert], channels, store, _config("60s"), now=_at(2000.0), only="desk")
    assert resumed == []
    held = store.get_delivery(alert.id, "desk")
    assert held is not None and (held.status, held.due) == ("held", 2060.0)
    assert desk.single == []


def test_alerts_held_for_a_channel_that_lost_its_digest_are_sent_one_by_one(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    alert = _hold(store, _config("1h"), "Peskov on NATO talks today", now=1000.0)
    base = _config(digest=None).model_dump(by_alias=True)
    base["feeds"] = [{"id": "drop", "path": str(tmp_path), "every": 1}]
    config = Config.model_validate(base)
    desk = FakeDigest()
    runtime = Runtime(config, store, build_matcher(config), {"desk": desk, "archive": Collect()})
    EmbeddedRunner(runtime).run(once=True)
    assert desk.single == [alert.id] and desk.digests == []
    sent = store.get_delivery(alert.id, "desk")
    assert sent is not None and sent.status == "sent"
