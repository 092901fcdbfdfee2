"""The distributed runner for real: a Redis server, a Celery worker process and
the poller process, started as `monitor worker` / `monitor poller` are. One
seed item dropped into the folder must come out as one alert in the archive;
the same file again adds nothing; another story adds a second alert. Every line either
process writes to stderr is a JSON log line (the README's Commands), Celery's own included."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import SEED_AR, SEEDS, example_config, monitor_env, stop_processes, wait_for

pytestmark = pytest.mark.integration


def _alerts(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["alert"] for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def distributed(
    tmp_path: Path, redis_db_url: str
) -> Iterator[tuple[Path, list[subprocess.Popen[str]]]]:
    config = example_config(tmp_path)
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=redis_db_url)
    procs: list[subprocess.Popen[str]] = []
    logs = []
    for role, extra in (("worker", ["--pool", "prefork", "--concurrency", "2"]), ("poller", [])):
        # stdout (the worker's banner, the console channel's alerts) apart from stderr (logs)
        out = (tmp_path / f"{role}.out.log").open("w")
        err = (tmp_path / f"{role}.err.log").open("w")
        logs += [out, err]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "monitor", role, "--config", str(config), *extra],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=err,
                text=True,
            )
        )
    try:
        yield tmp_path, procs
    finally:
        stop_processes(procs)
        for log in logs:
            log.close()


def test_one_item_flows_through_a_real_worker(
    distributed: tuple[Path, list[subprocess.Popen[str]]],
) -> None:
    tmp_path, procs = distributed
    inbox = tmp_path / "inbox"
    (inbox / "first.txt").write_bytes(SEED_AR.read_bytes())

    def logs() -> str:
        return "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))

    assert wait_for(lambda: len(_alerts(tmp_path)) >= 1, timeout=60), logs()
    alert = _alerts(tmp_path)[0]
    assert alert["watchlist"] == "russia-nato"
    assert set(alert["topics"]) == {"NATO", "security guarantees", "Ukraine"}  # type: ignore[arg-type]
    assert all(proc.poll() is None for proc in procs), logs()

    # The same story again (a copy under another name) is seen already: no new alert.
    (inbox / "copy.txt").write_bytes(SEED_AR.read_bytes())
    # Another story is new: a second alert, with another id.
    (inbox / "zakharova.txt").write_bytes((SEEDS / "zakharova-nato-expansion.ru.txt").read_bytes())
    assert wait_for(lambda: len(_alerts(tmp_path)) >= 2, timeout=60), logs()
    time.sleep(3)  # let a duplicate, if any, arrive before counting
    alerts = _alerts(tmp_path)
    assert len(alerts) == 2, alerts
    assert alerts[0]["id"] != alerts[1]["id"]

    # Stopped (warm shutdown logged too), then every stderr line of both must be JSON.
    stop_processes(procs)
    records = {role: _json_lines(tmp_path / f"{role}.err.log") for role in ("worker", "poller")}
    celery = [r for r in records["worker"] if str(r.get("logger", "")).startswith("celery.")]
    # Celery's stdlib records came through the same renderer ...
    assert any("received" in str(r["event"]) for r in celery), celery[:5]
    # ... beside ours
    assert any(r["event"] == "poll" for r in records["worker"]), records["worker"][:5]
    assert any(r["event"] == "polls_queued" for r in records["poller"]), records["poller"][:5]


def _json_lines(path: Path) -> list[dict[str, object]]:
    """Every line of a stderr capture as a JSON object; fails on the first that is not."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            pytest.fail(f"{path.name}:{number} is not a JSON log line: {line[:300]!r}")
        assert isinstance(record, dict) and "event" in record and "level" in record, line
        records.append(record)
    assert records, f"{path.name} is empty"
    return records


def test_a_big_drop_file_alerts_every_matching_entry_through_real_workers(
    distributed: tuple[Path, list[subprocess.Popen[str]]],
) -> None:
    from tests.unit.test_entry_batches import EVERY, ITEMS, big_rss

    tmp_path, procs = distributed
    (tmp_path / "inbox" / "big.xml").write_bytes(big_rss())
    expected = ITEMS // EVERY  # past the first batch of 2,000 entries too

    def logs() -> str:
        return "".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.err.log"))

    assert wait_for(lambda: len(_alerts(tmp_path)) >= expected, timeout=400), logs()
    time.sleep(3)  # let a duplicate, if any, arrive before counting
    alerts = _alerts(tmp_path)
    assert len(alerts) == expected and len({a["id"] for a in alerts}) == expected
    assert all(proc.poll() is None for proc in procs), logs()
