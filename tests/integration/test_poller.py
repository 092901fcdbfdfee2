"""Two pollers against one Redis (docs/delivery.md), for real.

Two ``monitor poller`` processes share a Redis and a config with two feeds of different
intervals; no worker runs, so every poll they queue stays in the ``poll`` queue where it
can be counted. Each feed must be queued once per interval (never twice within one,
never skipped for long), and when the poller that was doing the work is killed with
SIGKILL the other takes over within an interval.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import redis

from tests.helpers import wait_for
from tests.integration.test_reliability import Cluster

pytestmark = pytest.mark.integration

EVERY = {"fast": 2.0, "slow": 3.0}
TICK = 1.0  # workers.schedule.TICK: how often a poller looks for due feeds
# A claim lapses `every` seconds after it was taken; a poller sees that at its next tick.
MAX_GAP_SLACK = TICK + 0.75
MIN_GAP_SLACK = 0.5  # log timestamps come just after the claim; a double poll is < 1 s apart


@pytest.fixture
def cluster(tmp_path: Path, redis_db_url: str) -> Iterator[Cluster]:
    feeds = []
    for feed_id, every in EVERY.items():
        folder = tmp_path / feed_id
        folder.mkdir()
        feeds.append(f"  - id: {feed_id}\n    path: {folder}\n    every: {every}s\n")
    config = tmp_path / "monitor.yaml"
    config.write_text(
        "feeds:\n"
        + "".join(feeds)
        + f"settings:\n  state_dir: {tmp_path / 'state'}\n  broker_url: {redis_db_url}\n",
        encoding="utf-8",
    )
    procs = Cluster(tmp_path, config)
    try:
        yield procs
    finally:
        procs.close()


def _when(record: dict[str, object]) -> float:
    return datetime.fromisoformat(str(record["timestamp"]).replace("Z", "+00:00")).timestamp()


def queued_polls(cluster: Cluster) -> list[tuple[float, str, str]]:
    """(time, feed, poller) for every poll the pollers say they queued, by time."""
    polls: list[tuple[float, str, str]] = []
    for name in cluster.procs:
        for record in cluster.events(name, "polls_queued"):
            feeds = record["feeds"]
            assert isinstance(feeds, list)
            polls.extend((_when(record), str(feed), name) for feed in feeds)
    return sorted(polls)


def polls_in_queue(url: str) -> Counter[str]:
    """Feed ids of the poll tasks waiting in the broker's ``poll`` queue."""
    client = redis.Redis.from_url(url)
    try:
        raw = client.lrange("poll", 0, -1)
    finally:
        client.close()
    feeds: Counter[str] = Counter()
    for message in raw:
        envelope = json.loads(message)
        assert envelope["headers"]["task"] == "monitor.poll_feeds"
        body = envelope["body"]  # JSON text (workers.app); base64 of it before
        if envelope["properties"]["body_encoding"] == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        feeds.update(args[0])  # a batch of feed ids
    return feeds


def test_two_pollers_poll_each_feed_once_per_interval_and_one_takes_over(
    cluster: Cluster, redis_db_url: str
) -> None:
    cluster.start("poller", "p1")
    cluster.start("poller", "p2")
    assert wait_for(lambda: len(queued_polls(cluster)) >= 2, timeout=30), cluster.logs()
    wait_for(lambda: False, timeout=8)  # both pollers compete for a few intervals

    # Kill the poller that queued the latest poll: it holds a live claim, so the other
    # must wait for that claim to lapse and then take over.
    victim = queued_polls(cluster)[-1][2]
    survivor = "p2" if victim == "p1" else "p1"
    cluster.kill(victim)
    killed_at = queued_polls(cluster)[-1][0]
    wait_for(lambda: False, timeout=8)
    ended_at = queued_polls(cluster)[-1][0]
    assert cluster.procs[survivor].poll() is None, cluster.log(survivor)
    # Stopped before counting: a poller still running could queue a poll between
    # the read of its log and the read of the queue.
    cluster.stop(survivor)

    polls = queued_polls(cluster)
    # The logs tell the truth: the broker holds exactly the polls they report.
    assert polls_in_queue(redis_db_url) == Counter(feed for _, feed, _ in polls)
    for feed, every in EVERY.items():
        times = [when for when, polled, _ in polls if polled == feed]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(times) >= 5, (feed, times)
        # Never twice in one interval, whichever poller took it ...
        assert min(gaps) >= every - MIN_GAP_SLACK, (feed, gaps)
        # ... and never skipped, not even across the kill.
        assert max(gaps) <= every + MAX_GAP_SLACK, (feed, gaps)
        # After the kill only the survivor polls, at the feed's pace.
        after = [
            (when, name) for when, polled, name in polls if polled == feed and when > killed_at
        ]
        assert {name for _, name in after} == {survivor}, after
        assert len(after) >= int((ended_at - killed_at) / (every + MAX_GAP_SLACK)), after
