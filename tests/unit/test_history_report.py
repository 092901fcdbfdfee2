"""The history commands' output (``monitor.history.report``) and the backtest's
comparison (``monitor.history.backtest.compare``): pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.history.backtest import BacktestRun, compare
from monitor.history.readers import Counts
from monitor.history.records import DeliveryAttempt, StoredAlert
from monitor.history.report import (
    alert_json,
    alert_row,
    alert_show,
    also_carried_by,
    backtest_json,
    backtest_text,
    feed_status,
    feeds_text,
    stats_json,
    stats_text,
)
from monitor.model import Alert, Hit, SpeakerMatch, WireItem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def make_alert(ident: str, title: str, watchlist: str = "nato", **extra: object) -> Alert:
    item = WireItem(id=ident, title=title, body="", source="x", language="en")
    values: dict[str, object] = {
        "id": f"alrt_{ident}",
        "watchlist": watchlist,
        "item": item,
        "topics": ("NATO",),
        "speakers": (),
        "hits": (),
        "story_id": ident,
        "sources": ("AP",),
        "created_at": "2026-03-01T10:00:00Z",
    }
    values.update(extra)
    return Alert(**values)  # type: ignore[arg-type]


# --- feeds status ----------------------------------------------------------------------
def every_ten_minutes(count: int, last: datetime) -> list[datetime]:
    return [last - 10 * MINUTE * n for n in reversed(range(count))]


def test_a_feed_is_quiet_after_four_times_its_usual_gap_and_not_before() -> None:
    last = NOW - 41 * MINUTE
    status = feed_status("wire", every_ten_minutes(6, last), now=NOW, configured=True)
    assert status.usual_gap == 600 and status.quiet
    last = NOW - 39 * MINUTE
    assert not feed_status("wire", every_ten_minutes(6, last), now=NOW, configured=True).quiet


def test_a_feed_with_too_few_items_has_no_rhythm_to_judge() -> None:
    times = every_ten_minutes(4, NOW - timedelta(days=3))
    status = feed_status("wire", times, now=NOW, configured=True)
    assert status.usual_gap is None and not status.quiet
    assert not feed_status("empty", [], now=NOW, configured=True).quiet


def test_items_per_day_counts_the_last_week_only() -> None:
    times = [NOW - timedelta(days=10), *(NOW - timedelta(hours=h) for h in range(14))]
    assert feed_status("wire", times, now=NOW, configured=True).per_day == 2.0


def test_feeds_text_says_failing_quiet_and_not_in_config() -> None:
    failing = feed_status(
        "a", [], now=NOW, configured=True, last_error="HTTP 500", error_streak=3, interval=450
    )
    times = every_ten_minutes(6, NOW - timedelta(hours=3))
    gone = feed_status("b\tc", times, now=NOW, configured=False)
    header, first, second = feeds_text([failing, gone]).splitlines()
    assert header.split("\t")[0] == "FEED"
    assert first.split("\t") == ["a", "-", "HTTP 500", "3", "7.5m", "0.0", "-", "-", "failing"]
    # a feed id is one cell even with a tab in it
    assert second.split("\t")[0] == "b c" and second.endswith("\tquiet (not in config)")


# --- alerts ----------------------------------------------------------------------------
def test_alert_show_lists_hits_speakers_attempts_and_outlets() -> None:
    alert = make_alert(
        "en1",
        "NATO talks\nresume",
        hits=(Hit("title", 0, 4, "NATO", topic="NATO", snippet="NATO talks resume"),),
        speakers=(SpeakerMatch("Dmitry Peskov", "quoted", "no\ndeal"),),
        sources=("AP", "Reuters"),
    )
    attempts = (DeliveryAttempt("alrt_en1", "desk", 1, "dead", NOW, "550 no such user"),)
    text = alert_show(StoredAlert(alert, NOW, attempts), ["Reuters", "BBC"])
    assert "  headline:  NATO talks resume" in text  # one line, whatever the feed sent
    assert "  NATO in title [0:4] 'NATO': NATO talks resume" in text
    assert '  Dmitry Peskov (quoted): "no deal"' in text
    assert "  2026-03-01T12:00:00Z desk attempt 1: dead 550 no such user" in text
    assert text.endswith("also carried by: Reuters, BBC")


def test_alert_show_says_when_there_is_nothing_to_show() -> None:
    text = alert_show(StoredAlert(make_alert("en1", "Talks", sources=()), NOW), [])
    assert "evidence:\n  (no hits stored)\nspeakers:\n  -\ndeliveries:\n  (none recorded)" in text
    assert text.endswith("also carried by: -")


def test_also_carried_by_leaves_out_the_outlet_shown_and_repeats() -> None:
    alert = make_alert("en1", "Talks", sources=("AP", "Reuters"))
    assert also_carried_by(alert, ["AP", "BBC", "Reuters"]) == ["Reuters", "BBC"]


def test_alert_json_and_row() -> None:
    retried = DeliveryAttempt("alrt_en1", "desk", 1, "sent", NOW + timedelta(hours=1), series=1)
    stored = StoredAlert(
        make_alert("en1", "Talks"),
        NOW,
        (DeliveryAttempt("alrt_en1", "desk", 1, "dead", NOW, "550", series=0), retried),
    )
    data = alert_json(stored, ["BBC"])
    assert data["id"] == "alrt_en1" and data["created_at"] == "2026-03-01T12:00:00Z"
    assert data["deliveries"] == [
        {"channel": "desk", "series": 0, "attempt": 1, "at": "2026-03-01T12:00:00Z",
         "status": "dead", "detail": "550"},
        {"channel": "desk", "series": 1, "attempt": 1, "at": "2026-03-01T13:00:00Z",
         "status": "sent", "detail": ""},
    ]  # fmt: skip
    # a retry's series is named; the attempts as decided read as before
    assert alert_show(stored, []).splitlines()[-3:-1] == [
        "  2026-03-01T12:00:00Z desk attempt 1: dead 550",
        "  2026-03-01T13:00:00Z desk retry 1 attempt 1: sent",
    ]
    assert data["also_carried_by"] == ["BBC"]
    assert alert_row(stored) == "alrt_en1\tnato\t2026-03-01T12:00:00Z\tTalks"


# --- backtest --------------------------------------------------------------------------
def test_compare_pairs_alerts_by_watchlist_and_story_once_per_window() -> None:
    first = make_alert("en1", "NATO ministers meet in Brussels")
    again = make_alert("en1b", "NATO ministers meet in Brussels", created_at="2026-03-02T10:00Z")
    other = make_alert("ru1", "Министры НАТО встретились в Брюсселе")
    sanctions = make_alert("en1", "NATO ministers meet in Brussels", watchlist="sanctions")
    candidate = BacktestRun((first, again, other), items=10, matches=4)
    baseline = BacktestRun((first, sanctions), items=10, matches=2)
    result = compare(candidate, baseline)
    # the same story on another watchlist is another alert; a second window's alert
    # on a story pairs with nothing
    assert [a.id for a in result.added] == ["alrt_en1b", "alrt_ru1"]
    assert [a.watchlist for a in result.removed] == ["sanctions"]


def test_backtest_text_and_json() -> None:
    kept = make_alert("en1", "Kept")
    new = make_alert("en2", "New\theadline", created_at="2026-03-01T11:00:00Z")
    gone = make_alert("ar1", "وزراء الناتو", watchlist="w2")
    result = compare(BacktestRun((kept, new), 5, 3), BacktestRun((kept, gone), 5, 2))
    assert backtest_text(result, "the current config").splitlines() == [
        "backtest: 5 items, 3 matches, 2 alerts (nothing sent)",
        "  nato\t2026-03-01T10:00:00Z\tKept",
        "  nato\t2026-03-01T11:00:00Z\tNew headline",
        "against the current config (2 alerts): 1 added, 1 removed",
        "+ nato\t2026-03-01T11:00:00Z\tNew headline",
        "- w2\t2026-03-01T10:00:00Z\tوزراء الناتو",
    ]
    data = backtest_json(result, "the current config")
    assert [a["item"] for a in data["added"]] == ["en2"] and data["removed"][0]["item"] == "ar1"
    assert data["added"][0]["headline"] == "New\theadline"  # JSON keeps the text as it is
    assert (data["items"], data["matches"], data["baseline_alerts"]) == (5, 3, 2)


# --- stats -----------------------------------------------------------------------------
def test_stats_text_and_json() -> None:
    found = {
        "watchlist": {"nato": Counts(0, 4, 1)},
        "feed": {"wire": Counts(8, 4, 1)},
        "language": {},
    }
    assert stats_text(found, "24h").splitlines() == [
        "since 24h",
        "",
        "WATCHLIST\tITEMS\tMATCHES\tALERTS",
        "nato\t-\t4\t1",
        "",
        "FEED\tITEMS\tMATCHES\tALERTS",
        "wire\t8\t4\t1",
        "",
        "LANGUAGE\tITEMS\tMATCHES\tALERTS",
        "(none)",
    ]
    assert stats_json(found)["feed"] == {"wire": {"items": 8, "matches": 4, "alerts": 1}}
