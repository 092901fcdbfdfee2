"""The `monitor` command as users call it (subprocesses): `check`, `match`,
`send-test`, `alerts`, `items`. Output shapes are those of docs/output.md."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from monitor.cli import sample_alert
from monitor.state.base import LedgerEntry, QueuedItem
from monitor.state.sqlite import SqliteStore
from tests.helpers import (
    ROOT,
    SEED_AR,
    SEEDS,
    example_config,
    free_port,
    monitor_env,
    run_monitor,
)

ITEM_KEYS = {"id", "title", "url", "language", "published", "agency", "publisher"}
LINE_KEYS = {"source", "item", "watchlist", "topics", "speakers", "hits"}


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_check_accepts_the_shipped_config(tmp_path: Path) -> None:
    result = run_monitor(["check", "--config", str(ROOT / "config")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "russia-nato" in result.stdout


def test_check_names_file_line_and_key_of_each_fault(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "feeds:\n"
        "  - id: wire\n"
        "    url: https://example.org/rss\n"
        "    every: soon\n"
        "watchlists:\n"
        "  w:\n"
        "    topics: [Nowhere]\n",
        encoding="utf-8",
    )
    result = run_monitor(["check", "--config", str(bad)], tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(re.match(rf"{re.escape(str(bad))}:4: feeds\S*every: ", line) for line in lines), (
        lines
    )
    assert any(
        re.match(rf"{re.escape(str(bad))}:7: watchlists\.w\.topics\S*: ", line) for line in lines
    ), lines


def test_match_prints_the_fields_of_spec_section_5(tmp_path: Path) -> None:
    result = run_monitor(["match", "--config", str(ROOT / "config"), str(SEED_AR)], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stdout)
    assert len(lines) == 1
    line = lines[0]
    assert set(line) == LINE_KEYS
    item = line["item"]
    assert isinstance(item, dict) and set(item) == ITEM_KEYS
    assert item["language"] == "ar"
    assert line["watchlist"] == "russia-nato"
    assert set(line["topics"]) == {"NATO", "security guarantees", "Ukraine"}  # type: ignore[arg-type]
    speakers = line["speakers"]
    assert isinstance(speakers, list)
    assert speakers[0]["name"] == "Dmitry Peskov" and speakers[0]["role"] == "quoted"
    assert speakers[0]["quote"]
    hits = line["hits"]
    assert isinstance(hits, list) and hits
    title = item["title"]
    for hit in hits:
        assert set(hit) - {"topic", "speaker"} == {"field", "start", "end", "text"}
        if hit["field"] == "title":
            assert title[hit["start"] : hit["end"]] == hit["text"]


def test_match_all_prints_unmatched_items_once(tmp_path: Path) -> None:
    weather = SEEDS / "weather-kyiv.uk.txt"
    args = ["match", "--config", str(ROOT / "config"), str(weather)]
    assert _lines(run_monitor(args, tmp_path).stdout) == []
    lines = _lines(run_monitor([*args[:1], "--all", *args[1:]], tmp_path).stdout)
    assert len(lines) == 1
    assert lines[0]["watchlist"] is None
    assert lines[0]["topics"] == [] and lines[0]["speakers"] == [] and lines[0]["hits"] == []


def test_match_reads_stdin_and_names_a_bad_file(tmp_path: Path) -> None:
    piped = subprocess.run(
        [sys.executable, "-m", "monitor", "match", "--config", str(ROOT / "config"), "-"],
        input=SEED_AR.read_bytes(),
        cwd=tmp_path,
        env=monitor_env(tmp_path),
        capture_output=True,
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    (line,) = _lines(piped.stdout.decode("utf-8"))
    assert line["source"] == "-" and line["watchlist"] == "russia-nato"
    missing = tmp_path / "missing.txt"
    result = run_monitor(["match", "--config", str(ROOT / "config"), str(missing)], tmp_path)
    assert result.returncode == 1
    assert "missing.txt" in result.stderr and "Traceback" not in result.stderr


_FEED_FILTERED = """\
feeds:
  - id: sputnik-ar
    url: https://example.org/rss
    language: ar
    tags: [wire, state-media]
  - id: desk-drop
    path: ./inbox
topics:
  NATO: [NATO, الناتو, НАТО, OTAN]
speakers:
  Dmitry Peskov: [Dmitry Peskov, Peskov, بيسكوف, Песков]
watchlists:
  russia-nato:
    topics: [NATO]
    speakers: [Dmitry Peskov]
    feeds: [sputnik-ar]
    channels: [stdout]
  state-media:
    when: NATO AND tag:state-media
    channels: [stdout]
channels:
  stdout:
    type: console
"""


def test_match_applies_feed_filters_only_to_items_of_a_feed(tmp_path: Path) -> None:
    """As docs/output.md shows: a local file matches a watchlist whose ``feeds:`` names a feed
    (the file comes from no feed); ``--feed ID`` reads it as that feed's item."""
    config = tmp_path / "monitor.yaml"
    config.write_text(_FEED_FILTERED, encoding="utf-8")
    base = ["match", "--config", str(config)]

    def watchlists(*extra: str) -> list[object]:
        result = run_monitor([*base, *extra, str(SEED_AR)], tmp_path)
        assert result.returncode == 0, result.stderr
        return [line["watchlist"] for line in _lines(result.stdout)]

    assert watchlists() == ["russia-nato"]  # no feed: feed:/tag: queries do not hold
    assert watchlists("--feed", "sputnik-ar") == ["russia-nato", "state-media"]
    assert watchlists("--feed", "desk-drop") == []
    unknown = run_monitor([*base, "--feed", "nope", str(SEED_AR)], tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.count("\n") == 1 and "nope" in unknown.stderr
    assert "sputnik-ar" in unknown.stderr


def test_send_test_and_alerts_list(tmp_path: Path) -> None:
    config = example_config(tmp_path, seeds=[SEED_AR])
    env = monitor_env(tmp_path)
    sent = run_monitor(["send-test", "archive", "--config", str(config)], tmp_path, env=env)
    assert sent.returncode == 0, sent.stderr
    assert "sent" in sent.stdout
    assert (tmp_path / "alerts.jsonl").exists()

    run = run_monitor(["run", "--once", "--config", str(config)], tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    listed = run_monitor(["alerts", "list", "--config", str(config)], tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert {(row[1], row[2]) for row in rows} == {("stdout", "sent"), ("archive", "sent")}
    dead = run_monitor(["alerts", "dead", "--config", str(config)], tmp_path, env=env)
    assert dead.returncode == 0 and dead.stdout == ""


def test_alerts_embedded_reads_the_log_of_monitor_run_when_a_broker_is_set(
    tmp_path: Path, redis_db_url: str
) -> None:
    """``monitor run`` keeps its log in its state_dir even with ``broker_url`` set (it
    needs no Redis); ``alerts`` reads the workers' log then, and ``--embedded`` this one."""
    config = example_config(tmp_path, seeds=[SEED_AR])
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=redis_db_url)
    run = run_monitor(["run", "--once", "--config", str(config)], tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    workers = run_monitor(["alerts", "list", "--config", str(config)], tmp_path, env=env)
    assert workers.returncode == 0, workers.stderr
    assert workers.stdout == "" and "--embedded" in workers.stderr
    embedded = ["alerts", "list", "--embedded", "--config", str(config)]
    listed = run_monitor(embedded, tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert {(row[1], row[2]) for row in rows} == {("stdout", "sent"), ("archive", "sent")}


def test_items_lists_the_records_in_flight_and_the_dead(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    config = tmp_path / "monitor.yaml"
    config.write_text(f"settings:\n  store: sqlite:///{path}\n", encoding="utf-8")
    store = SqliteStore(path)
    try:
        # feed text: a tab or line break splits no row; terminal escapes and bidi
        # overrides (which could reorder the line) are removed
        title = "Peskov:\tNATO\nmust\x1b[2J \u202elisten"
        payload = json.dumps({"title": title})
        dead = QueuedItem("desk", "urn:1", payload, 1_700_000_000.0, 3, dead=True)
        store.put_queued([dead, QueuedItem("wire", "urn:2", "not json", 1_700_000_060.0, 1)])
    finally:
        store.close()
    shown = run_monitor(["items", "dead", "--config", str(config)], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert (
        shown.stdout == "desk\turn:1\t3\t2023-11-14T22:13:20+00:00\tPeskov: NATO must [2J listen\n"
    )
    shown = run_monitor(["items", "list", "--config", str(config)], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == "wire\turn:2\t1\t2023-11-14T22:14:20+00:00\t\n"


def test_alerts_list_shows_the_outlets_on_one_clean_line(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    config = tmp_path / "monitor.yaml"
    config.write_text(f"settings:\n  store: sqlite:///{path}\n", encoding="utf-8")
    alert = dataclasses.replace(
        sample_alert("stdout"), sources=("Wire\x1b[31m\tOne", "Two\u202e", "Three")
    )
    payload = json.dumps(alert.to_message())
    store = SqliteStore(path)
    try:
        store.put_delivery(LedgerEntry(alert.id, "stdout", "dead", 3, "HTTP 500", 1e9, payload))
    finally:
        store.close()
    shown = run_monitor(["alerts", "list", "--config", str(config)], tmp_path)
    assert shown.returncode == 0, shown.stderr
    row = shown.stdout.split("\n")[0].split("\t")
    assert row[-1] == "Wire [31m One; also carried by Two, Three", shown.stdout


# --- the audit: options before the command, closed pipes, a store that cannot be reached ----


def test_config_goes_before_or_after_the_command(tmp_path: Path) -> None:
    shipped = str(ROOT / "config")
    bad = tmp_path / "bad.yaml"
    bad.write_text("topicz: {}\n", encoding="utf-8")
    # tmp_path has no ./config: the default would fail, so a pass means --config was used
    before = run_monitor(["--config", shipped, "check"], tmp_path)
    assert before.returncode == 0, before.stdout + before.stderr
    assert "russia-nato" in before.stdout
    # after the command wins over before it; --log-level is accepted in both places too
    both = run_monitor(
        ["--log-level", "debug", "--config", shipped, "check", "--config", str(bad)], tmp_path
    )
    assert both.returncode == 1 and both.stdout.startswith(f"{bad}:1: topicz: unknown key")


def _with_closed_stdout(args: list[str], tmp_path: Path) -> tuple[int, str]:
    """Run ``monitor`` with a pipe for stdout whose reader is gone before it writes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        cwd=tmp_path,
        env=monitor_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # as `| head -1` does once it has its line
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr.decode()


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    config = str(ROOT / "config")
    for args in (["match", "--config", config, str(SEED_AR)], ["check", "--config", config]):
        code, stderr = _with_closed_stdout(args, tmp_path)
        assert (code, stderr) == (141, ""), (args, stderr)


def test_a_state_dir_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    config = example_config(tmp_path, seeds=[SEED_AR])
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    env = monitor_env(tmp_path)
    env["MONITOR_STATE_DIR"] = str(tmp_path / "a-file" / "state")
    for args in (["run", "--once"], ["alerts", "list"], ["items", "list"]):
        result = run_monitor([*args, "--config", str(config)], tmp_path, env=env)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("monitor: settings.state_dir: cannot open the state file")
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_an_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    config = example_config(tmp_path)
    # nothing listens on a port just freed: connection refused at once
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    for args in (["alerts", "list"], ["items", "dead"]):
        result = run_monitor([*args, "--config", str(config)], tmp_path, env=env)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("monitor: settings.broker_url: the store failed: ")
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_a_failing_state_file_under_embedded_names_the_state_dir_not_the_broker(
    tmp_path: Path,
) -> None:
    """``alerts --embedded`` opens the state file even with a broker set: a SQLite failure
    there names settings.state_dir (no Redis is contacted)."""
    config = example_config(tmp_path)
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    state = Path(env["MONITOR_STATE_DIR"]) / "state.db"
    SqliteStore(state).close()
    with sqlite3.connect(state) as db:  # a log the store opens but cannot read
        db.execute("DROP TABLE deliveries")
        db.execute("CREATE TABLE deliveries (status, updated, channel, due)")
    result = run_monitor(
        ["alerts", "list", "--embedded", "--config", str(config)], tmp_path, env=env
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("monitor: settings.state_dir: the store failed: "), (
        result.stderr
    )
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_config_comes_from_monitor_config_else_from_dot_config(tmp_path: Path) -> None:
    """docs/config.md: ``--config`` defaults to ``$MONITOR_CONFIG``, else ``./config``."""
    elsewhere = example_config(tmp_path)  # tmp_path/config: also ./config seen from tmp_path
    other = tmp_path / "other"
    other.mkdir()
    (other / "monitor.yaml").write_text(
        "topics:\n  Weather: [snowfall]\nwatchlists:\n  only-weather:\n"
        "    topics: [Weather]\n    channels: [out]\nchannels:\n  out:\n    type: console\n",
        encoding="utf-8",
    )
    from_dot = run_monitor(["check"], tmp_path)
    assert from_dot.returncode == 0, from_dot.stderr
    assert "russia-nato" in from_dot.stdout and elsewhere == tmp_path / "config"
    env = monitor_env(tmp_path, MONITOR_CONFIG=str(other))
    from_env = run_monitor(["check"], tmp_path, env=env)
    assert from_env.returncode == 0, from_env.stderr
    assert "only-weather" in from_env.stdout and "russia-nato" not in from_env.stdout
    given = run_monitor(["check", "--config", str(elsewhere)], tmp_path, env=env)
    assert "russia-nato" in given.stdout  # the option wins over the variable
    nowhere = run_monitor(["check"], other)  # no ./config there, no variable
    assert nowhere.returncode == 1 and "Traceback" not in nowhere.stderr
