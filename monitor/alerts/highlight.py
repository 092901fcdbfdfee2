"""Matched terms marked in their text: a text and hit spans -> segments to mark up.

Pure, and the one place that works out what is highlighted: the email (HTML), the chat
messages (Markdown, Slack mrkdwn) and the console (ANSI bold/colour) each take the
segments and mark up the ``marked`` ones their own way, escaping every segment first.
Spans are the hits' character offsets into the item's field (``Hit.start``/``end``);
overlapping and touching spans merge, and a span never splits a letter from its
combining marks (Arabic tashkeel, accents). Segments are one clean line each
(``oneline.flat``): no control or bidi-override character from a feed survives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.alerts.oneline import flat
from monitor.alerts.script import Direction, direction
from monitor.model import Hit

Span = tuple[int, int]

# characters of context either side of a passage's first and last highlighted term
PASSAGE_RADIUS = 70
# a passage grows to take in the next hit's context only up to this many characters
PASSAGE_MAX = 300
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Segment:
    """A piece of one line of text; ``marked`` when it is (part of) a matched term."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class Passage:
    """Highlighted context around one or more hits of one field."""

    field: str
    segments: tuple[Segment, ...]
    labels: tuple[str, ...]  # the topics and speakers whose hits it shows
    cut_before: bool  # the field goes on before it (shown as "…")
    cut_after: bool
    direction: Direction

    @property
    def text(self) -> str:
        """The passage as plain text, with its ellipses."""
        body = "".join(segment.text for segment in self.segments)
        return ("…" if self.cut_before else "") + body + ("…" if self.cut_after else "")


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def snap(text: str, start: int, end: int) -> Span:
    """``(start, end)`` inside ``text``, widened so no combining mark is cut off its letter."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    while 0 < start < len(text) and _is_mark(text[start]):
        start -= 1
    while end < len(text) and _is_mark(text[end]):
        end += 1
    return start, end


def merge(spans: Iterable[Span]) -> list[Span]:
    """Spans sorted, empty ones dropped, overlapping or touching ones joined."""
    merged: list[Span] = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def segments(text: str, spans: Iterable[Span]) -> list[Segment]:
    """``text`` cut at the (snapped, merged) ``spans``: raw pieces, ``marked`` inside them."""
    pieces: list[Segment] = []
    at = 0
    for start, end in merge(snap(text, start, end) for start, end in spans):
        if start > at:
            pieces.append(Segment(text[at:start]))
        pieces.append(Segment(text[start:end], marked=True))
        at = end
    if at < len(text):
        pieces.append(Segment(text[at:]))
    return pieces


def line_segments(text: str, spans: Iterable[Span]) -> tuple[Segment, ...]:
    """``segments`` made one clean line: whitespace collapsed across the cuts, the ends
    stripped, pieces left empty dropped."""
    out: list[Segment] = []
    for piece in segments(text, spans):
        clean = flat(piece.text)
        if out and out[-1].text.endswith(" ") and clean.startswith(" "):
            clean = clean[1:]
        if not out:
            clean = clean.lstrip(" ")
        if clean:
            out.append(Segment(clean, piece.marked))
    if out and out[-1].text.endswith(" "):
        last = out.pop()
        if last.text.rstrip(" "):
            out.append(Segment(last.text.rstrip(" "), last.marked))
    return tuple(out)


def valid_spans(text: str, hits: Iterable[Hit]) -> list[Span]:
    """The spans of ``hits`` that point at their own text in ``text`` (a hit whose
    offsets do not, say from another version of the item, is not highlighted)."""
    return [
        (hit.start, hit.end)
        for hit in hits
        if 0 <= hit.start < hit.end <= len(text) and text[hit.start : hit.end] == hit.text
    ]


def spans_in_part(part: str, text: str, field: str, hits: Iterable[Hit]) -> list[Span]:
    """The spans of ``hits`` (of ``field``, whose text is ``text``) inside ``part``, relative
    to it, when ``part`` stands verbatim in ``text`` (a speaker's quote is cut from its
    item); none when it does not."""
    at = text.find(part) if part else -1
    if at < 0:
        return []
    own = [
        hit for hit in hits if hit.field == field and at <= hit.start and hit.end <= at + len(part)
    ]
    return [(start - at, end - at) for start, end in valid_spans(text, own)]


def _widen(text: str, start: int, end: int, radius: int) -> Span:
    """A window of about ``radius`` characters either side, cut at spaces, not in words."""
    left = max(0, start - radius)
    if left > 0:
        space = _SPACE.search(text, left, start)
        left = space.end() if space else left
    right = min(len(text), end + radius)
    if right < len(text):
        spaces = [m.start() for m in _SPACE.finditer(text, end, right)]
        right = spaces[-1] if spaces else right
    return left, right


def passages(
    text: str,
    field: str,
    hits: Sequence[Hit],
    *,
    radius: int = PASSAGE_RADIUS,
    longest: int = PASSAGE_MAX,
) -> list[Passage]:
    """The passages of ``text`` (the item's ``field``) around ``hits`` of that field:
    context windows that overlap are one passage (up to ``longest`` characters; past
    that the next one starts where it ends), each with every term in it marked."""
    own = [hit for hit in hits if hit.field == field]
    spans = merge(snap(text, s, e) for s, e in valid_spans(text, own))
    windows: list[tuple[Span, list[Span]]] = []
    for span in spans:
        left, right = _widen(text, span[0], span[1], radius)
        if windows and left <= windows[-1][0][1]:
            (first, last), inside = windows[-1]
            if span[0] < last and max(right, last) - first > longest:
                # the hit is in this passage already: only finish its last word
                right = _widen(text, span[0], span[1], 0)[1]
            if max(right, last) - first <= longest or span[0] < last:
                windows[-1] = ((first, max(right, last)), [*inside, span])
                continue
            left = last
        windows.append(((left, right), [span]))
    way = direction(text)  # the field's own direction: a passage may open on a Latin name
    found: list[Passage] = []
    for (left, right), inside in windows:
        pieces = line_segments(text[left:right], [(s - left, e - left) for s, e in inside])
        labels = dict.fromkeys(
            flat(hit.topic or hit.speaker or hit.text).strip()
            for hit in own
            if left <= hit.start and hit.end <= right
        )
        found.append(
            Passage(
                field=field,
                segments=pieces,
                labels=tuple(labels),
                cut_before=left > 0,
                cut_after=right < len(text),
                direction=way,
            )
        )
    return found
