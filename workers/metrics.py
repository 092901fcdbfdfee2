"""``--metrics-port`` of ``monitor worker`` and ``monitor poller``: the Celery side of
``monitor.metrics``.

A prefork worker is a main process and its pool children, each counting on its own:
prometheus-client's multiprocess mode has each write its series to files in
``PROMETHEUS_MULTIPROC_DIR``, and the main process's ``/metrics`` adds them up. The
worker command makes that folder (a temporary one, removed when the worker stops; or the
one the environment names, emptied at start, as prometheus-client asks) before
prometheus-client is first imported. ``/healthz`` of a worker pings its broker; of the
poller, says when its last scheduling pass completed; the poller also reports the
depth of each queue, read from the broker at each scrape.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from celery import signals
from kombu.exceptions import ChannelError, OperationalError
from redis.exceptions import RedisError

from monitor import metrics
from monitor.metrics import HealthCheck

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# the broker must answer PING within this long for a worker to be healthy
BROKER_PING_TIMEOUT = 2.0
# a poller's pass takes a tick (1 s) plus its Redis round trips: one this old is stuck
POLLER_STALE_AFTER = 30.0


@contextmanager
def multiprocess_dir() -> Iterator[str]:
    """The folder the worker's processes write their series to, set in the environment
    (inherited by the pool children) for as long as the worker runs."""
    if "prometheus_client" in sys.modules:
        # its value store was chosen at import, in memory: the children's counts would be lost
        raise RuntimeError("prometheus_client was imported before the multiprocess folder was set")
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):  # a previous run's counts
            stale.unlink()
        yield given
        return
    made = tempfile.mkdtemp(prefix="monitor-metrics-")
    os.environ[MULTIPROC_ENV] = made
    try:
        yield made
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(made, ignore_errors=True)


@signals.worker_process_shutdown.connect
def _pool_child_gone(pid: int | None = None, **kwargs: Any) -> None:
    """A pool child stopped: its live gauges no longer count (its counters still do)."""
    if os.environ.get(MULTIPROC_ENV) and "prometheus_client" in sys.modules:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]


def broker_health(broker_url: str) -> HealthCheck:
    """A worker is healthy while its broker answers PING (docs/delivery.md: after a Redis
    restart a worker may not notice: the check asks the broker, not the process)."""
    client = redis.Redis.from_url(
        broker_url,
        socket_connect_timeout=BROKER_PING_TIMEOUT,
        socket_timeout=BROKER_PING_TIMEOUT,
    )

    def check() -> tuple[bool, dict[str, Any]]:
        try:
            client.ping()
        except RedisError as exc:
            reason = f"broker unreachable: {type(exc).__name__}"
            return False, {"broker": "unreachable", "reason": reason}
        return True, {"broker": "connected"}

    return check


def poller_heartbeat() -> metrics.Heartbeat:
    return metrics.Heartbeat("last_scheduling_pass", max_age=POLLER_STALE_AFTER)


def report_queue_depths(queues: tuple[str, ...]) -> None:
    """Have ``monitor_queue_depth`` read each queue's length from the broker at scrape
    time (the poller is one process, so a gauge function is allowed)."""
    for queue in queues:
        metrics.series().queue_depth.labels(queue).set_function(functools.partial(_depth, queue))


def _depth(queue: str) -> float:
    from workers.app import app

    try:
        with app.connection_for_read() as conn:
            declared = conn.default_channel.queue_declare(queue=queue, passive=True)
            return float(declared.message_count)
    except ChannelError:  # kombu's Redis transport: no key, no queue, nothing waiting
        return 0.0
    except (OperationalError, RedisError, OSError):
        return float("nan")
