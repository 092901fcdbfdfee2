"""Feed health alerts for real: a running ``monitor run`` polls an RSS server on
127.0.0.1 that brings a new item every poll, then falls silent (quiet) or starts
answering 500 (failing). One alert per episode reaches the ``settings.ops_channel``
(a file channel here) through the normal delivery path, not one per poll."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import monitor_env, start_monitor, stop_processes, wait_for

pytestmark = pytest.mark.integration


class FeedServer:
    """RSS whose newest item changes on every request while ``mode`` is ``fresh``;
    the same document when ``still``; HTTP 500 when ``failing``."""

    def __init__(self) -> None:
        self.mode = "fresh"
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if server.mode == "failing":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if server.mode == "fresh":
                    server.newest = server.requests
                body = server.rss().encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.newest = 0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def rss(self) -> str:
        items = "".join(
            f"<item><guid>item-{n}</guid><title>Weather report {n}</title>"
            f"<description>Rain in Kyiv, report {n}.</description></item>"
            for n in range(max(1, self.newest - 4), self.newest + 1)
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<link>http://example.org/</link><description>d</description>{items}"
            "</channel></rss>"
        )


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def _config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"""
feeds:
  - id: wire
    url: {url}
    every: 1s
    allow_private: true
topics:
  NATO: [NATO]
watchlists:
  nato:
    topics: [NATO]
    channels: [desk]
channels:
  desk:
    type: file
    path: {tmp_path / "alerts.jsonl"}
  ops:
    type: file
    path: {tmp_path / "ops.jsonl"}
settings:
  state_dir: {tmp_path / "state"}
  ops_channel: ops
  feed_quiet_after: 2s
  feed_failing_after: 3s
""",
        encoding="utf-8",
    )
    return config


def _ops_alerts(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "ops.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["alert"] for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def running(tmp_path: Path, feed_server: FeedServer) -> Iterator[subprocess.Popen[str]]:
    config = _config(tmp_path, feed_server.url)
    proc = start_monitor(["run", "--config", str(config)], tmp_path, stderr=_err(tmp_path))
    try:
        yield proc
    finally:
        stop_processes([proc])


def _err(tmp_path: Path) -> Path:
    return tmp_path / "run.err.log"


def _log(tmp_path: Path) -> str:
    return (tmp_path / "run.err.log").read_text(errors="replace")[-3000:]


def test_a_feed_that_goes_quiet_alerts_ops_once(
    tmp_path: Path, feed_server: FeedServer, running: subprocess.Popen[str]
) -> None:
    # a rhythm first: a new item on each of several polls
    assert wait_for(lambda: feed_server.newest >= 5, timeout=30), _log(tmp_path)
    assert _ops_alerts(tmp_path) == []
    feed_server.mode = "still"
    assert wait_for(lambda: _ops_alerts(tmp_path), timeout=40), _log(tmp_path)
    # more silent polls: still one alert for this episode
    polls = feed_server.requests
    assert wait_for(lambda: feed_server.requests >= polls + 2, timeout=30)
    alerts = _ops_alerts(tmp_path)
    assert len(alerts) == 1, alerts
    assert alerts[0]["watchlist"] == "ops"
    assert alerts[0]["topics"] == ["quiet"]
    assert alerts[0]["item"]["title"] == "Feed wire has gone quiet"

    # news again ends the episode; silence after it is a new one, alerted again
    feed_server.mode = "fresh"
    assert wait_for(lambda: feed_server.requests >= polls + 4, timeout=30)
    feed_server.mode = "still"
    assert wait_for(lambda: len(_ops_alerts(tmp_path)) == 2, timeout=60), _log(tmp_path)
    alerts = _ops_alerts(tmp_path)
    assert alerts[0]["id"] != alerts[1]["id"]
    assert running.poll() is None


def test_a_feed_that_keeps_failing_alerts_ops_once(
    tmp_path: Path, feed_server: FeedServer, running: subprocess.Popen[str]
) -> None:
    assert wait_for(lambda: feed_server.newest >= 2, timeout=30), _log(tmp_path)
    feed_server.mode = "failing"
    failed_from = time.monotonic()
    assert wait_for(lambda: _ops_alerts(tmp_path), timeout=60), _log(tmp_path)
    assert time.monotonic() - failed_from >= 3  # not before feed_failing_after
    polls = feed_server.requests
    assert wait_for(lambda: feed_server.requests >= polls + 1, timeout=40)
    alerts = _ops_alerts(tmp_path)
    assert len(alerts) == 1, alerts
    assert alerts[0]["topics"] == ["failing"]
    assert alerts[0]["item"]["title"] == "Feed wire keeps failing"
    # the failure is visible at the default log level, with the last error
    assert '"event": "feed_failing"' in _log(tmp_path) and "500" in _log(tmp_path)
    assert running.poll() is None


@pytest.mark.parametrize(
    ("episode", "title", "rhythm"),
    [("failing", "Feed wire keeps failing", 2), ("quiet", "Feed wire has gone quiet", 5)],
)
def test_real_workers_alert_ops_once_about_a_feed(
    tmp_path: Path,
    feed_server: FeedServer,
    redis_db_url: str,
    episode: str,
    title: str,
    rhythm: int,
) -> None:
    """The poller and a Celery worker: a feed that starts failing, or falls silent after
    a new item on each of ``rhythm`` polls, raises one ops alert for the episode."""
    config = _config(tmp_path, feed_server.url)
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=redis_db_url)
    config.write_text(
        config.read_text(encoding="utf-8") + "  broker_url: ${MONITOR_BROKER_URL}\n",
        encoding="utf-8",
    )
    procs = [
        start_monitor(
            [role, "--config", str(config), *extra],
            tmp_path,
            stderr=tmp_path / f"{role}.err.log",
            env=env,
        )
        for role, extra in (("worker", ["--concurrency", "2"]), ("poller", []))
    ]

    def logs() -> str:
        return "".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.err.log"))

    try:
        assert wait_for(lambda: feed_server.newest >= rhythm, timeout=60), logs()
        assert _ops_alerts(tmp_path) == []
        feed_server.mode = "failing" if episode == "failing" else "still"
        assert wait_for(lambda: _ops_alerts(tmp_path), timeout=60), logs()
        polls = feed_server.requests
        assert wait_for(lambda: feed_server.requests >= polls + 3, timeout=40), logs()
        alerts = _ops_alerts(tmp_path)
        assert [a["topics"] for a in alerts] == [[episode]], alerts
        assert alerts[0]["item"]["title"] == title
        assert all(proc.poll() is None for proc in procs), logs()
    finally:
        stop_processes(procs)
