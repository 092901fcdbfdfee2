"""The Store contract on RedisStore against a real Redis on loopback, plus Redis specifics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis

from monitor.state.base import QueuedItem, Store
from monitor.state.redis import RedisStore
from tests.store_contract import (
    DAY,
    T0,
    FakeClock,
    StoreContract,
    check_two_handles_share_claims_and_seen,
    make_entry,
    make_story,
)

pytestmark = pytest.mark.integration


class RedisClock(FakeClock):
    """The contract's clock for a RedisStore, whose claims and stories expire by Redis's
    own clock: advancing it also shortens the time left to every expiring key under
    ``prefix`` (deleting those it runs out), as that much time passing would."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        super().__init__()
        self.client, self.prefix = client, prefix

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        passed = round(seconds * 1000)
        for key in self.client.scan_iter(match=f"{self.prefix}*"):
            left = self.client.pttl(key)  # -1: no expiry, -2: gone meanwhile
            if left > passed:
                self.client.pexpire(key, left - passed)
            elif left >= 0:
                self.client.delete(key)


class TestRedisStore(StoreContract):
    @pytest.fixture
    def clock(self, redis_db_url: str) -> Iterator[FakeClock]:
        client = redis.Redis.from_url(redis_db_url)
        yield RedisClock(client, "test:")
        client.close()

    @pytest.fixture
    def store(self, redis_db_url: str, clock: FakeClock) -> Iterator[Store]:
        store = RedisStore(redis_db_url, prefix="test:", clock=clock)
        yield store
        store.close()


def test_redis_url_fixture_answers_ping(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping() is True
        assert client.info("server")["redis_version"]
    finally:
        client.close()


def test_redis_db_url_starts_empty(redis_db_url: str) -> None:
    client = redis.Redis.from_url(redis_db_url)
    try:
        assert client.dbsize() == 0
    finally:
        client.close()


def test_every_key_is_under_the_prefix(redis_db_url: str) -> None:
    store = RedisStore(redis_db_url, prefix="mon1:")
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    try:
        store.mark_seen("feed-a", ["1"])
        store.claim_feed("feed-a", 60)
        store.set_feed_state("feed-a", {"etag": "x"})
        store.put_story(make_story(), 60)
        store.put_delivery(make_entry("alrt_1", "email", "dead"))
        keys = sorted(str(key) for key in client.keys("*"))
        assert keys, "the store wrote nothing"
        assert all(key.startswith("mon1:") for key in keys), keys
    finally:
        store.close()
        client.close()


def test_two_prefixes_do_not_share_state(redis_db_url: str) -> None:
    a, b = RedisStore(redis_db_url, prefix="a:"), RedisStore(redis_db_url, prefix="b:")
    try:
        a.mark_seen("feed-a", ["1"])
        assert b.seen_filter("feed-a", ["1"]) == ["1"]
        assert a.claim_feed("feed-a", 60) is True
        assert b.claim_feed("feed-a", 60) is True
    finally:
        a.close()
        b.close()


def test_two_clients_share_claims_and_seen(redis_db_url: str) -> None:
    # two worker processes = two stores on one Redis
    a, b = RedisStore(redis_db_url), RedisStore(redis_db_url)
    check_two_handles_share_claims_and_seen(a, b)


def test_story_ttl_is_set_on_the_key(redis_db_url: str) -> None:
    store = RedisStore(redis_db_url, prefix="t:")
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    try:
        store.put_story(make_story(), 3600)
        ttl_ms = client.pttl("t:story:ministers:story-1")
        assert 3_500_000 < ttl_ms <= 3_600_000
    finally:
        store.close()
        client.close()


def test_a_damaged_story_key_is_an_error_not_a_story_never_seen(redis_db_url: str) -> None:
    """A story key holding another type (a bad write, a hand edit) must fail the read, so
    the task is retried; read as "no story", the item would raise a second alert."""
    store = RedisStore(redis_db_url, prefix="t:")
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    try:
        store.put_stories([replace(make_story(), story_key="k1")], 3600)
        client.rpush("t:story:ministers:k2", "not a story record")
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            store.get_stories("ministers", ["k1", "k2"])
        assert store.get_stories("ministers", ["k1", "k3"])[1] is None
    finally:
        store.close()
        client.close()


def test_many_ids_in_one_call(redis_db_url: str) -> None:
    store = RedisStore(redis_db_url)
    try:
        ids = [f"item-{n}" for n in range(2500)]
        store.mark_seen("feed-a", ids[::2])
        assert store.seen_filter("feed-a", ids) == ids[1::2]
    finally:
        store.close()


def test_seen_ids_live_in_a_sorted_set_scored_by_last_seen(redis_db_url: str) -> None:
    store = RedisStore(redis_db_url, prefix="t:")
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    try:
        store.mark_seen("feed-a", ["1", "2"], now=T0)
        store.refresh_seen("feed-a", ["2"], now=T0 + DAY)
        assert client.zrange("t:seen-at:feed-a", 0, -1, withscores=True) == [
            ("1", T0),
            ("2", T0 + DAY),
        ]
        store.refresh_seen("feed-a", [], now=T0 + 40 * DAY, forget_before=T0 + DAY)
        store.refresh_seen("feed-a", [], now=T0 + 80 * DAY, forget_before=T0 + 41 * DAY)
        assert client.exists("t:seen-at:feed-a") == 0  # an emptied feed leaves no key
    finally:
        store.close()
        client.close()


def test_a_legacy_seen_set_is_read_then_folded_in(redis_db_url: str) -> None:
    # what the previous release wrote: a plain set of ids per feed, no times
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    client.sadd("t:seen:feed-a", "old-1", "old-2")
    store = RedisStore(redis_db_url, prefix="t:")
    try:
        assert store.seen_filter("feed-a", ["old-1", "old-2", "new"]) == ["new"]
        store.mark_seen("feed-a", ["new"], now=T0 + 10 * DAY)  # the first write folds it in
        assert client.exists("t:seen:feed-a") == 0
        # the legacy ids count as last seen at the fold, so retention starts there
        assert client.zrange("t:seen-at:feed-a", 0, -1, withscores=True) == [
            ("new", T0 + 10 * DAY),
            ("old-1", T0 + 10 * DAY),
            ("old-2", T0 + 10 * DAY),
        ]
        store.refresh_seen("feed-a", ["new"], now=T0 + 30 * DAY)
        assert store.refresh_seen("feed-a", [], now=T0 + 35 * DAY, forget_before=T0 + 5 * DAY) == 0
        assert store.seen_filter("feed-a", ["old-1", "old-2", "new"]) == []
        assert store.refresh_seen("feed-a", [], now=T0 + 50 * DAY, forget_before=T0 + 20 * DAY) == 2
        assert store.seen_filter("feed-a", ["old-1", "old-2", "new"]) == ["old-1", "old-2"]
        # an old worker still running during an upgrade adds to the legacy set: still seen
        client.sadd("t:seen:feed-a", "from-old-worker")
        assert store.seen_filter("feed-a", ["from-old-worker"]) == []
    finally:
        store.close()
        client.close()


def test_unreachable_redis_raises_connection_error() -> None:
    store = RedisStore("redis://127.0.0.1:1/0")  # port 1: nothing listens there
    try:
        with pytest.raises(redis.exceptions.ConnectionError):
            store.seen_filter("feed-a", ["1"])
    finally:
        store.close()


def test_feed_activity_lists_only_its_prefix_even_with_glob_characters(redis_db_url: str) -> None:
    odd, plain = RedisStore(redis_db_url, prefix="m[1]*:"), RedisStore(redis_db_url, prefix="m1:")
    try:
        odd.mark_seen("feed-a", ["1"], now=T0)
        plain.mark_seen("feed-b", ["1"], now=T0 + DAY)
        plain.set_feed_state("feed-c", {"etag": "x"})
        assert odd.feed_activity() == {"feed-a": T0}
        assert plain.feed_activity() == {"feed-b": T0 + DAY, "feed-c": 0.0}
        assert odd.forget_feeds(["feed-a", "feed-b", "feed-c"], idle_before=T0 + 10 * DAY) == [
            "feed-a"
        ]
        assert plain.seen_filter("feed-b", ["1"]) == []
        assert plain.get_feed_state("feed-c") == {"etag": "x"}
    finally:
        odd.close()
        plain.close()


def test_a_legacy_seen_set_counts_for_nothing_and_goes_with_its_feed(redis_db_url: str) -> None:
    store = RedisStore(redis_db_url, prefix="mon1:")
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    try:
        client.sadd("mon1:seen:feed-old", "1", "2")  # written before seen-set retention
        assert store.feed_activity() == {"feed-old": 0.0}
        assert store.forget_feeds(["feed-old"], idle_before=T0) == ["feed-old"]
        assert client.keys("mon1:*") == []
    finally:
        store.close()
        client.close()


@pytest.fixture
def t_store(redis_db_url: str) -> Iterator[tuple[RedisStore, redis.Redis]]:
    """A store under the ``t:`` prefix and a raw client to look at its keys."""
    store = RedisStore(redis_db_url, prefix="t:")
    client = redis.Redis.from_url(redis_db_url, decode_responses=True)
    yield store, client
    store.close()
    client.close()


def test_earliest_held_reads_one_member_per_channel(
    t_store: tuple[RedisStore, redis.Redis],
) -> None:
    store, client = t_store
    for n in range(300):
        store.put_delivery(make_entry(f"alrt_{n}", "desk", "held", due=T0 + n))
    before = client.info("commandstats")
    assert store.earliest_held(["desk"]) == {"desk": T0}
    after = client.info("commandstats")
    calls = {
        command: int(after.get(f"cmdstat_{command}", {}).get("calls", 0))
        - int(before.get(f"cmdstat_{command}", {}).get("calls", 0))
        for command in ("zrange", "hget", "eval")
    }
    assert calls == {"zrange": 1, "hget": 0, "eval": 0}  # one index read, no entry read


def test_forgotten_dead_queued_items_leave_no_key_behind(
    t_store: tuple[RedisStore, redis.Redis],
) -> None:
    store, client = t_store
    store.put_queued([QueuedItem("feed-a", "1", '{"id": "1"}', T0, 3, dead=True)])
    assert sorted(client.keys("t:*")) == ["t:queued", "t:queued:dead", "t:queued:requeues"]
    assert store.forget_dead_queued(dead_before=T0 + DAY) == 1
    assert client.keys("t:*") == []
