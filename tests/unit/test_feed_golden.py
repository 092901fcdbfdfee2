"""Feeds (RSS 0.91/2.0, Atom 1.0, RDF/RSS 1.0, JSON Feed): golden pairs.

tests/fixtures/feeds/NAME is the input, NAME.expected.json the items it must give
(compared by ``tests/golden.py``), read through ``parse_bytes`` with a fixed
fetch time and feed URL. Regenerate after a deliberate change with
``UPDATE_GOLDENS=1 pytest tests/unit/test_feed_golden.py`` and review the diff.
The tests after the goldens spell out what the goldens encode.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.sources.identity import content_hash
from tests.golden import check_golden, inputs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
FETCHED = datetime(2022, 1, 13, 12, 0, tzinfo=UTC)
FETCH_TIME = "2022-01-13T12:00:00Z"

# fixture -> (what it exercises, number of items)
CASES = {
    "rss091.xml": ("RSS 0.91, Netscape DOCTYPE, HTML entities, relative link", 2),
    "rss2.xml": ("RSS 2.0: scripts, entities, duplicate guids, odd dates", 5),
    "atom.xml": ("Atom 1.0: xml:base, XHTML and HTML content, entry language", 2),
    "rdf.xml": ("RDF/RSS 1.0 with Dublin Core dates and language", 2),
    "jsonfeed.json": ("JSON Feed 1.1: content_html, content_text, relative url", 2),
    "cp1251.xml": ("windows-1251 without any declaration", 1),
    "mojibake.xml": ("UTF-8 encoded twice", 2),
    "arabic.xml": ("Arabic, right to left, markers and boilerplate", 2),
}


def ctx(name: str) -> SourceContext:
    return SourceContext(
        source=f"https://feeds.example.net/{name}", feed_id="golden", fetched_at=FETCHED
    )


def parse(name: str) -> list[WireItem]:
    return parse_bytes((FIXTURES / name).read_bytes(), ctx(name))


def test_every_fixture_has_a_golden() -> None:
    assert inputs(FIXTURES) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    items = parse(name)
    assert len(items) == CASES[name][1]
    check_golden(items, FIXTURES / name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_has_no_markup_scripts_or_raw_entities(name: str) -> None:
    for item in parse(name):
        for text in (item.title, item.body):
            assert "<script" not in text and "<p>" not in text and "</" not in text
            assert "track(" not in text and "alert(" not in text and "display:" not in text
            assert "&amp;" not in text and "&eacute;" not in text and "&#" not in text
        assert item.feed_id == "golden"
        assert item.fetched_at == FETCH_TIME


# --- what the goldens encode, spelled out ---------------------------------------


def test_rss091_entities_and_relative_link() -> None:
    first, second = parse("rss091.xml")
    # The relative <link> is read against the channel's <link>.
    assert first.url == "https://wire.example.com/world/nato-russia-talks.html"
    assert first.id == first.url
    assert second.title == "Café owners in Liège protest energy prices"
    assert second.body == "Owners of cafés in Liège & Namur said prices had risen > 40%."
    # Tracking parameters are not part of the id; the link is kept as carried.
    assert second.id == "https://wire.example.com/europe/liege-cafes.html"
    assert "utm_source" in (second.url or "")


def test_rss2_html_is_reduced_to_text() -> None:
    item = parse("rss2.xml")[0]
    assert item.title == "Kremlin says talks with NATO were “unsuccessful”"
    assert "injected" not in item.body and "STYLE-TEXT" not in item.body
    assert "“unsuccessful” & that" in item.body  # &ldquo; &amp; decoded
    assert "Café talk — and more." in item.body  # &eacute; &#x2014; &nbsp;
    assert not item.body.endswith("Read more…")  # trailing site furniture
    assert (item.agency, item.place) == ("Reuters", "MOSCOW")


def test_rss2_duplicate_guids_fall_back_like_miniflux() -> None:
    first, second, third, *_ = parse("rss2.xml")
    assert first.id == "ex-2022-01-13-001"
    # The second entry with the same guid: its canonical link (tracking and fragment gone).
    assert second.id == "https://www.example.com/world/second-story/"
    # The third has no link either: the content hash.
    assert third.id == content_hash(third.title, third.body)
    assert len({first.id, second.id, third.id}) == 3


def test_rss2_dates() -> None:
    first, second, third, unreadable, future = parse("rss2.xml")
    assert first.published == "2022-01-13T06:15:00Z"  # +0300 to UTC
    assert second.published == "2022-01-13T10:00:00Z"
    assert third.published == FETCH_TIME  # missing
    assert unreadable.published == FETCH_TIME  # "sometime last Tuesday"
    assert future.published == FETCH_TIME  # 2100 is clamped


def test_atom_base_languages_and_xhtml() -> None:
    french, german = parse("atom.xml")
    assert french.url == "https://actu.example.fr/monde/otan-russie?xtor=RSS-1&utm_term=otan"
    assert french.id == "tag:actu.example.fr,2022:otan-russie-1"
    assert french.title.startswith("Garanties de sécurité : l'Otan")
    assert "xhtml" not in french.body and "Jens Stoltenberg" in french.body
    assert french.published == "2022-01-12T15:05:00Z"  # <published>, not <updated>
    assert (french.language, german.language) == ("fr", "de")
    assert "JavaScript" not in german.body  # <noscript>
    assert (german.agency, german.place) == ("dpa", "BRÜSSEL")


def test_rdf_dublin_core() -> None:
    first, second = parse("rdf.xml")
    assert first.published == "2022-01-13T08:20:00Z"
    assert second.published == FETCH_TIME
    assert (first.agency, first.place, first.language) == ("TASS", "МОСКВА", "ru")
    assert "Читайте также" not in first.body
    assert first.id == "https://tass.example.ru/politika/1"


def test_json_feed_items() -> None:
    html_item, text_item = parse("jsonfeed.json")
    assert html_item.body.startswith("КИЇВ, 12 січня /Укрінформ/.")
    assert (html_item.agency, html_item.language) == ("Ukrinform", "uk")
    # content_text is text: what looks like markup stays as written.
    assert text_item.body == "Текст <не розмітка> & сирий.\n\nДругий абзац."
    assert text_item.url == "https://ukrinform.example.ua/rubric-ato/3381300"
    assert text_item.published == FETCH_TIME  # "not a date"


def test_undeclared_windows_1251_is_decoded() -> None:
    (item,) = parse("cp1251.xml")
    assert item.title == "Рябков: Россия не пойдет на односторонние уступки"
    assert item.language == "ru"
    assert item.publisher == "Interfax"


def test_double_encoded_utf8_is_repaired() -> None:
    french, german = parse("mojibake.xml")
    assert french.title == "Sécurité : l’Otan et la Russie — « pas d’accord »"
    assert german.body == "Die Verhandlungen in Brüssel endeten ohne Ergebnis, hieß es am Mittwoch."
    for item in (french, german):
        assert "Ã" not in item.title + item.body and "â€" not in item.title + item.body


def test_arabic_feed() -> None:
    peskov, nato = parse("arabic.xml")
    assert peskov.language == nato.language == "ar"
    assert (peskov.agency, peskov.publisher) == ("Sputnik", "UrduPoint")
    assert "(تستمر)" not in peskov.body and "أفكارك وتعليقاتك" not in peskov.body
    assert peskov.body.endswith('"نحن لا نتحدث من موقع القوة"')
    # Right-to-left marks at the ends of a headline are CMS debris.
    assert nato.title == "الناتو يعقد اجتماعا طارئا في بروكسل"
    assert (nato.agency, nato.place) == ("Reuters", "بروكسل")
    assert peskov.id == "up-ar-1459"
