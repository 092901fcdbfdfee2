"""Benchmark: the embedded runner's state writes per item, before and after batching.

Run ``python bench/bench_store.py`` (``--items N --polls P --match-every K``). It replays
on a fresh SQLite state file the store calls ``monitor run`` makes for polls of N new
items, one in K matching (decided under its ~34 story names, recorded pending on two
channels, sent after the poll), in two ways, interleaved poll by poll:

- before: the store and pipeline as they were: every call its own transaction, one
  ``get_delivery``/``put_delivery`` per channel, records made JSON through
  ``dataclasses.asdict`` and no ``stories_by_expiry`` index (put_stories' sweep of
  expired records scanned the story table);
- after: the poll in one ``store.batch()`` (one transaction), each item in a nested
  batch (a savepoint), the ledger entries of an alert read and written in one call,
  the alerts sent after the commit a channel at a time, each channel's entries read in
  one call, the file channel's written in one (its poll's lines go in one write), the
  console's one by one (as ``monitor.runner`` does now).

Printed per item: SQL statements (``sqlite3`` trace callback), transactions committed,
fsyncs (``strace -f -c`` of the same replay in a child process, when strace is there)
and µs; the headline is before/after. The same again with every item matching. Writes
``## bench_store`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from results import write_section

from monitor.state import sqlite as sqlite_module
from monitor.state.base import LAST_POLL_KEY, LedgerEntry, Store, StoryRecord
from monitor.state.sqlite import SqliteStore

CHANNELS = ("stdout", "archive")
FILE_CHANNEL = "archive"  # a file channel: a poll's alerts go in one write
NAMES = 34  # title fingerprint, story id, 32 body bands
WINDOW = 86400.0
WATCHLIST = "russia-nato"


class Counter:
    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def __call__(self, statement: str) -> None:
        self.statements += 1
        self.commits += statement.startswith("BEGIN IMMEDIATE")  # a write transaction


def original_to_json(record: StoryRecord | LedgerEntry) -> str:
    return json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":"))


def original_stories_json(records: list[StoryRecord]) -> list[str]:
    return [original_to_json(record) for record in records]


# what each store module encodes records with now, and the encoding it had before
ORIGINAL = {"to_json": original_to_json, "stories_json": original_stories_json}


@contextlib.contextmanager
def store_code(batched: bool) -> Iterator[None]:
    """The store's record encoding as it was (before) or is (after)."""
    modules = [sqlite_module, *(m for m in [sys.modules.get("monitor.state.redis")] if m)]
    current = [
        (module, name, getattr(module, name))
        for module in modules
        for name in ORIGINAL
        if hasattr(module, name)
    ]
    if not batched:
        for module, name, _ in current:
            setattr(module, name, ORIGINAL[name])
    try:
        yield
    finally:
        for module, name, encode in current:
            setattr(module, name, encode)


def open_store(path: Path, batched: bool) -> SqliteStore:
    store = SqliteStore(path)
    if not batched:  # the schema as it was
        assert store._conn is not None
        store._conn.execute("DROP INDEX stories_by_expiry")
    return store


def story(n: int, key: str, now: float) -> StoryRecord:
    return StoryRecord(f"alrt_{n:024x}", WATCHLIST, key, now, ("wire",), 0, f"title:{n:x}")


def poll(store: Store, feed: str, base: int, args: argparse.Namespace, batched: bool) -> None:
    """The store calls of one poll of ``args.items`` new items (pipeline + runner)."""
    with store_code(batched):
        _poll(store, feed, base, args, batched)


def _poll(store: Store, feed: str, base: int, args: argparse.Namespace, batched: bool) -> None:
    now = time.time()
    ids = [f"{feed}-{base + n}" for n in range(args.items)]
    alerts: list[str] = []
    store.get_feed_state(feed)  # poll_feed: validators
    fresh = store.seen_filter(feed, ids)
    outer = store.batch() if batched else contextlib.nullcontext()
    with outer:
        for n, item_id in enumerate(fresh):
            if n % args.match_every:
                continue  # matches nothing: no store call
            inner = store.batch() if batched else contextlib.nullcontext()
            with inner:
                keys = [f"{item_id}:{k}" for k in range(NAMES)]
                found = store.get_stories(WATCHLIST, keys)  # decide_story
                assert not any(found)
                store.put_stories([story(base + n, key, now) for key in keys], WINDOW)
                alert = f"alrt_{base + n:024x}"
                pending = [
                    LedgerEntry(alert, name, "pending", 0, "queued", now, "{}") for name in CHANNELS
                ]
                if batched:  # record_pending
                    store.get_deliveries([(alert, name) for name in CHANNELS])
                    store.put_deliveries(pending)
                else:
                    for entry in pending:
                        store.get_delivery(alert, entry.channel)
                        store.put_delivery(entry)
                alerts.append(alert)
        store.mark_seen(feed, fresh, now=now)  # commit_poll
        store.refresh_seen(feed, ids, now=now, forget_before=now - 30 * 86400)
        state = store.get_feed_state(feed)
        state[LAST_POLL_KEY] = repr(now)
        store.set_feed_state(feed, state)
    if not batched:  # as it was: each alert on each channel in turn
        for alert in alerts:
            for name in CHANNELS:
                store.get_delivery(alert, name)
                store.get_story(WATCHLIST, f"{alert}:primary")  # current_story
                store.put_delivery(LedgerEntry(alert, name, "sent", 1, "sent", now, "{}"))
        return
    for name in CHANNELS:  # deliver_alerts: a channel at a time, its ledger read once
        store.get_deliveries([(alert, name) for alert in alerts])
        sent = []
        for alert in alerts:
            store.get_story(WATCHLIST, f"{alert}:primary")  # current_story
            sent.append(LedgerEntry(alert, name, "sent", 1, "sent", now, "{}"))
        if name == FILE_CHANNEL:  # one write of the poll's lines, recorded at once
            store.put_deliveries(sent)
        else:  # each send recorded as it goes
            for entry in sent:
                store.put_delivery(entry)


def replay(folder: Path, args: argparse.Namespace, batched: bool) -> None:
    store = open_store(folder / "state.db", batched)
    for p in range(args.polls):
        poll(store, f"feed-{p % 7}", p * args.items, args, batched)
    store.close()


def fsyncs(args: argparse.Namespace, batched: bool) -> int | None:
    """fsync/fdatasync calls of one replay, counted by strace in a child process."""
    if shutil.which("strace") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "strace.txt"
        command = [sys.executable, __file__, "--child", "after" if batched else "before"]
        command += ["--items", str(args.items), "--polls", str(args.polls)]
        command += ["--match-every", str(args.match_every), "--dir", folder]
        trace = ["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", str(report)]
        done = subprocess.run(trace + command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None
        total = 0
        for line in report.read_text().splitlines():
            fields = line.split()
            if fields and fields[-1] in ("fsync", "fdatasync"):
                total += int(fields[3])
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100, help="new items per poll")
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--match-every", type=int, default=50, help="one item in K matches")
    parser.add_argument("--redis", help="also replay on the Redis at this URL (keys bench-*)")
    parser.add_argument("--child", choices=["before", "after"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        replay(args.dir, args, args.child == "after")
        return

    sections = [scenario(args, args.match_every), scenario(args, 1)]
    if args.redis:
        sections += [redis_scenario(args, args.match_every), redis_scenario(args, 1)]
    print("\n\n".join(sections))
    write_section("bench_store", "\n\n".join(sections))


def scenario(args: argparse.Namespace, match_every: int) -> str:
    args = argparse.Namespace(**{**vars(args), "match_every": match_every})
    counts = {"before": Counter(), "after": Counter()}
    seconds = {"before": 0.0, "after": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        stores = {
            "before": open_store(Path(folder) / "before.db", batched=False),
            "after": open_store(Path(folder) / "after.db", batched=True),
        }
        for name, store in stores.items():
            assert store._conn is not None
            store._conn.set_trace_callback(counts[name])
        for p in range(args.polls):  # interleaved: both see the same machine load
            for name, store in stores.items():
                start = time.perf_counter()
                poll(store, f"feed-{p % 7}", p * args.items, args, name == "after")
                seconds[name] += time.perf_counter() - start
        for store in stores.values():
            store.close()
    items = args.items * args.polls
    syncs = {name: fsyncs(args, name == "after") for name in counts}

    def per_item(value: float) -> str:
        return f"{value / items:.2f}"

    rows = [
        ("SQL statements", *(per_item(counts[n].statements) for n in counts)),
        ("write transactions", *(per_item(counts[n].commits) for n in counts)),
        (
            "fsyncs (strace)",
            *(per_item(s) if (s := syncs[n]) is not None else "n/a" for n in counts),
        ),
        ("µs", *(f"{seconds[n] / items * 1e6:.0f}" for n in counts)),
    ]
    ratio = seconds["before"] / seconds["after"]
    lines = [
        f"{args.polls} polls of {args.items} new items, one in {match_every} matching"
        " (34 story names, 2 channels), SQLite WAL, synchronous=NORMAL",
        "",
        "| per item | before | after (a batch per poll) |",
        "|---|---|---|",
        *(f"| {label} | {a} | {b} |" for label, a, b in rows),
        "",
        f"**speed-up: {ratio:.1f}x** (before µs / after µs, interleaved poll by poll);"
        f" statements {counts['before'].statements / counts['after'].statements:.1f}x fewer,"
        f" write transactions {counts['before'].commits / max(counts['after'].commits, 1):.1f}x"
        " fewer",
    ]
    return "\n".join(lines)


def redis_scenario(args: argparse.Namespace, match_every: int) -> str:
    """The same replay on two RedisStores (one per way), counting round trips: each
    command or pipeline goes to Redis in one ``send_packed_command``."""
    import redis.connection

    from monitor.state.redis import RedisStore

    args = argparse.Namespace(**{**vars(args), "match_every": match_every})
    trips = {"before": 0, "after": 0}
    seconds = {"before": 0.0, "after": 0.0}
    send = redis.connection.Connection.send_packed_command
    mode = ["before"]

    def counted(self: redis.connection.Connection, *a: object, **k: object) -> None:
        trips[mode[0]] += 1
        send(self, *a, **k)  # type: ignore[arg-type]

    stores = {name: RedisStore(args.redis, prefix=f"bench-{name}:") for name in trips}
    redis.connection.Connection.send_packed_command = counted  # type: ignore[method-assign]
    try:
        for p in range(args.polls):
            for name, store in stores.items():
                mode[0] = name
                start = time.perf_counter()
                poll(store, f"feed-{p % 7}", p * args.items, args, name == "after")
                seconds[name] += time.perf_counter() - start
    finally:
        redis.connection.Connection.send_packed_command = send  # type: ignore[method-assign]
        client = redis.Redis.from_url(args.redis)
        for key in client.scan_iter(match="bench-*", count=1000):
            client.delete(key)
        client.close()
        for store in stores.values():
            store.close()
    items = args.items * args.polls
    ratio = seconds["before"] / seconds["after"]
    return "\n".join(
        [
            f"Redis: {args.polls} polls of {args.items} new items, one in {match_every} matching",
            "",
            "| per item | before | after (a batch per poll) |",
            "|---|---|---|",
            f"| round trips | {trips['before'] / items:.2f} | {trips['after'] / items:.2f} |",
            "| µs | {:.0f} | {:.0f} |".format(*(seconds[n] / items * 1e6 for n in seconds)),
            "",
            f"**speed-up: {ratio:.1f}x**; round trips"
            f" {trips['before'] / max(trips['after'], 1):.1f}x fewer",
        ]
    )


if __name__ == "__main__":
    main()
