"""The history's operator commands on real SQLite and real PostgreSQL: ``backtest``
(against output written by hand), ``alerts show``, ``alerts list --watchlist --since
--json``, ``feeds status`` and ``stats``, run in-process through ``monitor.cli.main``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import load_config
from monitor.history import DeliveryAttempt, HistoryBatch, open_history
from monitor.model import Alert, Hit, SpeakerMatch, WireItem
from monitor.pipeline import PollResult, commit_poll
from monitor.state import open_store
from monitor.state.base import LAST_POLL_KEY
from tests.integration import test_history

pg_url = test_history.pg_url  # the same databases as the history's own tests
url = test_history.url

pytestmark = pytest.mark.integration

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)

TOPICS_NOW = """
topics:
  NATO: [NATO, НАТО, الناتو]
  sanctions: [sanctions, санкции]
"""
# the new config: NATO loses its Arabic term and gains "Alliance"; sanctions on steel
# no longer count
TOPICS_NEW = """
topics:
  NATO: [NATO, НАТО, Alliance]
  sanctions:
    terms: [sanctions, санкции]
    exclude: [sanctions on steel]
"""
REST = """
feeds:
  - id: wire
    url: http://127.0.0.1:9/rss
    every: 5m
watchlists:
  nato: {{topics: [NATO], channels: [out]}}
  sanctions: {{topics: [sanctions], channels: [out]}}
channels:
  out: {{type: console}}
settings:
  state_dir: {state}
  history_url: "{url}"
  story_window: 1h
"""

# (minutes after T0, id, language, title, body, publisher)
STORED = [
    (0, "en1", "en", "NATO ministers meet in Brussels today", "The ministers met.", "AP"),
    (10, "ru1", "ru", "Министры НАТО встретились в Брюсселе сегодня", "Встреча прошла.", "TASS"),
    (20, "ar1", "ar", "وزراء الناتو يجتمعون في بروكسل اليوم", "عقد الاجتماع.", "Sputnik"),
    (30, "en2", "en", "NATO ministers meet in Brussels today - Reuters", "Met.", "Reuters"),
    (40, "en3", "en", "New sanctions on steel imports announced", "The list grew.", "AP"),
    (50, "ru2", "ru", "Новые санкции против банков объявлены вчера", "Список вырос.", "TASS"),
    (60, "en5", "en", "Alliance leaders gather for summit talks", "They gathered.", "AP"),
    (180, "en4", "en", "NATO ministers meet in Brussels today", "They met again.", "AP"),
]


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def stored_items() -> list[WireItem]:
    return [
        WireItem(
            id=ident,
            title=title,
            body=body,
            source="http://127.0.0.1:9/rss",
            language=language,
            publisher=publisher,
            feed_id="wire",
            fetched_at=_at(minutes),
        )
        for minutes, ident, language, title, body, publisher in STORED
    ]


def write_config(tmp_path: Path, name: str, topics: str, url: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    state = tmp_path / "state"
    path.write_text(topics + REST.format(state=state, url=url), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(url: str, tmp_path: Path) -> Path:
    """The current config, its history holding ``STORED`` and one live alert."""
    current = write_config(tmp_path, "current", TOPICS_NOW, url)
    items = stored_items()
    alert = Alert(
        id="alrt_live1",
        watchlist="nato",
        item=items[0],
        topics=("NATO",),
        speakers=(SpeakerMatch("Jens Stoltenberg", "quoted", "we stand together"),),
        hits=(Hit("title", 0, 4, "NATO", topic="NATO", snippet="NATO ministers meet"),),
        story_id="en1",
        sources=("AP",),
        channels=("out",),
        created_at=_at(0),
    )
    attempts = (
        DeliveryAttempt("alrt_live1", "out", 1, "retry", T0, "timed out"),
        DeliveryAttempt("alrt_live1", "out", 2, "sent", T0 + timedelta(minutes=1)),
    )
    with open_history(url) as history:
        history.write(HistoryBatch(items=tuple(items)))
        history.write(HistoryBatch(alerts=(alert,), deliveries=attempts))
    return current


def test_backtest_of_a_new_config_adds_and_removes_what_was_written_by_hand(
    filled: Path, tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_config(tmp_path, "new", TOPICS_NEW, url)
    code, out, err = run(capsys, "--config", str(filled), "backtest", "--config", str(new))
    assert code == 0, err
    # The new config over the 8 stored items, in the order seen: en2 is en1's story
    # republished (no alert), en4 is that story again after its 1h window (an alert).
    assert out.splitlines() == [
        "backtest: 8 items, 6 matches, 5 alerts (nothing sent)",
        f"  nato\t{_at(0)}\tNATO ministers meet in Brussels today",
        f"  nato\t{_at(10)}\tМинистры НАТО встретились в Брюсселе сегодня",
        f"  sanctions\t{_at(50)}\tНовые санкции против банков объявлены вчера",
        f"  nato\t{_at(60)}\tAlliance leaders gather for summit talks",
        f"  nato\t{_at(180)}\tNATO ministers meet in Brussels today",
        "against the current config (6 alerts): 1 added, 2 removed",
        f"+ nato\t{_at(60)}\tAlliance leaders gather for summit talks",
        f"- nato\t{_at(20)}\tوزراء الناتو يجتمعون في بروكسل اليوم",
        f"- sanctions\t{_at(40)}\tNew sanctions on steel imports announced",
    ]
    code, out, err = run(
        capsys, "--config", str(filled), "backtest", "--config", str(new), "--json"
    )
    report = json.loads(out)
    assert [a["item"] for a in report["added"]] == ["en5"]
    assert [(a["item"], a["language"]) for a in report["removed"]] == [("ar1", "ar"), ("en3", "en")]
    assert report["baseline_alerts"] == 6 and report["items"] == 8


def test_backtest_of_one_watchlist_against_the_stored_alerts(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "--config", str(filled), "backtest", "--watchlist", "nato", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert [a["item"] for a in report["alerts"]] == ["en1", "ru1", "ar1", "en4"]
    # the live monitor alerted on en1 only: the rest would be new; en4 is the same
    # story as en1 after its window, so it pairs with nothing stored
    assert report["baseline"] == "the alerts stored in the history"
    assert [a["item"] for a in report["added"]] == ["ru1", "ar1", "en4"]
    assert report["removed"] == []
    code, out, err = run(
        capsys, "--config", str(filled), "backtest", "--watchlist", "nato", "--since", "1h"
    )
    assert out.splitlines()[0] == "backtest: 0 items, 0 matches, 0 alerts (nothing sent)"
    code, out, err = run(capsys, "--config", str(filled), "backtest", "--watchlist", "nope")
    assert code == 2 and "--watchlist nope: not in the current config" in err


def test_alerts_show_prints_evidence_deliveries_and_other_outlets(
    filled: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # another outlet carried the story: the same story id, stored later
    copy = WireItem(
        id="en1-copy", title="NATO ministers", body="", source="x", publisher="BBC", story_id="en1"
    )
    with open_history(url) as history:
        history.write(HistoryBatch(items=(copy,)))
    code, out, err = run(capsys, "--config", str(filled), "alerts", "show", "alrt_live1")
    assert code == 0, err
    assert "  NATO in title [0:4] 'NATO': NATO ministers meet" in out
    assert '  Jens Stoltenberg (quoted): "we stand together"' in out
    assert f"  {_at(0)} out attempt 1: retry timed out" in out
    assert out.rstrip().endswith("also carried by: BBC")
    code, out, err = run(capsys, "--config", str(filled), "alerts", "show", "alrt_live1", "--json")
    shown = json.loads(out)
    assert [d["status"] for d in shown["deliveries"]] == ["retry", "sent"]
    assert shown["also_carried_by"] == ["BBC"] and shown["hits"][0]["snippet"]
    code, out, err = run(capsys, "--config", str(filled), "alerts", "show", "alrt_nope")
    assert code == 1 and "no alert 'alrt_nope' in the history" in err


def test_alerts_list_by_watchlist_and_since_and_as_json(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--config", str(filled), "alerts", "list", "--watchlist", "nato")
    assert code == 0, err
    assert out.splitlines() == [
        f"alrt_live1\tnato\t{_at(0)}\tNATO ministers meet in Brussels today"
    ]
    code, out, _ = run(
        capsys, "--config", str(filled), "alerts", "list", "--watchlist", "sanctions"
    )
    assert out == ""
    code, out, _ = run(capsys, "--config", str(filled), "alerts", "list", "--since", "1h")
    assert out == ""  # raised 5 hours ago
    code, out, _ = run(capsys, "--config", str(filled), "alerts", "list", "--json")
    [line] = [json.loads(text) for text in out.splitlines()]
    assert line["id"] == "alrt_live1" and len(line["deliveries"]) == 2


def test_stats_count_items_matches_and_alerts_per_watchlist_feed_and_language(
    filled: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--config", str(filled), "stats", "--since", "30d", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["language"]["en"] == {"items": 5, "matches": 0, "alerts": 1}
    assert found["language"]["ar"]["items"] == 1 and found["feed"]["wire"]["items"] == 8
    assert found["watchlist"] == {"nato": {"items": 0, "matches": 0, "alerts": 1}}
    code, out, err = run(capsys, "--config", str(filled), "stats")  # the last 24h
    assert code == 0 and "wire\t8\t0\t1" in out.splitlines()


def test_feeds_status_reads_the_history_and_the_state_store(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(load_config(filled).settings)  # the one `monitor run` keeps
    polled = T0 + timedelta(hours=4)
    store.set_feed_state("wire", {LAST_POLL_KEY: repr(polled.timestamp()), "interval": "450.0"})
    store.close()
    code, out, err = run(capsys, "--config", str(filled), "feeds", "status", "--json")
    assert code == 0, err
    [status] = [json.loads(line) for line in out.splitlines()]
    assert status["last_success"] == polled.isoformat().replace("+00:00", "Z")
    assert status["interval"] == 450.0 and status["items"] == 8
    # items every 10 minutes, the last 2 hours ago: more than 4 times its usual gap
    assert status["usual_gap"] == 600.0 and status["quiet"] is True
    # --config after the action works as before the command
    code, out, err = run(capsys, "feeds", "status", "--config", str(filled))
    assert code == 0, err
    assert out.splitlines()[1].startswith("wire\t") and out.splitlines()[1].endswith("\tquiet")


def test_feeds_status_shows_the_errors_monitor_run_recorded(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the feed's port takes no connection: every poll of `run --once` fails
    for _ in range(2):
        code, _, err = run(capsys, "--config", str(filled), "run", "--once")
        assert code == 3, err
    code, out, err = run(capsys, "--config", str(filled), "feeds", "status", "--json")
    [status] = [json.loads(line) for line in out.splitlines()]
    assert status["error_streak"] == 2 and status["last_error"], status
    assert "wire" in status["last_error"] or "127.0.0.1" in status["last_error"]
    state = open_store(load_config(filled).settings)
    try:  # a success starts the streak again
        commit_poll(PollResult(feed_id="wire", polled_at=T0.timestamp()), state)
    finally:
        state.close()
    code, out, err = run(capsys, "--config", str(filled), "feeds", "status", "--json")
    assert json.loads(out)["error_streak"] == 0
