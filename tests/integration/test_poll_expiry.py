"""A poll queued while no worker takes it still runs a little later: a fast feed's
poll must outlive a pool slow to replace its children, or a queue a little behind
(``workers.schedule.poll_expiry``), or such a feed is never polled at all."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import SEED_AR, example_config, monitor_env, stop_processes, wait_for


def _events(log: Path, name: str) -> list[dict[str, object]]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    return [event for event in events if event.get("event") == name]


def _start(role: str, config: Path, tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    with (tmp_path / f"{role}.log").open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", role, "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


@pytest.mark.integration
def test_a_poll_of_a_one_second_feed_queued_seconds_before_a_worker_runs(
    tmp_path: Path, redis_db_url: str
) -> None:
    config = example_config(tmp_path, seeds=[SEED_AR])  # desk-drop, every: 1s
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=redis_db_url)
    procs: list[subprocess.Popen[str]] = []
    try:
        poller = _start("poller", config, tmp_path, env)
        procs.append(poller)
        poller_log = tmp_path / "poller.log"
        assert wait_for(lambda: bool(_events(poller_log, "polls_queued")), timeout=60), (
            poller_log.read_text()
        )
        poller.send_signal(signal.SIGINT)
        poller.wait(timeout=20)
        # every poll now queued is older than the feed's interval when a worker starts
        time.sleep(3)
        procs.append(_start("worker", config, tmp_path, env))
        worker_log = tmp_path / "worker.log"
        assert wait_for(lambda: bool(_events(worker_log, "poll")), timeout=60), (
            worker_log.read_text()
        )
        [first, *_] = _events(worker_log, "poll")
        assert first["feed"] == "desk-drop" and first["new_items"] == 1, first
    finally:
        stop_processes(procs)
