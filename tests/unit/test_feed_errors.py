"""Failed polls kept in the feed state (``pipeline.record_poll_failure``), for
``monitor feeds status``: the error, when, and the failures in a row."""

from __future__ import annotations

from monitor import pipeline
from monitor.state.base import ERROR_STREAK_KEY, LAST_ERROR_AT_KEY, LAST_ERROR_KEY
from monitor.state.memory import MemoryStore


def test_failures_count_in_a_row_and_a_success_ends_the_streak() -> None:
    store = MemoryStore()
    store.set_feed_state("wire", {"etag": '"v1"'})
    assert pipeline.record_poll_failure("wire", "HTTP 500\nfrom the feed", store, now=10.0) == 1
    assert pipeline.record_poll_failure("wire", "timed out", store, now=20.0) == 2
    state = store.get_feed_state("wire")
    assert state == {
        "etag": '"v1"',
        LAST_ERROR_KEY: "timed out",
        LAST_ERROR_AT_KEY: "20.0",
        ERROR_STREAK_KEY: "2",
    }
    pipeline.commit_poll(pipeline.PollResult(feed_id="wire", polled_at=30.0), store)
    state = store.get_feed_state("wire")
    assert state[ERROR_STREAK_KEY] == "0" and state[LAST_ERROR_KEY] == "timed out"


def test_an_error_is_kept_as_one_line_and_a_bad_streak_starts_again() -> None:
    store = MemoryStore()
    store.set_feed_state("wire", {ERROR_STREAK_KEY: "many"})
    assert pipeline.record_poll_failure("wire", "HTTP 500\nfrom the feed", store, now=1.0) == 1
    assert "\n" not in store.get_feed_state("wire")[LAST_ERROR_KEY]


def test_the_workers_poll_task_keeps_its_failures_too() -> None:
    from monitor.config.schema import FeedConfig
    from monitor.errors import MonitorError
    from workers import tasks

    store = MemoryStore()
    feed = FeedConfig.model_validate({"id": "wire", "url": "https://example.org/rss"})
    tasks._poll_failed(feed, MonitorError("wire: HTTP 404"), store)
    state = store.get_feed_state("wire")
    assert state[ERROR_STREAK_KEY] == "1" and state[LAST_ERROR_KEY] == "wire: HTTP 404"
