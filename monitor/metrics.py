"""Prometheus metrics (series ``monitor_*``) and the ``/healthz`` check of the
long-running processes (``monitor run``, ``monitor poller``, ``monitor worker``).

The counters are prometheus-client's, in a registry of their own; the runners call the
small functions below once per poll, batch or delivery, never once per entry read. A
Celery prefork worker is several processes: ``workers/`` points prometheus-client's
multiprocess mode at a folder (``PROMETHEUS_MULTIPROC_DIR``, set before this module is
imported) and ``serve`` is told so, to add up every process's files at each scrape.

``serve`` runs one HTTP server thread: ``/metrics`` in the text format, ``/healthz``
200 or 503 with a small JSON body from the process's own check (``Health``). Does I/O:
the server socket only.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from monitor.errors import MonitorError
from monitor.logs import get_logger
from monitor.model import Alert, DeliveryResult

if TYPE_CHECKING:
    from prometheus_client import Gauge, Histogram

log = get_logger(__name__)


class Series:
    """Every ``monitor_*`` series, made at first use: prometheus-client picks its value
    store (in memory, or multiprocess files) when it is imported, which a worker must
    let happen only once ``PROMETHEUS_MULTIPROC_DIR`` is set."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        # its own registry: one made twice (a test, a failed attempt) clashes with nothing
        self.registry = registry = CollectorRegistry()

        self.feed_polls = Counter(
            "monitor_feed_polls",
            "Feed and drop-folder polls, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.items_fetched = Counter(
            "monitor_items_fetched", "New items that polls brought in", registry=registry
        )
        self.items_parsed = Counter(
            "monitor_items_parsed",
            "Items processed (parsed and matched against)",
            registry=registry,
        )
        self.items_matched = Counter(
            "monitor_items_matched",
            "Items that matched at least one watchlist",
            registry=registry,
        )
        self.alerts = Counter(
            "monitor_alerts",
            "Alerts raised (one per watchlist and story)",
            ["watchlist"],
            registry=registry,
        )
        self.deliveries = Counter(
            "monitor_deliveries",
            "Delivery attempts by channel and outcome",
            ["channel", "outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "monitor_dead_letters",
            "Deliveries dead-lettered, by channel",
            ["channel"],
            registry=registry,
        )
        self.items_given_up = Counter(
            "monitor_items_given_up",
            "Queued items the poller gave up on",
            registry=registry,
        )
        self.fetch_errors = Counter(
            "monitor_fetch_errors",
            "Failed feed polls, by error kind",
            ["kind"],
            registry=registry,
        )
        self.publish_to_alert: Histogram = Histogram(
            "monitor_publish_to_alert_seconds",
            "From an item's publication (its fetch when undated) to its alert",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 86400),
            registry=registry,
        )
        self.stage_seconds: Histogram = Histogram(
            "monitor_stage_seconds",
            "Time per stage: poll (one feed), process (a poll's or task's items), deliver",
            ["stage"],
            registry=registry,
        )
        self.queue_depth: Gauge = Gauge(
            "monitor_queue_depth",
            "Messages waiting per queue",
            ["queue"],
            multiprocess_mode="max",
            registry=registry,
        )
        self.last_pass: Gauge = Gauge(
            "monitor_last_pass_timestamp_seconds",
            "When the poll loop (run) or scheduling pass (poller) last completed",
            multiprocess_mode="max",
            registry=registry,
        )


_series: Series | None = None
_series_lock = threading.Lock()


def _new_lock_in_child() -> None:
    """A pool child forked while another thread made the series (a scrape in the
    worker's main process) must not inherit that thread's lock, held forever."""
    global _series_lock
    _series_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def series() -> Series:
    """This process's series, made once (threads of a fetch pool and the HTTP server may
    ask at the same moment)."""
    global _series
    made = _series
    if made is None:
        with _series_lock:
            if _series is None:
                _series = Series()
            made = _series
    return made


# --- hooks the runners call ----------------------------------------------------------
def poll_done(new_items: int) -> None:
    """One successful poll that brought ``new_items``."""
    m = series()
    m.feed_polls.labels("ok").inc()
    if new_items:
        m.items_fetched.inc(new_items)


def poll_failed(error: BaseException) -> None:
    """One failed poll; its kind is the exception class (FetchError, ParseError...)."""
    m = series()
    m.feed_polls.labels("error").inc()
    m.fetch_errors.labels(type(error).__name__).inc()


def items_processed(count: int, started: float, alerts: Iterable[Alert] = ()) -> None:
    """A poll's or task's ``count`` items processed since ``started`` (perf_counter),
    raising ``alerts``: one call per batch."""
    m = series()
    m.stage_seconds.labels("process").observe(time.perf_counter() - started)
    if count:
        m.items_parsed.inc(count)
    alerts_raised(alerts)


def alerts_raised(alerts: Iterable[Alert]) -> None:
    """Alerts by watchlist, and how long after its item's publication each came."""
    now = time.time()
    for alert in alerts:
        m = series()
        m.alerts.labels(alert.watchlist).inc()
        published = _timestamp(alert.item.published) or _timestamp(alert.item.fetched_at)
        if published is not None and published <= now:
            m.publish_to_alert.observe(now - published)


def item_matched() -> None:
    """An item matched a watchlist (matched items are few: per item is cheap)."""
    series().items_matched.inc()


def delivered(result: DeliveryResult) -> None:
    """One delivery's outcome (sent, retry, dead, busy)."""
    m = series()
    m.deliveries.labels(result.channel, result.status).inc()
    if result.status == "dead":
        m.dead_letters.labels(result.channel).inc()


def items_given_up(count: int) -> None:
    if count:
        series().items_given_up.inc(count)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a block as stage ``name``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        series().stage_seconds.labels(name).observe(time.perf_counter() - started)


def _timestamp(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- health -----------------------------------------------------------------------------
class Heartbeat:
    """When a loop last completed a pass; healthy while that is at most ``max_age`` ago."""

    def __init__(self, what: str, max_age: float) -> None:
        self.what = what
        self.max_age = max_age
        self._last: float | None = None

    def beat(self) -> None:
        self._last = time.time()
        series().last_pass.set(self._last)

    def __call__(self) -> tuple[bool, dict[str, Any]]:
        if self._last is None:
            return False, {self.what: None, "reason": f"no {self.what.replace('_', ' ')} yet"}
        age = time.time() - self._last
        body: dict[str, Any] = {self.what: round(self._last, 3), "age": round(age, 3)}
        if age > self.max_age:
            body["reason"] = f"last {self.what.replace('_', ' ')} {age:.0f}s ago"
        return age <= self.max_age, body


# A check answers (healthy, details for the JSON body).
HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


# --- the HTTP endpoint ---------------------------------------------------------------------
class MetricsServer:
    """``/metrics`` and ``/healthz`` on 127.0.0.1 or any host, in a daemon thread."""

    def __init__(
        self,
        port: int,
        health: HealthCheck,
        *,
        host: str = "0.0.0.0",
        multiproc_dir: str | None = None,
    ) -> None:
        self.health = health
        self.multiproc_dir = multiproc_dir
        handler = _handler(self)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-http", daemon=True
        )

    def start(self) -> MetricsServer:
        # Imported now, by the thread that starts the server, not by a first scrape in
        # the server's thread: a process forked while that thread imports it (a worker's
        # pool child) would inherit the module half made and fail every import of it.
        import prometheus_client.multiprocess  # noqa: F401

        self._thread.start()
        log.info("metrics_serving", port=self.port)
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def scrape(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        series()  # every series shows, at zero before its first event
        if self.multiproc_dir is None:
            return generate_latest(series().registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiproc_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    def check(self) -> tuple[int, bytes]:
        try:
            ok, details = self.health()
        except Exception as exc:  # a check that crashes says unhealthy, not a 500
            ok, details = False, {"reason": f"health check failed: {type(exc).__name__}"}
        body = {"status": "ok" if ok else "unhealthy", **details}
        return (200 if ok else 503), json.dumps(body).encode()


_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the text exposition format


def _handler(server: MetricsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                status, body, kind = 200, server.scrape(), _CONTENT_TYPE
            elif path == "/healthz":
                status, body = server.check()
                kind = "application/json"
            else:
                status, body, kind = 404, b"not found: /metrics or /healthz\n", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes every few seconds: not worth a log line each

    return Handler


def serve(
    port: int | None, health: HealthCheck, *, multiproc_dir: str | None = None
) -> MetricsServer | None:
    """Start the endpoint on ``port`` (None: no endpoint, nothing started)."""
    if port is None:
        return None
    try:
        server = MetricsServer(port, health, multiproc_dir=multiproc_dir)
    except OSError as exc:
        raise MonitorError(f"--metrics-port {port}: cannot listen: {exc.strerror}") from None
    return server.start()
