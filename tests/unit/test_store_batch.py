"""``Store.batch`` on SQLite and memory beyond the shared contract: a batch is one
transaction, undone whole by an exception or a crash, invisible to other handles until
it commits, and other threads wait for it. (The contract, ``tests/store_contract.py``,
holds what Redis shows too.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.state.base import Store
from monitor.state.memory import MemoryStore
from monitor.state.sqlite import SqliteStore
from tests.store_contract import T0, make_entry, make_story


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield made
    made.close()


def test_an_exception_undoes_every_write_of_the_batch(store: Store) -> None:
    store.mark_seen("feed-a", ["old"], now=T0)
    with pytest.raises(RuntimeError), store.batch():
        store.mark_seen("feed-a", ["1"], now=T0)
        store.put_story(make_story(), 60)
        store.put_deliveries([make_entry("alrt_1", "email")])
        assert store.seen_filter("feed-a", ["1", "old"]) == []  # read inside: seen
        store.set_feed_state("feed-a", {"etag": "x"})
        raise RuntimeError("crash")
    assert store.seen_filter("feed-a", ["1", "old"]) == ["1"]
    assert store.get_story("ministers", "story-1") is None
    assert store.list_deliveries() == []
    assert store.get_feed_state("feed-a") == {}


def test_a_failed_call_inside_a_batch_is_undone_alone(store: Store) -> None:
    with store.batch():
        store.mark_seen("feed-a", ["1"], now=T0)
        with pytest.raises(ValueError):
            store.refresh_seen("feed-a", ["1"], now=T0, forget_before=T0 + 1)  # refused
        store.mark_seen("feed-a", ["2"], now=T0)
    assert store.seen_filter("feed-a", ["1", "2", "3"]) == ["3"]


def test_another_thread_waits_for_the_batch(store: Store) -> None:
    inside, seen_by_other = threading.Event(), []

    def other() -> None:
        inside.wait()
        seen_by_other.append(store.seen_filter("feed-a", ["1", "2"]))

    thread = threading.Thread(target=other)
    thread.start()
    with store.batch():
        store.mark_seen("feed-a", ["1"], now=T0)
        inside.set()
        thread.join(0.2)  # it cannot read half the batch: it waits for the lock
        assert thread.is_alive()
        store.mark_seen("feed-a", ["2"], now=T0)
    thread.join()
    assert seen_by_other == [[]]


def test_sqlite_batch_is_one_transaction(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    statements: list[str] = []
    assert store._conn is not None
    store._conn.set_trace_callback(statements.append)
    with store.batch():
        for n in range(20):
            store.seen_filter("feed-a", [str(n)])
            store.put_deliveries([make_entry(f"alrt_{n}", "email")])
            store.mark_seen("feed-a", [str(n)], now=T0)
    store.close()
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]


def test_sqlite_batch_is_invisible_to_another_handle_until_it_commits(tmp_path: Path) -> None:
    writer, reader = SqliteStore(tmp_path / "s.db"), SqliteStore(tmp_path / "s.db")
    try:
        with writer.batch():
            writer.mark_seen("feed-a", ["1"], now=T0)
            assert reader.seen_filter("feed-a", ["1"]) == ["1"]  # WAL: readers never wait
        assert reader.seen_filter("feed-a", ["1"]) == []
    finally:
        writer.close()
        reader.close()


CHILD = """
import os, sys
from monitor.state.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
with store.batch():
    store.mark_seen("feed-a", ["committed"], now=1.0)
with store.batch():
    store.mark_seen("feed-a", ["lost"], now=1.0)
    store.put_deliveries([])
    os._exit(3)  # killed mid-batch: no rollback, no close
"""


def test_sqlite_a_crash_mid_batch_keeps_the_committed_batches_and_nothing_else(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD), str(path)], check=False)
    assert done.returncode == 3
    store = SqliteStore(path)
    try:
        assert store.seen_filter("feed-a", ["committed", "lost"]) == ["lost"]
        store.mark_seen("feed-a", ["lost"], now=2.0)  # the lock died with the process
        assert store.seen_filter("feed-a", ["lost"]) == []
    finally:
        store.close()


def test_sqlite_sweeps_expired_stories_through_an_index_made_on_open(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    assert store._conn is not None
    store._conn.execute("DROP INDEX stories_by_expiry")  # a file of an older monitor
    store.close()
    store = SqliteStore(tmp_path / "s.db")
    assert store._conn is not None
    plan = store._conn.execute(
        "EXPLAIN QUERY PLAN DELETE FROM stories WHERE expires <= ?", (T0,)
    ).fetchall()
    store.close()
    assert "stories_by_expiry" in " ".join(str(row) for row in plan)
