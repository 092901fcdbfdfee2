"""`monitor run` (continuous) reloads its config as it runs (RELIABILITY 17): a valid
change is taken without a restart, an invalid one is refused with FILE:LINE lines and
the process keeps alerting on the last good config."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import SEED_AR, SEEDS, example_config, monitor_env, wait_for

MATCHING = (
    "    topics: [NATO, security guarantees, Ukraine]\n"
    "    speakers: [Dmitry Peskov, Maria Zakharova]\n"
)
# a watchlist the seed stories do not match: a topic they never mention, no speakers
NOT_MATCHING = "    topics: [Volcano]\n"


def _archive(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _events(log: Path, name: str) -> list[dict[str, object]]:
    events = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == name:
                events.append(event)
    return events


def test_run_takes_a_good_config_and_keeps_it_when_a_bad_one_follows(tmp_path: Path) -> None:
    config = example_config(tmp_path)
    file = config / "monitor.yaml"
    good = file.read_text(encoding="utf-8")
    assert MATCHING in good
    file.write_text(
        good.replace(MATCHING, NOT_MATCHING).replace(
            "\ntopics:\n", "\ntopics:\n  Volcano: [volcano]\n", 1
        ),
        encoding="utf-8",
    )
    log = tmp_path / "run.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(config)],
            cwd=tmp_path,
            env=monitor_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        try:
            assert wait_for(lambda: _events(log, "poll"), timeout=30), log.read_text()
            file.write_text(good, encoding="utf-8")
            assert wait_for(lambda: _events(log, "config_reloaded"), timeout=30), log.read_text()
            (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
            assert wait_for(lambda: len(_archive(tmp_path)) == 1, timeout=30), log.read_text()

            # a typo: refused with where it is, the process goes on with the last good one
            file.write_text(good.replace("every: 1s", "every: soon"), encoding="utf-8")
            assert wait_for(lambda: _events(log, "config_rejected"), timeout=30), log.read_text()
            [rejected] = _events(log, "config_rejected")
            errors = rejected["errors"]
            assert isinstance(errors, list) and len(errors) == 1, errors
            assert errors[0].startswith(f"{file}:6: feeds[desk-drop].every: "), errors
            other = SEEDS / "zakharova-nato-expansion.ru.txt"
            (tmp_path / "inbox" / other.name).write_bytes(other.read_bytes())
            assert wait_for(lambda: len(_archive(tmp_path)) == 2, timeout=30), log.read_text()
            assert proc.poll() is None
            assert len(_events(log, "config_rejected")) == 1  # not read again while unchanged

            # SIGHUP reads the files again: still bad, refused again, still running
            proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: len(_events(log, "config_rejected")) == 2, timeout=30)
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
    assert proc.returncode == 0, log.read_text()
    assert len(_events(log, "config_reloaded")) == 1
