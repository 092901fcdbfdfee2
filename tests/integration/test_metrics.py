"""``--metrics-port`` for real (the README's Commands): Prometheus series scraped over HTTP from a
running ``monitor run`` after it processed a drop folder, and ``/healthz`` of a running
poller and a real Celery worker, which turn 503 when their Redis is stopped."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import _start_server, _stop
from tests.helpers import (
    SEED_AR,
    SEEDS,
    example_config,
    free_port,
    http_get,
    monitor_env,
    start_monitor,
    stop_processes,
    wait_for,
)
from tests.integration import test_run_failures
from tests.integration.test_run_failures import Inbox
from tests.integration.test_run_failures import _config as failing_config
from tests.integration.test_run_failures import _drop_feed as drop_feed

pytestmark = pytest.mark.integration

smtp = test_run_failures.smtp  # an aiosmtpd server on loopback (refusing)
failing_http = test_run_failures.failing_http  # an HTTP server answering 500

ZAKHAROVA = SEEDS / "zakharova-nato-expansion.ru.txt"


def samples(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of ``/metrics``: (name, labels) -> value; {} while it does not answer."""
    status, body = http_get(port, "/metrics")
    if status != 200:
        return {}
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def health(port: int) -> tuple[int, dict[str, object]]:
    status, body = http_get(port, "/healthz")
    return status, json.loads(body) if body else {}


def _start(
    role: str, tmp_path: Path, config: Path, env: dict[str, str], *extra: str
) -> subprocess.Popen[str]:
    args = [role, "--config", str(config), *extra]
    return start_monitor(args, tmp_path, stderr=tmp_path / f"{role}.err.log", env=env)


def _logs(tmp_path: Path) -> str:
    return "".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.err.log"))


def test_monitor_run_serves_its_counts_and_health(tmp_path: Path) -> None:
    config = example_config(tmp_path, seeds=[SEED_AR, ZAKHAROVA])
    port = free_port()
    proc = _start("run", tmp_path, config, monitor_env(tmp_path), "--metrics-port", str(port))
    try:
        # both seeds alert on both channels of the example config (console, archive)
        def delivered() -> bool:
            found = samples(port)
            return value(found, "monitor_deliveries_total", channel="archive", outcome="sent") >= 2

        assert wait_for(delivered, timeout=60), _logs(tmp_path)
        found = samples(port)
        assert value(found, "monitor_items_fetched_total") == 2
        assert value(found, "monitor_items_parsed_total") == 2
        assert value(found, "monitor_items_matched_total") == 2
        assert value(found, "monitor_alerts_total", watchlist="russia-nato") == 2
        assert value(found, "monitor_deliveries_total", channel="stdout", outcome="sent") == 2
        assert value(found, "monitor_deliveries_total", channel="archive", outcome="sent") == 2
        assert value(found, "monitor_dead_letters_total", channel="archive") == 0
        assert value(found, "monitor_publish_to_alert_seconds_count") == 2
        # one send per alert on the console, one write of both on the archive (a file)
        assert value(found, "monitor_stage_seconds_count", stage="deliver") == 3
        assert value(found, "monitor_feed_polls_total", outcome="ok") >= 1
        assert value(found, "monitor_fetch_errors_total", kind="ParseError") == 0

        # healthy once the first pass is over (its history written, its polls committed)
        assert wait_for(lambda: health(port)[0] == 200, timeout=30), health(port)
        status, body = health(port)
        assert status == 200 and body["status"] == "ok", body
        assert isinstance(body["last_poll_loop"], float)

        # the drop folder gone: its polls fail, counted by kind
        (tmp_path / "inbox" / SEED_AR.name).unlink()
        (tmp_path / "inbox" / ZAKHAROVA.name).unlink()
        (tmp_path / "inbox").rmdir()
        assert wait_for(
            lambda: value(samples(port), "monitor_fetch_errors_total", kind="ParseError") >= 1,
            timeout=30,
        ), _logs(tmp_path)
        assert proc.poll() is None
    finally:
        stop_processes([proc])


def test_dead_letters_and_fetch_errors_are_counted_by_channel_and_kind(
    tmp_path: Path, smtp: tuple[Inbox, int], failing_http: str
) -> None:
    """A real SMTP server refusing for good (a dead letter) and a feed answering 500."""
    _, smtp_port = smtp
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
    feeds = f"  - id: wire\n    url: {failing_http}/rss\n    allow_private: true\n"
    config = failing_config(tmp_path, feeds=feeds + drop_feed(tmp_path), channel="desk-email")
    port = free_port()
    env = monitor_env(tmp_path, SMTP_PORT=str(smtp_port))
    proc = _start("run", tmp_path, config, env, "--metrics-port", str(port))
    try:

        def counted() -> bool:
            found = samples(port)
            return value(found, "monitor_dead_letters_total", channel="desk-email") >= 1 and any(
                name == "monitor_fetch_errors_total" and n >= 1 for (name, _), n in found.items()
            )

        assert wait_for(counted, timeout=60), _logs(tmp_path)
        found = samples(port)
        assert value(found, "monitor_dead_letters_total", channel="desk-email") == 1
        assert value(found, "monitor_deliveries_total", channel="desk-email", outcome="dead") == 1
        assert value(found, "monitor_deliveries_total", channel="desk-email", outcome="sent") == 0
        # the 500s, by the kind of error they are; the drop folder's polls went through
        assert value(found, "monitor_fetch_errors_total", kind="TransientFetchError") >= 1
        assert value(found, "monitor_feed_polls_total", outcome="error") >= 1
        assert value(found, "monitor_feed_polls_total", outcome="ok") >= 1
        assert value(found, "monitor_stage_seconds_count", stage="poll") >= 2
        assert proc.poll() is None
    finally:
        stop_processes([proc])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test alone: the test stops it."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    proc, url = _start_server(workdir)
    try:
        yield proc, url
    finally:
        _stop(proc)


def test_poller_and_worker_health_follow_their_redis(
    tmp_path: Path, own_redis: tuple[subprocess.Popen[bytes], str]
) -> None:
    redis_proc, url = own_redis
    config = example_config(tmp_path, seeds=[SEED_AR])
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=url)
    worker_port, poller_port = free_port(), free_port()
    worker = _start(
        "worker",
        tmp_path,
        config,
        env,
        "--metrics-port",
        str(worker_port),
        "--pool",
        "prefork",
        "--concurrency",
        "2",
    )
    poller = _start("poller", tmp_path, config, env, "--metrics-port", str(poller_port))
    procs = [worker, poller]
    try:
        assert wait_for(lambda: health(poller_port)[0] == 200, timeout=60), _logs(tmp_path)
        assert wait_for(lambda: health(worker_port)[0] == 200, timeout=60), _logs(tmp_path)
        assert health(worker_port)[1]["broker"] == "connected"
        assert isinstance(health(poller_port)[1]["last_scheduling_pass"], float)

        # The seed goes through the pool children: the main process's /metrics adds
        # up what each child counted (multiprocess mode).
        def alerted() -> bool:
            found = samples(worker_port)
            return value(found, "monitor_alerts_total", watchlist="russia-nato") >= 1

        assert wait_for(alerted, timeout=90), _logs(tmp_path)
        found = samples(worker_port)
        assert value(found, "monitor_items_fetched_total") == 1
        assert value(found, "monitor_items_parsed_total") == 1
        assert wait_for(
            lambda: (
                value(
                    samples(worker_port),
                    "monitor_deliveries_total",
                    channel="archive",
                    outcome="sent",
                )
                == 1
            ),
            timeout=30,
        )
        queues = samples(poller_port)
        assert ("monitor_queue_depth", frozenset({("queue", "process")})) in queues

        _stop(redis_proc)
        assert wait_for(lambda: health(worker_port)[0] == 503, timeout=30), _logs(tmp_path)
        _, body = health(worker_port)
        assert body["broker"] == "unreachable", body
        # the poller's passes fail without Redis: its last one grows old
        assert wait_for(lambda: health(poller_port)[0] == 503, timeout=60), _logs(tmp_path)
        assert all(proc.poll() is None for proc in procs), _logs(tmp_path)
    finally:
        stop_processes(procs)
