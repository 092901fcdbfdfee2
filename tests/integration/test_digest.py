"""Digest email channels end to end, against a real SMTP server (aiosmtpd on loopback).

``monitor run`` in a subprocess, as users run it: alerts within one period arrive as one
mail, a restart in between loses none, a later alert goes into a later mail, and the
other channel of the watchlist gets each alert at once. Then the distributed store:
flushes racing on Redis send each alert in one mail only.

Does I/O: binds 127.0.0.1 ports, starts processes, writes under tmp_path.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest

from monitor.alerts.digest import held_entry
from monitor.config.loader import load_config
from monitor.match.engine import build_matcher
from monitor.model import WireItem
from monitor.pipeline import build_channels, flush_digests, process_item, utcnow
from monitor.state.base import Store
from monitor.state.memory import MemoryStore
from monitor.state.redis import RedisStore
from tests.helpers import ROOT, monitor_env, run_monitor, stop_processes, wait_for
from tests.integration.test_channels import Inbox, smtp_server

pytestmark = pytest.mark.integration

__all__ = ["smtp_server"]  # the fixture, used by name

STORIES = {
    "a": "Alpha: Peskov says NATO must listen to Moscow",
    "b": "Bravo: Zakharova answers the NATO summit communique",
    "c": 'Charlie <script>alert("c")</script>: بيسكوف والناتو drills',
}


def env(tmp_path: Path) -> dict[str, str]:
    # the monitor of this checkout, even when the venv has another one installed
    return monitor_env(tmp_path, PYTHONPATH=str(ROOT))


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_monitor(args, tmp_path, env=env(tmp_path))


def write_config(tmp_path: Path, port: int, period: str = "1s") -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"""
feeds:
  - id: drop
    path: {inbox}
    every: 0.3s
topics:
  NATO: [NATO, الناتو]
watchlists:
  desk-watch:
    topics: [NATO]
    channels: [desk, archive]
channels:
  desk:
    type: email
    to: [desk@example.org]
    from: monitor@example.org
    smtp: smtp://127.0.0.1:{port}
    allow_private: true
    digest: {period}
  archive:
    type: file
    path: {tmp_path / "alerts.jsonl"}
settings:
  state_dir: {tmp_path / "state"}
""",
        encoding="utf-8",
    )
    return config


def drop(tmp_path: Path, key: str) -> None:
    body = f"{STORIES[key]}\n\nMOSCOW - Officials said NATO must listen, in story {key}.\n"
    staged = tmp_path / f"{key}.txt"  # written whole, then moved in: never read half-way
    staged.write_text(body, encoding="utf-8")
    staged.rename(tmp_path / "inbox" / f"{key}.txt")


def archived(tmp_path: Path) -> list[str]:
    path = tmp_path / "alerts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line)["alert"]["item"]["title"] for line in lines]


def ledger(tmp_path: Path, config: Path) -> list[tuple[str, str]]:
    """(channel, status) of every ledger entry, from ``monitor alerts list``."""
    listed = run(["alerts", "list", "--config", str(config)], tmp_path)
    assert listed.returncode == 0, listed.stderr
    return sorted(tuple(line.split("\t")[1:3]) for line in listed.stdout.splitlines())  # type: ignore[misc]


def bodies(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def shown(html: str) -> str:
    """The HTML's text without its tags (a headline's matched terms are marked up)."""
    return re.sub(r"<[^>]+>", "", html)


def test_digest_groups_alerts_survives_a_restart_and_sends_each_once(
    smtp_server: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    # long enough that a slow machine ends the first --once within it
    config = write_config(tmp_path, port, "4s")

    # first run: alert A is held (its period has not elapsed when --once ends)...
    drop(tmp_path, "a")
    first = run(["run", "--once", "--config", str(config)], tmp_path)
    assert first.returncode == 0, first.stderr
    assert inbox.messages == []
    assert archived(tmp_path) == [STORIES["a"]]  # ...while the other channel sent at once
    assert ledger(tmp_path, config) == [("archive", "sent"), ("desk", "held")]

    # a restart: B arrives; A and B go out in ONE mail
    drop(tmp_path, "b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        cwd=tmp_path,
        env=env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "run.log").open("wb"),
    )
    try:
        assert wait_for(lambda: len(inbox.messages) >= 1, timeout=60)
        assert wait_for(lambda: len(archived(tmp_path)) == 2, timeout=30)
        drop(tmp_path, "c")  # a later alert: a later mail
        assert wait_for(lambda: len(inbox.messages) >= 2, timeout=60), (
            tmp_path / "run.log"
        ).read_text()
        assert not wait_for(lambda: len(inbox.messages) > 2, timeout=2.5)  # and no more
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0, (tmp_path / "run.log").read_text()

    one, two = inbox.messages
    assert one["Subject"] == "[desk-watch] Digest: 2 alerts"
    text, html = bodies(one)
    for key in ("a", "b"):
        assert STORIES[key] in text and STORIES[key] in shown(html)
    assert "Charlie" not in text

    assert two["Subject"] == "[desk-watch] Digest: 1 alert"
    text, html = bodies(two)
    assert "Charlie" in text and "Alpha" not in text and "Bravo" not in text
    assert STORIES["c"] in text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "بيسكوف والناتو" in shown(html) and 'dir="auto"' in html
    assert one["Message-ID"] != two["Message-ID"]

    assert sorted(archived(tmp_path)) == sorted(STORIES.values())
    assert ledger(tmp_path, config) == [("archive", "sent")] * 3 + [("desk", "sent")] * 3


def test_once_sends_a_digest_whose_period_has_passed_and_retry_resends_dead_ones(
    smtp_server: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    config = write_config(tmp_path, port, "4s")
    inbox.data_reply = "550 mailbox unavailable"  # a permanent refusal: dead letters
    drop(tmp_path, "a")
    drop(tmp_path, "b")
    assert run(["run", "--once", "--config", str(config)], tmp_path).returncode == 0
    assert inbox.messages == [] and ledger(tmp_path, config)[-2:] == [("desk", "held")] * 2
    # the next run, after the period: the digest is due and refused for good
    time.sleep(4.0)
    # dead letters: the run says so with exit 3 (README, exit codes)
    assert run(["run", "--once", "--config", str(config)], tmp_path).returncode == 3
    dead = run(["alerts", "dead", "--config", str(config)], tmp_path)
    assert dead.returncode == 0 and dead.stdout.count("\tdesk\tdead\t") == 2
    assert "SMTP 550" in dead.stdout

    # the server accepts again: `alerts retry` sends both in one digest, once
    inbox.data_reply = None
    retried = run(["alerts", "retry", "--config", str(config)], tmp_path)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert retried.stdout.count("\tdesk\tsent\t") == 2
    assert len(inbox.messages) == 1 and inbox.messages[0]["Subject"].endswith("2 alerts")
    # the history keeps the dead digest's attempt and, as a series of its own, the retry's
    for alert_id in {line.split("\t")[0] for line in dead.stdout.splitlines()}:
        shown = run(["alerts", "show", alert_id, "--json", "--config", str(config)], tmp_path)
        desk = [d for d in json.loads(shown.stdout)["deliveries"] if d["channel"] == "desk"]
        assert [(d["series"], d["attempt"], d["status"]) for d in desk] == [
            (0, 1, "dead"),
            (1, 1, "sent"),
        ], shown.stdout + shown.stderr
    assert run(["run", "--once", "--config", str(config)], tmp_path).returncode == 0
    assert len(inbox.messages) == 1
    assert ledger(tmp_path, config) == [("archive", "sent")] * 2 + [("desk", "sent")] * 2


@pytest.fixture
def redis_store(redis_db_url: str) -> Iterator[RedisStore]:
    store = RedisStore(redis_db_url)
    yield store
    store.close()


def test_flushes_racing_on_redis_send_each_alert_in_one_mail(
    smtp_server: tuple[Inbox, int], tmp_path: Path, redis_db_url: str, redis_store: RedisStore
) -> None:
    inbox, port = smtp_server
    config = load_config(write_config(tmp_path, port, "0.1s"), env={})
    matcher = build_matcher(config)
    for key in ("a", "b", "c"):
        body = f"MOSCOW - Officials said NATO must listen, in story {key}."
        item = WireItem(id=key, title=STORIES[key], body=body, source=key)
        assert len(process_item(item, matcher, redis_store, config, now=utcnow())) == 1
    time.sleep(0.2)  # the period passes

    barrier = threading.Barrier(4)
    results: list[Any] = []

    def flush() -> None:
        # one store handle per flusher, as separate workers have
        store = RedisStore(redis_db_url)
        try:
            barrier.wait()
            results.extend(flush_digests(build_channels(config), store, config, now=utcnow()))
        finally:
            store.close()

    threads = [threading.Thread(target=flush) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "[desk-watch] Digest: 3 alerts"
    assert sorted(r.status for r in results) == ["sent"] * 3
    assert [e.status for e in redis_store.list_deliveries() if e.channel == "desk"] == ["sent"] * 3


def test_distributed_mode_sends_the_digest_from_a_celery_worker(
    smtp_server: tuple[Inbox, int], tmp_path: Path, redis_db_url: str
) -> None:
    inbox, port = smtp_server
    config = write_config(tmp_path, port, "4s")
    with config.open("a", encoding="utf-8") as out:
        out.write(f"  broker_url: {redis_db_url}\n")
    procs: list[subprocess.Popen[bytes]] = []

    def logs() -> str:
        return "".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))

    try:
        for role, extra in (
            ("worker", ["--pool", "prefork", "--concurrency", "2"]),
            ("poller", []),
        ):
            with (tmp_path / f"{role}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "monitor", role, "--config", str(config), *extra],
                        cwd=tmp_path,
                        env=env(tmp_path),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        drop(tmp_path, "a")
        drop(tmp_path, "b")
        assert wait_for(lambda: len(archived(tmp_path)) == 2, timeout=90), logs()
        assert inbox.messages == []  # held: the period has not passed yet
        assert wait_for(lambda: len(inbox.messages) >= 1, timeout=60), logs()
        drop(tmp_path, "c")
        assert wait_for(lambda: len(inbox.messages) >= 2, timeout=60), logs()
        time.sleep(3)  # let a duplicate, if any, arrive before counting
    finally:
        stop_processes(procs)
    assert [m["Subject"] for m in inbox.messages] == [
        "[desk-watch] Digest: 2 alerts",
        "[desk-watch] Digest: 1 alert",
    ]
    text, _ = bodies(inbox.messages[1])
    assert "Charlie" in text and "Alpha" not in text


def test_poller_queues_a_due_digest_once_per_requeue_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import schedule, tasks

    queued: list[tuple[Any, ...]] = []

    class FakeTask:  # the Celery task would need a configured app to be sent
        def apply_async(self, args: tuple[Any, ...], **kw: Any) -> None:
            queued.append(tuple(args))

    monkeypatch.setattr(tasks, "flush_digest", FakeTask())
    config = load_config(write_config(tmp_path, 9, "60s"), env={})
    store = MemoryStore()
    item = WireItem(id="a", title=STORIES["a"], body="NATO must listen.", source="a")
    process_item(item, build_matcher(config), store, config, now=datetime.fromtimestamp(1000, UTC))
    last: dict[str, float] = {}
    assert schedule.queue_due_digests(config, store, now=1059.0, queued_at=last) == []
    assert schedule.queue_due_digests(config, store, now=1060.0, queued_at=last) == ["desk"]
    assert schedule.queue_due_digests(config, store, now=1065.0, queued_at=last) == []
    again = 1060.0 + schedule.DIGEST_REQUEUE_AFTER
    assert schedule.queue_due_digests(config, store, now=again, queued_at=last) == ["desk"]
    assert queued == [("desk",), ("desk",)]


class _NoListing:
    """A store whose ledger listing fails: the poller's due check must use the index."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def list_deliveries(self, status: str | None = None) -> list[Any]:
        raise AssertionError(f"listed the ledger ({status}) on a tick")


def test_poller_finds_a_due_digest_on_redis_without_listing_the_held_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_db_url: str
) -> None:
    from workers import schedule, tasks

    queued: list[tuple[Any, ...]] = []

    class FakeTask:
        def apply_async(self, args: tuple[Any, ...], **kw: Any) -> None:
            queued.append(tuple(args))

    monkeypatch.setattr(tasks, "flush_digest", FakeTask())
    config = load_config(write_config(tmp_path, 9, "60s"), env={})
    redis_store = RedisStore(redis_db_url, prefix="t:")
    store = cast(Store, _NoListing(redis_store))
    try:
        for n in range(500):  # a busy digest: alerts held over the period
            redis_store.put_delivery(
                held_entry(f"alrt_{n:04d}", "desk", "{}", period=60, now=1000.0 + n / 10)
            )
        last: dict[str, float] = {}
        assert schedule.queue_due_digests(config, store, now=1059.0, queued_at=last) == []
        assert schedule.queue_due_digests(config, store, now=1060.0, queued_at=last) == ["desk"]
        # a worker takes the digest: leased, the channel is not due while it sends
        assert len(redis_store.claim_held("desk", now=1061.0, lease=600)) == 500
        later = 1060.0 + schedule.DIGEST_REQUEUE_AFTER
        assert schedule.queue_due_digests(config, store, now=later, queued_at=last) == []
        # the worker died mid-send: due again once the lease has run out
        assert schedule.queue_due_digests(config, store, now=1661.0, queued_at=last) == ["desk"]
        assert queued == [("desk",), ("desk",)]
    finally:
        redis_store.close()
