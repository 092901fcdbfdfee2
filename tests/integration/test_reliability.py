"""The distributed runner under faults, for real (docs/delivery.md).

Real ``redis-server`` processes, real Celery workers and pollers started as users start
them (``python -m monitor worker|poller --config ...``), and a webhook receiver on
127.0.0.1 that records every ``webhook-id`` the moment a POST arrives (before it
answers, so a sender killed mid-request still counts as a delivery). Items are wire
stories dropped into a folder feed; each one is a new story for the ``nato`` watchlist,
delivered to a webhook channel and a file channel.

Properties covered here: a worker killed with SIGKILL mid-batch loses nothing and each
alert reaches each channel under one id (1, 7); Redis killed and restarted with AOF under
load loses nothing and the workers resume (2); a message that always fails is
dead-lettered while the other channel delivers, and ``monitor alerts retry`` re-sends it
(5, 9); a Redis error inside a task is retried, not acknowledged away. Every process
started here is stopped in a ``finally``.

kombu's Redis transport takes a message with BRPOP and records it as unacked with a
second command; a Redis killed between the two loses the message. A lost ``deliver`` is
recovered from the ledger (the poller's pending sweep), a lost ``process_item`` from the
item's queued record (the poller's queued sweep): both sweeps have a test of their own
here, and the Redis test kills Redis while items are still being processed.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis

from monitor.alerts.decide import title_fingerprint
from monitor.cli import sample_alert
from monitor.state.base import LedgerEntry, QueuedItem
from monitor.state.redis import RedisStore
from tests.helpers import archived_ids, free_port, redis_answers, wait_for

pytestmark = pytest.mark.integration

# A killed worker's reserved tasks come back after this long plus kombu's restore sweep.
VISIBILITY_TIMEOUT = 5
CONCURRENCY = 2


# --- the webhook receiver ----------------------------------------------------------------
class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST's ``webhook-id`` on arrival,
    then waits ``delay`` seconds and answers ``status``; with a ``script``, the n-th
    request for an id gets ``script[n]`` (status, headers), the last one thereafter."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        status: int = 200,
        script: list[tuple[int, dict[str, str]]] | None = None,
    ) -> None:
        self.delay = delay
        self.status = status
        self.script = script or []
        self.ids: list[str] = []
        self.arrivals: dict[str, list[float]] = {}
        self.holding = 0  # requests received and not yet answered
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                webhook_id = self.headers.get("webhook-id") or ""
                with receiver._lock:
                    seen = receiver.arrivals.setdefault(webhook_id, [])
                    status, headers = receiver.answer(len(seen))
                    seen.append(time.monotonic())
                    receiver.ids.append(webhook_id)
                    receiver.holding += 1
                time.sleep(receiver.delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender was killed while we waited
                finally:
                    with receiver._lock:
                        receiver.holding -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, earlier: int) -> tuple[int, dict[str, str]]:
        if self.script:
            return self.script[min(earlier, len(self.script) - 1)]
        return self.status, {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def received(self) -> list[str]:
        with self._lock:
            return list(self.ids)

    def unique(self) -> set[str]:
        return set(self.received())

    def busy(self) -> bool:
        with self._lock:
            return self.holding > 0

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- processes --------------------------------------------------------------------------
def _die_with_parent() -> None:
    """In the child: get SIGTERM when pytest dies, so nothing outlives a killed run."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Cluster:
    """Workers and pollers of one config, each in its own process group, with a log file."""

    def __init__(self, tmp_path: Path, config: Path) -> None:
        self.tmp_path = tmp_path
        self.config = config
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.visibility_timeout = VISIBILITY_TIMEOUT
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        self.env["PYTHONUNBUFFERED"] = "1"

    def start(self, role: str, name: str, *extra: str) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "monitor", role, "--config", str(self.config)]
        args.append(f"--visibility-timeout={self.visibility_timeout}")
        if role == "worker":
            args += ["-n", f"{name}@%h", "--pool", "prefork", f"--concurrency={CONCURRENCY}"]
        with (self.tmp_path / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [*args, *extra],
                cwd=self.tmp_path,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a kill takes the pool children too
                preexec_fn=_die_with_parent,
            )
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group, as when the machine under it dies."""
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self, name: str) -> None:
        """SIGTERM the process group and wait: a poller ends between ticks, its logs whole."""
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)

    def log(self, name: str) -> str:
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def events(self, name: str, event: str) -> list[dict[str, object]]:
        found = []
        for line in self.log(name).splitlines():
            if line.startswith("{") and f'"{event}"' in line:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("event") == event:
                    found.append(record)
        return found

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.procs)

    def close(self) -> None:
        running = [proc for proc in self.procs.values() if proc.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def cluster_factory(tmp_path: Path) -> Iterator[list[Cluster]]:
    clusters: list[Cluster] = []
    try:
        yield clusters
    finally:
        for cluster in clusters:
            cluster.close()


def new_cluster(clusters: list[Cluster], tmp_path: Path, config: Path) -> Cluster:
    cluster = Cluster(tmp_path, config)
    clusters.append(cluster)
    return cluster


# --- a Redis with AOF that can be killed and restarted on the same port ------------------
class AofRedis:
    """``redis-server --appendonly yes`` in its own directory, killable and restartable."""

    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not on PATH")
        self.exe = exe
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir)]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        args += ["--maxmemory-policy", "noeviction"]
        with (self.workdir / f"redis-{self.starts}.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [self.exe, *args],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        if not wait_for(lambda: redis_answers(self.url), timeout=10, interval=0.05):
            raise AssertionError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[AofRedis]:
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = AofRedis(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- config and items --------------------------------------------------------------------
def write_config(
    tmp_path: Path,
    broker_url: str,
    hook_url: str,
    *,
    every: str = "1s",
    attempts: int = 3,
) -> Path:
    """A config with one drop folder (``tmp_path/inbox``) and the ``nato`` watchlist
    delivering to ``hook`` (the receiver) and ``archive`` (``tmp_path/alerts.jsonl``)."""
    (tmp_path / "inbox").mkdir(exist_ok=True)
    text = f"""\
feeds:
  - id: desk
    path: {tmp_path / "inbox"}
    every: {every}
topics:
  NATO: [NATO]
watchlists:
  nato:
    topics: [NATO]
    channels: [hook, archive]
channels:
  hook:
    type: webhook
    url: {hook_url}
    allow_private: true
    timeout: 5s
  archive:
    type: file
    path: {tmp_path / "alerts.jsonl"}
settings:
  state_dir: {tmp_path / "state"}
  broker_url: {broker_url}
  delivery_attempts: {attempts}
"""
    path = tmp_path / "monitor.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def story(n: int) -> bytes:
    """A wire story that matches ``nato`` and is a story of its own (distinct title)."""
    return (
        f"NATO envoys hold talks round {n} in Vilnius\n\n"
        f"VILNIUS, Jan 12 (Reuters) - NATO envoys met in Vilnius for round {n} of their "
        "talks on Wednesday, officials said.\n"
    ).encode()


def drop(tmp_path: Path, numbers: range) -> None:
    """Write the stories into the inbox atomically (a poll never sees half a file)."""
    for n in numbers:
        tmp = tmp_path / f".story-{n}.tmp"
        tmp.write_bytes(story(n))
        tmp.rename(tmp_path / "inbox" / f"story-{n}.txt")


def ledger(url: str) -> list[LedgerEntry]:
    store = RedisStore(url)
    try:
        return store.list_deliveries(None)
    finally:
        store.close()


def ledger_state(url: str) -> dict[str, Counter[str]]:
    """channel -> Counter of statuses."""
    states: dict[str, Counter[str]] = {}
    for entry in ledger(url):
        states.setdefault(entry.channel, Counter())[entry.status] += 1
    return states


def all_sent(url: str, count: int) -> bool:
    try:
        states = ledger_state(url)
    except redis.exceptions.RedisError:
        return False
    return all(states.get(ch, Counter())["sent"] == count for ch in ("hook", "archive")) and all(
        set(c) == {"sent"} for c in states.values()
    )


def run_cli(args: list[str], config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args, "--config", str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- property 1 and 7: a worker killed mid-batch -----------------------------------------
def test_worker_killed_mid_batch_loses_nothing_and_repeats_keep_their_id(
    tmp_path: Path, redis_db_url: str, cluster_factory: list[Cluster]
) -> None:
    batch = 20
    with Receiver(delay=0.4) as receiver:
        config = write_config(tmp_path, redis_db_url, receiver.url)
        cluster = new_cluster(cluster_factory, tmp_path, config)
        cluster.start("poller", "poller")
        cluster.start("worker", "w1")
        drop(tmp_path, range(batch))

        # Kill the worker half way through the batch, while the receiver holds a request:
        # that webhook arrived but its sender never saw the answer nor wrote the ledger.
        assert wait_for(
            lambda: len(receiver.unique()) >= 4 and receiver.busy(), timeout=40, interval=0.02
        ), cluster.logs()
        cluster.kill("w1")
        at_kill = receiver.unique()
        assert len(at_kill) < batch, "the batch finished before the kill: nothing was tested"
        sent_at_kill = {
            e.alert_id for e in ledger(redis_db_url) if e.channel == "hook" and e.status == "sent"
        }
        cut_off = at_kill - sent_at_kill
        assert cut_off, "no webhook was cut off by the kill"
        client = redis.Redis.from_url(redis_db_url)
        try:
            # Tasks the dead worker had taken and not acknowledged wait in kombu's unacked set.
            unacked = client.hlen("unacked")
        finally:
            client.close()
        assert unacked > 0, "no task was in flight at the kill"

        cluster.start("worker", "w2")
        assert wait_for(lambda: all_sent(redis_db_url, batch), timeout=60), (
            ledger_state(redis_db_url),
            cluster.logs(),
        )
        wait_for(lambda: False, timeout=2)  # let a late repeat, if any, arrive

    alert_ids = {entry.alert_id for entry in ledger(redis_db_url)}
    assert len(alert_ids) == batch  # every item became its alert, none lost
    # Each alert reached each channel; the receiver drops repeats by webhook-id.
    assert receiver.unique() == alert_ids
    assert set(archived_ids(tmp_path)) == alert_ids
    # Repeats come only from tasks in flight at the kill (send done, ledger not written,
    # or an item re-processed while its deliveries were queued): a handful, not a batch.
    received = Counter(receiver.received())
    repeats = received.total() - batch
    assert repeats <= 2 * CONCURRENCY, received.most_common(5)
    # Property 7: a webhook cut off by the crash is sent again under the same webhook-id.
    assert all(received[alert_id] >= 2 for alert_id in cut_off), (cut_off, received)
    # The survivor did the rest of the work, including tasks restored from the dead one.
    assert cluster.events("w2", "delivery"), cluster.log("w2")


# --- property 2: Redis killed and restarted with AOF under load -----------------------------
def test_redis_restart_under_load_loses_nothing_and_workers_resume(
    tmp_path: Path, aof_redis: AofRedis, cluster_factory: list[Cluster]
) -> None:
    batch = 20
    # Webhooks slower than items come (0.6 s each, two at a time, one item every 0.15 s):
    # deliveries hold the pool, so processing tasks wait behind them with their items
    # still queued. Items alone go through in milliseconds, a window that a faster
    # pipeline made too short to catch.
    with Receiver(delay=0.6) as receiver:
        config = write_config(tmp_path, aof_redis.url, receiver.url)
        cluster = new_cluster(cluster_factory, tmp_path, config)
        # The sweeps that queue again deliveries left pending and items left queued:
        # kombu's Redis transport pops a message and records it as unacked in two
        # commands, so a Redis killed in between loses that message; the ledger still
        # says "pending", or the item's queued record is still there, and a sweep
        # queues it again.
        cluster.start("poller", "poller", "--pending-stale-after=10", "--queued-stale-after=10")
        cluster.start("worker", "w1")
        # Items keep coming while alerts go out: a poll's items are processed as one
        # batch, faster than their webhooks, so one drop would be processed whole before
        # the first webhooks arrived.
        # Started once the worker polls, or its slow start lets every file pile up
        # into one poll, processed whole before the first webhook arrives.
        assert wait_for(lambda: bool(cluster.events("w1", "poll")), timeout=60), cluster.logs()
        dropper = threading.Thread(target=_trickle, args=(tmp_path, range(batch), 0.15))
        dropper.start()

        # Killed while items are still being processed (queued, not yet done), not only
        # delivered.
        in_flight = RedisStore(aof_redis.url)
        queued_seen: list[int] = []  # queued items at the last look, just before the kill

        def delivering_while_queued() -> bool:
            queued_seen.append(len(in_flight.list_queued()))
            return len(receiver.unique()) >= 2 and queued_seen[-1] > 0

        try:
            assert wait_for(delivering_while_queued, timeout=40, interval=0.01), cluster.logs()
        finally:
            in_flight.close()
        aof_redis.kill()
        processing = queued_seen[-1]
        dropper.join()
        at_kill = receiver.unique()
        assert len(at_kill) < batch, "the batch finished before Redis went down"
        assert processing > 0, "every item was processed before Redis went down"
        time.sleep(3)
        aof_redis.start()

        assert wait_for(lambda: all_sent(aof_redis.url, batch), timeout=60), (
            ledger_state(aof_redis.url),
            cluster.logs(),
        )
        alert_ids = {entry.alert_id for entry in ledger(aof_redis.url)}
        assert len(alert_ids) == batch
        assert receiver.unique() == alert_ids
        # every item was processed: none left in flight, none given up on
        assert wait_for(lambda: _queued(aof_redis.url) == ([], []), timeout=10), _queued(
            aof_redis.url
        )
        assert set(archived_ids(tmp_path)) == alert_ids

        # Liveness after the restart is a round trip, not "the process is up": a fresh
        # item must come out as a fresh alert within 30 s.
        drop(tmp_path, range(batch, batch + 1))
        assert wait_for(lambda: len(receiver.unique()) == batch + 1, timeout=30), (
            ledger_state(aof_redis.url),
            cluster.logs(),
        )
        assert all(proc.poll() is None for proc in cluster.procs.values()), cluster.logs()


def _trickle(tmp_path: Path, numbers: range, every: float) -> None:
    for n in numbers:
        drop(tmp_path, range(n, n + 1))
        time.sleep(every)


# --- property 5 and 9: a message that always fails --------------------------------------
def test_permanent_failure_is_dead_lettered_and_retried_by_hand(
    tmp_path: Path, redis_db_url: str, cluster_factory: list[Cluster]
) -> None:
    count = 3
    with Receiver(status=400) as receiver:
        config = write_config(tmp_path, redis_db_url, receiver.url)
        cluster = new_cluster(cluster_factory, tmp_path, config)
        cluster.start("poller", "poller")
        cluster.start("worker", "w1")
        drop(tmp_path, range(count))

        def settled() -> bool:
            states = ledger_state(redis_db_url)
            return (
                states.get("hook", Counter())["dead"] == count
                and states.get("archive", Counter())["sent"] == count
            )

        assert wait_for(settled, timeout=40), (ledger_state(redis_db_url), cluster.logs())
        wait_for(lambda: False, timeout=2)  # a retry of a 400, if any, would arrive now
        # A 400 is permanent: one attempt per alert, no retries.
        assert Counter(receiver.received()) == Counter(set(receiver.received()))
        alert_ids = {entry.alert_id for entry in ledger(redis_db_url)}
        assert len(alert_ids) == count
        assert receiver.unique() == alert_ids
        # The other channel delivered every alert anyway.
        assert sorted(archived_ids(tmp_path)) == sorted(alert_ids)

        dead = run_cli(["alerts", "dead"], config, tmp_path)
        assert dead.returncode == 0, dead.stderr
        rows = [line.split("\t") for line in dead.stdout.splitlines()]
        assert {(row[0], row[1], row[2]) for row in rows} == {
            (alert_id, "hook", "dead") for alert_id in alert_ids
        }
        assert all("HTTP 400" in row[5] for row in rows), rows

        receiver.status = 200  # the receiver is fixed
        retried = run_cli(["alerts", "retry"], config, tmp_path)
        assert retried.returncode == 0, (retried.stdout, retried.stderr)
        assert Counter(receiver.received()) == Counter({alert_id: 2 for alert_id in alert_ids})
        assert all_sent(redis_db_url, count), ledger_state(redis_db_url)
        after = run_cli(["alerts", "dead"], config, tmp_path)
        assert after.returncode == 0 and after.stdout == "", after
        assert sorted(archived_ids(tmp_path)) == sorted(alert_ids)  # not sent again
        # the history: each worker's dead attempt, then the retry's, a series of its own
        for alert_id in alert_ids:
            shown = run_cli(["alerts", "show", alert_id, "--json"], config, tmp_path)
            attempts = [
                (d["channel"], d["series"], d["attempt"], d["status"])
                for d in json.loads(shown.stdout)["deliveries"]
            ]
            assert sorted(attempts) == [
                ("archive", 0, 1, "sent"),
                ("hook", 0, 1, "dead"),
                ("hook", 1, 1, "sent"),
            ], shown.stdout + shown.stderr


# --- a Redis error inside a task: retried, not acknowledged away --------------------------
def test_store_error_in_a_task_is_retried_not_dropped(
    tmp_path: Path, redis_db_url: str, cluster_factory: list[Cluster]
) -> None:
    """A task that meets a Redis error reply (OOM, LOADING, READONLY, a timeout) while the
    broker still works must come back: with late acks Celery acknowledges a failed task,
    and the item, already marked seen by its poll, would never be processed. A story key
    of the wrong type stands in for the fault, deterministically, on one item only."""
    poisoned = 1
    fingerprint = title_fingerprint(f"NATO envoys hold talks round {poisoned} in Vilnius")
    assert fingerprint is not None
    story_key = f"monitor:story:nato:{fingerprint}"
    client = redis.Redis.from_url(redis_db_url)
    try:
        client.rpush(story_key, "not a story record")  # GET on it: WRONGTYPE
        with Receiver() as receiver:
            config = write_config(tmp_path, redis_db_url, receiver.url)
            cluster = new_cluster(cluster_factory, tmp_path, config)
            cluster.start("poller", "poller")
            cluster.start("worker", "w1")
            drop(tmp_path, range(3))

            # The other items flow while the poisoned one fails.
            assert wait_for(lambda: all_sent(redis_db_url, 2), timeout=40), cluster.logs()
            assert wait_for(lambda: "WRONGTYPE" in cluster.log("w1"), timeout=10)
            wait_for(lambda: False, timeout=2)
            assert len(receiver.unique()) == 2

            client.delete(story_key)  # the fault clears
            assert wait_for(lambda: all_sent(redis_db_url, 3), timeout=30), (
                ledger_state(redis_db_url),
                cluster.logs(),
            )
            assert len(receiver.unique()) == 3
            assert len(set(archived_ids(tmp_path))) == 3
    finally:
        client.close()


# --- property 8: 503 and 429 with Retry-After are retried, later, under the same id ------
def test_transient_answers_are_retried_later_under_the_same_id(
    tmp_path: Path, redis_db_url: str, cluster_factory: list[Cluster]
) -> None:
    retry_after = 2.0
    script = [(503, {}), (429, {"retry-after": f"{retry_after:g}"}), (200, {})]
    with Receiver(script=script) as receiver:
        config = write_config(tmp_path, redis_db_url, receiver.url, attempts=3)
        cluster = new_cluster(cluster_factory, tmp_path, config)
        # Retry countdowns are capped at a quarter of the visibility timeout (kombu#337):
        # give the Retry-After room.
        cluster.visibility_timeout = 20
        cluster.start("poller", "poller")
        cluster.start("worker", "w1")
        drop(tmp_path, range(2))

        assert wait_for(lambda: all_sent(redis_db_url, 2), timeout=40), (
            ledger_state(redis_db_url),
            cluster.logs(),
        )
        wait_for(lambda: False, timeout=1)

    alert_ids = {entry.alert_id for entry in ledger(redis_db_url)}
    assert len(alert_ids) == 2
    # Three attempts each, all under the alert's own webhook-id: 503, 429, then 200.
    assert Counter(receiver.received()) == Counter({alert_id: 3 for alert_id in alert_ids})
    for alert_id in alert_ids:
        _first, second, third = receiver.arrivals[alert_id]
        assert third - second >= retry_after - 0.1, receiver.arrivals[alert_id]
    hook = [entry for entry in ledger(redis_db_url) if entry.channel == "hook"]
    assert {entry.attempts for entry in hook} == {3}
    # The other channel was not held up nor repeated by the retries.
    assert sorted(archived_ids(tmp_path)) == sorted(alert_ids)


# --- the safety net for a lost deliver message ---------------------------------------------
def test_delivery_left_pending_is_queued_again_by_the_poller(
    tmp_path: Path, redis_db_url: str, cluster_factory: list[Cluster]
) -> None:
    """A delivery the ledger says is pending but no task carries (the broker lost it, see
    the module docstring) is sent once it is older than ``--pending-stale-after``; one
    pending for less long (a retry waiting for its countdown) is left alone."""
    stale_after = 8.0
    lost, waiting = sample_alert("hook"), sample_alert("hook")
    lost = dataclasses.replace(lost, id=lost.id + "_lost")
    waiting = dataclasses.replace(waiting, id=waiting.id + "_waiting")
    # and two items the poller gave up on: one past settings.seen_retention (30d), one not
    month, now = 30 * 86400.0, time.time()
    old_dead = QueuedItem("desk", "dead-long-ago", "{}", now - month - 60, 3, dead=True)
    recent_dead = QueuedItem("desk", "dead-lately", "{}", now - month + 600, 3, dead=True)
    store = RedisStore(redis_db_url)
    try:
        for alert, age in ((lost, 3 * stale_after), (waiting, 0.0)):
            payload = json.dumps(alert.to_message())
            store.put_delivery(
                LedgerEntry(alert.id, "hook", "pending", 1, "queued", time.time() - age, payload)
            )
        store.put_queued([old_dead, recent_dead])
    finally:
        store.close()
    with Receiver() as receiver:
        config = write_config(tmp_path, redis_db_url, receiver.url)
        cluster = new_cluster(cluster_factory, tmp_path, config)
        cluster.start("poller", "poller", f"--pending-stale-after={stale_after:g}")
        cluster.start("worker", "w1")

        assert wait_for(lambda: lost.id in receiver.unique(), timeout=30), cluster.logs()
        assert waiting.id not in receiver.unique()  # not stale yet: not sent twice
        assert wait_for(lambda: waiting.id in receiver.unique(), timeout=3 * stale_after)
        assert wait_for(lambda: _hook_sent(redis_db_url, 2), timeout=10), ledger_state(redis_db_url)
        # the same sweep forgot the item dead for longer than the retention, and only it
        assert _queued(redis_db_url) == ([], ["dead-lately"]), cluster.log("poller")
        assert [e["items"] for e in cluster.events("poller", "dead_queued_forgotten")] == [1]
    assert Counter(receiver.received()) == Counter({lost.id: 1, waiting.id: 1})


def _queued(url: str) -> tuple[list[str], list[str]]:
    """The ids of the items in flight and of those given up on."""
    store = RedisStore(url)
    try:
        return (
            [record.item_id for record in store.list_queued()],
            [record.item_id for record in store.list_queued(dead=True)],
        )
    finally:
        store.close()


def _hook_sent(url: str, count: int) -> bool:
    return ledger_state(url).get("hook", Counter())["sent"] == count


# --- the safety net for a lost process_item message ----------------------------------------
def test_item_whose_message_was_lost_is_queued_again_by_the_poller(
    tmp_path: Path, redis_db_url: str, cluster_factory: list[Cluster]
) -> None:
    """Items queued for processing, then marked seen, whose messages the broker lost
    (the BRPOP-then-unacked hole of the module docstring, here: the ``process`` queue
    deleted before any worker took them) still raise their alerts, each exactly once,
    from the poller's sweep of queued items after ``--queued-stale-after``."""
    stale_after = 6.0
    batch = 3
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    store = RedisStore(redis_db_url)
    try:
        with Receiver() as receiver:
            config = write_config(tmp_path, redis_db_url, receiver.url)
            cluster = new_cluster(cluster_factory, tmp_path, config)
            cluster.start("poller", "poller", f"--queued-stale-after={stale_after:g}")
            # a worker on the poll queue only: it queues process_queued messages nobody takes
            cluster.start("worker", "poll-only", "-Q", "poll")
            drop(tmp_path, range(batch))

            def waiting() -> tuple[int, int]:
                return int(client.llen("process")), len(store.list_queued())

            # one process_queued message per poll: one to three, for the three items
            assert wait_for(lambda: waiting()[0] >= 1 and waiting()[1] == batch, timeout=40), (
                waiting(),
                cluster.logs(),
            )
            # Marked seen too: later polls (every second) queue nothing more.
            at_first = waiting()
            wait_for(lambda: False, timeout=2.5)
            assert waiting() == at_first, cluster.logs()
            assert cluster.events("poll-only", "poll"), cluster.log("poll-only")
            first_queued = min(record.queued_at for record in store.list_queued())

            # The messages name the items by their records' keys; the records hold them.
            keys = [
                key
                for message in client.lrange("process", 0, -1)
                for key in json.loads(json.loads(message)["body"])[0][0]
            ]
            assert sorted(keys) == sorted([r.feed_id, r.item_id] for r in store.list_queued())

            # The broker loses every message; then a worker for every queue comes.
            lost = [key for key in client.scan_iter("process*") if client.type(key) == "list"]
            assert lost and client.delete(*lost) == len(lost)
            assert client.llen("process") == 0
            cluster.start("worker", "w1")

            assert wait_for(lambda: all_sent(redis_db_url, batch), timeout=40), (
                ledger_state(redis_db_url),
                store.list_queued(),
                cluster.logs(),
            )
            # Only the sweep could have queued them, once each, after the bound.
            requeued = cluster.events("poller", "queued_item_requeued")
            assert len(requeued) == batch, cluster.log("poller")
            assert {event["feed"] for event in requeued} == {"desk"}
            assert len({event["item"] for event in requeued}) == batch
            assert min(_when(event) for event in requeued) >= first_queued + stale_after - 0.1
            assert wait_for(lambda: store.list_queued() == [], timeout=10), store.list_queued()
            wait_for(lambda: False, timeout=2)  # a repeat, if any, would arrive now

        alert_ids = {entry.alert_id for entry in ledger(redis_db_url)}
        assert len(alert_ids) == batch
        assert Counter(receiver.received()) == Counter({alert_id: 1 for alert_id in alert_ids})
        assert sorted(archived_ids(tmp_path)) == sorted(alert_ids)  # once each
        assert store.list_queued(dead=True) == []
        assert cluster.events("poller", "queued_item_dead") == []
    finally:
        store.close()
        client.close()


def _when(record: dict[str, object]) -> float:
    stamp = str(record["timestamp"]).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()
