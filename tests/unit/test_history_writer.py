"""``monitor run``'s history writer process (``monitor.history.writer``), on real
SQLite histories: writes made in a child process, faults raised as the child met them,
a child killed and replaced, and the embedded runner writing the same history through
it as in its own process."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import structlog

from monitor.config.schema import Settings
from monitor.errors import HistoryError, TransientHistoryError
from monitor.history import HistoryBatch, open_history
from monitor.history.recorder import HistoryRecorder, history_url
from monitor.history.writer import ProcessHistory
from monitor.model import WireItem
from monitor.runner import EmbeddedRunner
from tests.helpers import (
    SEEDS,
    archived_ids,
    example_config,
    example_runtime,
    free_port,
    run_monitor,
)

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def _batch(*idents: str) -> HistoryBatch:
    items = [
        WireItem(id=i, title=f"NATO {i}", body="", source=f"https://e.org/{i}") for i in idents
    ]
    return HistoryBatch(items=tuple(items))


def _child_pids(writer: ProcessHistory) -> set[int]:
    pool = writer._pool
    assert pool is not None
    return set(pool._processes)  # type: ignore[attr-defined]


@pytest.fixture(params=["fork", "spawn"])
def writer(tmp_path: Path, request: pytest.FixtureRequest) -> ProcessHistory:
    """A writer whose children start as ``request.param`` says."""
    return ProcessHistory(f"sqlite:///{tmp_path / 'history.db'}", method=request.param)


def test_batches_are_written_by_a_child_process_in_the_order_given(
    writer: ProcessHistory,
) -> None:
    try:
        first = writer.submit(_batch("a", "b"))
        second = writer.submit(_batch("c"))
        writer.result(first)
        writer.result(second)
        children = _child_pids(writer)
        assert len(children) == 1 and os.getpid() not in children
        assert writer.started_by == writer.method
        assert writer.prune(86400.0) == 0  # nothing old
    finally:
        writer.close()
    with open_history(writer.url) as history:
        assert history.count_items() == 3
        assert history.item("c") is not None


def test_a_batch_the_database_refuses_comes_back_as_refused(writer: ProcessHistory) -> None:
    refused = WireItem(id=None, title="t", body="", source="s")  # type: ignore[arg-type]
    try:
        with pytest.raises(HistoryError, match="NOT NULL"):
            writer.write(HistoryBatch(items=(refused,)))
        writer.write(_batch("a"))  # the child goes on
    finally:
        writer.close()
    with open_history(writer.url) as history:
        assert history.count_items() == 1


def test_a_killed_child_is_a_transient_fault_and_the_next_write_starts_another(
    writer: ProcessHistory,
) -> None:
    try:
        writer.write(_batch("a"))
        (first,) = _child_pids(writer)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(TransientHistoryError, match="writer process died"):
            writer.write(_batch("b"))
        writer.write(_batch("b"))
        assert first not in _child_pids(writer)
    finally:
        writer.close()
    with open_history(writer.url) as history:
        assert history.count_items() == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_database_away_is_retried_then_raised_by_the_pending_write(tmp_path: Path) -> None:
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/none?connect_timeout=2"
    recorder = HistoryRecorder(
        Settings(state_dir=str(tmp_path), history_url=url), tries=2, own_process=True
    )
    recorder.stop.set()  # no backoff sleeps: the retry is the last try
    try:
        pending = recorder.submit(_batch("a"))
        with (
            structlog.testing.capture_logs() as logs,
            pytest.raises(TransientHistoryError, match="connection"),
        ):
            pending.wait()
        assert [entry["event"] for entry in logs] == ["history_write_failed"] * 2
    finally:
        recorder.close()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _history_rows(url: str, folder: Path) -> tuple[list[str], list[str]]:
    """The items (as stored, but when fetched and the folder they were dropped in) and
    alerts of the history at ``url``."""
    with open_history(url) as history:
        items = sorted(
            json.dumps({**stored.item.to_dict(), "fetched_at": None}, sort_keys=True).replace(
                str(folder), ""
            )
            for stored in history.search_items("")
        )
        alerts = sorted(stored.alert.id for stored in history.alerts())
    return items, alerts


def test_the_runner_writes_the_same_history_through_the_writer_process(tmp_path: Path) -> None:
    stats, rows = [], []
    for folder, own in (("inline", False), ("process", True)):
        (tmp_path / folder).mkdir()
        runtime = example_runtime(tmp_path / folder, SEED_FILES)
        reaped = _children_cpu()
        stats.append(EmbeddedRunner(runtime, history_process=own).run(once=True))
        assert (_children_cpu() > reaped) == own  # the writer process ran, and ended
        runtime.store.close()
        rows.append(_history_rows(history_url(runtime.config.settings), tmp_path / folder))
    assert stats[0] == stats[1] and stats[0].alerts == 5
    assert rows[0] == rows[1] and len(rows[0][0]) == 6 and len(rows[0][1]) == 5


def test_a_poll_whose_history_cannot_be_written_is_read_again_and_alerts_once(
    tmp_path: Path,
) -> None:
    """The history away: the poll's alerts go (decided and committed) but its items are
    not marked seen; with the history back, they are read again, no alert goes twice,
    and the history holds every item and alert."""
    runtime = example_runtime(tmp_path, SEED_FILES)
    away = f"postgresql://nobody@127.0.0.1:{_closed_port()}/none?connect_timeout=2"
    settings = runtime.config.settings.model_copy(update={"history_url": away})
    runtime.config = runtime.config.model_copy(update={"settings": settings})
    runner = EmbeddedRunner(runtime, history_process=True)
    runner.history.tries = 1
    with structlog.testing.capture_logs() as logs:
        first = runner.run(once=True)
    assert (first.items, first.alerts, first.poll_failures) == (6, 5, 1)
    failed = [entry for entry in logs if entry["event"] == "poll_failed"]
    assert len(failed) == 1 and "history" in failed[0]["error"], failed
    sent = archived_ids(tmp_path)
    assert len(sent) == len(set(sent)) == 5
    runtime.store.close()

    runtime = example_runtime(
        tmp_path, SEED_FILES
    )  # the history back (the default, under state_dir)
    again = EmbeddedRunner(runtime, history_process=True).run(once=True)
    assert (again.items, again.poll_failures) == (6, 0)  # read again
    assert archived_ids(tmp_path) == sent  # nothing sent twice
    assert EmbeddedRunner(runtime, history_process=True).run(once=True).items == 0
    runtime.store.close()
    items, alerts = _history_rows(history_url(runtime.config.settings), tmp_path)
    assert len(items) == 6 and alerts == sorted(sent)


PARENT = """
import os, sys
from monitor.history.writer import ProcessHistory
from monitor.history import HistoryBatch
writer = ProcessHistory(sys.argv[1])
writer.write(HistoryBatch())
print(*writer._pool._processes, flush=True)
os._exit(9)  # killed: nobody closes the writer
"""


def test_the_writer_process_exits_when_the_runner_is_killed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    done = subprocess.run(
        [sys.executable, "-c", PARENT, url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 9, done.stderr
    child = int(done.stdout.splitlines()[-1].split()[0])  # after any log line
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) is gone too
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


ONE_THREAD = """
import threading
from monitor.history.writer import start_method
print(start_method())
threading.Thread(target=threading.Event().wait, daemon=True).start()
print(start_method())
"""


def test_a_writer_is_forked_only_by_a_single_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ONE_THREAD], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["fork", "spawn"]


def test_a_forked_child_dies_of_sigterm_whatever_handler_the_runner_set(tmp_path: Path) -> None:
    writer = ProcessHistory(f"sqlite:///{tmp_path / 'history.db'}", method="fork")
    caught: list[int] = []
    before = signal.signal(signal.SIGTERM, lambda signum, frame: caught.append(signum))
    try:
        writer.write(_batch("a"))
        (child,) = _child_pids(writer)
        os.kill(child, signal.SIGTERM)
        with pytest.raises(TransientHistoryError, match="writer process died"):
            writer.write(_batch("b"))
        writer.write(_batch("b"))  # another child
    finally:
        signal.signal(signal.SIGTERM, before)
        writer.close()
    assert caught == []  # the signal went to the child, not to this process's handler
    with open_history(writer.url) as history:
        assert history.count_items() == 2


def test_monitor_run_forks_its_writer_and_writes_the_history(tmp_path: Path) -> None:
    """Started before the metrics server's thread, the writer is forked."""
    config = example_config(tmp_path, seeds=SEED_FILES)
    args = ["run", "--once", "--metrics-port", str(free_port()), "--config", str(config)]
    done = run_monitor(["--log-level", "debug", *args], tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    starts = [event for event in events if event["event"] == "history_writer_starting"]
    assert [event["method"] for event in starts] == ["fork"], done.stderr
    with open_history(f"sqlite:///{tmp_path / 'state' / 'history.db'}") as history:
        assert history.count_items() == len(SEED_FILES)
