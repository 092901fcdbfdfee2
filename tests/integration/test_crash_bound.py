"""A killed worker's in-flight items alert within the bound, and a slow task redelivered
while still running sends nothing twice (issue 12.9; docs/delivery.md).

Real ``redis-server``, real worker and poller processes (the ``Cluster`` of
``test_reliability``), a webhook receiver on 127.0.0.1. Both tests use a short
visibility timeout (``VISIBILITY_TIMEOUT``); the arithmetic that makes the default one
(90 s) alert within 2 minutes is in ``tests/unit/test_visibility_timeout.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tests.integration.test_reliability import (
    VISIBILITY_TIMEOUT,
    Cluster,
    Receiver,
    all_sent,
    cluster_factory,  # noqa: F401  (a fixture)
    drop,
    ledger,
    ledger_state,
    new_cluster,
    write_config,
)
from workers.app import UNACKED_RESTORE_INTERVAL, task_time_limits

pytestmark = pytest.mark.integration

# How long a killed worker's message may take to come back, and to be done: restored
# after the visibility timeout by kombu's sweep, or found lost by the poller's sweep
# after as long (swept every quarter of it); a send the dead worker had begun waits for
# its send lease (the hard time limit) to lapse first. Here the hard limit's floor (20 s)
# is above the timeout; with the defaults it is below (60 s < 90 s), so the restored
# message finds the lease lapsed (tests/unit/test_visibility_timeout.py).
_, HARD = task_time_limits(VISIBILITY_TIMEOUT)
BOUND = max(HARD, VISIBILITY_TIMEOUT) + 1.25 * VISIBILITY_TIMEOUT + 2 * UNACKED_RESTORE_INTERVAL
BOUND += 10  # a slow machine's start of w2 and the webhook's 1 s answer


def test_a_worker_killed_mid_item_has_it_alerted_by_another_within_the_bound(
    tmp_path: Path,
    redis_db_url: str,
    cluster_factory: list[Cluster],  # noqa: F811
) -> None:
    with Receiver(delay=1.0) as receiver:
        config = write_config(tmp_path, redis_db_url, receiver.url)
        cluster = new_cluster(cluster_factory, tmp_path, config)
        cluster.start("poller", "poller")
        cluster.start("worker", "w1")
        drop(tmp_path, range(3))
        # w1 is sending an alert: the receiver holds the request, the ledger is not written
        assert wait_for(receiver.busy, timeout=40, interval=0.02), cluster.logs()
        cluster.start("worker", "w2")  # running before the kill: no restart helps it
        cluster.kill("w1")
        killed_at = time.monotonic()
        cut_off = receiver.unique() - {
            e.alert_id for e in ledger(redis_db_url) if e.channel == "hook" and e.status == "sent"
        }
        assert cut_off, "no alert was in flight at the kill"

        # every item alerted on both channels, by w2, within the bound from the kill
        assert wait_for(lambda: all_sent(redis_db_url, 3), timeout=BOUND), (
            ledger_state(redis_db_url),
            cluster.logs(),
        )
        assert time.monotonic() - killed_at <= BOUND
    assert {e["alert"] for e in cluster.events("w2", "delivery")} >= cut_off, cluster.log("w2")
    assert receiver.unique() == {e.alert_id for e in ledger(redis_db_url)}


def test_a_slow_send_redelivered_while_still_running_sends_nothing_twice(
    tmp_path: Path,
    redis_db_url: str,
    cluster_factory: list[Cluster],  # noqa: F811
) -> None:
    # The hard time limit's floor (20 s) is above this visibility timeout, so a send held
    # longer than the timeout is still running when its message is handed out again.
    _, hard = task_time_limits(VISIBILITY_TIMEOUT)
    hold = VISIBILITY_TIMEOUT + 3 * UNACKED_RESTORE_INTERVAL + 2
    assert hold < hard
    with Receiver(delay=hold) as receiver:
        config = write_config(tmp_path, redis_db_url, receiver.url)
        text = config.read_text(encoding="utf-8").replace("timeout: 5s", f"timeout: {hold + 5:g}s")
        config.write_text(text, encoding="utf-8")
        cluster = new_cluster(cluster_factory, tmp_path, config)
        cluster.start("poller", "poller")
        cluster.start("worker", "w1")
        cluster.start("worker", "w2")
        drop(tmp_path, range(1))
        assert wait_for(lambda: all_sent(redis_db_url, 1), timeout=hold + 40), (
            ledger_state(redis_db_url),
            cluster.logs(),
        )
        wait_for(lambda: False, timeout=2)  # a repeat, if any, would arrive now

    busy = [
        e
        for name in ("w1", "w2")
        for e in cluster.events(name, "delivery")
        if e.get("status") == "busy" and e.get("channel") == "hook"
    ]
    # the send was taken up again while the first still ran (the test can fail) ...
    assert busy, cluster.logs()
    # ... and went out once: the second copy found the send lease taken
    (alert_id,) = {e.alert_id for e in ledger(redis_db_url)}
    assert Counter(receiver.received()) == Counter({alert_id: 1})
