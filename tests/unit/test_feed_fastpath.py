"""The lxml fast path gives exactly the items feedparser gives, and takes most RSS.

Every fixture, every file of the shared corpus (skipped when it is not beside the
clone, as in tests/integration/test_history.py) and a set of hand-made edge cases
go through ``parse_feed`` twice, with and without the fast path, under several
HTTP header sets: items (every field), warnings and errors must be identical. The
count of documents the fast path read keeps it from passing by declining all.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.errors import ParseError
from monitor.sources import feeds
from monitor.sources.clean import html_to_text
from monitor.sources.context import EntryBatch, SourceContext
from monitor.sources.fastfeed import read_rss
from monitor.sources.xmlsafe import sniff_root
from tests.helpers import CORPUS, ROOT, document_files

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HEADER_SETS: list[dict[str, str]] = [
    {},
    {"content-type": "application/rss+xml; charset=utf-8", "content-language": "en_GB"},
    {"content-type": "text/xml"},
    {"content-type": "text/html; charset=utf-8"},
    {"etag": '"v1"'},  # headers without a content type: feedparser's ISO-8859-1 default
]

_CHANNEL = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"{ns}><channel>{body}</channel></rss>'
)
_NS = (
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"'
)
# name -> (channel body, whether the fast path must read it)
EDGE_CASES: dict[str, tuple[str, bool]] = {
    "plain": (
        "<title>Desk &amp; Co</title><link>http://ex.org/</link><language>en</language>"
        "<item><title>Talks &lt;b&gt;resume&lt;/b&gt;</title><link>http://ex.org/a?x=1&amp;y=2</link>"
        "<guid>http://ex.org/a</guid><pubDate>Mon, 02 Mar 2026 10:00:00 +0100</pubDate>"
        "<description><![CDATA[<p>ANKARA (Reuters) - Talks resumed.</p><p>More.</p>]]>"
        "</description>"
        "</item>",
        True,
    ),
    "guid-forms": (
        "<title>Wire</title>"
        '<item><guid isPermaLink="false">ex-2022-001</guid><title>A</title></item>'
        "<item><guid>rel/path</guid><title>B</title></item>"
        '<item><guid isPermaLink="true">http://ex.org/c</guid><link>http://ex.org/c2</link>'
        "<title>C</title></item>"
        "<item><link>http://ex.org/d</link><guid>http://ex.org/d-guid</guid><title>D</title></item>"
        "<item><guid>one</guid><guid>two</guid><title>E</title></item>"
        "<item><title>F</title><guid></guid></item>",
        True,
    ),
    "atom-links": (
        '<atom:link href="http://ex.org/feed" rel="self" type="application/rss+xml"/>'
        '<atom:link href="http://ex.org/site"/><title>Linked</title>'
        '<item><title>A</title><atom:link rel="alternate" href="http://ex.org/a&amp;b"/></item>'
        '<item><title>B</title><link>/relative/b</link><atom:link rel="enclosure" href="x"/>'
        "</item>",
        True,
    ),
    "dates": (
        "<title>Dates</title><lastBuildDate>Mon, 02 Mar 2026 10:00:00 GMT</lastBuildDate>"
        "<item><title>A</title><dc:date>2026-03-01T09:00:00Z</dc:date></item>"
        "<item><title>B</title><pubDate>not a date</pubDate><dc:date>2026-03-01T09:00Z</dc:date>"
        "</item><item><title>C</title><pubDate>2030-01-01T00:00:00Z</pubDate></item>"
        "<item><title>D</title><pubDate>Mon, 02 Mar 2026 10:00:00 EST</pubDate>"
        "<pubDate>Tue, 03 Mar 2026 10:00:00 GMT</pubDate></item>",
        True,
    ),
    "content-and-text-fixes": (
        "<title>Fixes</title><item><title>caf\u00c3\u00a9 &#150; d\u00e9j\u00e0</title>"
        "<description>short</description><content:encoded><![CDATA[<p>The long "
        "body &amp; more</p>]]></content:encoded></item>"
        "<item><title>Order</title><content:encoded>first</content:encoded>"
        "<description>second</description></item>"
        "<item><description>   only a description   </description></item>"
        "<item><title></title><description></description></item>",
        True,
    ),
    "furniture": (
        "<title>Furn</title><image><url>http://ex.org/i.png</url><title>Logo</title>"
        "<link>http://ex.org/</link></image><ttl>5</ttl><category>x</category>"
        '<item><title>A</title><category domain="d">World</category><dc:creator>Me</dc:creator>'
        '<enclosure url="http://ex.org/a.mp3" length="1" type="audio/mpeg"/>'
        '<media:content url="http://ex.org/p.jpg"><media:credit>AP</media:credit></media:content>'
        '<source url="http://other.org/rss">Other</source><comments>http://ex.org/c</comments>'
        "<image>http://ex.org/i.png</image><description>Body</description></item>",
        True,
    ),
    "media-title": (
        "<title>M</title><item><media:content><media:title>Photo</media:title></media:content>"
        "<title>A</title></item>",
        False,
    ),
    "two-descriptions": (
        "<title>M</title><item><title>A</title><description>a</description>"
        "<media:description>b</media:description></item>",
        False,
    ),
    "xml-lang": (
        '<title xml:lang="fr">Le fil</title><item><title>A</title></item>'
        '<item xml:lang="de_AT"><title>B</title><description xml:lang="en">b</description></item>'
        '<item><description xml:lang="uk">only</description></item>',
        True,
    ),
    "base-attribute": (
        '<title>T</title><item><title>B</title><link base="http://x/">a</link></item>',
        False,
    ),
    "markup-in-description": (
        "<title>X</title><item><title>A</title><description><p>raw</p></description></item>",
        False,
    ),
}


_ATOM = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{attrs}>{body}</feed>'
ATOM_CASES: dict[str, tuple[str, str, bool]] = {
    "atom-plain": (
        ' xml:lang="fr_FR"',
        '<title type="text">Le fil</title><id>urn:uuid:feed</id>'
        '<link rel="self" href="http://ex.fr/atom"/><link href="http://ex.fr/"/>'
        "<updated>2026-03-01T10:00:00Z</updated><author><name>R</name><uri>http://ex.fr</uri>"
        '</author><entry><title type="html">Gen&amp;egrave;ve &lt;b&gt;talks&lt;/b&gt;</title>'
        '<link rel="alternate" type="text/html" href="http://ex.fr/a"/><id>tag:ex.fr,2026:a</id>'
        "<published>2026-03-01T09:00:00+01:00</published><updated>2026-03-01T11:00:00Z</updated>"
        '<summary>Short</summary><content type="html">&lt;p&gt;Long body&lt;/p&gt;</content>'
        '</entry><entry xml:lang="de"><title>Genf</title><id>http://ex.fr/b</id>'
        '<content type="text">Text only</content><category term="x"/></entry>'
        '<entry><title xml:lang="">No language</title><id>urn:c</id><summary>s</summary></entry>',
        True,
    ),
    "atom-xhtml": (
        "",
        '<title>X</title><entry><title>A</title><id>urn:a</id><content type="xhtml">'
        '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry>',
        False,
    ),
    "atom-base": (
        ' xml:base="http://ex.fr/"',
        '<title>X</title><entry><title>A</title><id>urn:a</id><link href="a"/></entry>',
        False,
    ),
    "atom-src": (
        "",
        '<title>X</title><entry><title>A</title><id>urn:a</id><content src="http://x/"/></entry>',
        False,
    ),
}


def _edge_document(body: str) -> bytes:
    return _CHANNEL.format(ns=_NS, body=body).encode()


@pytest.mark.parametrize("case", sorted(ATOM_CASES))
def test_atom_cases_give_the_same_items(case: str) -> None:
    attrs, body, fast_expected = ATOM_CASES[case]
    data = _ATOM.format(attrs=attrs, body=body).encode()
    for headers in HEADER_SETS:
        fast_outcome = _outcome(data, headers, fast=True)
        assert fast_outcome == _outcome(data, headers, fast=False), headers
    assert isinstance(fast_outcome[0], list) and fast_outcome[0]
    assert feeds.fast_path_reads(data, {}) is fast_expected


def _documents() -> list[tuple[str, bytes]]:
    folders = [ROOT / "tests" / "fixtures", ROOT / "tests" / "data"]
    if CORPUS.is_dir():
        folders.append(CORPUS)
    # markup: feeds, wire XML, HTML pages
    return [(name, data) for name, data in document_files(folders) if sniff_root(data) is not None]


def _outcome(data: bytes, headers: dict[str, str], *, fast: bool) -> tuple[Any, list[str]]:
    ctx = SourceContext(source="doc", headers=headers, fetched_at=FETCHED)
    try:
        items: Any = [asdict(item) for item in feeds.parse_feed(data, ctx, fast=fast)]
    except ParseError as exc:
        items = f"ParseError: {exc}"
    return items, ctx.warnings


def _is_rss2_or_atom(data: bytes) -> bool:
    found = sniff_root(data)
    if found is None:
        return False
    root, head, _ = found
    return (root == "rss" and b'version="2.0"' in head) or (
        root == "feed" and b"http://www.w3.org/2005/Atom" in head
    )


def test_the_fast_path_and_feedparser_give_the_same_items() -> None:
    documents = _documents()
    assert len(documents) >= (60 if CORPUS.is_dir() else 10)
    differing = []
    fast = rss2 = 0
    for name, data in documents:
        for headers in HEADER_SETS:
            if _outcome(data, headers, fast=True) != _outcome(data, headers, fast=False):
                differing.append((name, headers))
        if _is_rss2_or_atom(data):
            rss2 += 1
            fast += feeds.fast_path_reads(data, {})
    assert differing == []
    # Most RSS 2.0 and Atom documents take the fast path (the rest are broken, or
    # use elements feedparser treats specially); declining everything must fail here.
    assert rss2 >= 5
    assert fast > rss2 // 2, f"fast path read {fast} of {rss2} RSS 2.0/Atom documents"


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_give_the_same_items(case: str) -> None:
    body, fast_expected = EDGE_CASES[case]
    data = _edge_document(body)
    for headers in HEADER_SETS:
        fast_outcome = _outcome(data, headers, fast=True)
        assert fast_outcome == _outcome(data, headers, fast=False), headers
    assert isinstance(fast_outcome[0], list) and fast_outcome[0]
    assert feeds.fast_path_reads(data, {}) is fast_expected


def test_the_fast_path_reads_the_benchmark_feeds() -> None:
    """bench/feedserver.py's documents: what the pipeline benchmark times."""
    from bench.feedserver import rss_document, rss_item

    item = {"id": "it-1", "title": "Talks \u00e0 Gen\u00e8ve & co", "body": "One.\n\nTwo <b>"}
    data = rss_document(3, [rss_item(item, 1_700_000_000.0)] * 3)
    assert feeds.fast_path_reads(data, {"content-type": "application/rss+xml; charset=utf-8"})
    assert _outcome(data, {}, fast=True) == _outcome(data, {}, fast=False)


def test_hostile_documents_are_declined_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><title>&b;</title><item><title>&b;</title></item>'
        b"</channel></rss>"
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>t</title><item><title>&x;</title></item>'
        b"</channel></rss>"
    )
    for data in (bomb, external):
        # The DOCTYPE is gone before lxml sees the document: the references are
        # undefined entities, not well-formed, so the fast path declines.
        assert not feeds.fast_path_reads(data, {})
        assert read_rss(data, {}) is None
        assert _outcome(data, {}, fast=True) == _outcome(data, {}, fast=False)


def _read_in_batches(data: bytes, size: int) -> list[str]:
    seen: list[str] = []
    batch = EntryBatch(size=size)
    while True:
        ctx = SourceContext(source="doc", fetched_at=FETCHED, batch=batch)
        seen += [item.title for item in feeds.parse_feed(data, ctx)]
        if not batch.more:
            return seen
        batch = EntryBatch(start=batch.end, size=size)


@pytest.mark.parametrize("fast", [True, False])
def test_a_document_is_parsed_once_for_all_its_batches(
    monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    parses: list[int] = []
    read_xml = feeds._read_xml_feed

    def counted(data: bytes, ctx: SourceContext, fast_path: bool) -> Any:
        parses.append(ctx.batch.start)
        return read_xml(data, ctx, fast_path and fast)

    monkeypatch.setattr(feeds, "_read_xml_feed", counted)
    items = "".join(f"<item><guid>g{i}</guid><title>Story {i}</title></item>" for i in range(7))
    data = _edge_document(f"<title>Batches {fast}</title>{items}")
    assert _read_in_batches(data, 3) == [f"Story {i}" for i in range(7)]
    assert parses == [0]  # batches at 3 and 6 reuse the first parse
    # A changed document is parsed again; one batch's worth is never kept.
    changed = data.replace(b"Story 6", b"Story six")
    assert _read_in_batches(changed, 3)[-1] == "Story six"
    small = _edge_document("<title>Small</title><item><title>Only</title></item>")
    assert _read_in_batches(small, 3) == ["Only"]
    assert parses == [0, 0, 0]


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<div><p>a</p><br>b<hr><ul><li>x<li>y</ul></div>", "a\n\nb\n\nx\n\ny"),
        ("<p>a<script>x</script></p><object><script>s</script>o</object>t", "a\n\nt"),
        ("<SCRIPT type=x>hidden</SCRIPT>shown<style >p{}</style>", "shown"),
        ("a &lt;script&gt;b&lt;/script&gt;", "a <script>b</script>"),
        ("<table><tr><td>1<td>2<tr><td>3</table>", "12\n\n3"),
        ("line<br/>break<br>again", "line\nbreak\nagain"),
    ],
)
def test_html_to_text_blocks_and_dropped_elements(fragment: str, text: str) -> None:
    """One query for all block elements and the drop-tag pre-check keep the text."""
    assert html_to_text(fragment) == text
