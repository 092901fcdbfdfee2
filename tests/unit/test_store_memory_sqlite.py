"""The Store contract on MemoryStore and SqliteStore, plus SQLite persistence."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config.schema import Settings, parse_store_url
from monitor.errors import ConfigError, MonitorError, StoreError
from monitor.state import open_store, store_faults
from monitor.state.base import Store
from monitor.state.memory import MemoryStore
from monitor.state.sqlite import SCHEMA_VERSION, SqliteStore
from tests.store_contract import (
    DAY,
    T0,
    FakeClock,
    StoreContract,
    check_two_handles_share_claims_and_seen,
    make_entry,
    make_story,
)


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self, clock: FakeClock) -> Iterator[Store]:
        store = MemoryStore(clock=clock)
        yield store
        store.close()


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
        store = SqliteStore(tmp_path / "state.db", clock=clock)
        yield store
        store.close()


def test_sqlite_state_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "state.db"  # parent folders are created
    first = SqliteStore(path)
    first.mark_seen("feed-a", ["1", "2"])
    first.set_feed_state("feed-a", {"etag": '"v1"'})
    first.put_story(make_story(), 3600)
    sent = make_entry("alrt_1", "email", "sent", payload='{"id":"alrt_1"}')
    first.put_delivery(sent)
    assert first.claim_feed("feed-a", 3600) is True
    first.close()

    second = SqliteStore(path)
    try:
        assert second.seen_filter("feed-a", ["1", "2", "3"]) == ["3"]
        assert second.get_feed_state("feed-a") == {"etag": '"v1"'}
        assert second.get_story("ministers", "story-1") == make_story()
        assert second.get_delivery("alrt_1", "email") == sent
        assert second.list_deliveries("sent") == [sent]
        assert second.claim_feed("feed-a", 3600) is False  # the claim outlives the process
    finally:
        second.close()


def test_sqlite_two_handles_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    a, b = SqliteStore(path), SqliteStore(path)
    check_two_handles_share_claims_and_seen(a, b)


def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(MonitorError, match="schema version"):
        SqliteStore(path)


# The schema a version-1 monitor wrote: seen ids without the time they were last listed.
_SCHEMA_V1_SEEN = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE seen (
    feed_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (feed_id, item_id)
) WITHOUT ROWID;
CREATE TABLE feed_state (
    feed_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
INSERT INTO seen (feed_id, item_id) VALUES ('feed-a', 'old-1'), ('feed-a', 'old-2');
INSERT INTO feed_state (feed_id, key, value) VALUES ('feed-a', 'etag', '"v1"');
"""


def test_sqlite_upgrades_a_version_1_file_without_forgetting_or_re_alerting(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA_V1_SEEN)
    store = SqliteStore(path, clock=FakeClock(T0))  # upgraded at T0
    try:
        # everything the old file held is still there, and still seen
        assert store.seen_filter("feed-a", ["old-1", "old-2", "new"]) == ["new"]
        assert store.get_feed_state("feed-a") == {"etag": '"v1"'}
        # old ids count as last seen at the upgrade: kept by a cutoff at it...
        assert store.refresh_seen("feed-a", [], now=T0 + DAY, forget_before=T0) == 0
        assert store.seen_filter("feed-a", ["old-1", "old-2"]) == []
        # ...and the new column works: 31 days on, the ids the feed dropped are trimmed
        store.refresh_seen("feed-a", ["old-1"], now=T0 + 31 * DAY)
        later = T0 + 62 * DAY
        assert store.refresh_seen("feed-a", [], now=later, forget_before=T0 + 1) == 1
        assert store.seen_filter("feed-a", ["old-1", "old-2"]) == ["old-2"]
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("SELECT count(*) FROM schema_version").fetchone() == (1,)
        indexes = {row[1] for row in db.execute("PRAGMA index_list('seen')")}
        assert "seen_by_age" in indexes
        plan = " ".join(
            str(row[-1])
            for row in db.execute(
                "EXPLAIN QUERY PLAN DELETE FROM seen WHERE feed_id = ? AND last_seen < ?",
                ("feed-a", 0.0),
            )
        )
        assert "seen_by_age" in plan  # the trim is a range scan, not a walk of the feed
    SqliteStore(path).close()  # opening the upgraded file again changes nothing


def test_sqlite_upgrades_a_version_1_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:  # the schema before digests: no deliveries.due
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute(
            "CREATE TABLE deliveries (alert_id TEXT NOT NULL, channel TEXT NOT NULL,"
            " status TEXT NOT NULL, attempts INTEGER NOT NULL, detail TEXT NOT NULL,"
            " updated REAL NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (alert_id, channel))"
        )
        db.execute("INSERT INTO deliveries VALUES ('alrt_1', 'email', 'dead', 3, 'x', 10.0, '{}')")
    db.close()
    store = SqliteStore(path)
    try:
        assert store.get_delivery("alrt_1", "email") == make_entry(
            "alrt_1", "email", "dead", attempts=3, detail="x", updated=10.0, payload="{}"
        )
        store.put_delivery(make_entry("alrt_2", "email", "held", due=5.0))
        assert [e.alert_id for e in store.claim_held("email", now=6.0, lease=1)] == ["alrt_2"]
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
        indexes = {row[1] for row in db.execute("PRAGMA index_list('deliveries')")}
        assert "deliveries_held" in indexes  # made once deliveries.due exists
    db.close()


def test_sqlite_names_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not SQLite\n" * 100)
    with pytest.raises(MonitorError, match=r"state file .*state\.db cannot be used"):
        SqliteStore(path)


def test_sqlite_refuses_use_after_close(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    store.close()
    with pytest.raises(MonitorError, match="closed"):
        store.mark_seen("feed-a", ["1"])


def test_sqlite_handles_more_ids_than_one_statement_binds(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    try:
        ids = [f"item-{n}" for n in range(2500)]
        store.mark_seen("feed-a", ids[::2])
        assert store.seen_filter("feed-a", ids) == ids[1::2]
    finally:
        store.close()


def test_sqlite_is_thread_safe(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    wins: list[bool] = []

    def worker(n: int) -> None:
        store.mark_seen("feed-a", [f"{n}-{k}" for k in range(50)])
        wins.append(store.claim_feed("shared", 60))

    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wins.count(True) == 1
        all_ids = [f"{n}-{k}" for n in range(8) for k in range(50)]
        assert store.seen_filter("feed-a", all_ids) == []
    finally:
        store.close()


# --- open_store -------------------------------------------------------------------


def test_open_store_defaults_to_a_state_file_in_state_dir(tmp_path: Path) -> None:
    settings = Settings(state_dir=str(tmp_path / "state"))
    store = open_store(settings)
    try:
        assert isinstance(store, SqliteStore)
        store.mark_seen("feed-a", ["1"])
    finally:
        store.close()
    assert (tmp_path / "state" / "state.db").is_file()
    again = open_store(settings)  # a second `monitor run --once` sees the first one's marks
    try:
        assert again.seen_filter("feed-a", ["1", "2"]) == ["2"]
    finally:
        again.close()


def test_open_store_sqlite_url(tmp_path: Path) -> None:
    path = tmp_path / "custom.db"
    store = open_store(Settings(store=f"sqlite:///{path}"))  # absolute: four slashes
    try:
        assert isinstance(store, SqliteStore)
        assert store.path == path
    finally:
        store.close()
    assert path.is_file()


def test_open_store_relative_sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(Settings(store="sqlite:///var/monitor.db"))
    try:
        assert isinstance(store, SqliteStore)
    finally:
        store.close()
    assert (tmp_path / "var" / "monitor.db").is_file()


def test_open_store_memory() -> None:
    assert isinstance(open_store(Settings(store="memory:")), MemoryStore)


def test_open_store_distributed_uses_the_broker() -> None:
    from monitor.state.redis import RedisStore

    # redis-py connects lazily: nothing listens on port 1 and nothing is sent
    store = open_store(Settings(broker_url="redis://127.0.0.1:1/0"), distributed=True)
    try:
        assert isinstance(store, RedisStore)
    finally:
        store.close()


def test_open_store_distributed_needs_a_broker_url() -> None:
    with pytest.raises(ConfigError) as err:
        open_store(Settings(), distributed=True)
    assert err.value.problems == ["settings.broker_url: needed for the distributed mode"]


@pytest.mark.parametrize(
    "url", ["postgresql://user:hunter2@db/monitor", "sqlite:///", "ftp://x/state.db"]
)
def test_open_store_refuses_unknown_urls_without_echoing_secrets(url: str) -> None:
    # Settings refuses these at load (test_config); open_store still guards a model built
    # without validation
    with pytest.raises(ConfigError) as err:
        open_store(Settings.model_construct(store=url))
    assert err.value.problems[0].startswith("settings.store: ")
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"state_dir": "a-file/state"}, "settings.state_dir"),
        ({"store": "sqlite:///a-file/state.db"}, "settings.store"),
    ],
)
def test_open_store_names_the_setting_of_a_state_file_it_cannot_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], setting: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("", encoding="utf-8")  # not a directory
    with pytest.raises(StoreError) as err:
        open_store(Settings(**settings))
    assert str(err.value).startswith(f"{setting}: cannot open the state file a-file/")


def test_store_faults_turns_sqlite_errors_into_one_line_and_leaves_bugs_alone() -> None:
    one_line = r"^settings.state_dir: the store failed: disk I/O error$"
    with pytest.raises(StoreError, match=one_line), store_faults(Settings()):
        raise sqlite3.OperationalError("disk\nI/O error")
    with pytest.raises(KeyError), store_faults(Settings()):
        raise KeyError("a bug keeps its traceback")


def test_sqlite_finds_due_digests_through_an_index_made_on_open(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:  # a state file of the release before the index
        db.execute("DROP INDEX deliveries_held")
    db.close()
    store = SqliteStore(path)
    try:
        for n in range(50):
            store.put_delivery(make_entry(f"alrt_{n}", "desk", "held", due=1_000.0 - n))
        assert store.earliest_held(["desk"]) == {"desk": 951.0}
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        indexes = {row[1] for row in db.execute("PRAGMA index_list('deliveries')")}
        assert "deliveries_held" in indexes

        def plan(query: str, *params: object) -> str:
            rows = db.execute("EXPLAIN QUERY PLAN " + query, params)
            return " ".join(str(row[-1]) for row in rows)

        # one index search per channel, neither a walk of the held entries nor a sort
        earliest = plan(
            "SELECT due FROM deliveries WHERE status = 'held' AND channel = ? ORDER BY due LIMIT 1",
            "desk",
        )
        assert "deliveries_held (status=? AND channel=?)" in earliest, earliest
        assert "TEMP B-TREE" not in earliest, earliest
        look = plan(
            "SELECT 1 FROM deliveries WHERE status = 'held' AND channel = ? AND due <= ? LIMIT 1",
            "desk",
            0.0,
        )
        assert "deliveries_held (status=? AND channel=? AND due<?)" in look, look
        dead = plan("DELETE FROM queued WHERE dead = 1 AND queued_at < ?", 0.0)
        assert "queued_by_age (dead=? AND queued_at<?)" in dead, dead
    db.close()


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("memory:", ("memory", "")),
        ("sqlite:///var/state.db", ("sqlite", "var/state.db")),
        ("sqlite:////abs/state.db", ("sqlite", "/abs/state.db")),
        ("rediss://:pw@cache.example:6380/1", ("redis", "rediss://:pw@cache.example:6380/1")),
        ("unix:///run/redis.sock", ("redis", "unix:///run/redis.sock")),
    ],
)
def test_parse_store_url_is_what_settings_accept_and_open_store_opens(
    url: str, parsed: tuple[str, str]
) -> None:
    assert parse_store_url(url) == parsed
    assert Settings(store=url).store == url


@pytest.mark.parametrize("url", ["unix://run/redis.sock", "sqlite://state.db", "redis://h:0/0"])
def test_parse_store_url_refuses_what_settings_refuse(url: str) -> None:
    with pytest.raises(ValueError):
        parse_store_url(url)
    with pytest.raises(ConfigError):
        open_store(Settings.model_construct(store=url))
