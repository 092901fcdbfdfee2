"""A poll turns only the entries it has not seen into items (``SourceContext.unseen``).

The rule holds only where it cannot change a result: the items of the unseen entries
are exactly those a full read gives, and every entry skipped is one a full read would
have given under the same id. Checked over every feed fixture and the shared corpus,
with nothing, everything and every other id seen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor import pipeline
from monitor.config.schema import Config, FeedConfig
from monitor.errors import MonitorError
from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.sources.fetch import FetchResult
from monitor.sources.identity import ids_without_text
from monitor.state.memory import MemoryStore
from tests.helpers import CORPUS, ROOT

FIXED = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _documents() -> list[Path]:
    found = sorted(p for p in (ROOT / "tests" / "fixtures" / "feeds").rglob("*") if p.is_file())
    if CORPUS.is_dir():
        found += sorted(
            p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in {".md", ".tsv"}
        )
    return found


def _read(
    data: bytes, unseen: Callable[[list[str]], Collection[str]] | None
) -> tuple[list[WireItem], SourceContext]:
    ctx = SourceContext(source="https://example.org/feed", fetched_at=FIXED, unseen=unseen)
    return parse_bytes(data, ctx), ctx


def test_the_ids_of_distinct_guids_and_links_are_known_without_text() -> None:
    ids = ids_without_text(
        [(" g1 ", None), (None, "HTTPS://Example.org/a?utm_source=x#top"), ("", ""), (None, None)]
    )
    assert ids == ["g1", "https://example.org/a", None, None]


@pytest.mark.parametrize(
    "entries",
    [
        [("g1", None), ("g1", None)],  # a CMS that gives every entry one guid
        [("g1", None), (None, "g1")],  # a link that is another entry's guid
        [("sha256:0123456789abcdef", None)],  # could be another entry's content hash
    ],
)
def test_ids_that_depend_on_the_other_entries_are_not_guessed(
    entries: list[tuple[str | None, str | None]],
) -> None:
    assert ids_without_text(entries) is None


def test_a_poll_reads_only_the_entries_not_seen_and_gives_the_same_items() -> None:
    documents = 0
    skipped_somewhere = 0
    for path in _documents():
        data = path.read_bytes()
        try:
            full, _ = _read(data, None)
        except MonitorError:
            continue  # a document the parsers refuse: nothing to compare
        documents += 1
        ids = [item.id for item in full]
        every_other = set(ids[::2])
        for seen in (set(), set(ids), every_other):
            items, ctx = _read(data, lambda given, seen=seen: [i for i in given if i not in seen])
            skipped = set(ctx.skipped)
            # only the entries skipped are missing, and each is one seen before ...
            assert items == [item for item in full if item.id not in skipped], path
            assert skipped <= seen and len(skipped) == len(ctx.skipped), path
            # ... so the poll's new items (seen ones dropped next) are the same
            new = [item for item in items if item.id not in seen]
            assert new == [item for item in full if item.id not in seen], path
            skipped_somewhere += bool(ctx.skipped)
    assert documents >= 5  # the feed fixtures alone, when the shared corpus is absent
    assert skipped_somewhere >= documents  # most documents: the rule applies


def test_a_second_poll_makes_no_item_of_a_seen_entry_and_keeps_it_present(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = "".join(
        f"<item><guid>id-{n}</guid><title>Headline number {n}</title>"
        f"<description>Body of story {n}.</description></item>"
        for n in range(5)
    )
    document = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}'
    document += "</channel></rss>"
    content = document.encode()

    def fetch(url: str, **_: object) -> FetchResult:
        headers = {"content-type": "application/rss+xml"}
        return FetchResult(url=url, status=200, content=content, headers=headers)

    made: list[str] = []
    to_item = pipeline.parse_bytes

    def counting(data: bytes, ctx: SourceContext) -> list[WireItem]:
        items = to_item(data, ctx)
        made.extend(item.id for item in items)
        return items

    monkeypatch.setattr(pipeline, "fetch_feed", fetch)
    monkeypatch.setattr(pipeline, "parse_bytes", counting)
    feed = FeedConfig(id="wire", url="https://example.org/feed")
    config = Config(feeds=[feed])
    store = MemoryStore()
    first = pipeline.poll_feed(feed, config, store, now=FIXED)
    pipeline.commit_poll(first, store)
    assert [item.id for item in first.items] == [f"id-{n}" for n in range(5)]
    made.clear()
    second = pipeline.poll_feed(feed, config, store, now=FIXED)
    assert second.items == [] and made == []  # no entry was made into an item again
    assert sorted(second.present_keys) == [f"id-{n}" for n in range(5)]
