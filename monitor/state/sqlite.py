"""SqliteStore: the Store protocol in one SQLite file (stdlib ``sqlite3``).

This is the embedded runner's state file: what one ``monitor run --once`` marks seen,
claims or delivers, the next run reads back. Does file I/O. One connection per store,
shared across threads behind a lock (SQLite serialises writers anyway); WAL mode so a
reader such as ``monitor alerts list`` does not block the runner. Each call is one
transaction, or, inside ``batch()``, a savepoint of the batch's one transaction: a poll
of many items then costs one commit rather than one per call.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from monitor.errors import MonitorError
from monitor.state.base import (
    Clock,
    DeliveryStatus,
    LedgerEntry,
    QueuedItem,
    StoreBase,
    StoryRecord,
    check_forget_before,
    last_activity,
    refill,
)
from monitor.state.codec import chunks, stories_json, story_from_json

# 1: the first schema. 2: deliveries.due (digest channels hold alerts until then) and
# seen.last_seen with its index (the seen-set is trimmed). The ``queued`` table and the
# ``deliveries_held`` index came later without a new version: a table or index created
# when missing changes nothing an older monitor reads (only the distributed runner, on
# Redis, fills the table; an older monitor's writes keep the index current too).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen (
    feed_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    last_seen REAL NOT NULL,  -- unix seconds: when the feed last listed the id
    PRIMARY KEY (feed_id, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_state (
    feed_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
    feed_id TEXT PRIMARY KEY,
    until REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS buckets (  -- token buckets of channels' rate_limit
    name TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    stamp REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stories (
    watchlist TEXT NOT NULL,
    story_key TEXT NOT NULL,
    record TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (watchlist, story_key)
);
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    detail TEXT NOT NULL,
    updated REAL NOT NULL,
    payload TEXT NOT NULL,
    due REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (alert_id, channel)
);
CREATE INDEX IF NOT EXISTS deliveries_by_status ON deliveries (status, updated);
CREATE TABLE IF NOT EXISTS queued (
    feed_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    queued_at REAL NOT NULL,
    requeues INTEGER NOT NULL,
    dead INTEGER NOT NULL,
    PRIMARY KEY (feed_id, item_id)
);
CREATE INDEX IF NOT EXISTS queued_by_age ON queued (dead, queued_at);
"""

# Run after the upgrades below: a version-1 file has no seen.last_seen nor deliveries.due
# to index until then. deliveries_held answers earliest_held (and claim_held's look before
# it takes the write lock) with one index search per channel however many are held.
# stories_by_expiry makes put_stories' sweep of expired records a range of them, not a
# scan of the whole story index on every write.
_INDEXES = """
CREATE INDEX IF NOT EXISTS seen_by_age ON seen (feed_id, last_seen);
CREATE INDEX IF NOT EXISTS deliveries_held ON deliveries (status, channel, due);
CREATE INDEX IF NOT EXISTS stories_by_expiry ON stories (expires);
"""

# SQLite caps bound parameters per statement (999 on old builds); chunk big id lists.
_CHUNK = 500


class SqliteStore(StoreBase):
    """See ``monitor.state.base.Store`` for the contract."""

    def __init__(self, path: Path | str, *, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()  # held for a whole batch; re-entered by its calls
        self._depth = 0  # batches open on this connection (under the lock)
        # isolation_level=None: autocommit; transactions are opened explicitly in _tx.
        conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._conn: sqlite3.Connection | None = conn
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable but for power loss
            conn.execute("PRAGMA busy_timeout=30000")
            with self._tx() as db:
                self._migrate(db)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise MonitorError(f"state file {self.path} cannot be used: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def _migrate(self, db: sqlite3.Connection) -> None:
        _run_script(db, _SCHEMA)
        row = db.execute("SELECT max(version) FROM schema_version").fetchone()
        version = row[0] if row else None
        if version is None:
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif version > SCHEMA_VERSION:
            raise MonitorError(
                f"state file {self.path} has schema version {version}; this monitor "
                f"knows only up to {SCHEMA_VERSION}: upgrade the monitor or use another state_dir"
            )
        elif version < SCHEMA_VERSION:  # 1 -> 2; each column checked, so a re-run is harmless
            delivery_columns = {row[1] for row in db.execute("PRAGMA table_info(deliveries)")}
            if "due" not in delivery_columns:
                db.execute("ALTER TABLE deliveries ADD COLUMN due REAL NOT NULL DEFAULT 0")
            seen_columns = {row[1] for row in db.execute("PRAGMA table_info(seen)")}
            if "last_seen" not in seen_columns:
                # Ids seen before the upgrade count as seen now: their retention starts at
                # the upgrade, so none is forgotten earlier than it would have been.
                db.execute("ALTER TABLE seen ADD COLUMN last_seen REAL NOT NULL DEFAULT 0")
                db.execute("UPDATE seen SET last_seen = ?", (self.clock(),))
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        _run_script(db, _INDEXES)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for every call inside (a savepoint when nested); see
        ``Store.batch``. Holds the lock throughout: other threads wait for the batch."""
        with self._lock, self._scope(write=True, name=f"batch{self._depth}"):
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; inside a batch, a savepoint of it for a
        writer (a call that fails is undone whole, the batch goes on) and nothing for a
        reader (it reads the batch's writes).

        Writers take the write lock up front (IMMEDIATE) so a read-then-write such as
        ``claim_feed`` is atomic across processes and never meets SQLITE_BUSY halfway;
        readers use a deferred transaction, which in WAL mode blocks nobody.
        """
        with self._lock, self._scope(write=write, name="call") as db:
            yield db

    @contextmanager
    def _scope(self, *, write: bool, name: str) -> Iterator[sqlite3.Connection]:
        if self._conn is None:
            raise MonitorError(f"state file {self.path} is closed")
        db = self._conn
        nested = self._depth > 0
        if nested and not write:
            yield db
            return
        begin, commit, rollback = (
            (f"SAVEPOINT {name}", f"RELEASE {name}", f"ROLLBACK TO {name}")
            if nested
            else ("BEGIN IMMEDIATE" if write else "BEGIN", "COMMIT", "ROLLBACK")
        )
        db.execute(begin)
        try:
            yield db
        except BaseException:
            db.execute(rollback)
            if nested:
                db.execute(commit)  # ROLLBACK TO keeps the savepoint open: close it
            raise
        db.execute(commit)

    # --- seen items ---------------------------------------------------------------
    def seen_filter(self, feed_id: str, item_ids: list[str]) -> list[str]:
        seen: set[str] = set()
        with self._tx(write=False) as db:
            for chunk in chunks(list(dict.fromkeys(item_ids)), _CHUNK):
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT item_id FROM seen WHERE feed_id = ? AND item_id IN ({marks})",
                    (feed_id, *chunk),
                )
                seen.update(row[0] for row in rows)
        return [item_id for item_id in item_ids if item_id not in seen]

    def mark_seen(self, feed_id: str, item_ids: list[str], now: float | None = None) -> None:
        stamp = self._now(now)
        with self._tx() as db:
            db.executemany(
                "INSERT INTO seen (feed_id, item_id, last_seen) VALUES (?, ?, ?)"
                " ON CONFLICT (feed_id, item_id)"
                " DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)",
                [(feed_id, item_id, stamp) for item_id in item_ids],
            )

    def refresh_seen(
        self,
        feed_id: str,
        present_ids: list[str],
        *,
        now: float,
        forget_before: float | None = None,
    ) -> int:
        check_forget_before(now, forget_before)
        with self._tx() as db:
            # UPDATE, never INSERT: an id the feed lists but nobody queued stays unseen
            for chunk in chunks(list(dict.fromkeys(present_ids)), _CHUNK):
                marks = ",".join("?" * len(chunk))
                db.execute(
                    "UPDATE seen SET last_seen = max(last_seen, ?)"
                    f" WHERE feed_id = ? AND item_id IN ({marks})",
                    (now, feed_id, *chunk),
                )
            if forget_before is None:
                return 0
            # seen_by_age makes this a range scan of the expired rows, not of the feed
            cursor = db.execute(
                "DELETE FROM seen WHERE feed_id = ? AND last_seen < ?", (feed_id, forget_before)
            )
            return cursor.rowcount

    # --- poll schedule ------------------------------------------------------------
    def claim_feed(self, feed_id: str, ttl_seconds: float) -> bool:
        now = self.clock()
        with self._tx() as db:
            row = db.execute("SELECT until FROM claims WHERE feed_id = ?", (feed_id,)).fetchone()
            if row is not None and row[0] > now:
                return False
            db.execute(
                "INSERT OR REPLACE INTO claims (feed_id, until) VALUES (?, ?)",
                (feed_id, now + ttl_seconds),
            )
            return True

    def hold_claim(self, feed_id: str, ttl_seconds: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO claims (feed_id, until) VALUES (?, ?)",
                (feed_id, self.clock() + ttl_seconds),
            )

    def take_token(self, bucket: str, capacity: int, period: float, *, now: float) -> bool:
        with self._tx() as db:  # BEGIN IMMEDIATE: one taker at a time across processes
            row = db.execute("SELECT tokens, stamp FROM buckets WHERE name = ?", (bucket,))
            tokens, stamp = row.fetchone() or (None, None)
            left = refill(tokens, stamp, capacity, period, now)
            taken = left >= 1.0
            db.execute(
                "INSERT OR REPLACE INTO buckets (name, tokens, stamp) VALUES (?, ?, ?)",
                (bucket, left - 1.0 if taken else left, now),
            )
            return taken

    def get_feed_state(self, feed_id: str) -> dict[str, str]:
        with self._tx(write=False) as db:
            rows = db.execute("SELECT key, value FROM feed_state WHERE feed_id = ?", (feed_id,))
            return {key: value for key, value in rows}

    def set_feed_state(self, feed_id: str, state: dict[str, str]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM feed_state WHERE feed_id = ?", (feed_id,))
            db.executemany(
                "INSERT INTO feed_state (feed_id, key, value) VALUES (?, ?, ?)",
                [(feed_id, key, value) for key, value in state.items()],
            )

    # --- feeds gone from the config ------------------------------------------------
    def feed_activity(self) -> dict[str, float]:
        with self._tx(write=False) as db:
            return _feed_activity(db)

    def forget_feeds(self, feed_ids: list[str], *, idle_before: float) -> list[str]:
        with self._tx() as db:  # BEGIN IMMEDIATE: the check and the delete are one step
            activity = _feed_activity(db, list(dict.fromkeys(feed_ids)))
            gone = [feed_id for feed_id, last in activity.items() if last < idle_before]
            rows = [(feed_id,) for feed_id in gone]
            db.executemany("DELETE FROM seen WHERE feed_id = ?", rows)
            db.executemany("DELETE FROM feed_state WHERE feed_id = ?", rows)
            return gone

    # --- story index --------------------------------------------------------------
    def has_stories(self) -> bool:
        with self._tx(write=False) as db:
            return db.execute("SELECT 1 FROM stories LIMIT 1").fetchone() is not None

    def get_stories(self, watchlist: str, story_keys: list[str]) -> list[StoryRecord | None]:
        if not story_keys:
            return []
        wanted = list(dict.fromkeys(story_keys))
        # One IN list: an item goes by ~35 names, far under SQLite's variable limit.
        marks = ", ".join("?" * len(wanted))
        with self._tx(write=False) as db:
            rows = db.execute(
                "SELECT story_key, record FROM stories"
                f" WHERE watchlist = ? AND expires > ? AND story_key IN ({marks})",
                (watchlist, self.clock(), *wanted),
            ).fetchall()
        found = {key: story_from_json(text) for key, text in rows}
        return [found.get(key) for key in story_keys]

    def put_stories(self, records: list[StoryRecord], ttl_seconds: float) -> None:
        now = self.clock()
        with self._tx() as db:
            # expired rows are otherwise never read again; sweep them on the write path
            # (stories_by_expiry: a range of the expired rows)
            db.execute("DELETE FROM stories WHERE expires <= ?", (now,))
            db.executemany(
                "INSERT OR REPLACE INTO stories (watchlist, story_key, record, expires)"
                " VALUES (?, ?, ?, ?)",
                [
                    (r.watchlist, r.story_key, text, now + ttl_seconds)
                    for r, text in zip(records, stories_json(records), strict=True)
                ],
            )

    # --- alert ledger -------------------------------------------------------------
    def get_delivery(self, alert_id: str, channel: str) -> LedgerEntry | None:
        with self._tx(write=False) as db:
            row = db.execute(
                f"SELECT {_LEDGER_COLUMNS} FROM deliveries WHERE alert_id = ? AND channel = ?",
                (alert_id, channel),
            ).fetchone()
        return None if row is None else _entry(row)

    def get_deliveries(self, keys: list[tuple[str, str]]) -> list[LedgerEntry | None]:
        found: dict[tuple[str, str], LedgerEntry] = {}
        wanted = list(dict.fromkeys(keys))
        with self._tx(write=False) as db:
            # row values IN a VALUES list: two parameters per key, chunked under the limit
            for chunk in chunks(wanted, _CHUNK // 2):
                pairs = ",".join(["(?,?)"] * len(chunk))
                rows = db.execute(
                    f"SELECT {_LEDGER_COLUMNS} FROM deliveries"
                    f" WHERE (alert_id, channel) IN (VALUES {pairs})",
                    [part for key in chunk for part in key],
                )
                for entry in map(_entry, rows):
                    found[(entry.alert_id, entry.channel)] = entry
        return [found.get(key) for key in keys]

    def put_deliveries(self, entries: list[LedgerEntry]) -> None:
        with self._tx() as db:
            db.executemany(
                f"INSERT OR REPLACE INTO deliveries ({_LEDGER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                [_ledger_row(entry) for entry in entries],
            )

    def list_deliveries(self, status: DeliveryStatus | None = None) -> list[LedgerEntry]:
        query = f"SELECT {_LEDGER_COLUMNS} FROM deliveries"
        params: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            params = (status,)
        with self._tx(write=False) as db:
            rows = db.execute(query + " ORDER BY updated, alert_id, channel", params).fetchall()
        return [_entry(row) for row in rows]

    def claim_held(self, channel: str, *, now: float, lease: float) -> list[LedgerEntry]:
        # the runner asks every tick: look first without taking the write lock
        with self._tx(write=False) as db:
            due = db.execute(
                "SELECT 1 FROM deliveries WHERE status = 'held' AND channel = ? AND due <= ?"
                " LIMIT 1",
                (channel, now),
            ).fetchone()
        if due is None:
            return []
        # BEGIN IMMEDIATE: the check and the lease are one step across processes too
        with self._tx() as db:
            rows = db.execute(
                f"SELECT {_LEDGER_COLUMNS} FROM deliveries WHERE channel = ? AND status = 'held'"
                " ORDER BY updated, alert_id",
                (channel,),
            ).fetchall()
            held = [_entry(row) for row in rows]
            if not any(entry.due <= now for entry in held):
                return []
            db.execute(
                "UPDATE deliveries SET due = ? WHERE channel = ? AND status = 'held'",
                (now + lease, channel),
            )
        return [replace(entry, due=now + lease) for entry in held]

    def earliest_held(self, channels: list[str]) -> dict[str, float]:
        earliest: dict[str, float] = {}
        with self._tx(write=False) as db:
            for channel in dict.fromkeys(channels):
                # ORDER BY due LIMIT 1 on deliveries_held: the first index entry, no scan
                row = db.execute(
                    "SELECT due FROM deliveries WHERE status = 'held' AND channel = ?"
                    " ORDER BY due LIMIT 1",
                    (channel,),
                ).fetchone()
                if row is not None:
                    earliest[channel] = float(row[0])
        return earliest

    # --- queued items ---------------------------------------------------------------
    def put_queued(self, items: list[QueuedItem]) -> None:
        with self._tx() as db:
            db.executemany(
                f"INSERT OR REPLACE INTO queued ({_QUEUED_COLUMNS}) VALUES (?,?,?,?,?,?)",
                [_queued_row(item) for item in items],
            )

    def remove_queued(self, feed_id: str, item_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM queued WHERE feed_id = ? AND item_id = ?", (feed_id, item_id))

    def list_queued(self, *, dead: bool = False) -> list[QueuedItem]:
        with self._tx(write=False) as db:
            rows = db.execute(
                f"SELECT {_QUEUED_COLUMNS} FROM queued WHERE dead = ?"
                " ORDER BY queued_at, feed_id, item_id",
                (int(dead),),
            ).fetchall()
        return [_queued(row) for row in rows]

    def count_queued(self, *, dead: bool = False) -> int:
        with self._tx(write=False) as db:
            row = db.execute("SELECT COUNT(*) FROM queued WHERE dead = ?", (int(dead),)).fetchone()
        return int(row[0])

    def queued_payloads(self, keys: list[tuple[str, str]]) -> list[str | None]:
        found: dict[tuple[str, str], str] = {}
        with self._tx(write=False) as db:
            # as get_deliveries: row values IN a VALUES list, chunked under the limit
            for chunk in chunks(list(dict.fromkeys(keys)), _CHUNK // 2):
                pairs = ",".join(["(?,?)"] * len(chunk))
                rows = db.execute(
                    "SELECT feed_id, item_id, payload FROM queued"
                    f" WHERE (feed_id, item_id) IN (VALUES {pairs})",
                    [part for key in chunk for part in key],
                )
                for feed_id, item_id, payload in rows:
                    found[(feed_id, item_id)] = payload
        return [found.get(key) for key in keys]

    def claim_stale_queued(
        self, *, now: float, older_than: float, max_requeues: int, limit: int = 1000
    ) -> tuple[list[QueuedItem], list[QueuedItem]]:
        with self._tx() as db:  # BEGIN IMMEDIATE: read and update are one step
            rows = db.execute(
                f"SELECT {_QUEUED_COLUMNS} FROM queued WHERE dead = 0 AND queued_at < ?"
                " ORDER BY queued_at, feed_id, item_id LIMIT ?",
                (now - older_than, limit),
            ).fetchall()
            requeue: list[QueuedItem] = []
            dead: list[QueuedItem] = []
            for item in map(_queued, rows):
                if item.requeues < max_requeues:
                    requeue.append(replace(item, queued_at=now, requeues=item.requeues + 1))
                else:
                    dead.append(replace(item, queued_at=now, dead=True))
            db.executemany(
                "UPDATE queued SET queued_at = ?, requeues = ?, dead = ?"
                " WHERE feed_id = ? AND item_id = ?",
                [
                    (item.queued_at, item.requeues, int(item.dead), item.feed_id, item.item_id)
                    for item in (*requeue, *dead)
                ],
            )
        return requeue, dead

    def forget_dead_queued(self, *, dead_before: float) -> int:
        with self._tx() as db:
            # queued_by_age (dead, queued_at): a range of the expired dead records
            cursor = db.execute(
                "DELETE FROM queued WHERE dead = 1 AND queued_at < ?", (dead_before,)
            )
            return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _feed_activity(db: sqlite3.Connection, only: list[str] | None = None) -> dict[str, float]:
    """``Store.feed_activity`` (of ``only`` those feeds, if given) in one transaction."""
    # seen_by_age (feed_id, last_seen) answers MAX per feed without reading every row
    latest: dict[str, float] = dict(
        db.execute("SELECT feed_id, MAX(last_seen) FROM seen GROUP BY feed_id").fetchall()
    )
    states: dict[str, dict[str, str]] = {}
    for feed_id, key, value in db.execute("SELECT feed_id, key, value FROM feed_state"):
        states.setdefault(feed_id, {})[key] = value
    wanted = set(latest) | set(states) if only is None else set(only) & (set(latest) | set(states))
    return {
        feed_id: last_activity(states.get(feed_id, {}), latest.get(feed_id))
        for feed_id in sorted(wanted)
    }


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # statement by statement: executescript() would COMMIT the open transaction first
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


_LEDGER_COLUMNS = "alert_id, channel, status, attempts, detail, updated, payload, due"


def _ledger_row(entry: LedgerEntry) -> tuple[str, str, str, int, str, float, str, float]:
    return (
        entry.alert_id,
        entry.channel,
        entry.status,
        entry.attempts,
        entry.detail,
        entry.updated,
        entry.payload,
        entry.due,
    )


_QUEUED_COLUMNS = "feed_id, item_id, payload, queued_at, requeues, dead"


def _queued_row(item: QueuedItem) -> tuple[str, str, str, float, int, int]:
    return (item.feed_id, item.item_id, item.payload, item.queued_at, item.requeues, int(item.dead))


def _queued(row: tuple[Any, ...]) -> QueuedItem:
    feed_id, item_id, payload, queued_at, requeues, dead = row
    return QueuedItem(feed_id, item_id, payload, float(queued_at), int(requeues), bool(dead))


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    alert_id, channel, status, attempts, detail, updated, payload, due = row
    return LedgerEntry(
        alert_id=alert_id,
        channel=channel,
        status=cast(DeliveryStatus, status),
        attempts=int(attempts),
        detail=detail,
        updated=float(updated),
        payload=payload,
        due=float(due),
    )
