"""`monitor run` (continuous) and `monitor worker` + `monitor poller` reload their config
as they run (README, Configuration): a valid change is taken without a restart, an invalid one
is refused with FILE:LINE lines and the processes keep alerting on the last good config."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import (
    SEED_AR,
    SEEDS,
    example_config,
    monitor_env,
    stop_processes,
    wait_for,
)

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


def _logged(log: Path, name: str) -> bool:
    return bool(_events(log, name))


def _not_matching_config(tmp_path: Path) -> tuple[Path, str]:
    """The example config with a watchlist the seeds do not match; and the original text."""
    config = example_config(tmp_path)
    good = (config / "monitor.yaml").read_text(encoding="utf-8")
    assert MATCHING in good
    (config / "monitor.yaml").write_text(
        good.replace(MATCHING, NOT_MATCHING).replace(
            "\ntopics:\n", "\ntopics:\n  Volcano: [volcano]\n", 1
        ),
        encoding="utf-8",
    )
    return config, good


def _start(
    procs: list[subprocess.Popen[str]],
    config: Path,
    tmp_path: Path,
    broker_url: str,
    worker_args: list[str],
) -> dict[str, Path]:
    """Start ``monitor worker`` (with ``worker_args``) and ``monitor poller`` on
    ``config``, appended to ``procs`` as started; their log files, by role."""
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=broker_url)
    logs = {role: tmp_path / f"{role}.log" for role in ("worker", "poller")}
    for role, log in logs.items():
        with log.open("w") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "monitor", role, "--config", str(config)]
                    + (worker_args if role == "worker" else []),
                    cwd=tmp_path,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
    return logs


def _text(logs: dict[str, Path]) -> str:
    """Every log, for an assertion's message."""
    return "".join(f"--- {role}\n{log.read_text()}" for role, log in logs.items())


def test_run_takes_a_good_config_and_keeps_it_when_a_bad_one_follows(tmp_path: Path) -> None:
    config, good = _not_matching_config(tmp_path)
    file = config / "monitor.yaml"
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
            assert wait_for(lambda: _logged(log, "poll"), timeout=30), log.read_text()
            file.write_text(good, encoding="utf-8")
            assert wait_for(lambda: _logged(log, "config_reloaded"), timeout=30), log.read_text()
            (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
            assert wait_for(lambda: len(_archive(tmp_path)) == 1, timeout=30), log.read_text()

            # a typo: refused with where it is, the process goes on with the last good one
            file.write_text(good.replace("every: 1s", "every: soon"), encoding="utf-8")
            assert wait_for(lambda: _logged(log, "config_rejected"), timeout=30), log.read_text()
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


@pytest.mark.integration
def test_worker_and_poller_take_a_good_config_and_keep_it_when_a_bad_one_follows(
    tmp_path: Path, redis_db_url: str
) -> None:
    config, good = _not_matching_config(tmp_path)
    file = config / "monitor.yaml"
    procs: list[subprocess.Popen[str]] = []
    # one pool child: it runs every task, so it has seen each config before the next
    worker_args = ["--pool", "prefork", "--concurrency", "1"]
    try:
        logs = _start(procs, config, tmp_path, redis_db_url, worker_args)

        assert wait_for(lambda: _logged(logs["worker"], "poll"), timeout=60), _text(logs)
        # a restart-only setting changes too: kept, with a warning naming it
        file.write_text(good + "  visibility_timeout: 2h\n", encoding="utf-8")
        for log in logs.values():
            assert wait_for(lambda: _logged(log, "config_reloaded"), timeout=30), _text(logs)  # noqa: B023
        warned = [event["key"] for event in _events(logs["worker"], "config_restart_needed")]
        assert warned == ["settings.visibility_timeout"], _text(logs)
        (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
        assert wait_for(lambda: len(_archive(tmp_path)) == 1, timeout=60), _text(logs)

        file.write_text(good.replace("every: 1s", "every: soon"), encoding="utf-8")
        for log in logs.values():
            assert wait_for(lambda: _logged(log, "config_rejected"), timeout=30), _text(logs)  # noqa: B023
        other = SEEDS / "zakharova-nato-expansion.ru.txt"
        (tmp_path / "inbox" / other.name).write_bytes(other.read_bytes())
        assert wait_for(lambda: len(_archive(tmp_path)) == 2, timeout=60), _text(logs)
        assert all(proc.poll() is None for proc in procs), _text(logs)
        for log in logs.values():
            assert len(_events(log, "config_rejected")) == 1, _text(logs)

        # Celery restarts a detached worker on SIGHUP, which a bad config would stop dead
        procs[0].send_signal(signal.SIGHUP)
        assert wait_for(lambda: _logged(logs["worker"], "sighup_ignored"), timeout=30), _text(logs)
        time.sleep(2)
        assert procs[0].poll() is None, _text(logs)
    finally:
        stop_processes(procs)


@pytest.mark.integration
def test_a_pool_child_forked_after_a_bad_config_starts_from_the_last_good_one(
    tmp_path: Path, redis_db_url: str
) -> None:
    """Each task in a new pool child (``--max-tasks-per-child 1``): the children forked
    after the files turned bad must run on the last good config, as their older
    siblings did, not on the one the worker started with (the main process reads
    the files too, quietly, and the children fork from it)."""
    config, good = _not_matching_config(tmp_path)
    file = config / "monitor.yaml"
    procs: list[subprocess.Popen[str]] = []
    worker_args = ["--pool", "prefork", "--concurrency", "1", "--max-tasks-per-child", "1"]
    try:
        logs = _start(procs, config, tmp_path, redis_db_url, worker_args)

        assert wait_for(lambda: _logged(logs["worker"], "poll"), timeout=60), _text(logs)
        file.write_text(good, encoding="utf-8")
        assert wait_for(lambda: _logged(logs["poller"], "config_reloaded"), timeout=30), _text(logs)
        (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
        assert wait_for(lambda: len(_archive(tmp_path)) == 1, timeout=60), _text(logs)
        # The main process reads the good files on its event loop's timer, once they
        # are a second old; on a loaded machine that loop runs late. Two more tasks,
        # each in a child it forked, after that second: its timer has run meanwhile.
        time.sleep(2)
        polls = len(_events(logs["worker"], "poll"))
        assert wait_for(lambda: len(_events(logs["worker"], "poll")) >= polls + 2, timeout=30), (
            _text(logs)
        )

        file.write_text(good.replace("every: 1s", "every: soon"), encoding="utf-8")
        assert wait_for(lambda: _logged(logs["poller"], "config_rejected"), timeout=30), _text(logs)
        # the worker's main process reads at most once a second, once the file is 1 s old
        time.sleep(3)
        polls = len(_events(logs["worker"], "poll"))
        # two more tasks, each in a child forked after that read
        assert wait_for(lambda: len(_events(logs["worker"], "poll")) >= polls + 2, timeout=30), (
            _text(logs)
        )
        other = SEEDS / "zakharova-nato-expansion.ru.txt"
        (tmp_path / "inbox" / other.name).write_bytes(other.read_bytes())
        assert wait_for(lambda: len(_archive(tmp_path)) == 2, timeout=60), _text(logs)
        assert all(proc.poll() is None for proc in procs), _text(logs)
    finally:
        stop_processes(procs)
