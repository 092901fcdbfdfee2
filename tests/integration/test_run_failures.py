"""Failures a user must see (issue #12 item 5, and the `alerts` CLI of item 7): a
dead-lettered delivery is an error line even at ``--log-level warning``, ``run --once``
ends with a summary and exits 3 when a delivery died or every feed failed, and the
dead letters can be re-sent with ``alerts retry --embedded ID`` (no Redis).

Real parts on loopback: an aiosmtpd server that refuses or accepts, an HTTP server
answering 500, the monitor in subprocesses."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import http.server
import json
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.cli import EXIT_RUN_FAILURES, LIST_HEADER, sample_alert
from monitor.state.base import LedgerEntry
from monitor.state.sqlite import SqliteStore
from tests.helpers import SEED_AR, free_port, monitor_env, run_monitor

REFUSAL = "554 5.7.1 relaying refused"


class Inbox:
    """aiosmtpd handler: refuses every message with ``refusal`` while it is set."""

    def __init__(self) -> None:
        self.refusal: str | None = REFUSAL
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusal is not None:
            return self.refusal
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        self.messages.append(msg)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def failing_http() -> Iterator[str]:
    """A feed server on loopback that answers every GET with 500."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _config(tmp_path: Path, *, feeds: str, channel: str, history_url: str = "") -> Path:
    """A config whose one watchlist (NATO) alerts ``channel`` (``desk-email`` or ``stdout``)
    and keeps its history at ``history_url`` (default: under the state folder)."""
    (tmp_path / "inbox").mkdir(exist_ok=True)
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"feeds:\n{feeds}"
        "topics:\n  NATO: [NATO, الناتو]\n"
        f"watchlists:\n  nato:\n    topics: [NATO]\n    channels: [{channel}]\n"
        "channels:\n"
        "  stdout: {type: console}\n"
        "  desk-email:\n"
        "    type: email\n"
        "    to: [desk@example.org]\n"
        "    from: monitor@example.org\n"
        "    smtp: smtp://127.0.0.1:${SMTP_PORT:-25}\n"
        "    allow_private: true\n"
        "settings:\n"
        f"  state_dir: {tmp_path / 'state'}\n"
        "  broker_url: ${MONITOR_BROKER_URL:-}\n"
        f"  history_url: '{history_url}'\n",
        encoding="utf-8",
    )
    return path


def _drop_feed(tmp_path: Path) -> str:
    return f"  - id: desk-drop\n    path: {tmp_path / 'inbox'}\n    every: 1m\n"


def _records(stderr: str) -> list[dict[str, Any]]:
    records = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def _dead_letter(
    tmp_path: Path, port: int, history_url: str = ""
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Run once with the seed story against the refusing SMTP server."""
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
    feeds = _drop_feed(tmp_path)
    config = _config(tmp_path, feeds=feeds, channel="desk-email", history_url=history_url)
    env = monitor_env(tmp_path, SMTP_PORT=str(port))
    args = ["run", "--once", "--log-level", "warning", "--config", str(config)]
    return config, run_monitor(args, tmp_path, env=env)


def test_a_dead_letter_is_an_error_line_at_warning_level_and_exits_3(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    config, run = _dead_letter(tmp_path, port)
    assert run.returncode == EXIT_RUN_FAILURES, run.stderr
    assert inbox.messages == []
    dead = run_monitor(["alerts", "dead", "--config", str(config)], tmp_path)
    [row] = [line.split("\t") for line in dead.stdout.splitlines()]
    alert_id = row[0]
    errors = [r for r in _records(run.stderr) if r["event"] == "delivery"]
    assert len(errors) == 1, run.stderr
    assert errors[0]["level"] == "error"
    assert (errors[0]["alert"], errors[0]["channel"]) == (alert_id, "desk-email")
    assert REFUSAL[:3] in errors[0]["reason"]
    # the summary, whatever the log level
    assert "feed polls 1, failed 0; items 1; alerts 1; deliveries sent 0, dead 1" in run.stderr


def test_every_feed_failing_exits_3_and_one_good_feed_does_not(
    tmp_path: Path, failing_http: str
) -> None:
    failing = "".join(
        f"  - id: wire-{n}\n    url: {failing_http}/rss{n}\n    allow_private: true\n"
        for n in (1, 2)
    )
    config = _config(tmp_path, feeds=failing, channel="stdout")
    run = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert run.returncode == EXIT_RUN_FAILURES, run.stderr
    assert "feed polls 2, failed 2;" in run.stderr
    assert {r["feed"] for r in _records(run.stderr) if r["event"] == "poll_failed"} == {
        "wire-1",
        "wire-2",
    }

    config = _config(tmp_path, feeds=failing + _drop_feed(tmp_path), channel="stdout")
    run = run_monitor(["run", "--once", "--config", str(config)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "feed polls 3, failed 2;" in run.stderr


def test_retry_embedded_resends_a_dead_letter_without_redis(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    config, run = _dead_letter(tmp_path, port)
    assert run.returncode == EXIT_RUN_FAILURES, run.stderr
    dead = run_monitor(["alerts", "dead", "--config", str(config)], tmp_path)
    alert_id = dead.stdout.split("\t")[0]
    inbox.refusal = None  # the server works again
    # a broker is set and nothing listens there: --embedded must not need it
    env = monitor_env(
        tmp_path, SMTP_PORT=str(port), MONITOR_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0"
    )
    retry = ["alerts", "retry", "--embedded", alert_id, "--config", str(config)]
    retried = run_monitor(retry, tmp_path, env=env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.split("\t")[:3] == [alert_id, "desk-email", "sent"]
    assert [msg["Message-ID"] for msg in inbox.messages] == [f"<{alert_id}@example.org>"]
    listed = run_monitor(["alerts", "list", "--config", str(config)], tmp_path)
    assert [line.split("\t")[2] for line in listed.stdout.splitlines()] == ["sent"]


def test_retry_of_an_unknown_id_is_an_error(tmp_path: Path) -> None:
    config = _config(tmp_path, feeds=_drop_feed(tmp_path), channel="stdout")
    for args in (["alerts", "retry", "alrt_nope"], ["alerts", "retry", "--embedded", "alrt_nope"]):
        result = run_monitor([*args, "--config", str(config)], tmp_path)
        assert result.returncode == 1, result.stderr
        assert "alrt_nope" in result.stderr and result.stdout == ""


def _on_a_pty(args: list[str], cwd: Path) -> str:
    """What ``monitor ARGS`` writes to a stdout that is a terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=monitor_env(cwd),
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the last writer is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_alerts_list_has_a_header_row_on_a_terminal_only(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    config = tmp_path / "monitor.yaml"
    config.write_text(f"settings:\n  store: sqlite:///{path}\n", encoding="utf-8")
    alert = dataclasses.replace(sample_alert("stdout"), sources=("Wire",))
    store = SqliteStore(path)
    try:
        payload = json.dumps(alert.to_message())
        store.put_delivery(LedgerEntry(alert.id, "stdout", "dead", 3, "HTTP 500", 1e9, payload))
    finally:
        store.close()
    for action in ("list", "dead"):
        shown = _on_a_pty(["alerts", action, "--config", str(config)], tmp_path)
        header, row = shown.splitlines()
        assert header.split("\t") == list(LIST_HEADER)
        assert row.split("\t")[0] == alert.id and len(row.split("\t")) == len(LIST_HEADER)
        piped = run_monitor(["alerts", action, "--config", str(config)], tmp_path)
        assert piped.stdout.splitlines() == [row]
