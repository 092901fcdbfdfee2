"""Feeds (RSS/Atom/JSON Feed), DOCTYPE stripping and content detection."""

from __future__ import annotations

import contextlib
import gzip
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.sources.feeds import parse_feed
from monitor.sources.identity import canonical_url, content_hash
from monitor.sources.xmlsafe import strip_doctype
from tests.helpers import with_peak_memory

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def ctx(source: str = "https://example.org/rss", language: str | None = None) -> SourceContext:
    return SourceContext(source=source, feed_id="f1", language=language, fetched_at=FETCHED)


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Sputnik Arabic</title><language>ar</language>
<item>
  <title>بيسكوف: روسيا لا تتفاوض من موقع القوة</title>
  <link>https://example.org/a1?utm_source=rss&amp;id=7</link>
  <guid isPermaLink="false">g-1</guid>
  <pubDate>Wed, 12 Jan 2022 10:00:00 +0300</pubDate>
  <description><![CDATA[<p>موسكو - <b>سبوتنيك</b> &amp; غيره</p>
<script>alert(1)</script><style>p{}</style><p>فقرة ثانية</p>]]></description>
</item>
<item>
  <title>Second &amp; more</title>
  <link>https://example.org/a2?fbclid=XYZ</link>
  <pubDate>Thu, 01 Jan 2099 00:00:00 GMT</pubDate>
  <description>BRUSSELS, Jan 12 (Reuters) - NATO allies met.</description>
</item>
<item>
  <title>No date, no link</title>
  <description>Text only.</description>
</item>
</channel></rss>
"""


def test_rss_entries() -> None:
    c = ctx()
    first, second, third = parse_feed(RSS.encode(), c)
    assert first.id == "g-1"
    assert first.title == "بيسكوف: روسيا لا تتفاوض من موقع القوة"
    assert first.body == "موسكو - سبوتنيك & غيره\n\nفقرة ثانية"
    assert "alert" not in first.body and "p{}" not in first.body
    assert first.published == "2022-01-12T07:00:00Z"
    assert first.language == "ar"  # the feed's <language>
    assert first.url == "https://example.org/a1?utm_source=rss&id=7"
    assert first.feed_id == "f1" and first.source == c.source
    # No guid: the canonical link, tracking parameters dropped.
    assert second.id == "https://example.org/a2"
    assert second.title == "Second & more"
    assert second.published == "2026-11-29T12:00:00Z"  # far future clamped to fetch time
    assert (second.agency, second.place) == ("Reuters", "BRUSSELS")
    # Neither guid nor link: a content hash.
    assert third.id == content_hash("No date, no link", "Text only.")
    assert third.published == "2026-11-29T12:00:00Z"
    assert third.url is None
    assert c.warnings == []


def test_language_detected_when_not_declared() -> None:
    feed = RSS.replace("<language>ar</language>", "")
    items = parse_feed(feed.encode(), ctx())
    assert items[0].language == "ar"
    assert items[1].language == "en"
    hinted = parse_feed(feed.encode(), ctx(language="fr"))
    # A hint is taken unless its script cannot be the text's.
    assert [i.language for i in hinted] == ["ar", "fr", "fr"]
    wrong = RSS.replace("<language>ar</language>", "<language>en-US</language>")
    assert [i.language for i in parse_feed(wrong.encode(), ctx())] == ["ar", "en", "en"]


def test_duplicate_guids_fall_back_to_link_then_hash() -> None:
    entry = "<item><title>{t}</title><guid>same</guid>{link}<description>x</description></item>"
    body = "".join(
        [
            entry.format(t="One", link="<link>https://e.org/1</link>"),
            entry.format(t="Two", link="<link>https://e.org/2</link>"),
            entry.format(t="Three", link=""),
        ]
    )
    doc = f'<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'
    ids = [i.id for i in parse_feed(doc.encode(), ctx())]
    assert ids == ["same", "https://e.org/2", content_hash("Three", "x")]


def test_atom_with_html_title_and_content() -> None:
    doc = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de"><title>dpa</title>
<entry><id>urn:x:1</id><title type="html">&lt;b&gt;Kreml&lt;/b&gt;: Keine Verhandlungen</title>
<updated>2022-01-12T09:00:00Z</updated>
<content type="html">&lt;p&gt;MOSKAU, 12. Januar (dpa) - Text.&lt;/p&gt;</content>
<link href="https://e.org/x"/></entry></feed>"""
    [item] = parse_feed(doc.encode(), ctx())
    assert item.title == "Kreml: Keine Verhandlungen"
    assert item.body == "MOSKAU, 12. Januar (dpa) - Text."
    assert (item.language, item.agency, item.publisher) == ("de", "dpa", "dpa")
    assert item.published == "2022-01-12T09:00:00Z"


def test_json_feed() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Example",
        "items": [
            {
                "id": "j1",
                "url": "https://e.org/j1",
                "title": "Peskov says",
                "content_html": "<p>Kremlin spokesman said.</p>",
                "date_published": "2022-01-12T10:00:00+03:00",
            },
            {"id": 2, "content_text": "Only text &amp; <b>not markup</b>"},
            "junk",
        ],
    }
    items = parse_bytes(json.dumps(doc).encode(), ctx())
    assert [i.id for i in items] == ["j1", "2"]
    assert items[0].body == "Kremlin spokesman said."
    assert items[0].published == "2022-01-12T07:00:00Z"
    assert items[1].title == "" and items[1].body == "Only text &amp; <b>not markup</b>"


def test_bozo_feed_keeps_entries_and_warns() -> None:
    doc = '<rss version="2.0"><channel><title>t</title><item><title>A & B</title><link>https://e.org/?a=1&b=2</link></item></channel></rss>'
    c = ctx("https://broken.example/rss")
    [item] = parse_feed(doc.encode(), c)
    assert item.title == "A & B"
    assert len(c.warnings) == 1
    assert "https://broken.example/rss" in c.warnings[0] and "\n" not in c.warnings[0]


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>x</body></html>",
        b"<html><body><h1>Not found</h1></body></html>",
    ],
)
def test_html_error_page_is_not_a_feed(data: bytes) -> None:
    with pytest.raises(
        ParseError, match=r"^https://example.org/rss: not a feed \(looks like HTML\)"
    ):
        parse_bytes(data, ctx())
    with pytest.raises(ParseError, match="looks like HTML"):
        parse_feed(data, ctx())


def test_strip_doctype_with_internal_subset() -> None:
    doc = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "x]>y">\n<!-- ]> -->\n'
        b'<!ENTITY b "z">\n]>\n<rss version="2.0"/>'
    )
    assert strip_doctype(doc) == b'<?xml version="1.0"?>\n\n<rss version="2.0"/>'
    public = b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://x/rss.dtd">\n<rss/>'
    assert strip_doctype(public) == b"\n<rss/>"
    assert strip_doctype(b"<rss/>") == b"<rss/>"
    wide = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss/>'
    assert strip_doctype(wide.encode("utf-16")) == b'<?xml version="1.0" encoding="utf-8"?><rss/>'


def _entity_bomb() -> bytes:
    entity = "A" * 50_000
    refs = "&big;" * 20_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{entity}">]>'
        f'<rss version="2.0"><channel><title>bomb</title><item><title>t</title>'
        f"<description>{refs}</description></item></channel></rss>"
    ).encode()


def test_flat_entity_bomb_is_not_expanded() -> None:
    data = _entity_bomb()
    assert 100_000 < len(data) < 200_000
    items, peak = with_peak_memory(lambda: parse_bytes(data, ctx()))
    assert peak < 40_000_000  # expanded, it is gigabytes
    assert all("AAAA" not in item.body for item in items)


def test_xxe_is_not_resolved() -> None:
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>a&x;b</title></item></channel></rss>"
    )
    items = parse_bytes(doc, ctx())
    assert all("root:" not in i.title for i in items)


def test_detect_routes_by_content() -> None:
    assert parse_bytes(b"Headline\n\nBody text.", ctx("x.xml"))[0].title == "Headline"
    assert len(parse_bytes(RSS.encode(), ctx("story.txt"))) == 3
    assert len(parse_bytes(gzip.compress(RSS.encode()), ctx())) == 3
    ninjs = parse_bytes(b'{"uri": "x", "headline": "Ninjs head", "body_text": "b"}', ctx("n.json"))
    assert [item.title for item in ninjs] == ["Ninjs head"]
    # a NewsML-G2 envelope with nothing inside goes to the NewsML parser: no items
    assert parse_bytes(b'<?xml version="1.0"?><newsMessage xmlns="x"/>', ctx("src.xml")) == []
    with pytest.raises(ParseError, match="empty"):
        parse_bytes(b"  \n", ctx("empty.txt"))
    with pytest.raises(ParseError, match="binary"):
        parse_bytes(bytes(range(256)) * 4, ctx("blob.bin"))


def test_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.sources.detect as detect

    monkeypatch.setattr(detect, "MAX_INPUT", 1_000_000)
    bomb = gzip.compress(b"\x00" * 5_000_000)
    with pytest.raises(ParseError, match="larger than"):
        parse_bytes(bomb, ctx("bomb.gz"))


def test_canonical_url() -> None:
    assert canonical_url("HTTPS://Example.org:443/a?utm_source=x&id=3&gclid=1#frag") == (
        "https://example.org/a?id=3"
    )


def test_field_caps() -> None:
    long_title = "word " * 1000
    doc = (
        f'<rss version="2.0"><channel><title>t</title><item><title>{long_title}</title>'
        f"<description>{'b ' * 80_000}</description></item></channel></rss>"
    )
    [item] = parse_feed(doc.encode(), ctx())
    assert len(item.title) <= 1000
    assert len(item.body) <= 100_000


_SEED_FEEDS = [RSS.encode(), _entity_bomb()[:3000]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_raise_only_parse_error(data: bytes) -> None:
    try:
        items = parse_bytes(data, ctx())
    except ParseError as exc:
        assert "https://example.org/rss" in str(exc)
    else:
        assert isinstance(items, list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SEED_FEEDS),
    st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 40), st.binary(max_size=20)), max_size=6
    ),
)
def test_mutated_feeds_raise_only_parse_error(
    seed: bytes, edits: list[tuple[int, int, bytes]]
) -> None:
    data = seed
    for pos, length, insert in edits:
        pos %= len(data) + 1
        data = data[:pos] + insert + data[pos + length :]
    with contextlib.suppress(ParseError):
        parse_bytes(data, ctx())
