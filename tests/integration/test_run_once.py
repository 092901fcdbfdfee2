"""`monitor run` end to end in a subprocess, as a newcomer runs it: the seed story
in a drop folder gives one alert on the console and in the archive, and a second
run alerts nothing new."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, SEED_AR, SEEDS, example_config, monitor_env, run_monitor, wait_for


def _archive(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_seed_story_raises_one_alert_and_a_second_run_none(tmp_path: Path) -> None:
    config = example_config(tmp_path, seeds=[SEED_AR])
    first = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "russia-nato" in first.stdout
    for name in ("NATO", "security guarantees", "Ukraine", "Dmitry Peskov"):
        assert name in first.stdout, name
    archived = _archive(tmp_path)
    assert len(archived) == 1
    alert = archived[0]["alert"]
    assert isinstance(alert, dict)
    assert alert["watchlist"] == "russia-nato"
    assert set(alert["topics"]) == {"NATO", "security guarantees", "Ukraine"}
    roles = {s["name"]: s["role"] for s in alert["speakers"]}
    assert roles["Dmitry Peskov"] == "quoted"  # Zakharova is quoted further down too
    assert alert["item"]["agency"] == "Sputnik"

    second = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert second.returncode == 0, second.stderr
    assert "russia-nato" not in second.stdout
    assert len(_archive(tmp_path)) == 1


def test_shipped_config_as_make_run_runs_it(tmp_path: Path) -> None:
    """``make run``: the shipped config unchanged, from the repository root, with a fresh
    state directory; the README promises five alerts, the seed's among them, and the
    archive beside the state."""
    state = tmp_path / "demo"
    env = {**monitor_env(tmp_path), "MONITOR_STATE_DIR": str(state)}
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once", "--config", "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ALERT [russia-nato]") == 5
    archived = [
        json.loads(line) for line in (state / "alerts.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(archived) == 5
    by_title = {a["alert"]["item"]["title"]: a["alert"] for a in archived}
    seed = by_title[SEED_AR.read_text("utf-8").strip().splitlines()[0].strip()]
    roles = {s["name"]: s["role"] for s in seed["speakers"]}
    assert roles["Dmitry Peskov"] == "quoted"
    weather = (SEEDS / "weather-kyiv.uk.txt").read_text("utf-8").strip().splitlines()[0]
    assert weather.strip() not in by_title


def test_a_copy_from_another_outlet_adds_to_the_alert_and_alerts_list_shows_both(
    tmp_path: Path,
) -> None:
    """docs/delivery.md: Reuters' copy of the Sputnik/UrduPoint story, with its own headline and
    dateline (found by its body alone), dropped after the alert went: no second alert,
    and the delivery log names both outlets."""
    config = example_config(tmp_path, seeds=[SEED_AR])
    first = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(_archive(tmp_path)) == 1

    text = SEED_AR.read_text(encoding="utf-8")
    headline = "بيسكوف: روسيا لا تتفاوض مع الغرب حول الضمانات الأمنية من موقع القوة"
    dateline = "( أردو بوینت نتورك ۔ / سبوتنيك - 12 كانون الثاني 2022ء)"
    assert headline in text and dateline in text
    copy = text.replace(headline, "الكرملين ينفي التفاوض مع واشنطن من موقع القوة").replace(
        dateline, "موسكو، 12 كانون الثاني (رويترز) -"
    )
    (tmp_path / "inbox" / "reuters-copy.ar.txt").write_text(copy, encoding="utf-8")
    second = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert second.returncode == 0, second.stderr
    assert "russia-nato" not in second.stdout
    assert len(_archive(tmp_path)) == 1

    listed = run_monitor(["alerts", "list", "--config", str(config)], tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert len({row[0] for row in rows}) == 1  # one alert, on each of its channels
    assert {(row[2], row[6]) for row in rows} == {("sent", "UrduPoint; also carried by Reuters")}


def test_non_matching_item_alerts_nothing(tmp_path: Path) -> None:
    config = example_config(tmp_path, seeds=[SEEDS / "weather-kyiv.uk.txt"])
    result = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert _archive(tmp_path) == []


def test_continuous_run_picks_up_a_dropped_file_and_stops_on_sigint(tmp_path: Path) -> None:
    config = example_config(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        cwd=tmp_path,
        env=monitor_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
        assert wait_for(lambda: len(_archive(tmp_path)) == 1, timeout=30)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "russia-nato" in out
    assert "run finished: feed polls" in err.splitlines()[-1]  # the shutdown's summary


def test_bad_file_in_drop_folder_is_named_and_the_rest_still_alerts(tmp_path: Path) -> None:
    config = example_config(tmp_path, seeds=[SEED_AR])
    (tmp_path / "inbox" / "garbage.bin").write_bytes(b"\x00\x01\x02\xff" * 50)
    result = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "garbage.bin" in result.stderr
    assert len(_archive(tmp_path)) == 1
