"""Unit tests for monitor.alerts: story grouping, alert ids, backoff and the ledger."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from monitor.alerts.decide import alert_id, decide, story_key, title_fingerprint
from monitor.alerts.deliver import deliver_each
from monitor.alerts.retry import compute_backoff
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.model import Alert, Hit, Match, SpeakerMatch, WireItem
from monitor.state.base import LedgerEntry, StoryRecord
from monitor.state.memory import MemoryStore

WINDOW = 86400.0
NOW = 1_700_000_000.0

TITLE = "Peskov: Russia expects security guarantees from NATO"


def item(**kw: object) -> WireItem:
    values: dict[str, object] = {
        "id": "sputnik-1",
        "title": TITLE,
        "body": "MOSCOW, Jan 12 - Kremlin spokesman Dmitry Peskov said NATO must listen.",
        "source": "seeds/peskov.txt",
        "agency": "Sputnik",
        "publisher": "UrduPoint",
        "language": "en",
    }
    values.update(kw)
    return WireItem(**values)  # type: ignore[arg-type]


def match(watchlist: str = "russia-nato") -> Match:
    return Match(
        watchlist=watchlist,
        topics=("NATO",),
        speakers=(SpeakerMatch("Dmitry Peskov", "quoted", "NATO must listen."),),
        hits=(Hit(field="title", start=44, end=48, text="NATO", topic="NATO"),),
        channels=("stdout", "archive"),
    )


# --- story keys ------------------------------------------------------------------------


def test_story_key_groups_near_same_titles_across_outlets() -> None:
    a = item(id="a", title="Peskov: Russia expects security guarantees from NATO")
    b = item(id="b", title="PESKOV — Russia expects security guarantees from NATO - Reuters")
    c = item(id="c", title="Pėskov: Russia expects security guarantees from NATO!")
    assert story_key(a) == story_key(b) == story_key(c)
    assert story_key(a).startswith("title:")
    other = item(id="d", title="Peskov: Russia rejects security guarantees from NATO")
    assert story_key(other) != story_key(a)


def test_story_key_of_short_title_is_the_story_id() -> None:
    assert story_key(item(id="x1", title="Breaking news")) == "x1"
    assert story_key(item(id="x1", story_id="story-9", title="Update")) == "story-9"
    assert title_fingerprint("one two three") is None


def test_arabic_title_variants_group() -> None:
    plain = "بيسكوف: روسيا تنتظر ضمانات أمنية من الناتو ٢٠٢٢"
    decorated = "بيسكـــوف: رُوسيا تنتظر ضمانات أمنية من الناتو 2022"
    assert title_fingerprint(plain) == title_fingerprint(decorated)


def test_alert_id_is_deterministic() -> None:
    key = story_key(item())
    assert alert_id("russia-nato", key) == (
        "alrt_" + hashlib.sha256(("russia-nato" + key).encode()).hexdigest()[:24]
    )
    # a new alert's id is that of its story key within the current story window
    expected = alert_id("russia-nato", f"{key}@{int(NOW // WINDOW)}")
    first = decide(match(), item(), MemoryStore(), window=WINDOW, now=NOW)
    second = decide(match(), item(), MemoryStore(), window=WINDOW, now=NOW + 5)
    assert first is not None and second is not None
    assert first.id == second.id == expected


# --- decide ----------------------------------------------------------------------------


def test_new_story_gives_an_alert() -> None:
    store = MemoryStore()
    alert = decide(match(), item(), store, window=WINDOW, now=NOW)
    assert alert is not None
    assert alert.watchlist == "russia-nato"
    assert alert.sources == ("UrduPoint",)
    assert alert.channels == ("stdout", "archive")
    assert alert.created_at == "2023-11-14T22:13:20Z"
    assert alert.speakers[0].quote == "NATO must listen."
    record = store.get_story("russia-nato", story_key(item()))
    assert record is not None and record.alert_id == alert.id


class _CountingStore(MemoryStore):
    """Counts the story reads and writes that reach the store (one per round trip on Redis)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get_stories(self, watchlist: str, story_keys: list[str]) -> list[StoryRecord | None]:
        self.calls.append(f"get {len(story_keys)}")
        return super().get_stories(watchlist, story_keys)

    def put_stories(self, records: list[StoryRecord], ttl_seconds: float) -> None:
        self.calls.append(f"put {len(records)}")
        super().put_stories(records, ttl_seconds)


def test_a_story_is_looked_up_and_recorded_under_all_its_names_in_one_call_each() -> None:
    body = " ".join(f"word{n} of the wire story" for n in range(60))  # long: body keys
    store = _CountingStore()
    assert decide(match(), item(body=body), store, window=WINDOW, now=NOW) is not None
    names = 2 + 32  # title fingerprint, story id, the body's bands
    assert store.calls == [f"get {names}", f"put {names}"]
    store.calls.clear()
    copy = item(id="copy", publisher="Al Mayadeen", title="Another headline entirely", body=body)
    assert decide(match(), copy, store, window=WINDOW, now=NOW + 60) is None
    # a short headline has no fingerprint: the story id and the body's bands
    assert store.calls[0] == f"get {names - 1}" and store.calls[-1].startswith("put ")
    assert len(store.calls) <= 3  # at most one more read: the alert's primary record


def test_republication_adds_source_and_gives_none() -> None:
    store = MemoryStore()
    first = decide(match(), item(), store, window=WINDOW, now=NOW)
    assert first is not None
    again = item(id="other-outlet-77", publisher="Al Mayadeen", title=TITLE + " - Al Mayadeen")
    assert decide(match(), again, store, window=WINDOW, now=NOW + 60) is None
    # the same copy again adds nothing
    assert decide(match(), again, store, window=WINDOW, now=NOW + 90) is None
    record = store.get_story("russia-nato", story_key(item()))
    assert record is not None
    assert record.sources == ("UrduPoint", "Al Mayadeen")
    assert record.alert_id == first.id
    assert record.updates == 1


def test_update_with_new_title_groups_by_story_id() -> None:
    store = MemoryStore()
    first = decide(match(), item(story_id="st-1"), store, window=WINDOW, now=NOW)
    assert first is not None
    update = item(
        id="sputnik-2", story_id="st-1", title="UPDATE 1: Kremlin repeats demands to NATO"
    )
    assert decide(match(), update, store, window=WINDOW, now=NOW + 600) is None
    # a republication of the *updated* title now groups too
    copy = item(id="zz", publisher="Other", title="UPDATE 1: Kremlin repeats demands to NATO")
    assert decide(match(), copy, store, window=WINDOW, now=NOW + 700) is None


def test_different_watchlist_gives_a_new_alert() -> None:
    store = MemoryStore()
    a = decide(match("russia-nato"), item(), store, window=WINDOW, now=NOW)
    b = decide(match("kremlin"), item(), store, window=WINDOW, now=NOW + 1)
    assert a is not None and b is not None
    assert a.id != b.id


def test_after_the_window_a_new_alert() -> None:
    store = MemoryStore()
    first = decide(match(), item(), store, window=WINDOW, now=NOW)
    assert first is not None
    copy = item(id="copy", publisher="Other outlet")
    assert decide(match(), copy, store, window=WINDOW, now=NOW + WINDOW - 1) is None
    later = decide(match(), item(), store, window=WINDOW, now=NOW + WINDOW + 1)
    assert later is not None
    # a new alert, not the old one again: the ledger would drop a repeated id
    assert later.id != first.id


def test_the_item_that_raised_an_alert_gets_the_same_alert_when_decided_again() -> None:
    # A redelivered task or a crash between deciding and delivering must lose nothing:
    # the same alert comes back with the same id, and the ledger drops what was sent.
    store = MemoryStore()
    first = decide(match(), item(), store, window=WINDOW, now=NOW)
    again = decide(match(), item(), store, window=WINDOW, now=NOW + 30)
    assert first is not None and again is not None
    assert again.id == first.id and again.created_at == first.created_at


def test_window_is_not_extended_by_republications() -> None:
    store = MemoryStore()
    assert decide(match(), item(), store, window=100, now=NOW) is not None
    for step in range(1, 10):
        copy = item(id=f"copy-{step}", publisher=f"Outlet {step}")
        assert decide(match(), copy, store, window=100, now=NOW + step * 10) is None
    assert decide(match(), item(), store, window=100, now=NOW + 101) is not None


def test_source_falls_back_to_url_then_source() -> None:
    bare = item(publisher=None, agency=None, url="https://example.org/a")
    alert = decide(match(), bare, MemoryStore(), window=WINDOW, now=NOW)
    assert alert is not None and alert.sources == ("https://example.org/a",)
    barer = item(publisher=None, agency=None, url=None)
    alert = decide(match(), barer, MemoryStore(), window=WINDOW, now=NOW)
    assert alert is not None and alert.sources == ("seeds/peskov.txt",)


# --- backoff ---------------------------------------------------------------------------


def test_backoff_bounds() -> None:
    rng = random.Random(7)
    for attempt in range(1, 30):
        ceiling = min(3600.0, 2.0 * 2 ** (attempt - 1))
        for _ in range(50):
            delay = compute_backoff(attempt, rng=rng.random)
            assert 0.0 <= delay <= ceiling
    assert compute_backoff(3, rng=lambda: 1.0) == 8.0
    assert compute_backoff(1, rng=lambda: 0.5) == 1.0
    assert compute_backoff(10_000, rng=lambda: 1.0) == 3600.0


def test_backoff_honours_retry_after_and_cap() -> None:
    assert compute_backoff(1, retry_after=7, rng=lambda: 0.0) == 7.0
    assert compute_backoff(5, retry_after=7, rng=lambda: 1.0) == 32.0
    assert compute_backoff(1, retry_after=99_999, rng=lambda: 0.0) == 3600.0
    assert compute_backoff(2, cap=3, rng=lambda: 1.0) == 3.0


# --- deliver and the ledger ---------------------------------------------------------------


class FakeChannel:
    def __init__(self, name: str = "hook", fail: Exception | None = None) -> None:
        self.name = name
        self.fail = fail
        self.sent: list[str] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert.id)
        if self.fail is not None:
            raise self.fail


def new_alert() -> Alert:
    alert = decide(match(), item(), MemoryStore(), window=WINDOW, now=NOW)
    assert alert is not None
    return alert


def test_deliver_sends_once() -> None:
    store, channel, alert = MemoryStore(), FakeChannel(), new_alert()
    first = deliver_each([alert], channel, store, now=NOW)[0]
    assert first.status == "sent" and first.detail == "sent"
    second = deliver_each([alert], channel, store, attempt=2, now=NOW + 1)[0]
    assert second.status == "sent" and second.detail == "already sent"
    assert channel.sent == [alert.id]
    entry = store.get_delivery(alert.id, "hook")
    assert entry is not None and entry.status == "sent"
    assert Alert.from_message(json.loads(entry.payload)) == alert


def test_deliver_transient_then_retry_then_sent() -> None:
    store, alert = MemoryStore(), new_alert()
    flaky = FakeChannel(fail=TransientDeliveryError("webhook: HTTP 429", retry_after=30))
    result = deliver_each([alert], flaky, store, attempt=1, now=NOW)[0]
    assert result.status == "retry"
    assert result.retry_after is not None and 30.0 <= result.retry_after <= 3600.0
    entry = store.get_delivery(alert.id, "hook")
    assert entry is not None and (entry.status, entry.attempts) == ("pending", 1)
    assert "429" in entry.detail
    flaky.fail = None
    assert deliver_each([alert], flaky, store, attempt=2, now=NOW + 30)[0].status == "sent"
    entry = store.get_delivery(alert.id, "hook")
    assert entry is not None and (entry.status, entry.attempts) == ("sent", 2)


def test_deliver_exhausted_retries_are_dead() -> None:
    store, alert = MemoryStore(), new_alert()
    channel = FakeChannel(fail=TransientDeliveryError("timed out"))
    result = deliver_each([alert], channel, store, attempt=8, max_attempts=8, now=NOW)[0]
    assert result.status == "dead" and result.retry_after is None
    entry = store.get_delivery(alert.id, "hook")
    assert entry is not None and entry.status == "dead" and entry.payload
    assert [e.alert_id for e in store.list_deliveries("dead")] == [alert.id]


def test_deliver_permanent_error_is_dead_with_one_line_detail() -> None:
    store, alert = MemoryStore(), new_alert()
    channel = FakeChannel(fail=DeliveryError("webhook: HTTP 400\nBad Request"))
    result = deliver_each([alert], channel, store, now=NOW)[0]
    assert result.status == "dead"
    assert "\n" not in result.detail and "400" in result.detail


def test_deliver_unexpected_error_is_retried_without_its_text() -> None:
    store, alert = MemoryStore(), new_alert()
    channel = FakeChannel(fail=RuntimeError("secret-s3ntinel"))
    result = deliver_each([alert], channel, store, attempt=1, now=NOW)[0]
    assert result.status == "retry"
    assert "secret-s3ntinel" not in result.detail
    assert "RuntimeError" in result.detail


def test_deliver_dead_letter_can_be_resent() -> None:
    store, alert = MemoryStore(), new_alert()
    store.put_delivery(
        LedgerEntry(alert.id, "hook", "dead", 8, "gave up", NOW, json.dumps(alert.to_message()))
    )
    channel = FakeChannel()
    assert deliver_each([alert], channel, store, attempt=1, now=NOW + 5)[0].status == "sent"
    assert channel.sent == [alert.id]


@pytest.mark.parametrize("channel_name", ["a", "b"])
def test_ledger_is_per_channel(channel_name: str) -> None:
    store, alert = MemoryStore(), new_alert()
    deliver_each([alert], FakeChannel("a"), store, now=NOW)
    other = FakeChannel(channel_name)
    deliver_each([alert], other, store, now=NOW)
    assert other.sent == ([] if channel_name == "a" else [alert.id])


def test_lone_surrogates_neither_crash_decide_nor_the_ledger() -> None:
    broken = item(id="id-\udcff", title="bad \udcff", story_id=None)
    store = MemoryStore()
    alert = decide(match(), broken, store, window=WINDOW, now=NOW)
    assert alert is not None and alert.id.startswith("alrt_")
    deliver_each([alert], FakeChannel(), store, now=NOW)
    entry = store.get_delivery(alert.id, "hook")
    assert entry is not None
    entry.payload.encode("utf-8")
    assert Alert.from_message(json.loads(entry.payload)).item.id == "id-\udcff"


def test_alert_hits_carry_snippets() -> None:
    alert = decide(match(), item(), MemoryStore(), window=WINDOW, now=NOW)
    assert alert is not None
    [hit] = alert.to_dict()["hits"]
    assert "NATO" in hit["snippet"] and hit["snippet"] == TITLE
    given = Hit(field="body", start=0, end=6, text="MOSCOW", topic="X", snippet="kept as is")
    m = Match("russia-nato", ("X",), (), (given,))
    alert = decide(m, item(), MemoryStore(), window=WINDOW, now=NOW)
    assert alert is not None and alert.hits == (given,)
