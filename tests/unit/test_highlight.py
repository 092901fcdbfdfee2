"""monitor.alerts.highlight: text + hit spans -> segments, merged, at the right offsets,
never splitting a letter from its marks; and each renderer escaping before it marks up
(HTML ``<mark>``, chat ``**bold**``, console colour)."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.alerts.chat import chat_payload, render_markdown
from monitor.alerts.highlight import (
    Segment,
    line_segments,
    merge,
    passages,
    segments,
    snap,
    spans_in_part,
    valid_spans,
)
from monitor.alerts.render import render_console, render_html, render_text
from monitor.model import Hit
from tests.unit.test_digest import make_alert


def hit(text: str, start: int, end: int, topic: str = "T", field: str = "body") -> Hit:
    return Hit(field=field, start=start, end=end, text=text[start:end], topic=topic)  # type: ignore[arg-type]


def test_overlapping_and_touching_spans_merge_sorted() -> None:
    assert merge([(7, 9), (2, 5), (0, 3), (9, 10), (4, 4)]) == [(0, 5), (7, 10)]
    assert merge([(3, 8), (4, 6)]) == [(3, 8)]  # one inside another
    assert merge([]) == []


def test_segments_at_both_ends_of_the_string() -> None:
    text = "NATO and NATO"
    assert segments(text, [(0, 4), (9, 13)]) == [
        Segment("NATO", True),
        Segment(" and "),
        Segment("NATO", True),
    ]
    assert segments(text, [(0, len(text))]) == [Segment(text, True)]
    assert segments(text, []) == [Segment(text)]
    # overlapping hits of two terms are one marked piece, not two nested ones
    assert segments("security guarantees", [(0, 8), (0, 19), (9, 19)]) == [
        Segment("security guarantees", True)
    ]


def test_spans_out_of_range_are_clamped_and_empty_ones_dropped() -> None:
    assert segments("abc", [(-5, 1), (2, 99), (1, 1)]) == [
        Segment("a", True),
        Segment("b"),
        Segment("c", True),
    ]


def test_arabic_combining_marks_stay_with_their_letter() -> None:
    # بِيسْكُوف with kasra, sukun and damma: a span cut before a mark takes it along, a span
    # starting on a mark starts at its letter
    word = "بِيسْكُوف"
    assert snap(word, 0, 1) == (0, 2)  # ب + kasra
    assert snap(word, 1, 3) == (0, 3)
    assert snap(word, 4, 5) == (3, 5)  # starts on the sukun: back to س
    # a matcher that ignores tashkeel may end its span before the last letter's mark
    guarantees = "الضَّماناتُ الأمنيةُ"
    text = f"قال {word} إن {guarantees} مهمة"
    start = text.index(guarantees)
    pieces = segments(text, [(start, start + len(guarantees) - 1)])
    assert [p.text for p in pieces if p.marked] == [guarantees]
    inside = start + guarantees.index("ّ")  # a span starting on the shadda
    pieces = segments(text, [(inside, inside + 3)])
    assert [p.text for p in pieces if p.marked] == ["ضَّما"]
    assert "".join(p.text for p in pieces) == text


def test_line_segments_are_one_clean_line_across_the_cuts() -> None:
    text = "  Peskov\n\n said \u202eNATO\u202c  must\tlisten \x1b[31m "
    start = text.index("NATO")
    got = line_segments(text, [(start, start + 4)])
    assert got == (Segment("Peskov said "), Segment("NATO", True), Segment(" must listen [31m"))
    assert line_segments("   ", [(0, 3)]) == ()


def test_only_hits_pointing_at_their_own_text_are_highlighted() -> None:
    text = "NATO said"
    good = hit(text, 0, 4)
    stale = Hit(field="body", start=5, end=9, text="NATO")
    beyond = Hit(field="body", start=5, end=99, text="said")
    assert valid_spans(text, [good, stale, beyond]) == [(0, 4)]


def test_passages_join_near_hits_and_cut_far_ones_with_ellipses() -> None:
    filler = " ".join(["word"] * 60)
    text = f"NATO and Peskov {filler} Ukraine {filler} end"
    hits = [
        hit(text, 0, 4, "NATO"),
        hit(text, 9, 15, "Dmitry Peskov"),
        hit(text, text.index("Ukraine"), text.index("Ukraine") + 7, "Ukraine"),
        hit(text, 0, 4, "NATO", field="title"),  # another field: not in the body's passages
    ]
    first, second = passages(text, "body", hits)
    assert first.labels == ("NATO", "Dmitry Peskov") and not first.cut_before and first.cut_after
    assert [s.text for s in first.segments if s.marked] == ["NATO", "Peskov"]
    assert second.labels == ("Ukraine",) and second.cut_before and second.cut_after
    assert second.text.startswith("…word") and "Ukraine" in second.text
    assert not second.text[1:-1].startswith(" ") and "wor " not in second.text  # whole words


def test_arabic_passages_run_right_to_left() -> None:
    text = "قال بيسكوف إن الناتو لا يقدم ضمانات"
    start = text.index("الناتو")
    (passage,) = passages(text, "body", [hit(text, start, start + 6, "NATO")])
    assert passage.direction == "rtl"
    assert [s.text for s in passage.segments if s.marked] == ["الناتو"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab \u0650\u0652بس\n"), max_size=40),
    spans=st.lists(st.tuples(st.integers(-2, 45), st.integers(-2, 45)), max_size=6),
)
def test_segments_rebuild_the_text_and_mark_exactly_the_merged_spans(
    text: str, spans: list[tuple[int, int]]
) -> None:
    pieces = segments(text, spans)
    assert "".join(p.text for p in pieces) == text
    assert all(p.text for p in pieces)
    assert all(a.marked != b.marked for a, b in itertools.pairwise(pieces))
    at, marked = 0, []
    for piece in pieces:
        if piece.marked:
            marked.append((at, at + len(piece.text)))
        at += len(piece.text)
    assert marked == merge(snap(text, s, e) for s, e in spans)
    for start, end in marked:  # no marked piece begins on, or is followed by, a bare mark
        assert not (start > 0 and text[start] in "\u0650\u0652")
        assert end == len(text) or text[end] not in "\u0650\u0652"


# --- escaping before marking up ---------------------------------------------------------------
def test_html_escapes_feed_text_around_and_inside_the_mark() -> None:
    body = "<b>NATO</b> & <i>more</i>"
    alert = make_alert(1)
    start = body.index("NATO")
    alert = replace(
        alert, item=replace(alert.item, body=body), hits=(hit(body, start, start + 4, "NATO"),)
    )
    html = render_html(alert)
    assert "&lt;b&gt;<mark" in html and ">NATO</mark>&lt;/b&gt; &amp; &lt;i&gt;more" in html
    assert "<b>NATO" not in html and "<i>" not in html
    hostile = "<img src=x onerror=alert(1)>"
    alert = replace(alert, item=replace(alert.item, body=hostile), hits=(hit(hostile, 0, 4, "x"),))
    html = render_html(alert)
    assert "<img" not in html and '<mark class="hit"' in html and ">&lt;img</mark>" in html


def test_chat_markdown_escapes_stars_and_underscores_then_bolds_the_terms() -> None:
    body = "**Breaking** _NATO_ says snake_case *NATO* stays"
    alert = make_alert(1)
    hits = tuple(hit(body, i, i + 4, "NATO") for i in (body.index("NATO"), body.rindex("NATO")))
    alert = replace(alert, item=replace(alert.item, body=body), hits=hits)
    _, markdown = render_markdown(alert)
    line = next(line for line in markdown.splitlines() if line.startswith("• NATO:"))
    assert line == r"• NATO: \*\*Breaking\*\* \_**NATO**\_ says snake\_case \***NATO**\* stays"


def test_slack_mrkdwn_escapes_its_three_characters_then_bolds_the_terms() -> None:
    body = "A <@here> & NATO > all"
    start = body.index("NATO")
    alert = make_alert(1)
    alert = replace(
        alert, item=replace(alert.item, body=body), hits=(hit(body, start, start + 4, "NATO"),)
    )
    block = chat_payload("slack", [alert], digest=False)["blocks"][0]["text"]["text"]
    assert "• NATO: A &lt;@here&gt; &amp; *NATO* &gt; all" in block.splitlines()


@settings(max_examples=150, deadline=None)
@given(
    body=st.text(alphabet=st.characters(exclude_categories=()), max_size=200),
    quote=st.text(alphabet=st.characters(exclude_categories=()), max_size=40),
    language=st.one_of(st.none(), st.text(max_size=8)),
    spans=st.lists(st.tuples(st.integers(-3, 210), st.integers(-3, 210)), max_size=5),
)
def test_any_feed_text_renders_on_every_medium(
    body: str, quote: str, language: str | None, spans: list[tuple[int, int]]
) -> None:
    alert = make_alert(1)
    hits = tuple(
        Hit(field="body", start=s, end=e, text=body[max(s, 0) : max(e, 0)], topic="T")
        for s, e in spans
    )
    alert = replace(
        alert,
        item=replace(alert.item, body=body, language=language),
        speakers=(replace(alert.speakers[0], quote=quote),),
        hits=hits,
    )
    html = render_html(alert, "https://monitor.example.org")
    assert "<script" not in html.lower().replace("&lt;script", "")
    render_markdown(alert, public_url="https://monitor.example.org")
    chat_payload("slack", [alert], digest=False)
    assert "\x1b[31m" not in render_console(alert, color=True)
    render_text(alert)


def test_a_quote_standing_in_its_item_gets_the_hits_inside_it() -> None:
    body = "Peskov said: NATO must listen to Russia. NATO met."
    hits = [hit(body, 13, 17, "NATO"), hit(body, 41, 45, "NATO")]
    quote = "NATO must listen to Russia."
    assert spans_in_part(quote, body, "body", hits) == [(0, 4)]  # not the one after it
    assert spans_in_part(quote, body, "title", hits) == []  # hits of another field
    assert spans_in_part("reworded quote", body, "body", hits) == []
    assert spans_in_part("", body, "body", hits) == []
