"""Inputs that used to vanish without a word: a story with terminal escape codes, an
entry with only a description, a title cut inside a CDATA opener, RSS with ``rss:``
prefixed elements, and an Arabic dateline whose month is named twice (``كانون
الثاني/يناير``). Each gives its item or a one-line warning naming the feed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.dateline import find_dateline
from monitor.sources.detect import parse_bytes

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _read(name: str) -> tuple[list[WireItem], SourceContext]:
    ctx = SourceContext(source=name, fetched_at=NOW)
    return list(parse_bytes((HOSTILE / name).read_bytes(), ctx)), ctx


def test_a_story_with_escape_codes_is_read_and_cleaned() -> None:
    items, _ = _read("ansi-story.en.txt")
    (item,) = items
    assert item.title == "NATO talks resume in Brussels"
    body = item.body
    assert "NATO allies met on Monday to discuss security guarantees for Ukraine" in body
    assert "\x1b" not in body and "[31m" not in body and "\x07" not in body


def test_real_binaries_are_still_refused() -> None:
    ctx = SourceContext(source="photo.jpg", fetched_at=NOW)
    with pytest.raises(ParseError, match=r"photo\.jpg: not a known format \(binary data\)"):
        parse_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 8, ctx)


def test_an_entry_with_only_a_description_becomes_an_item() -> None:
    items, ctx = _read("description-only.xml")
    (item,) = items
    assert item.body == "\u2026" and item.title == ""
    assert ctx.warnings == []


def test_an_entry_cut_inside_cdata_is_a_warning_naming_the_feed() -> None:
    items, ctx = _read("incomplete-cdata.xml")
    assert items == []
    assert "incomplete-cdata.xml: 1 of 1 entries have no title and no text; skipped" in (
        ctx.warnings
    )


def test_rss_with_prefixed_elements_gives_its_items() -> None:
    items, _ = _read("rss-prefixed.xml")
    (item,) = items
    assert item.title == "NATO allies meet in Brussels"
    assert item.url == "https://example.com/nato-allies"
    assert item.published == "2022-01-10T12:00:00Z"


def test_a_dual_month_name_keeps_its_year() -> None:
    found = find_dateline("(موسكو - ١٠ كانون الثاني/يناير ٢٠٢٢) قال", date(2026, 12, 5))
    assert found is not None and found.published == "2022-01-10"
    items, _ = _read("dual-month-dateline.ar.txt")
    assert items[0].published == "2022-01-10"
    # one month name with a year, and a lone dual name without one, as before
    plain = find_dateline("(سبوتنيك - 12 كانون الثاني 2022ء) قال", date(2026, 12, 5))
    assert plain is not None and plain.published == "2022-01-12"
    dual = find_dateline("(موسكو - ١٠ كانون الثاني/يناير) قال", date(2026, 12, 5))
    assert dual is not None and dual.published == "2026-01-10"
