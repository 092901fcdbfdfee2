"""The Store contract, written once and run against every implementation.

A test module subclasses ``StoreContract`` and provides a ``store`` fixture that yields a
fresh, empty store on the contract's ``clock`` (and closes it after). Time is the
clock's: a test moves it on (``clock.advance``) rather than sleeping; a store whose
expiry is another clock's (Redis) overrides the ``clock`` fixture so that advancing it
moves that one too. No I/O of its own beyond what the store does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import pytest

from monitor.state.base import (
    LAST_POLL_KEY,
    DeliveryStatus,
    LedgerEntry,
    QueuedItem,
    Store,
    StoryRecord,
)

# The life of a claim or story that a test lets lapse (by advancing the clock past it).
SHORT_TTL = 30.0
# The contract's clock starts at a fixed epoch; retention tests count whole days.
T0 = 1_700_000_000.0
DAY = 86400.0


@dataclass
class FakeClock:
    """A store's clock that moves only when told to."""

    now: float = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_entry(
    alert_id: str,
    channel: str,
    status: DeliveryStatus = "pending",
    *,
    attempts: int = 1,
    detail: str = "",
    updated: float = 1_700_000_000.25,
    payload: str = "",
    due: float = 0.0,
) -> LedgerEntry:
    return LedgerEntry(alert_id, channel, status, attempts, detail, updated, payload, due)


def make_queued(
    feed_id: str,
    item_id: str,
    *,
    queued_at: float = T0,
    requeues: int = 0,
    dead: bool = False,
    payload: str | None = None,
) -> QueuedItem:
    text = payload if payload is not None else f'{{"id": "{item_id}", "title": "Tēst"}}'
    return QueuedItem(feed_id, item_id, text, queued_at, requeues, dead)


def make_story(watchlist: str = "ministers", story_key: str = "story-1") -> StoryRecord:
    return StoryRecord(
        alert_id="alrt_0123456789abcdef01234567",
        watchlist=watchlist,
        story_key=story_key,
        first_seen=1_700_000_000.5,
        sources=("wire-a", "feed-b"),
        updates=2,
        primary="title:0a1b",
    )


class StoreContract:
    """Behaviour every Store must show. Subclasses supply the ``store`` fixture."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    # --- seen items ---------------------------------------------------------------
    def test_unseen_ids_pass_the_filter_in_order(self, store: Store) -> None:
        assert store.seen_filter("feed-a", ["3", "1", "2"]) == ["3", "1", "2"]

    def test_marked_ids_are_filtered_out(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1", "2"])
        assert store.seen_filter("feed-a", ["1", "2", "3"]) == ["3"]

    def test_mark_seen_is_idempotent(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1"])
        store.mark_seen("feed-a", ["1", "1"])
        assert store.seen_filter("feed-a", ["1", "2"]) == ["2"]

    def test_seen_is_per_feed(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1"])
        assert store.seen_filter("feed-b", ["1"]) == ["1"]

    def test_empty_lists_are_fine(self, store: Store) -> None:
        store.mark_seen("feed-a", [])
        assert store.seen_filter("feed-a", []) == []

    def test_unicode_ids_round_trip(self, store: Store) -> None:
        ids = ["urn:خبر:١", "https://example.org/a?b=1&c=é", "tab\there"]
        store.mark_seen("feed-ع", ids[:2])
        assert store.seen_filter("feed-ع", ids) == ids[2:]

    # --- seen-set retention: refresh what the feed still lists, trim the rest ------
    # The clock is injected: ``now`` and ``forget_before`` are plain numbers, no sleeping.

    def test_trim_forgets_only_expired_ids_the_feed_no_longer_lists(self, store: Store) -> None:
        store.mark_seen("feed-a", ["still-listed", "gone-old"], now=T0)
        store.mark_seen("feed-a", ["gone-recent"], now=T0 + 20 * DAY)
        forgotten = store.refresh_seen(
            "feed-a", ["still-listed"], now=T0 + 40 * DAY, forget_before=T0 + 10 * DAY
        )
        assert forgotten == 1
        ids = ["still-listed", "gone-old", "gone-recent"]
        assert store.seen_filter("feed-a", ids) == ["gone-old"]

    def test_refresh_never_marks_an_unseen_id(self, store: Store) -> None:
        # nothing is marked seen that was not queued: a listed id nobody queued stays new
        store.mark_seen("feed-a", ["queued"], now=T0)
        assert store.refresh_seen("feed-a", ["queued", "not-queued"], now=T0 + DAY) == 0
        assert store.refresh_seen("feed-b", ["not-queued"], now=T0 + DAY) == 0
        assert store.seen_filter("feed-a", ["queued", "not-queued"]) == ["not-queued"]
        assert store.seen_filter("feed-b", ["not-queued"]) == ["not-queued"]

    def test_refresh_without_a_cutoff_trims_nothing(self, store: Store) -> None:
        store.mark_seen("feed-a", ["old"], now=T0)
        assert store.refresh_seen("feed-a", [], now=T0 + 1000 * DAY) == 0
        assert store.seen_filter("feed-a", ["old"]) == []

    def test_a_refresh_moves_the_last_seen_time_forward(self, store: Store) -> None:
        store.mark_seen("feed-a", ["a", "b"], now=T0)
        store.refresh_seen("feed-a", ["a"], now=T0 + 20 * DAY)  # the feed still lists a
        # 40 days on, a and b have left the feed: b expired, a was listed 20 days ago
        assert store.refresh_seen("feed-a", [], now=T0 + 40 * DAY, forget_before=T0 + 10 * DAY) == 1
        assert store.seen_filter("feed-a", ["a", "b"]) == ["b"]
        assert store.refresh_seen("feed-a", [], now=T0 + 60 * DAY, forget_before=T0 + 30 * DAY) == 1
        assert store.seen_filter("feed-a", ["a", "b"]) == ["a", "b"]

    def test_a_listed_id_survives_any_cutoff_up_to_now(self, store: Store) -> None:
        store.mark_seen("feed-a", ["kept-in-window"], now=T0)
        now = T0 + 400 * DAY
        assert store.refresh_seen("feed-a", ["kept-in-window"], now=now, forget_before=now) == 0
        assert store.seen_filter("feed-a", ["kept-in-window"]) == []

    def test_last_seen_never_moves_back(self, store: Store) -> None:
        store.mark_seen("feed-a", ["a", "b"], now=T0 + 20 * DAY)
        store.mark_seen("feed-a", ["a"], now=T0)  # a slow writer with an older poll time
        store.refresh_seen("feed-a", ["b"], now=T0)
        assert store.refresh_seen("feed-a", [], now=T0 + 25 * DAY, forget_before=T0 + 10 * DAY) == 0
        assert store.seen_filter("feed-a", ["a", "b"]) == []

    def test_the_cutoff_is_exclusive(self, store: Store) -> None:
        store.mark_seen("feed-a", ["at-cutoff"], now=T0 + 0.5)
        store.mark_seen("feed-a", ["just-before"], now=T0 + 0.25)
        assert store.refresh_seen("feed-a", [], now=T0 + DAY, forget_before=T0 + 0.5) == 1
        assert store.seen_filter("feed-a", ["at-cutoff", "just-before"]) == ["just-before"]

    def test_trim_is_per_feed(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1"], now=T0)
        store.mark_seen("feed-b", ["1"], now=T0)
        assert store.refresh_seen("feed-a", [], now=T0 + 40 * DAY, forget_before=T0 + DAY) == 1
        assert store.seen_filter("feed-a", ["1"]) == ["1"]
        assert store.seen_filter("feed-b", ["1"]) == []

    def test_a_forgotten_id_can_be_marked_again(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1"], now=T0)
        store.refresh_seen("feed-a", [], now=T0 + 40 * DAY, forget_before=T0 + DAY)
        store.mark_seen("feed-a", ["1"], now=T0 + 40 * DAY)
        assert store.refresh_seen("feed-a", [], now=T0 + 41 * DAY, forget_before=T0 + 11 * DAY) == 0
        assert store.seen_filter("feed-a", ["1"]) == []

    def test_mark_seen_without_a_time_uses_the_clock(self, store: Store, clock: FakeClock) -> None:
        clock.advance(DAY)
        store.mark_seen("feed-a", ["1"])
        # stamped at the clock's time: kept by a cutoff at it, forgotten by one just after
        assert store.refresh_seen("feed-a", [], now=T0 + 2 * DAY, forget_before=T0 + DAY) == 0
        assert store.refresh_seen("feed-a", [], now=T0 + 2 * DAY, forget_before=T0 + DAY + 1) == 1

    def test_a_cutoff_after_now_is_refused(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1"], now=T0)
        with pytest.raises(ValueError, match="forget_before"):
            store.refresh_seen("feed-a", ["1"], now=T0, forget_before=T0 + 1)
        assert store.seen_filter("feed-a", ["1"]) == []

    def test_refresh_and_trim_many_ids_in_one_call(self, store: Store) -> None:
        ids = [f"item-{n}" for n in range(2500)]
        store.mark_seen("feed-a", ids, now=T0)
        forgotten = store.refresh_seen(
            "feed-a", [*ids[::2], "never-seen"], now=T0 + 40 * DAY, forget_before=T0 + DAY
        )
        assert forgotten == 1250
        assert store.seen_filter("feed-a", ids) == ids[1::2]

    # --- feed claims --------------------------------------------------------------
    def test_claim_is_exclusive(self, store: Store) -> None:
        assert store.claim_feed("feed-a", 30) is True
        assert store.claim_feed("feed-a", 30) is False
        assert store.claim_feed("feed-b", 30) is True

    def test_claim_expires(self, store: Store, clock: FakeClock) -> None:
        assert store.claim_feed("feed-a", SHORT_TTL) is True
        assert store.claim_feed("feed-a", SHORT_TTL) is False
        clock.advance(SHORT_TTL + 1)
        assert store.claim_feed("feed-a", 30) is True
        assert store.claim_feed("feed-a", 30) is False

    def test_hold_claim_sets_when_the_claim_lapses_held_or_not(
        self, store: Store, clock: FakeClock
    ) -> None:
        # a poll re-arms its claim for its adapted interval: longer than the first ...
        assert store.claim_feed("feed-a", SHORT_TTL) is True
        store.hold_claim("feed-a", 10 * SHORT_TTL)
        clock.advance(SHORT_TTL + 1)
        assert store.claim_feed("feed-a", 30) is False
        # ... or shorter, and a feed nobody claimed yet gets one
        store.hold_claim("feed-a", SHORT_TTL)
        store.hold_claim("feed-b", SHORT_TTL)
        assert store.claim_feed("feed-b", 30) is False
        clock.advance(SHORT_TTL + 1)
        assert store.claim_feed("feed-a", 30) is True
        assert store.claim_feed("feed-b", 30) is True

    # --- token buckets (a channel's rate_limit) --------------------------------------
    def test_a_bucket_gives_its_capacity_then_refills_one_per_interval(self, store: Store) -> None:
        taken = [store.take_token("chan", 20, 3600, now=T0) for _ in range(200)]
        assert taken == [True] * 20 + [False] * 180
        # 20/h: one token every 180 s; not before
        assert store.take_token("chan", 20, 3600, now=T0 + 179) is False
        assert store.take_token("chan", 20, 3600, now=T0 + 181) is True
        assert store.take_token("chan", 20, 3600, now=T0 + 182) is False
        # a full period later it is full again, never fuller
        later = [store.take_token("chan", 20, 3600, now=T0 + 10 * 3600) for _ in range(25)]
        assert later.count(True) == 20

    def test_buckets_are_per_name(self, store: Store) -> None:
        assert store.take_token("a", 1, 60, now=T0) is True
        assert store.take_token("a", 1, 60, now=T0) is False
        assert store.take_token("b", 1, 60, now=T0) is True

    def test_a_burst_from_many_threads_gets_exactly_the_capacity(self, store: Store) -> None:
        barrier = threading.Barrier(8)
        wins: list[bool] = []

        def burst() -> None:
            barrier.wait()
            wins.extend(store.take_token("chan", 20, 3600, now=T0) for _ in range(25))

        threads = [threading.Thread(target=burst) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(wins) == 200 and wins.count(True) == 20

    def test_concurrent_claims_have_one_winner(self, store: Store) -> None:
        barrier = threading.Barrier(8)
        wins: list[bool] = []

        def claim() -> None:
            barrier.wait()
            wins.append(store.claim_feed("feed-a", 30))

        threads = [threading.Thread(target=claim) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(wins) == [False] * 7 + [True]

    # --- feed state ---------------------------------------------------------------
    def test_feed_state_starts_empty(self, store: Store) -> None:
        assert store.get_feed_state("feed-a") == {}

    def test_feed_state_round_trip_and_replace(self, store: Store) -> None:
        store.set_feed_state("feed-a", {"etag": '"abc"', "last_modified": "Tue, 01 Oct 2024"})
        assert store.get_feed_state("feed-a") == {
            "etag": '"abc"',
            "last_modified": "Tue, 01 Oct 2024",
        }
        store.set_feed_state("feed-a", {"next_due": "1700000000.5"})
        assert store.get_feed_state("feed-a") == {"next_due": "1700000000.5"}
        assert store.get_feed_state("feed-b") == {}

    def test_feed_state_is_a_copy(self, store: Store) -> None:
        state = {"etag": "x"}
        store.set_feed_state("feed-a", state)
        state["etag"] = "changed"
        got = store.get_feed_state("feed-a")
        got["etag"] = "changed too"
        assert store.get_feed_state("feed-a") == {"etag": "x"}

    def test_feed_state_can_be_cleared(self, store: Store) -> None:
        store.set_feed_state("feed-a", {"etag": "x"})
        store.set_feed_state("feed-a", {})
        assert store.get_feed_state("feed-a") == {}

    # --- feeds gone from the config: activity, then forgetting (injected clock) ----
    def test_feed_activity_of_an_empty_store(self, store: Store) -> None:
        assert store.feed_activity() == {}
        assert store.forget_feeds(["feed-a"], idle_before=T0) == []

    def test_feed_activity_is_the_later_of_last_poll_and_last_seen(self, store: Store) -> None:
        store.mark_seen("seen-only", ["1"], now=T0 + DAY)
        store.mark_seen("seen-only", ["2"], now=T0 + 3 * DAY)
        store.set_feed_state("state-only", {"etag": "x", LAST_POLL_KEY: repr(T0 + 2.5)})
        store.mark_seen("polled-later", ["1"], now=T0)  # a 304 since: nothing refreshed
        store.set_feed_state("polled-later", {LAST_POLL_KEY: repr(T0 + 5 * DAY)})
        store.mark_seen("seen-later", ["1"], now=T0 + 7 * DAY)
        store.set_feed_state("seen-later", {LAST_POLL_KEY: repr(T0)})
        store.set_feed_state("no-time", {"etag": "x"})  # written before polls were timed
        assert store.feed_activity() == {
            "seen-only": T0 + 3 * DAY,
            "state-only": T0 + 2.5,
            "polled-later": T0 + 5 * DAY,
            "seen-later": T0 + 7 * DAY,
            "no-time": 0.0,
        }

    def test_forget_feeds_forgets_seen_ids_and_state_of_idle_feeds_only(self, store: Store) -> None:
        for feed_id, last in (("gone", T0), ("recent", T0 + 20 * DAY), ("other", T0)):
            store.mark_seen(feed_id, ["1", "2"], now=last)
            store.set_feed_state(feed_id, {"etag": "x", LAST_POLL_KEY: repr(last)})
        gone = store.forget_feeds(["gone", "recent", "never-stored"], idle_before=T0 + 10 * DAY)
        assert gone == ["gone"]
        assert store.seen_filter("gone", ["1", "2"]) == ["1", "2"]
        assert store.get_feed_state("gone") == {}
        # a feed active since the cutoff, and a feed not asked about, keep everything
        for feed_id, last in (("recent", T0 + 20 * DAY), ("other", T0)):
            assert store.seen_filter(feed_id, ["1", "2"]) == []
            assert store.get_feed_state(feed_id) == {"etag": "x", LAST_POLL_KEY: repr(last)}
        assert store.feed_activity() == {"recent": T0 + 20 * DAY, "other": T0}

    def test_forget_feeds_checks_activity_again(self, store: Store) -> None:
        # listed as idle, then polled by another process (a newer config): kept
        store.mark_seen("feed-a", ["1"], now=T0)
        store.set_feed_state("feed-b", {LAST_POLL_KEY: repr(T0)})
        assert store.feed_activity() == {"feed-a": T0, "feed-b": T0}
        store.refresh_seen("feed-a", ["1"], now=T0 + 30 * DAY)
        store.set_feed_state("feed-b", {LAST_POLL_KEY: repr(T0 + 30 * DAY)})
        assert store.forget_feeds(["feed-a", "feed-b"], idle_before=T0 + 10 * DAY) == []
        assert store.seen_filter("feed-a", ["1"]) == []
        assert store.get_feed_state("feed-b") == {LAST_POLL_KEY: repr(T0 + 30 * DAY)}

    def test_the_idle_cutoff_is_exclusive(self, store: Store) -> None:
        store.mark_seen("at-cutoff", ["1"], now=T0 + 0.5)
        store.mark_seen("just-before", ["1"], now=T0 + 0.25)
        assert store.forget_feeds(["at-cutoff", "just-before"], idle_before=T0 + 0.5) == [
            "just-before"
        ]
        assert store.seen_filter("at-cutoff", ["1"]) == []

    def test_a_forgotten_feed_starts_afresh(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1"], now=T0)
        assert store.forget_feeds(["feed-a"], idle_before=T0 + DAY) == ["feed-a"]
        store.mark_seen("feed-a", ["2"], now=T0 + 2 * DAY)
        assert store.seen_filter("feed-a", ["1", "2"]) == ["1"]
        assert store.feed_activity() == {"feed-a": T0 + 2 * DAY}

    def test_forget_many_feeds_in_one_call(self, store: Store) -> None:
        feed_ids = [f"feed-{n:04d}" for n in range(1200)]
        for n, feed_id in enumerate(feed_ids):
            store.mark_seen(feed_id, ["1"], now=T0 + n % 2 * 20 * DAY)  # odd ones are recent
        assert len(store.feed_activity()) == 1200
        gone = store.forget_feeds(feed_ids, idle_before=T0 + 10 * DAY)
        assert sorted(gone) == feed_ids[::2]
        assert sorted(store.feed_activity()) == feed_ids[1::2]

    # --- story index --------------------------------------------------------------
    def test_has_stories_once_one_is_stored(self, store: Store) -> None:
        assert not store.has_stories()
        store.put_stories([make_story(watchlist="other")], 60)
        assert store.has_stories()

    def test_story_missing(self, store: Store) -> None:
        assert store.get_story("ministers", "nope") is None

    def test_story_round_trip(self, store: Store) -> None:
        record = make_story()
        store.put_story(record, 60)
        assert store.get_story("ministers", "story-1") == record
        assert store.get_story("other-watchlist", "story-1") is None

    def test_story_update_replaces(self, store: Store) -> None:
        store.put_story(make_story(), 60)
        updated = replace(make_story(), sources=("wire-a", "feed-b", "feed-c"), updates=3)
        store.put_story(updated, 60)
        assert store.get_story("ministers", "story-1") == updated

    def test_story_expires(self, store: Store, clock: FakeClock) -> None:
        store.put_story(make_story(), SHORT_TTL)
        assert store.get_story("ministers", "story-1") is not None
        clock.advance(SHORT_TTL + 1)
        assert store.get_story("ministers", "story-1") is None

    def test_stories_in_one_call_keep_the_order_asked(self, store: Store) -> None:
        names = [f"body:{band}:{band * 7:x}" for band in range(34)]
        records = [replace(make_story(), story_key=name) for name in names]
        store.put_stories(records, 60)
        store.put_stories([replace(make_story(), watchlist="other", story_key="title:x")], 60)
        asked = ["nope", names[5], "title:x", names[0], names[5]]
        assert store.get_stories("ministers", asked) == [
            None,
            records[5],
            None,  # another watchlist's
            records[0],
            records[5],
        ]
        assert store.get_stories("ministers", names) == records
        assert store.get_stories("ministers", []) == []
        store.put_stories([], 60)  # nothing to write: no error
        assert store.get_story("ministers", names[33]) == records[33]

    def test_stories_written_together_expire_together(self, store: Store, clock: FakeClock) -> None:
        records = [replace(make_story(), story_key=f"k{n}") for n in range(3)]
        store.put_stories(records, SHORT_TTL)
        assert None not in store.get_stories("ministers", ["k0", "k1", "k2"])
        clock.advance(SHORT_TTL + 1)
        assert store.get_stories("ministers", ["k0", "k1", "k2"]) == [None, None, None]

    # --- delivery ledger ----------------------------------------------------------
    def test_delivery_missing(self, store: Store) -> None:
        assert store.get_delivery("alrt_x", "email") is None

    def test_delivery_round_trip(self, store: Store) -> None:
        entry = make_entry("alrt_1", "email", detail="250 OK", payload='{"id": "alrt_1"}')
        store.put_delivery(entry)
        assert store.get_delivery("alrt_1", "email") == entry
        assert store.get_delivery("alrt_1", "webhook") is None

    def test_delivery_status_moves(self, store: Store) -> None:
        store.put_delivery(make_entry("alrt_1", "email", "pending"))
        sent = make_entry("alrt_1", "email", "sent", attempts=2, updated=1_700_000_100.0)
        store.put_delivery(sent)
        assert store.get_delivery("alrt_1", "email") == sent
        assert store.list_deliveries("pending") == []
        assert store.list_deliveries("sent") == [sent]
        assert store.list_deliveries() == [sent]

    def test_list_deliveries_by_status_in_update_order(self, store: Store) -> None:
        a = make_entry("alrt_1", "email", "sent", updated=30.0)
        b = make_entry("alrt_1", "webhook", "dead", updated=10.0, detail="HTTP 400")
        c = make_entry("alrt_2", "email", "dead", updated=20.0)
        d = make_entry("alrt_3", "stdout", "pending", updated=5.0)
        for entry in (a, b, c, d):
            store.put_delivery(entry)
        assert store.list_deliveries("dead") == [b, c]
        assert store.list_deliveries("sent") == [a]
        assert store.list_deliveries("pending") == [d]
        assert store.list_deliveries() == [d, b, c, a]
        assert store.list_deliveries(None) == [d, b, c, a]

    # --- digests: held entries ------------------------------------------------------
    def test_held_entry_round_trips_with_its_due_time(self, store: Store) -> None:
        held = make_entry("alrt_1", "digest", "held", attempts=0, due=1_700_000_900.5)
        store.put_delivery(held)
        assert store.get_delivery("alrt_1", "digest") == held
        assert store.list_deliveries("held") == [held]
        assert store.list_deliveries("pending") == []

    def test_claim_held_with_nothing_held(self, store: Store) -> None:
        store.put_delivery(make_entry("alrt_1", "digest", "pending", due=0.0))
        assert store.claim_held("digest", now=2_000_000_000.0, lease=60) == []

    def test_claim_held_waits_until_one_is_due(self, store: Store) -> None:
        held = make_entry("alrt_1", "digest", "held", updated=100.0, due=200.0)
        store.put_delivery(held)
        assert store.claim_held("digest", now=199.0, lease=60) == []
        assert store.get_delivery("alrt_1", "digest") == held  # untouched

    def test_claim_held_takes_every_held_alert_of_the_channel(self, store: Store) -> None:
        early = make_entry("alrt_1", "digest", "held", updated=100.0, due=200.0)
        late = make_entry("alrt_2", "digest", "held", updated=150.0, due=250.0)
        other = make_entry("alrt_1", "other", "held", updated=100.0, due=200.0)
        pending = make_entry("alrt_3", "digest", "pending", updated=120.0)
        sent = make_entry("alrt_4", "digest", "sent", updated=130.0)
        for entry in (late, early, other, pending, sent):
            store.put_delivery(entry)
        taken = store.claim_held("digest", now=210.0, lease=60)
        assert taken == [replace(early, due=270.0), replace(late, due=270.0)]
        assert store.get_delivery("alrt_2", "digest") == replace(late, due=270.0)
        assert store.get_delivery("alrt_1", "other") == other
        assert store.get_delivery("alrt_3", "digest") == pending
        assert store.get_delivery("alrt_4", "digest") == sent

    def test_claimed_alerts_are_leased_then_due_again(self, store: Store) -> None:
        store.put_delivery(make_entry("alrt_1", "digest", "held", due=200.0))
        assert len(store.claim_held("digest", now=210.0, lease=60)) == 1
        assert store.claim_held("digest", now=269.0, lease=60) == []  # another flusher
        again = store.claim_held("digest", now=270.0, lease=60)  # the first one died
        assert [(e.alert_id, e.due) for e in again] == [("alrt_1", 330.0)]

    def test_settled_alerts_leave_the_held_set(self, store: Store) -> None:
        held = make_entry("alrt_1", "digest", "held", due=200.0)
        store.put_delivery(held)
        store.claim_held("digest", now=210.0, lease=60)
        store.put_delivery(replace(held, status="sent", due=0.0))
        assert store.claim_held("digest", now=1_000.0, lease=60) == []
        assert store.list_deliveries("held") == []
        assert [e.status for e in store.list_deliveries("sent")] == ["sent"]

    def test_concurrent_claims_of_a_digest_have_one_winner(self, store: Store) -> None:
        for n in range(5):
            store.put_delivery(make_entry(f"alrt_{n}", "digest", "held", due=100.0))
        barrier = threading.Barrier(8)
        taken: list[int] = []

        def claim() -> None:
            barrier.wait()
            taken.append(len(store.claim_held("digest", now=150.0, lease=600)))

        threads = [threading.Thread(target=claim) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(taken) == [0] * 7 + [5]

    # --- digests: which channel is due, from an index ---------------------------------
    def test_earliest_held_per_channel_counts_only_held_entries(self, store: Store) -> None:
        for entry in (
            make_entry("alrt_1", "desk", "held", due=300.0),
            make_entry("alrt_2", "desk", "held", due=200.5),
            make_entry("alrt_3", "desk", "pending", due=0.0),
            make_entry("alrt_4", "desk", "sent", due=0.0),
            make_entry("alrt_1", "night", "held", due=900.0),
            make_entry("alrt_5", "other", "dead", due=0.0),
            make_entry("alrt_1", "gone", "held", due=50.0),  # a channel nobody asks about
        ):
            store.put_delivery(entry)
        assert store.earliest_held(["desk", "night", "other", "nobody"]) == {
            "desk": 200.5,
            "night": 900.0,
        }
        assert store.earliest_held(["night", "night"]) == {"night": 900.0}
        assert store.earliest_held([]) == {}

    def test_a_claimed_channel_is_due_again_only_when_its_lease_runs_out(
        self, store: Store
    ) -> None:
        for n, due in enumerate((200.0, 250.0, 5_000.0)):
            store.put_delivery(make_entry(f"alrt_{n}", "desk", "held", due=due))
        store.put_delivery(make_entry("alrt_0", "night", "held", due=205.0))
        assert store.earliest_held(["desk", "night"]) == {"desk": 200.0, "night": 205.0}
        assert len(store.claim_held("desk", now=210.0, lease=60)) == 3
        # every alert of the channel carries the lease now: none is due before 270
        assert store.earliest_held(["desk", "night"]) == {"desk": 270.0, "night": 205.0}

    def test_alerts_settled_after_a_digest_leave_the_index(self, store: Store) -> None:
        a = make_entry("alrt_1", "desk", "held", due=200.0)
        b = make_entry("alrt_2", "desk", "held", due=220.0)
        c = make_entry("alrt_3", "desk", "held", due=240.0)
        for entry in (a, b, c):
            store.put_delivery(entry)
        store.claim_held("desk", now=250.0, lease=600)
        store.put_delivery(replace(a, status="sent", due=0.0))
        store.put_delivery(replace(b, status="dead", due=0.0))
        store.put_delivery(replace(c, attempts=1, due=400.0))  # held again for a retry
        assert store.earliest_held(["desk"]) == {"desk": 400.0}
        store.put_delivery(replace(c, status="sent", due=0.0))
        assert store.earliest_held(["desk"]) == {}
        # a dead letter sent again by hand (`monitor alerts retry`) is held, due at once
        store.put_delivery(replace(b, status="held", attempts=0, due=1_000.0))
        assert store.earliest_held(["desk"]) == {"desk": 1_000.0}

    # --- queued items: in flight between the poll and the end of processing --------
    def test_queued_items_round_trip_oldest_first(self, store: Store) -> None:
        late = make_queued("feed-a", "2", queued_at=T0 + 5)
        early = make_queued("feed-b", "1", queued_at=T0 + 0.25, requeues=2)
        unicode = make_queued("feed-ع", "urn:خبر:١", queued_at=T0 + 7)
        store.put_queued([late, early, unicode])
        assert store.list_queued() == [early, late, unicode]
        assert store.list_queued(dead=True) == []

    def test_queued_payloads_are_read_in_the_order_asked(self, store: Store) -> None:
        live = make_queued("feed-ع", "urn:خبر:١", payload='{"id": "خبر"}')
        dead = make_queued("feed-b", "1", payload='{"id": "1"}', dead=True)
        store.put_queued([live, dead, make_queued("feed-a", "x")])
        store.remove_queued("feed-a", "x")
        keys = [("feed-b", "1"), ("feed-a", "x"), ("feed-ع", "urn:خبر:١"), ("feed-b", "2")]
        assert store.queued_payloads(keys) == [dead.payload, None, live.payload, None]
        assert store.queued_payloads([]) == []
        many = [make_queued("feed-m", str(n), payload=f'{{"n": {n}}}') for n in range(600)]
        store.put_queued(many)  # more keys than one statement takes
        assert store.queued_payloads([(q.feed_id, q.item_id) for q in reversed(many)]) == [
            q.payload for q in reversed(many)
        ]
        with store.batch():  # a read inside a batch sees the batch's writes
            store.put_queued([make_queued("feed-c", "1", payload='{"id": "c"}')])
            assert store.queued_payloads([("feed-c", "1")]) == ['{"id": "c"}']

    def test_put_queued_with_nothing_is_fine(self, store: Store) -> None:
        store.put_queued([])
        assert store.list_queued() == []

    def test_put_queued_replaces_the_record_of_the_same_item(self, store: Store) -> None:
        store.put_queued([make_queued("feed-a", "1", queued_at=T0, requeues=2)])
        again = make_queued("feed-a", "1", queued_at=T0 + 60, payload='{"id": "1", "v": 2}')
        store.put_queued([again, make_queued("feed-b", "1", queued_at=T0)])
        assert [q for q in store.list_queued() if q.feed_id == "feed-a"] == [again]
        assert len(store.list_queued()) == 2

    def test_put_queued_mixes_records_in_flight_and_dead(self, store: Store) -> None:
        live, dead = make_queued("feed-a", "1"), make_queued("feed-a", "2")
        dead = replace(dead, dead=True)
        store.put_queued([live, dead])
        assert store.list_queued() == [live]
        assert store.list_queued(dead=True) == [dead]
        # the last record of one item in a call wins, whichever list it puts it on
        store.put_queued([replace(live, dead=True), replace(dead, dead=False), live])
        assert store.list_queued() == [live, replace(dead, dead=False)]
        assert store.list_queued(dead=True) == []

    def test_count_queued_counts_each_list_apart(self, store: Store) -> None:
        assert store.count_queued() == 0
        live, dead = make_queued("feed-a", "1"), replace(make_queued("feed-a", "2"), dead=True)
        store.put_queued([live, dead, make_queued("feed-b", "1")])
        assert (store.count_queued(), store.count_queued(dead=True)) == (2, 1)
        store.remove_queued("feed-a", "1")
        store.put_queued([replace(dead, dead=False)])  # queued again: in flight once more
        assert (store.count_queued(), store.count_queued(dead=True)) == (2, 0)
        with store.batch():  # a read inside a batch sees the batch's writes
            store.remove_queued("feed-b", "1")
            assert store.count_queued() == 1

    def test_remove_queued_forgets_only_that_item(self, store: Store) -> None:
        a, b = make_queued("feed-a", "1"), make_queued("feed-a", "2")
        store.put_queued([a, b, make_queued("feed-b", "1")])
        store.remove_queued("feed-a", "1")
        store.remove_queued("feed-a", "1")  # again: nothing
        store.remove_queued("feed-c", "9")  # never queued: nothing
        assert [(q.feed_id, q.item_id) for q in store.list_queued()] == [
            ("feed-a", "2"),
            ("feed-b", "1"),
        ]

    def test_claim_takes_only_stale_records_and_stamps_them(self, store: Store) -> None:
        stale = make_queued("feed-a", "old", queued_at=T0)
        fresh = make_queued("feed-a", "new", queued_at=T0 + 50)
        edge = make_queued("feed-a", "edge", queued_at=T0 + 40)  # exactly older_than: not yet
        store.put_queued([stale, fresh, edge])
        requeue, dead = store.claim_stale_queued(now=T0 + 100, older_than=60, max_requeues=3)
        assert requeue == [replace(stale, queued_at=T0 + 100, requeues=1)]
        assert dead == []
        assert store.list_queued() == [edge, fresh, requeue[0]]
        # taken: not stale again until older_than has passed once more
        assert store.claim_stale_queued(now=T0 + 100, older_than=60, max_requeues=3) == ([], [])

    def test_claim_buries_a_record_requeued_too_often(self, store: Store) -> None:
        store.put_queued([make_queued("feed-a", "poison", queued_at=T0)])
        now = T0
        for n in range(1, 3):
            now += 100
            requeue, dead = store.claim_stale_queued(now=now, older_than=60, max_requeues=2)
            assert [(q.item_id, q.requeues, q.dead) for q in requeue] == [("poison", n, False)]
            assert dead == []
        now += 100
        requeue, dead = store.claim_stale_queued(now=now, older_than=60, max_requeues=2)
        assert requeue == []
        assert dead == [make_queued("feed-a", "poison", queued_at=now, requeues=2, dead=True)]
        assert store.list_queued() == []
        assert store.list_queued(dead=True) == dead
        # the dead are never claimed again
        assert store.claim_stale_queued(now=now + 1000, older_than=60, max_requeues=2) == ([], [])

    def test_a_processed_item_leaves_the_dead_list_too(self, store: Store) -> None:
        store.put_queued([make_queued("feed-a", "1", queued_at=T0)])
        store.claim_stale_queued(now=T0 + 100, older_than=60, max_requeues=0)
        assert len(store.list_queued(dead=True)) == 1
        store.remove_queued("feed-a", "1")  # the original message was processed after all
        assert store.list_queued(dead=True) == []
        assert store.list_queued() == []

    def test_queueing_a_dead_item_again_puts_it_back_in_flight(self, store: Store) -> None:
        store.put_queued([make_queued("feed-a", "1", queued_at=T0)])
        store.claim_stale_queued(now=T0 + 100, older_than=60, max_requeues=0)
        again = make_queued("feed-a", "1", queued_at=T0 + 200)
        store.put_queued([again])
        assert store.list_queued(dead=True) == []
        assert store.list_queued() == [again]

    def test_claim_takes_at_most_limit_oldest_first(self, store: Store) -> None:
        store.put_queued([make_queued("feed-a", str(n), queued_at=T0 + n) for n in range(5)])
        requeue, _ = store.claim_stale_queued(now=T0 + 100, older_than=10, max_requeues=3, limit=2)
        assert [q.item_id for q in requeue] == ["0", "1"]
        requeue, _ = store.claim_stale_queued(now=T0 + 100, older_than=10, max_requeues=3, limit=9)
        assert [q.item_id for q in requeue] == ["2", "3", "4"]

    def test_put_and_claim_many_records(self, store: Store) -> None:
        items = [make_queued("feed-a", f"item-{n}", queued_at=T0) for n in range(1500)]
        store.put_queued(items)
        requeue, dead = store.claim_stale_queued(
            now=T0 + 100, older_than=10, max_requeues=3, limit=5000
        )
        assert len(requeue) == 1500 and dead == []
        assert {q.requeues for q in store.list_queued()} == {1}

    def test_concurrent_claims_take_each_record_once(self, store: Store) -> None:
        store.put_queued([make_queued("feed-a", str(n), queued_at=T0) for n in range(20)])
        barrier = threading.Barrier(6)
        taken: list[str] = []

        def claim() -> None:
            barrier.wait()
            requeue, _ = store.claim_stale_queued(now=T0 + 100, older_than=10, max_requeues=3)
            taken.extend(q.item_id for q in requeue)

        threads = [threading.Thread(target=claim) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(taken, key=int) == [str(n) for n in range(20)]

    # --- dead queued items: kept for a while, then forgotten ----------------------------
    def test_forget_dead_queued_drops_only_dead_records_older_than_the_cutoff(
        self, store: Store
    ) -> None:
        old_dead = make_queued("feed-a", "old", queued_at=T0, requeues=3, dead=True)
        edge = make_queued("feed-a", "edge", queued_at=T0 + 10, requeues=3, dead=True)
        recent = make_queued("feed-b", "new", queued_at=T0 + 20, requeues=3, dead=True)
        in_flight = make_queued("feed-a", "slow", queued_at=T0 - DAY)  # older, but alive
        store.put_queued([old_dead, edge, recent, in_flight])
        assert store.forget_dead_queued(dead_before=T0 + 10) == 1
        assert store.list_queued(dead=True) == [edge, recent]
        assert store.list_queued() == [in_flight]
        assert store.forget_dead_queued(dead_before=T0 + 10) == 0  # again: nothing
        # forgotten for good: queued anew, it starts from a clean record
        fresh = make_queued("feed-a", "old", queued_at=T0 + 30)
        store.put_queued([fresh])
        assert [q for q in store.list_queued() if q.item_id == "old"] == [fresh]

    def test_a_dead_item_queued_again_is_not_forgotten(self, store: Store) -> None:
        store.put_queued([make_queued("feed-a", "1", queued_at=T0)])
        store.claim_stale_queued(now=T0 + 100, older_than=60, max_requeues=0)  # dead at T0+100
        again = make_queued("feed-a", "1", queued_at=T0 + 100, requeues=1)
        store.put_queued([again])
        assert store.forget_dead_queued(dead_before=T0 + 10 * DAY) == 0
        assert store.list_queued() == [again]

    def test_forget_dead_queued_takes_many_records_in_one_call(self, store: Store) -> None:
        dead = [make_queued("feed-a", f"i-{n}", queued_at=T0, dead=True) for n in range(1234)]
        store.put_queued(dead)
        assert store.forget_dead_queued(dead_before=T0 + 1) == 1234
        assert store.list_queued(dead=True) == []

    # --- many deliveries at once --------------------------------------------------
    def test_deliveries_in_one_call_keep_the_order_asked(self, store: Store) -> None:
        a = make_entry("alrt_1", "email", "sent", payload='{"id": "alrt_1"}')
        b = make_entry("alrt_2", "webhook", "held", due=T0 + 60)
        store.put_deliveries([a, b])
        assert store.get_deliveries([("alrt_2", "webhook"), ("alrt_1", "stdout")]) == [b, None]
        assert store.get_deliveries([("alrt_1", "email")] * 2) == [a, a]
        assert store.get_deliveries([]) == []
        assert store.list_deliveries("held") == [b]
        assert store.earliest_held(["webhook"]) == {"webhook": T0 + 60}

    def test_put_deliveries_last_of_a_key_wins_and_moves_the_indexes(self, store: Store) -> None:
        pending = make_entry("alrt_1", "email", "pending", updated=1.0)
        sent = make_entry("alrt_1", "email", "sent", updated=2.0)
        store.put_deliveries([pending, sent])
        store.put_deliveries([])
        assert store.get_delivery("alrt_1", "email") == sent
        assert store.list_deliveries("pending") == []
        assert store.list_deliveries() == [sent]

    def test_many_deliveries_in_one_call(self, store: Store) -> None:
        entries = [make_entry(f"alrt_{n}", "email", updated=float(n)) for n in range(1234)]
        store.put_deliveries(entries)
        keys = [(entry.alert_id, entry.channel) for entry in reversed(entries)]
        assert store.get_deliveries(keys) == entries[::-1]

    # --- batches ----------------------------------------------------------------------
    def test_a_batch_reads_its_own_writes_and_keeps_them(self, store: Store) -> None:
        entry = make_entry("alrt_1", "email", "pending")
        with store.batch():
            store.mark_seen("feed-a", ["1", "2"], now=T0)
            assert store.seen_filter("feed-a", ["1", "3"]) == ["3"]
            store.put_story(make_story(), 60)
            assert store.get_story("ministers", "story-1") == make_story()
            store.put_delivery(entry)
            store.set_feed_state("feed-a", {"etag": "x"})
            assert store.get_deliveries([("alrt_1", "email")]) == [entry]
            assert store.list_deliveries("pending") == [entry]
            assert store.get_feed_state("feed-a") == {"etag": "x"}
        assert store.seen_filter("feed-a", ["1", "2", "3"]) == ["3"]
        assert store.get_story("ministers", "story-1") == make_story()
        assert store.get_delivery("alrt_1", "email") == entry
        assert store.get_feed_state("feed-a") == {"etag": "x"}

    def test_writes_only_in_a_batch_are_kept_at_its_end(self, store: Store) -> None:
        entries = [make_entry(f"alrt_{n}", "email", "pending", updated=n) for n in range(50)]
        with store.batch():
            for entry in entries:
                store.put_delivery(entry)
            store.mark_seen("feed-a", ["1"], now=T0)
            store.put_queued([make_queued("feed-a", "1")])
            store.remove_queued("feed-a", "1")
            store.hold_claim("feed-a", 60)
        assert store.list_deliveries("pending") == entries
        assert store.seen_filter("feed-a", ["1"]) == []
        assert store.list_queued() == []
        assert store.claim_feed("feed-a", 60) is False

    def test_nested_batches_keep_their_writes(self, store: Store) -> None:
        with store.batch():
            store.mark_seen("feed-a", ["1"], now=T0)
            with store.batch():
                store.mark_seen("feed-a", ["2"], now=T0)
                with store.batch():
                    assert store.seen_filter("feed-a", ["1", "2", "3"]) == ["3"]
            store.mark_seen("feed-a", ["3"], now=T0)
        assert store.seen_filter("feed-a", ["1", "2", "3", "4"]) == ["4"]

    def test_a_failed_inner_batch_drops_its_writes_and_the_outer_goes_on(
        self, store: Store
    ) -> None:
        kept = make_entry("alrt_1", "email", "pending", updated=1.0)
        dropped = make_entry("alrt_2", "email", "pending", updated=2.0)
        later = make_entry("alrt_3", "email", "pending", updated=3.0)
        with store.batch():
            store.put_delivery(kept)
            with pytest.raises(RuntimeError, match="poisoned"), store.batch():
                store.put_delivery(dropped)
                store.mark_seen("feed-a", ["x"], now=T0)
                raise RuntimeError("poisoned item")
            store.put_delivery(later)
        assert store.list_deliveries() == [kept, later]
        assert store.seen_filter("feed-a", ["x"]) == ["x"]

    def test_a_failed_batch_raises_keeps_no_half_call_and_the_store_works(
        self, store: Store
    ) -> None:
        records = [replace(make_story(), story_key=f"k{n}") for n in range(3)]
        with pytest.raises(RuntimeError, match="crash"), store.batch():
            store.put_stories(records, 60)
            raise RuntimeError("crash")
        found = store.get_stories("ministers", ["k0", "k1", "k2"])
        assert found in ([None, None, None], records)  # the call whole or not at all
        with store.batch():
            store.mark_seen("feed-a", ["1"], now=T0)
        assert store.seen_filter("feed-a", ["1"]) == []

    def test_close_twice_is_safe(self, store: Store) -> None:
        store.mark_seen("feed-a", ["1"])
        store.close()
        store.close()  # the fixture closes it a third time


def check_two_handles_share_claims_and_seen(a: Store, b: Store) -> None:
    """Two handles on one backing store (two processes) see each other's claims and
    seen marks; both are closed afterwards."""
    try:
        assert a.claim_feed("feed-a", 60) is True
        assert b.claim_feed("feed-a", 60) is False
        b.mark_seen("feed-a", ["x"])
        assert a.seen_filter("feed-a", ["x", "y"]) == ["y"]
        # a rate limit's bucket is one for every worker
        assert [a.take_token("chan", 2, 60, now=T0), b.take_token("chan", 2, 60, now=T0)] == [
            True,
            True,
        ]
        assert a.take_token("chan", 2, 60, now=T0) is False
    finally:
        a.close()
        b.close()
