"""A feed document of more entries than one batch loses none: the embedded runner
reads it a batch at a time, marks the drop file seen only after its last batch, and
after a crash goes on from the batch it was in without alerting anything twice."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor.config.loader import load_config
from monitor.match.engine import build_matcher
from monitor.pipeline import (
    ENTRY_BATCH_KEY,
    Runtime,
    build_channels,
    commit_poll,
    poll_feed,
    process_item,
    utcnow,
)
from monitor.runner import EmbeddedRunner
from monitor.sources.context import ENTRY_BATCH
from monitor.state.memory import MemoryStore
from tests.helpers import example_config

ITEMS = 5000
EVERY = 50  # one item in 50 matches: 100 in all


def big_rss(items: int = ITEMS, every: int = EVERY) -> bytes:
    """An RSS document of ``items`` entries; every ``every``-th one is about NATO."""
    entries = []
    for i in range(items):
        if i % every == 0:
            title = f"NATO ministers meet for round {i} of security talks"
            body = f"Round {i}: NATO allies discussed security guarantees for Ukraine."
        else:
            title = f"Local weather bulletin {i}"
            body = f"Bulletin {i}: mild and dry, light winds from the west."
        entries.append(
            f"<item><guid>item-{i}</guid><title>{title}</title>"
            f"<description>{body}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Wire Desk</title>" + "".join(entries) + "</channel></rss>"
    ).encode()


def _runtime(tmp_path: Path) -> Runtime:
    config = load_config(example_config(tmp_path), env={})
    return Runtime(config, MemoryStore(), build_matcher(config), build_channels(config))


def _archived(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "alerts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line)["alert"] for line in lines]


def test_a_document_is_read_in_batches_until_done(tmp_path: Path) -> None:
    assert ITEMS > 2 * ENTRY_BATCH
    runtime = _runtime(tmp_path)
    (tmp_path / "inbox" / "big.xml").write_bytes(big_rss())
    stats = EmbeddedRunner(runtime).run(once=True)
    assert stats.items == ITEMS
    assert len(_archived(tmp_path)) == ITEMS // EVERY
    # done: the file is seen, nothing is in progress, a second run reads nothing
    feed = runtime.config.feeds[0]
    assert runtime.store.get_feed_state(feed.id).get(ENTRY_BATCH_KEY, "") == ""
    assert EmbeddedRunner(runtime).run(once=True).items == 0


def test_the_file_is_seen_only_after_its_last_batch(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    (tmp_path / "inbox" / "big.xml").write_bytes(big_rss())
    feed = runtime.config.feeds[0]
    first = poll_feed(feed, runtime.config, runtime.store, now=utcnow())
    assert len(first.items) == ENTRY_BATCH and first.more and first.interval == 0
    assert not [key for key in first.seen_keys if key.startswith("file:")]
    assert not first.warnings
    commit_poll(first, runtime.store)
    second = poll_feed(feed, runtime.config, runtime.store, now=utcnow())
    assert len(second.items) == ENTRY_BATCH
    assert {item.id for item in second.items}.isdisjoint(item.id for item in first.items)
    assert second.items[0].title == f"NATO ministers meet for round {ENTRY_BATCH} of security talks"


def test_a_crash_inside_a_batch_resumes_without_doubles(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    (tmp_path / "inbox" / "big.xml").write_bytes(big_rss())
    feed, store, config = runtime.config.feeds[0], runtime.store, runtime.config
    runner = EmbeddedRunner(runtime)
    assert runner._poll([feed.id]) == [feed.id]  # the first batch, committed
    # the second batch is processed, then the process dies before it is committed
    crashed = poll_feed(feed, config, store, now=utcnow())
    for item in crashed.items:
        for alert in process_item(item, runtime.matcher, store, config, now=utcnow()):
            runner._deliver([alert], attempt=1)
    assert len(_archived(tmp_path)) == 2 * ENTRY_BATCH // EVERY
    stats = EmbeddedRunner(runtime).run(once=True)
    assert stats.items == ITEMS - ENTRY_BATCH  # the crashed batch is read again
    alerts = _archived(tmp_path)
    assert len(alerts) == ITEMS // EVERY
    assert len({alert["id"] for alert in alerts}) == len(alerts)


class _FeedServer(ThreadingHTTPServer):
    """Serves one RSS document with an ETag on 127.0.0.1; records each request's
    If-None-Match header."""

    def __init__(self, document: bytes) -> None:
        self.document = document
        self.conditional: list[str | None] = []
        super().__init__(("127.0.0.1", 0), _FeedHandler)


class _FeedHandler(BaseHTTPRequestHandler):
    server: _FeedServer

    def do_GET(self) -> None:
        etag = '"v1"'
        asked = self.headers.get("If-None-Match")
        self.server.conditional.append(asked)
        if asked == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(self.server.document)))
        self.end_headers()
        self.wfile.write(self.server.document)

    def log_message(self, *args: object) -> None:
        pass


def test_a_big_rss_document_from_a_url_is_read_in_batches(tmp_path: Path) -> None:
    server = _FeedServer(big_rss())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        config_dir = example_config(tmp_path)
        (config_dir / "url.yaml").write_text(
            "feeds:\n"
            "  - id: big-url\n"
            f"    url: http://127.0.0.1:{server.server_address[1]}/rss\n"
            "    allow_private: true\n",
            encoding="utf-8",
        )
        config = load_config(config_dir, env={})
        runtime = Runtime(config, MemoryStore(), build_matcher(config), build_channels(config))
        stats = EmbeddedRunner(runtime).run(once=True)
        assert stats.items == ITEMS
        assert len(_archived(tmp_path)) == ITEMS // EVERY
        # three fetches of the whole document, then a conditional GET once it is done
        assert server.conditional == [None, None, None]
        assert EmbeddedRunner(runtime).run(once=True).items == 0
        assert server.conditional[-1] == '"v1"'
    finally:
        server.shutdown()
        server.server_close()
