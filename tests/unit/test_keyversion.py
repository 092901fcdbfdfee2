"""Upgrading from the earlier body keys (``monitor.alerts.keyversion``): a copy of a story
alerted before the upgrade, under a rewritten headline, is still one story; a new
store never pays for the old keys; every process against one store agrees on when
the old keys stop."""

from __future__ import annotations

from pathlib import Path

from monitor.alerts import keyversion
from monitor.alerts.decide import decide_story, story_keys, title_fingerprint
from monitor.alerts.nearbody import legacy_body_keys
from monitor.model import Match, WireItem
from monitor.state.base import StoryRecord
from monitor.state.memory import MemoryStore
from monitor.state.sqlite import SqliteStore

WINDOW = 86400.0
T0 = 1_800_000_000.0
STORY = Path(__file__).parents[1] / "fixtures" / "stories" / "peskov-talks.en.txt"
BODY = "\n\n".join(STORY.read_text(encoding="utf-8").split("\n\n")[1:])
MATCH = Match(watchlist="russia-nato", topics=("nato",), speakers=(), hits=())


def item(item_id: str, title: str, source: str) -> WireItem:
    return WireItem(
        id=item_id, title=title, body=BODY, source=source, language="en", story_id=item_id
    )


ORIGINAL = item("a-1", "Kremlin says talks with NATO were unsuccessful", "https://a.example/")
COPY = item("b-7", "Peskov: no progress at the Geneva security talks", "https://b.example/")


def filed_by_an_earlier_release(store: MemoryStore | SqliteStore) -> str:
    """The story index as a release before body2 keys left it, after alerting ORIGINAL."""
    primary = title_fingerprint(ORIGINAL.title)
    assert primary is not None
    names = [primary, ORIGINAL.story, *legacy_body_keys(ORIGINAL.body)]
    record = StoryRecord(
        alert_id="alrt_before_upgrade",
        watchlist=MATCH.watchlist,
        story_key=primary,
        first_seen=T0,
        sources=(ORIGINAL.source,),
        primary=primary,
    )
    store.put_stories([StoryRecord(**{**vars(record), "story_key": n}) for n in names], WINDOW)
    return record.alert_id


def decide_copy(store: MemoryStore | SqliteStore, now: float) -> tuple[object, object]:
    legacy = keyversion.legacy_keys_due(store, window=WINDOW, now=now)
    return decide_story(
        MATCH, COPY, store, window=WINDOW, now=now, keys=story_keys(COPY, legacy=legacy)
    )


def test_a_copy_of_a_story_alerted_before_the_upgrade_raises_no_second_alert() -> None:
    store = MemoryStore(clock=lambda: T0 + 60)
    alert_id = filed_by_an_earlier_release(store)
    alert, added = decide_copy(store, T0 + 60)
    assert alert is None  # grouped with the alert raised before the upgrade
    assert isinstance(added, StoryRecord) and added.alert_id == alert_id
    assert COPY.source in added.sources


def test_without_the_old_keys_the_copy_would_be_a_second_alert() -> None:
    # what the transition prevents: the new keys alone do not reach the old record
    store = MemoryStore(clock=lambda: T0 + 60)
    filed_by_an_earlier_release(store)
    alert, _ = decide_story(MATCH, COPY, store, window=WINDOW, now=T0 + 60, keys=story_keys(COPY))
    assert alert is not None


def test_a_new_store_never_computes_the_old_keys() -> None:
    store = MemoryStore(clock=lambda: T0)
    assert not keyversion.legacy_keys_due(store, window=WINDOW, now=T0)
    marker = store.get_story(keyversion.MARKER_WATCHLIST, keyversion.MARKER_KEY)
    assert marker is not None and marker.first_seen == 0.0
    # stories written afterwards do not start a window: the marker is read, not made
    store.put_story(
        StoryRecord(alert_id="x", watchlist="w", story_key="k", first_seen=T0, sources=()), WINDOW
    )
    assert not keyversion.legacy_keys_due(store, window=WINDOW, now=T0 + 1)


def test_every_process_on_one_store_ends_the_old_keys_one_window_after_the_first(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    first = SqliteStore(path, clock=lambda: T0)
    filed_by_an_earlier_release(first)
    assert keyversion.legacy_keys_due(first, window=WINDOW, now=T0 + 10)
    # another process (another store object on the same file) starts an hour later
    later = SqliteStore(path, clock=lambda: T0 + 3600)
    assert keyversion.legacy_keys_due(later, window=WINDOW, now=T0 + 3600)
    assert not keyversion.legacy_keys_due(later, window=WINDOW, now=T0 + 10 + WINDOW)
    assert not keyversion.legacy_keys_due(first, window=WINDOW, now=T0 + 10 + WINDOW)
    first.close()
    later.close()


def test_a_process_that_finds_the_store_marked_meanwhile_takes_that_mark(
    tmp_path: Path,
) -> None:
    """Two workers starting together on a new install: one reads no marker, the other
    marks the store (no stories: no window) and files a story, then the first finds a
    story. It takes the other's marker, not a window of old keys of its own."""
    path = tmp_path / "state.db"
    other = SqliteStore(path, clock=lambda: T0)

    class Interleaved(SqliteStore):
        def has_stories(self) -> bool:
            # the other process, between this one's read of the marker and this read
            # (what its legacy_keys_due runs, under its own process's lock)
            assert keyversion._read_or_mark(other, T0) == 0.0
            other.put_story(
                StoryRecord(alert_id="x", watchlist="w", story_key="k", first_seen=T0, sources=()),
                WINDOW,
            )
            return super().has_stories()

    first = Interleaved(path, clock=lambda: T0)
    assert not keyversion.legacy_keys_due(first, window=WINDOW, now=T0 + 1)
    marker = first.get_story(keyversion.MARKER_WATCHLIST, keyversion.MARKER_KEY)
    assert marker is not None and marker.first_seen == 0.0
    first.close()
    other.close()
