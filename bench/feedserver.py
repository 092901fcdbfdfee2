"""A loopback RSS server for the pipeline benchmark: N feeds over generated items.

``FeedServer`` serves ``/feed/<n>.xml`` on 127.0.0.1 (a threading ``http.server``),
each an RSS 2.0 document over the items given to that feed. Two modes:

- static: every item of a feed is listed from the start (throughput runs);
- paced (``publish(rate)``): items become visible one at a time at a steady rate,
  round robin over the feeds; each feed lists its newest ``window`` items, and
  ``published[item id]`` records when each one appeared (latency runs).

Each answer carries an ETag and a matching ``If-None-Match`` gets a 304, as a
well-kept feed server does. Items are dicts with ``id``, ``title`` and ``body``
(as ``bench/corpus.py`` makes them).

``FeedServerProcess`` serves static feeds the same way from a process of its own
(this file run as a script), so that the measured process runs no server thread:
a runner's process, as ``monitor run`` starts it, runs one thread, which decides how
its history writer starts (``monitor.history.writer``).
Does network I/O on loopback only; the process server reads its feeds from a file.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WINDOW = 100  # items a paced feed lists, newest first


def rss_item(item: dict[str, Any], published: float) -> str:
    """One ``<item>``: the body as HTML paragraphs, escaped into ``<description>``."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in item["body"].split("\n\n"))
    return (
        "<item>"
        f"<title>{html.escape(item['title'])}</title>"
        f"<link>http://news.example.org/{item['id']}</link>"
        f'<guid isPermaLink="false">{item["id"]}</guid>'
        f"<pubDate>{formatdate(published, usegmt=True)}</pubDate>"
        f"<description>{html.escape(paragraphs)}</description>"
        "</item>"
    )


def rss_document(number: int, entries: Sequence[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Bench Wire {number}</title><link>http://news.example.org/</link>"
        f"<description>bench feed {number}</description>{''.join(entries)}"
        "</channel></rss>"
    ).encode()


def feed_urls(port: int, feeds: int) -> list[str]:
    return [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(feeds)]


class FeedServer:
    """``feeds`` lists of items, served as RSS feeds on a free loopback port."""

    def __init__(self, feeds: list[list[dict[str, Any]]]) -> None:
        self.feeds = feeds
        self.published: dict[str, float] = {}
        self._visible: list[list[str]] = [[] for _ in feeds]  # rendered <item>s, oldest first
        self._static = True
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._documents = [self._render(n, feed, time.time()) for n, feed in enumerate(feeds)]
        self.requests = 0
        server = self
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def urls(self) -> list[str]:
        return feed_urls(self.port, len(self.feeds))

    @staticmethod
    def _render(number: int, items: list[dict[str, Any]], now: float) -> bytes:
        return rss_document(number, [rss_item(item, now) for item in reversed(items)])

    def etag(self, number: int) -> str:
        """Changes whenever the feed's document does (conditional GET: 304 otherwise)."""
        with self._lock:
            shown = len(self.feeds[number]) if self._static else len(self._visible[number])
            return f'"{number}-{int(self._static)}-{shown}"'

    def document(self, number: int) -> bytes:
        with self._lock:
            self.requests += 1
            if self._static:
                return self._documents[number]
            return rss_document(number, self._visible[number][-WINDOW:][::-1])

    def hide(self) -> None:
        """Show every feed empty until ``publish``: a latency run's pollers start first,
        and must not find every item at once in the static documents."""
        with self._lock:
            self._static = False
            self._visible = [[] for _ in self.feeds]

    def publish(self, rate: float) -> threading.Thread:
        """Start showing the items one by one at ``rate`` items/s (feeds start empty)."""
        self.hide()
        order = [
            (n, item)
            for k in range(max(map(len, self.feeds)))
            for n, feed in enumerate(self.feeds)
            if k < len(feed)
            for item in (feed[k],)
        ]
        thread = threading.Thread(target=self._pace, args=(order, rate), daemon=True)
        thread.start()
        return thread

    def _pace(self, order: list[tuple[int, dict[str, Any]]], rate: float) -> None:
        start = time.time()
        for index, (number, item) in enumerate(order):
            due = start + index / rate
            delay = due - time.time()
            if delay > 0 and self._stop.wait(delay):
                return
            now = time.time()
            rendered = rss_item(item, now)
            with self._lock:
                self._visible[number].append(rendered)
                self.published[item["id"]] = now

    def close(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()


class FeedServerProcess:
    """``feeds`` served as ``FeedServer`` serves them statically, by a child process."""

    def __init__(self, feeds: list[list[dict[str, Any]]]) -> None:
        self.feeds = feeds
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump(feeds, file)
        self._file = Path(file.name)
        self._proc = subprocess.Popen(
            [sys.executable, __file__, str(self._file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()  # "port N" once it listens
        if not line.startswith("port "):
            self.close()
            raise RuntimeError(f"feed server process did not start: {line!r}")
        self.port = int(line.split()[1])

    @property
    def urls(self) -> list[str]:
        return feed_urls(self.port, len(self.feeds))

    def document(self, number: int) -> bytes:
        """The document of feed ``number`` as served (its dates those of now)."""
        return FeedServer._render(number, self.feeds[number], time.time())

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()  # the child's signal to stop
        self._proc.wait(timeout=30)
        self._file.unlink(missing_ok=True)


def _serve(path: Path) -> None:
    """The child of ``FeedServerProcess``: serve the feeds in ``path`` until stdin ends."""
    server = FeedServer(json.loads(path.read_text(encoding="utf-8")))
    print(f"port {server.port}", flush=True)
    sys.stdin.read()
    server.close()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            try:
                number = int(self.path.removeprefix("/feed/").removesuffix(".xml"))
                etag = server.etag(number)
                body = server.document(number)
            except (ValueError, IndexError):
                self.send_error(404)
                return
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
