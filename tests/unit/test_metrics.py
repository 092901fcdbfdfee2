"""``monitor.metrics`` in process: one set of series whoever asks first, hooks that
count, and the endpoint's 200/503 answers from a heartbeat."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from monitor import metrics
from monitor.model import DeliveryResult
from tests.helpers import http_get


def test_threads_asking_at_once_get_one_set_of_series() -> None:
    got: list[metrics.Series] = []
    threads = [threading.Thread(target=lambda: got.append(metrics.series())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(series) for series in got}) == 1


def test_the_endpoint_serves_counts_and_health_from_a_heartbeat() -> None:
    beat = metrics.Heartbeat("last_poll_loop", max_age=60.0)
    server = metrics.MetricsServer(0, beat, host="127.0.0.1").start()
    try:
        status, body = http_get(server.port, "/healthz")
        assert status == 503 and json.loads(body)["reason"] == "no last poll loop yet"
        beat.beat()
        status, body = http_get(server.port, "/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
        beat.max_age = -1.0  # any age is too old now
        assert http_get(server.port, "/healthz")[0] == 503

        before = metrics.series().deliveries.labels("desk", "dead")._value.get()
        metrics.delivered(DeliveryResult("a1", "desk", "dead", 8, "HTTP 400"))
        status, text = http_get(server.port, "/metrics")
        assert status == 200
        line = 'monitor_deliveries_total{channel="desk",outcome="dead"} ' + str(before + 1)
        assert line in text.decode()
        assert 'monitor_dead_letters_total{channel="desk"}' in text.decode()
        assert http_get(server.port, "/nothing")[0] == 404
    finally:
        server.close()


FORK_AFTER_START = """
import os, sys
from monitor import metrics
assert "prometheus_client" not in sys.modules  # made at first use, not at import
server = metrics.MetricsServer(0, lambda: (True, {}), host="127.0.0.1").start()
pid = os.fork()  # no scrape yet: as a worker's pool child forked at its start
if pid == 0:
    module = sys.modules.get("prometheus_client.multiprocess")
    os._exit(0 if module is not None and hasattr(module, "MultiProcessCollector") else 1)
_, status = os.waitpid(pid, 0)
server.close()
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_child_forked_after_the_server_starts_has_the_client_whole() -> None:
    """The server imports prometheus-client as it starts, on the starting thread: a
    child forked before any scrape finds it imported whole, not half made by a
    scrape's thread caught mid-import by the fork (which fails every later import)."""
    done = subprocess.run([sys.executable, "-c", FORK_AFTER_START], check=False, timeout=60)
    assert done.returncode == 0
