"""Both runners write the history (docs/history.md), for real: ``monitor run --once`` over a drop
folder and real Celery worker processes fill it with every item, match, alert and
delivery attempt, on SQLite and PostgreSQL. A run again over the same items writes no
duplicates, and a history database that goes away for a while (a private PostgreSQL
server stopped and started, an SQLite file locked) loses and doubles nothing."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.cli import EXIT_RUN_FAILURES
from monitor.history import History, open_history
from tests.helpers import (
    SEEDS,
    archived_ids,
    example_config,
    free_port,
    monitor_env,
    run_monitor,
    stop_processes,
    wait_for,
)
from tests.integration import test_run_failures
from tests.integration.test_history import pg_url  # noqa: F401  (a fixture)
from tests.integration.test_run_failures import Inbox, _dead_letter

smtp = test_run_failures.smtp  # a fixture: an aiosmtpd server on loopback

pytestmark = pytest.mark.integration

ALL_SEEDS = sorted(SEEDS.glob("*.txt"))
CHANNELS = 2  # the example config's watchlists send to stdout and archive
EMBEDDED = [("run", [])]
DISTRIBUTED = [("worker", ["--pool", "prefork", "--concurrency", "2"]), ("poller", [])]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history' / 'history.db'}"
    return str(request.getfixturevalue("pg_url"))


def configured(tmp_path: Path, history_url: str, seeds: list[Path] | None = None) -> Path:
    """The example config with ``settings.history_url`` set."""
    config = example_config(tmp_path, seeds=seeds)
    path = config / "monitor.yaml"
    text = path.read_text(encoding="utf-8")
    setting = f"  history_url: '{history_url}'\n"
    shipped = re.compile(r"^  history_url: .*\n", re.M)  # the shipped config may set it
    if shipped.search(text):
        text = shipped.sub(lambda _m: setting, text, count=1)
    else:
        line = "  state_dir: ${MONITOR_STATE_DIR:-./.monitor}\n"
        assert line in text
        text = text.replace(line, line + setting)
    path.write_text(text, "utf-8")
    return config


def counts(history: History) -> dict[str, int]:
    with history.engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("items", "matches", "alerts", "deliveries")
        }


def check_complete(history: History, alert_ids: list[str], items: int) -> None:
    """Every item once; every alert once, matched, sent once on each channel."""
    found = counts(history)
    assert found["items"] == items
    assert sorted(a.alert.id for a in history.alerts(limit=1000)) == sorted(set(alert_ids))
    assert found["matches"] >= found["alerts"] > 0
    for stored in history.alerts(limit=1000, with_deliveries=True):
        sent = [(d.channel, d.status) for d in stored.deliveries]
        assert sorted(sent) == [("archive", "sent"), ("stdout", "sent")], stored.alert.id
        item = history.item(stored.alert.item.id)
        assert item is not None and item.item.title == stored.alert.item.title
    with history.engine.connect() as conn:
        speakers = conn.execute(sa.text("SELECT speakers, hits FROM matches")).all()
    # the evidence: hits with their places, speakers with their roles
    assert all(hits for _, hits in speakers)
    roles = {s["role"] for row, _ in speakers for s in _json(row)}
    assert roles and roles <= {"speaker", "quoted", "mentioned"}


def _json(value: object) -> list[dict[str, str]]:
    return json.loads(value) if isinstance(value, str) else value  # type: ignore[return-value]


def test_run_once_fills_the_history_and_a_rerun_adds_no_duplicates(
    tmp_path: Path, url: str
) -> None:
    config = configured(tmp_path, url, seeds=ALL_SEEDS)
    first = run_monitor(["run", "--once", "--config", str(config)], tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    alert_ids = archived_ids(tmp_path)
    assert len(alert_ids) >= 3
    with open_history(url) as history:
        check_complete(history, alert_ids, items=len(ALL_SEEDS))
        before = counts(history)
    # The state forgotten (a crash before the seen marks): the same items, decided again,
    # sent again, written again: the history keeps one row of each.
    shutil.rmtree(tmp_path / "state")
    again = run_monitor(["run", "--once", "--config", str(config)], tmp_path, timeout=120)
    assert again.returncode == 0, again.stderr
    assert sorted(archived_ids(tmp_path)) == sorted(alert_ids * 2)
    with open_history(url) as history:
        assert counts(history) == before
        check_complete(history, alert_ids, items=len(ALL_SEEDS))


def _started(
    tmp_path: Path, config: Path, roles: list[tuple[str, list[str]]], **env: str
) -> list[subprocess.Popen[str]]:
    procs = []
    for role, extra in roles:
        out = (tmp_path / f"{role}.out.log").open("w")
        err = (tmp_path / f"{role}.err.log").open("w")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "monitor", role, "--config", str(config), *extra],
                cwd=tmp_path,
                env=monitor_env(tmp_path, **env),
                stdout=out,
                stderr=err,
                text=True,
            )
        )
    return procs


def _logs(tmp_path: Path, tail: int = 4000) -> str:
    return "".join(p.read_text(errors="replace")[-tail:] for p in tmp_path.glob("*.err.log"))


def _history_has(url: str, alerts: Callable[[], list[str]], items: int) -> Callable[[], bool]:
    def check() -> bool:
        expected = len(set(alerts()))
        with open_history(url) as history:
            found = counts(history)
        return found["items"] >= items and found["deliveries"] >= CHANNELS * expected > 0

    return check


def test_celery_workers_fill_the_history(tmp_path: Path, url: str, redis_db_url: str) -> None:
    config = configured(tmp_path, url)
    procs = _started(tmp_path, config, DISTRIBUTED, MONITOR_BROKER_URL=redis_db_url)
    try:
        for seed in ALL_SEEDS:
            shutil.copy(seed, tmp_path / "inbox" / seed.name)
        done = _history_has(url, lambda: archived_ids(tmp_path), len(ALL_SEEDS))
        assert wait_for(lambda: len(archived_ids(tmp_path)) >= 3 and done(), 90), _logs(tmp_path)
        time.sleep(2)  # anything doubled would have come by now
        alert_ids = archived_ids(tmp_path)
        assert len(alert_ids) == len(set(alert_ids))
        with open_history(url) as history:
            check_complete(history, alert_ids, items=len(ALL_SEEDS))
        assert all(proc.poll() is None for proc in procs), _logs(tmp_path)
    finally:
        stop_processes(procs)


def test_alerts_retry_records_its_attempts_beside_the_dead_ones(
    tmp_path: Path, url: str, smtp: tuple[Inbox, int]
) -> None:
    """A dead letter re-sent by `monitor alerts retry` (a real SMTP server refusing, then
    accepting): each retry's attempt is stored as a series of its own, after the
    attempt that died, and `alerts show` prints them all."""
    inbox, port = smtp
    config, run = _dead_letter(tmp_path, port, history_url=url)
    assert run.returncode == EXIT_RUN_FAILURES, run.stderr
    dead = run_monitor(["alerts", "dead", "--config", str(config)], tmp_path)
    alert_id = dead.stdout.split("\t")[0]
    env = monitor_env(tmp_path, SMTP_PORT=str(port))
    retry = ["alerts", "retry", alert_id, "--config", str(config)]
    refused = run_monitor(retry, tmp_path, env=env)  # still refused: dead again
    assert refused.returncode == 1 and "\tdead\t" in refused.stdout, refused.stderr
    inbox.refusal = None  # the server works again
    retried = run_monitor(retry, tmp_path, env=env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.split("\t")[:3] == [alert_id, "desk-email", "sent"]
    assert len(inbox.messages) == 1
    show = ["alerts", "show", alert_id, "--config", str(config)]
    shown = run_monitor([*show, "--json"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    deliveries = json.loads(shown.stdout)["deliveries"]
    assert [(d["series"], d["attempt"], d["status"]) for d in deliveries] == [
        (0, 1, "dead"),
        (1, 1, "dead"),
        (2, 1, "sent"),
    ]
    assert all("554" in d["detail"] for d in deliveries[:2]), deliveries
    text = run_monitor(show, tmp_path).stdout
    lines = text.split("deliveries:\n")[1].splitlines()[:3]
    assert [re.sub(r"^  \S+ ", "", line).split(":")[0] for line in lines] == [
        "desk-email attempt 1",
        "desk-email retry 1 attempt 1",
        "desk-email retry 2 attempt 1",
    ], text
    # sent on every channel: a retry sends nothing and records nothing
    again = run_monitor(retry, tmp_path, env=env)
    assert "sent on every channel" in again.stderr and len(inbox.messages) == 1
    with open_history(url) as history:
        assert counts(history)["deliveries"] == 3


# --- the history database away for a while ------------------------------------------------
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


class PrivatePostgres:
    """A PostgreSQL server of the test's own (initdb, pg_ctl) on a free port."""

    def __init__(self) -> None:
        if not PG_BIN or not (PG_BIN[-1] / "initdb").exists():
            if os.environ.get("CI") == "true":
                pytest.fail("initdb and pg_ctl are required in CI", pytrace=False)
            pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = PG_BIN[-1]
        self.port = free_port()
        # initdb refuses root: the server runs as postgres, in a folder it may enter
        self.home = Path(tempfile.mkdtemp(prefix="history-pg-"))
        self.home.chmod(0o755)
        self.data = self.home / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.home, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres?connect_timeout=3"

    def _run(self, tool: str, *args: str) -> None:
        # no pipes: the server pg_ctl starts would hold them open, and the wait never end
        done = subprocess.run(
            [*self.prefix, str(self.bin / tool), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
        if done.returncode:
            log = self.home / "server.log"
            text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise subprocess.CalledProcessError(done.returncode, tool, stderr=text)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.home / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
            self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def _outage_run(
    tmp_path: Path,
    url: str,
    begin: Callable[[], None],
    end: Callable[[], None],
    hold: float,
    roles: list[tuple[str, list[str]]] = EMBEDDED,
    **env: str,
) -> None:
    """``monitor run`` (or workers and a poller): items before an outage of the history
    (``begin`` .. ``end``, ``hold`` seconds) and during it; all of them in the history
    once, each alert sent once per channel and written once."""
    config = configured(tmp_path, url)
    inbox = tmp_path / "inbox"
    first, rest = ALL_SEEDS[:3], ALL_SEEDS[3:]
    procs = _started(tmp_path, config, roles, **env)
    try:
        for seed in first:
            shutil.copy(seed, inbox / seed.name)
        early = _history_has(url, lambda: archived_ids(tmp_path), len(first))
        assert wait_for(early, 60), _logs(tmp_path)
        begin()
        try:
            for seed in rest:
                shutil.copy(seed, inbox / seed.name)
            time.sleep(hold)  # the runner reads the new items and cannot write them
        finally:
            end()
        done = _history_has(url, lambda: archived_ids(tmp_path), len(ALL_SEEDS))
        assert wait_for(done, 90), _logs(tmp_path)
        time.sleep(2)  # anything doubled would have come by now
        assert all(proc.poll() is None for proc in procs), _logs(tmp_path)
    finally:
        stop_processes(procs)
    alert_ids = archived_ids(tmp_path)
    assert len(alert_ids) == len(set(alert_ids)) >= 3
    assert "history_write_failed" in _logs(tmp_path, tail=10**8)
    with open_history(url) as history:
        check_complete(history, alert_ids, items=len(ALL_SEEDS))


def test_a_stopped_postgresql_loses_and_doubles_nothing(
    tmp_path: Path, private_pg: PrivatePostgres
) -> None:
    _outage_run(tmp_path, private_pg.url, private_pg.stop, private_pg.start, hold=4)


def test_workers_lose_and_double_nothing_while_postgresql_is_stopped(
    tmp_path: Path, private_pg: PrivatePostgres, redis_db_url: str
) -> None:
    _outage_run(
        tmp_path,
        private_pg.url,
        private_pg.stop,
        private_pg.start,
        hold=4,
        roles=DISTRIBUTED,
        MONITOR_BROKER_URL=redis_db_url,
    )


def test_a_locked_sqlite_history_loses_and_doubles_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history" / "history.db"
    holders: list[sqlite3.Connection] = []

    def begin() -> None:
        holders.append(sqlite3.connect(path, timeout=30, isolation_level=None))
        holders[0].execute("BEGIN EXCLUSIVE")

    def end() -> None:
        holders[0].execute("ROLLBACK")
        holders[0].close()

    # held longer than the history's busy timeout (10 s): a write fails and is retried
    _outage_run(tmp_path, f"sqlite:///{path}", begin, end, hold=12)
