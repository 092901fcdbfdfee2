"""Benchmark: a batch of items through Redis as a Celery task message, before and now.

Run ``python bench/bench_messages.py`` (``--items N --batch B``). Realistic items
(``bench_pipeline.make_items``: six languages, ~3 KB) go as ``process_items`` messages of
B items through a redis-server of the benchmark's own, published with Celery and read
back with kombu as a worker reads them, two ways interleaved:

- before: kombu's defaults, as the workers had them: "json" escaping every non-ASCII
  character (``\\uXXXX``) and the body base64 inside Redis's JSON envelope;
- now: ``workers.app``'s settings: the body as JSON text (``body_encoding: utf-8``),
  its characters as they are (the "json" serializer that ``workers.app`` registers).

Printed: µs per item for publish plus read (best of the rounds) and bytes per item in
Redis; the headline is before/now.

Then an item's whole trip to a worker as the poll task and ``process_queued`` make it,
two ways interleaved, both with the serializer of now and each message acknowledged
after it is read (kombu then keeps a copy of it in its unacked hash meanwhile, as for a
worker with late acks):

- items in the message: the queued records written (``pipeline.record_queued``), then
  ``process_items`` messages carrying the items, as the workers had it;
- keys in the message: the same records, then ``process_queued`` messages of their keys;
  the reader takes the items from the records (``Store.queued_payloads``) and decodes them.

Writes ``## bench_messages`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

import redis
from bench_pipeline import redis_server, wire_items
from celery import Celery
from kombu.serialization import register
from kombu.utils import json as kombu_json
from results import write_section

from monitor import pipeline
from monitor.config.loader import load_config
from monitor.model import WireItem
from monitor.state.redis import RedisStore


def _register(*, escaped: bool) -> None:
    """kombu's "json" as it ships (``escaped``) or as ``workers.app`` registers it."""
    from workers.app import json_text

    dumps = kombu_json.dumps if escaped else json_text
    register(
        "json",
        dumps,
        kombu_json.loads,
        content_type="application/json",
        content_encoding="utf-8",
    )


def _app(url: str, folder: Path, *, before: bool) -> Celery:
    from workers.app import celery_settings  # registers the "json" of now

    (folder / "monitor.yaml").write_text(
        f"settings:\n  broker_url: {url}\n  state_dir: {folder}\n", encoding="utf-8"
    )
    settings = celery_settings(load_config(folder / "monitor.yaml", env={}))
    options = dict(settings["broker_transport_options"])
    if before:
        options.pop("body_encoding")  # kombu's default for Redis: base64
    settings["broker_transport_options"] = options
    app = Celery(f"bench-messages-{before}")
    app.conf.update(settings)
    return app


def _round(app: Celery, batches: list[list[dict[str, Any]]], url: str) -> tuple[float, int]:
    """Publish every batch, read every message back: seconds, bytes in Redis."""
    task = app.signature("monitor.process_items", queue="bench")
    client = redis.Redis.from_url(url)
    started = time.perf_counter()
    for batch in batches:
        task.apply_async((batch,))
    stored = sum(len(raw) for raw in client.lrange("bench", 0, -1))
    read = 0
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("bench", no_ack=True)
        while read < len(batches):
            message = queue.get(timeout=10)
            assert len(message.payload[0][0]) == len(batches[read])
            read += 1
        queue.close()
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed, stored


def _trip(app: Celery, store: RedisStore, batches: list[list[WireItem]], *, keys: bool) -> float:
    """Record and queue every batch, then read each message (and, with ``keys``, its
    items from their records) and acknowledge it: seconds."""
    name = "monitor.process_queued" if keys else "monitor.process_items"
    task = app.signature(name, queue="trip")
    started = time.perf_counter()
    for batch in batches:
        pipeline.record_queued(batch, store, now=time.time())
        if keys:
            task.apply_async(([list(pipeline.queued_key(item)) for item in batch],))
        else:
            task.apply_async(([item.to_dict() for item in batch],))
    read = 0
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("trip", no_ack=False)
        while read < len(batches):
            message = queue.get(timeout=10)
            args = message.payload[0][0]
            if keys:
                payloads = store.queued_payloads([(feed, item) for feed, item in args])
                found = [json.loads(payload) for payload in payloads if payload is not None]
            else:
                found = args
            assert [data["id"] for data in found] == [item.id for item in batches[read]]
            message.ack()
            read += 1
        queue.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    wire = wire_items(args.items, 50, "msg")
    items = [item.to_dict() for item in wire]
    batches = [items[i : i + args.batch] for i in range(0, len(items), args.batch)]
    best: dict[bool, float] = {True: float("inf"), False: float("inf")}
    stored: dict[bool, int] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-messages-") as tmp,
        redis_server(Path(tmp)) as url,
    ):
        apps = {before: _app(url, Path(tmp), before=before) for before in (True, False)}
        for _ in range(args.rounds):
            for before in (True, False):
                _register(escaped=before)
                seconds, stored[before] = _round(apps[before], batches, url)
                best[before] = min(best[before], seconds)
        _register(escaped=False)
        wire_batches = [wire[i : i + args.batch] for i in range(0, len(wire), args.batch)]
        store = RedisStore(url)
        trip: dict[bool, float] = {True: float("inf"), False: float("inf")}
        for number in range(args.rounds):
            for keys in (False, True) if number % 2 == 0 else (True, False):
                seconds = _trip(apps[False], store, wire_batches, keys=keys)
                trip[keys] = min(trip[keys], seconds)
        store.close()
        for app in apps.values():
            app.close()
    micros = {way: seconds / len(items) * 1e6 for way, seconds in best.items()}
    size = {way: count / len(items) for way, count in stored.items()}
    text = "\n".join(
        [
            f"{len(items):,} items (~3 KB, six languages) as `process_items` messages of "
            f"{args.batch}, published with Celery to a redis-server and read back with "
            f"kombu; best of {args.rounds} interleaved rounds.",
            "",
            "| way | µs/item (publish + read) | bytes/item in Redis |",
            "|---|---|---|",
            f"| before: escaped JSON, base64 body | {micros[True]:,.0f} | {size[True]:,.0f} |",
            f"| now: JSON text, characters as they are | {micros[False]:,.0f} "
            f"| {size[False]:,.0f} |",
            "",
            f"**now/before: {micros[False] / micros[True]:.2f}x the time, "
            f"{size[False] / size[True]:.2f}x the bytes**",
            "",
            f"An item's trip to a worker: its queued record and a message of {args.batch},"
            " read with late acknowledgement (best of the same rounds, interleaved):",
            "",
            "| the message carries | µs/item (record, publish, read, ack) |",
            "|---|---|",
            f"| the items (`process_items`) | {trip[False] / len(items) * 1e6:,.0f} |",
            f"| their records' keys (`process_queued`), items read from the records "
            f"| {trip[True] / len(items) * 1e6:,.0f} |",
            "",
            f"**keys/items: {trip[True] / trip[False]:.2f}x the time**",
        ]
    )
    print(text)
    if not args.no_write:
        write_section("bench_messages", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
