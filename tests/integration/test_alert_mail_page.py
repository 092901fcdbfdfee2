"""The alert mail as a reader sees it: the HTML part of the real message for the Arabic
seed story (Sputnik via UrduPoint, Peskov quoted on security guarantees), matched by the
shipped config, rendered in headless Chromium (``tests/browser.py``). The screenshots go
to ``artefacts/`` for a person to look at; the assertions read the rendered page: marks,
computed direction and fonts, the order the quotation marks are drawn in, links, and a
hostile headline that must stay inert."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage

import pytest

from monitor.alerts.channels.email import build_message
from monitor.alerts.decide import decide
from monitor.config.loader import load_config
from monitor.match.engine import build_matcher
from monitor.model import Alert
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.state.memory import MemoryStore
from tests.browser import chromium_page, screenshot
from tests.helpers import ROOT, SEED_AR

PUBLIC_URL = "https://monitor.example.org"
STORY_URL = "https://www.urdupoint.com/ar/world/peskov-security-guarantees.html"


@pytest.fixture(scope="module")
def alert() -> Alert:
    """The alert the shipped config raises for the Arabic seed, as the pipeline builds it."""
    (item,) = parse_bytes(SEED_AR.read_bytes(), SourceContext(source=SEED_AR.name))
    item = replace(item, url=STORY_URL, published="2022-01-12T10:41:00Z")
    config = load_config(ROOT / "config", env={})
    (match,) = build_matcher(config).match(item)
    made = decide(match, item, MemoryStore(), window=86400.0, now=1_641_984_000.0)
    assert made is not None
    return made


def html_part(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def mail(alert: Alert, public_url: str | None) -> EmailMessage:
    return build_message(
        alert, sender="monitor@example.org", recipients=("desk@example.org",), public_url=public_url
    )


@pytest.fixture(scope="module")
def page_of() -> Iterator:  # type: ignore[type-arg]
    with chromium_page(width=900, height=1000) as page:

        def load(html: str) -> object:
            page.set_content(html)
            return page

        yield load


def test_the_arabic_alert_mail_reads_right_to_left_with_its_terms_marked(
    alert: Alert, page_of
) -> None:
    page = page_of(html_part(mail(alert, PUBLIC_URL)))
    shot = screenshot(page, "alert-mail-ar")
    assert shot.stat().st_size > 10_000

    # the headline's marks are the title's hits, at their offsets, in the original script
    title_hits = [h for h in alert.hits if h.field == "title"]
    assert [h.text for h in title_hits] == ["بيسكوف", "الضمانات الأمنية"]
    headline_marks = page.locator("h1.headline mark").all_text_contents()
    assert headline_marks == [h.text for h in title_hits]
    assert page.eval_on_selector("h1.headline", "e => getComputedStyle(e).direction") == "rtl"
    # every passage mark is the text of a body hit
    body_texts = {h.text for h in alert.hits if h.field == "body"}
    passage_marks = page.locator("p.passage mark").all_text_contents()
    assert passage_marks and set(passage_marks) <= body_texts
    assert "الناتو" in passage_marks

    # Peskov's quote: its own right-to-left block, Arabic guillemets drawn in RTL order
    quote = page.locator(".speaker", has_text="Dmitry Peskov").locator(".quote")
    assert quote.evaluate("e => getComputedStyle(e).direction") == "rtl"
    text = quote.text_content() or ""
    assert text.startswith("«") and text.endswith("»") and "روسيا لا تتفاوض" in text
    opening_x, closing_x = quote.evaluate(
        """e => { const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT), nodes = [];
                  while (walk.nextNode()) nodes.push(walk.currentNode);
                  const first = nodes[0], last = nodes[nodes.length - 1];
                  const r = document.createRange();
                  r.setStart(first, 0); r.setEnd(first, 1);
                  const a = r.getBoundingClientRect().left;
                  r.setStart(last, last.length - 1); r.setEnd(last, last.length);
                  return [a, r.getBoundingClientRect().left]; }"""
    )
    assert opening_x > closing_x  # the opening mark is where an Arabic reader starts: right
    # the quote stands in the title: its term is marked inside it too
    assert quote.locator("mark").all_text_contents() == ["الضمانات الأمنية"]
    for p in page.locator("p.passage").all():
        assert p.evaluate("e => getComputedStyle(e).direction") == "rtl"

    # a sans-serif face, not the browser's default serif
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "sans-serif" in family and not family.lower().startswith(("serif", "times"))
    assert page.eval_on_selector(".quote", "e => getComputedStyle(e).fontFamily") == family

    # links: the story and the alert page
    assert page.get_attribute("a.story-link", "href") == STORY_URL
    assert page.get_attribute("a.alert-link", "href") == f"{PUBLIC_URL}/alerts/{alert.id}"

    # the full hit list comes last, with every hit in it
    places = page.locator("table.hits td:nth-child(3)").all_text_contents()
    assert sum(cell.count("–") for cell in places) == len(alert.hits)
    last_heading = page.locator("h2").all_text_contents()[-1]
    assert last_heading.strip().lower() == f"all hits ({len(alert.hits)})"


def test_without_public_url_there_is_no_alert_page_link(alert: Alert, page_of) -> None:
    msg = mail(alert, None)
    page = page_of(html_part(msg))
    assert page.locator("a.alert-link").count() == 0
    assert page.locator("a.story-link").count() == 1
    assert (
        "/alerts/" not in html_part(msg)
        and "Alert page" not in msg.get_body(preferencelist=("plain",)).get_content()
    )  # type: ignore[union-attr]


def test_the_mail_fits_a_phone_screen(alert: Alert, page_of) -> None:
    page = page_of(html_part(mail(alert, PUBLIC_URL)))
    page.set_viewport_size({"width": 375, "height": 800})
    try:
        screenshot(page, "alert-mail-ar-narrow")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        page.set_viewport_size({"width": 900, "height": 1000})


def test_a_hostile_headline_renders_inert(alert: Alert, page_of) -> None:
    title = '<script>window.pwned = 1</script><img src=x onerror="window.pwned=2">\u202eevil.exe'
    hostile = replace(alert, item=replace(alert.item, title=title), hits=())
    page = page_of(html_part(mail(hostile, PUBLIC_URL)))
    screenshot(page, "alert-mail-hostile")
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    headline = page.locator("h1.headline").text_content() or ""
    assert headline.startswith("<script>window.pwned = 1</script><img src=x")
    assert "\u202e" not in page.evaluate("document.body.innerText")
    assert headline.endswith("evil.exe")
