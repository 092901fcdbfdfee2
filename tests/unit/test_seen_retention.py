"""Seen-set retention through the pipeline: ``poll_feed`` + ``commit_poll`` on a clock
we move by hand, with the fetch replaced by canned responses (no network, no sleeping).

What must hold: an id is forgotten only when its feed's latest complete read no longer
lists it AND it was last listed more than ``settings.seen_retention`` ago; an old item a
feed keeps in its window is never queued again; a failed, HTML, malformed or 304 read
trims nothing; a drop-folder file still in the folder stays seen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import pipeline, runner
from monitor.config.schema import Config, FeedConfig, Settings
from monitor.errors import TransientFetchError
from monitor.match.engine import build_matcher
from monitor.pipeline import Runtime, commit_poll, poll_feed
from monitor.runner import EmbeddedRunner
from monitor.sources.fetch import FetchResult
from monitor.state.base import Store
from monitor.state.memory import MemoryStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://example.org/rss"
FEED = FeedConfig(id="wire", url=URL)
CONFIG = Config(feeds=[FEED], settings=Settings(seen_retention="30d"))


def rss(*guids: str) -> bytes:
    items = "".join(
        f"<item><guid>{guid}</guid><title>Story {guid}</title>"
        f"<description>Body of story {guid}.</description></item>"
        for guid in guids
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Wire</title><link>https://example.org/</link>{items}</channel></rss>"
    ).encode()


class FakeFeed:
    """Stands in for ``fetch_feed``: returns ``body`` with ``status``, or raises ``error``."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.error: Exception | None = None

    def __call__(self, url: str, **_: object) -> FetchResult:
        if self.error is not None:
            raise self.error
        content = b"" if self.status == 304 else self.body
        headers = {"content-type": "application/rss+xml"}
        return FetchResult(url=url, status=self.status, content=content, headers=headers)


@pytest.fixture
def feed(monkeypatch: pytest.MonkeyPatch) -> FakeFeed:
    fake = FakeFeed()
    monkeypatch.setattr(pipeline, "fetch_feed", fake)
    return fake


@pytest.fixture
def store(local_store: Store) -> Store:
    return local_store


def poll(
    store: Store, at: datetime, feed_config: FeedConfig = FEED, config: Config = CONFIG
) -> list[str]:
    """One poll committed at ``at``, as a runner does; the ids it queued."""
    result = poll_feed(feed_config, config, store, now=at)
    commit_poll(result, store)
    return [item.id for item in result.items]


def ids_of(guids: list[str]) -> list[str]:
    """The item ids the parser gives these guids (whatever its id scheme)."""
    result = poll_feed(FEED, CONFIG, MemoryStore(), now=T0)
    assert result.items, "the feed fixture must be set before calling ids_of"
    return [item.id for item in result.items if item.title.removeprefix("Story ") in guids]


def days(n: float) -> timedelta:
    return timedelta(days=n)


# --- URL feeds ---------------------------------------------------------------------


def test_an_item_older_than_the_retention_still_in_the_feed_is_not_requeued(
    feed: FakeFeed, store: Store
) -> None:
    feed.body = rss("evergreen", "news-1")
    assert len(poll(store, T0)) == 2
    # the feed keeps "evergreen" in its window for months while other items come and go
    for month in range(1, 7):
        feed.body = rss("evergreen", f"news-{month + 1}")
        queued = poll(store, T0 + days(30 * month + 5))
        assert len(queued) == 1, f"month {month}: evergreen was queued again"
    assert poll(store, T0 + days(400)) == []
    feed.body = rss("evergreen")
    (evergreen,) = ids_of(["evergreen"])
    assert store.seen_filter("wire", [evergreen]) == []


def test_an_item_that_left_the_feed_and_expired_is_forgotten(feed: FakeFeed, store: Store) -> None:
    feed.body = rss("gone", "stays")
    gone, stays = ids_of(["gone", "stays"])
    assert poll(store, T0) == [gone, stays]
    feed.body = rss("stays")
    assert poll(store, T0 + days(1)) == []  # "gone" left the feed after its last listing at T0
    assert poll(store, T0 + days(29)) == []
    assert store.seen_filter("wire", [gone, stays]) == []  # not expired yet: kept
    assert poll(store, T0 + days(31)) == []
    assert store.seen_filter("wire", [gone, stays]) == [gone]  # its id is gone from the store


def test_the_retention_is_the_setting(feed: FakeFeed, store: Store) -> None:
    config = Config(feeds=[FEED], settings=Settings(seen_retention="2d"))
    feed.body = rss("gone")
    (gone,) = ids_of(["gone"])
    poll(store, T0, config=config)
    feed.body = rss("other")
    poll(store, T0 + days(1.5), config=config)
    assert store.seen_filter("wire", [gone]) == []
    poll(store, T0 + days(2.5), config=config)
    assert store.seen_filter("wire", [gone]) == [gone]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (304, b""),  # not modified: no list of ids at all
        (200, rss("kept")[:-40]),  # truncated: the parser kept what it could
        (200, rss("kept").replace(b"Body of", b"Body&nbsp;of")),  # malformed XML
    ],
    ids=["not-modified", "truncated", "malformed"],
)
def test_an_incomplete_read_trims_nothing(
    feed: FakeFeed, store: Store, status: int, body: bytes
) -> None:
    feed.body = rss("old")
    (old,) = ids_of(["old"])
    poll(store, T0)
    feed.status, feed.body = status, body
    result = poll_feed(FEED, CONFIG, store, now=T0 + days(90))
    assert result.forget_before is None
    commit_poll(result, store)
    assert store.seen_filter("wire", [old]) == []
    # the same store does trim once a complete read arrives without the id
    feed.status, feed.body = 200, rss("kept")
    poll(store, T0 + days(91))
    assert store.seen_filter("wire", [old]) == [old]


def test_a_complete_read_sets_the_cutoff_at_poll_time_minus_retention(feed: FakeFeed) -> None:
    feed.body = rss("a")
    result = poll_feed(FEED, CONFIG, MemoryStore(), now=T0)
    assert result.complete is True
    assert result.polled_at == T0.timestamp()
    assert result.forget_before == (T0 - days(30)).timestamp()


# --- through the runner: a failed poll commits nothing, so trims nothing -------------------


def _runner_at(monkeypatch: pytest.MonkeyPatch, store: Store) -> Callable[[datetime], None]:
    runtime = Runtime(CONFIG, store, build_matcher(CONFIG), {})

    def run_at(at: datetime) -> None:
        monkeypatch.setattr(runner, "utcnow", lambda: at)
        EmbeddedRunner(runtime).run(once=True)

    return run_at


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", TransientFetchError("HTTP 503 from the feed")),
        (b"<!DOCTYPE html><html><body><h1>Login</h1></body></html>", None),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>W', None),
    ],
    ids=["fetch-error", "html-page", "broken-feed"],
)
def test_a_failed_poll_trims_nothing(
    feed: FakeFeed,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    body: bytes,
    error: Exception | None,
) -> None:
    run_at = _runner_at(monkeypatch, store)
    feed.body = rss("old")
    (old,) = ids_of(["old"])
    run_at(T0)
    assert store.seen_filter("wire", [old]) == []
    feed.body, feed.error = body, error
    run_at(T0 + days(90))
    assert store.seen_filter("wire", [old]) == []
    # control: a good read in the same set-up does forget it
    feed.body, feed.error = rss("new"), None
    run_at(T0 + days(91))
    assert store.seen_filter("wire", [old]) == [old]


# --- drop folders ------------------------------------------------------------------


def test_a_drop_file_still_in_the_folder_stays_seen(tmp_path: Path, store: Store) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    folder = FeedConfig(id="desk", path=str(inbox))
    config = Config(feeds=[folder], settings=Settings(seen_retention="30d"))
    story = inbox / "story.txt"
    story.write_text("NATO summit opens\n\nLeaders meet in Vilnius.\n", encoding="utf-8")
    leaving = inbox / "leaving.txt"
    leaving.write_text("Second story\n\nIt will be moved away.\n", encoding="utf-8")
    assert len(poll(store, T0, folder, config)) == 2
    file_key, leaving_key = sorted(file_keys(store, folder, config), reverse=True)
    assert "story.txt" in file_key and "leaving.txt" in leaving_key
    os.remove(leaving)
    for month in range(1, 7):
        assert poll(store, T0 + days(30 * month + 5), folder, config) == []
    assert store.seen_filter("desk", [file_key, leaving_key]) == [leaving_key]


def file_keys(store: Store, folder: FeedConfig, config: Config) -> list[str]:
    """The drop-file keys a read of the folder lists (without committing anything)."""
    result = poll_feed(folder, config, store, now=T0)
    return [key for key in result.present_keys if key.startswith("file:")]
