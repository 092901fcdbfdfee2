"""Matched terms marked in a text at their stored offsets, and feed text made inert.

Pure, no I/O. ``segments`` cuts a field's text into plain and marked pieces from the
hits' ``start``/``end`` (character offsets into that field, as the matcher stores
them); the template wraps the marked ones in ``<mark>`` and autoescapes every piece.
``visible`` shows bidi embeddings, overrides and isolates as text (``[U+202E]``)
instead of letting them reorder what follows: a hostile headline cannot disguise
itself, and offsets stay right because it is applied to each piece after the cut.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.model import Hit

__all__ = ["Segment", "excerpt", "segments", "visible"]

_BIDI_CONTROLS = {
    code: f"[U+{code:04X}]" for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}
# C0/C1 controls but tab and line breaks (the body keeps its lines): a visible stand-in
_CONTROLS = {code: "\ufffd" for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]}
_CONTROLS |= {code: "\ufffd" for code in range(0x7F, 0xA0)}
_SHOWN = str.maketrans(_BIDI_CONTROLS | _CONTROLS)


def visible(text: str | None) -> str:
    """``text`` with bidi controls written out and other control characters as U+FFFD."""
    return (text or "").translate(_SHOWN)


@dataclass(frozen=True)
class Segment:
    """A piece of a field: ``label`` (the topic or speaker) when it is marked."""

    text: str
    label: str | None = None
    anchor: str | None = None  # an id for links to this mark: "body-283"

    @property
    def marked(self) -> bool:
        return self.label is not None


def _label(hit: Hit) -> str:
    return hit.topic or hit.speaker or hit.text


def segments(text: str, hits: Iterable[Hit], field: str, *, anchors: bool = False) -> list[Segment]:
    """``text`` (the item's ``field``) cut at the hits on that field, in order. A hit
    whose offsets do not fit the text, or that overlaps one before it, is left out.
    ``anchors``: each mark gets an id, ``FIELD-START``, to link to."""
    spans = sorted(
        (hit.start, hit.end, _label(hit))
        for hit in hits
        if hit.field == field and 0 <= hit.start < hit.end <= len(text)
    )
    pieces: list[Segment] = []
    at = 0
    for start, end, label in spans:
        if start < at:
            continue  # overlaps the last mark (a speaker alias inside a topic term)
        if start > at:
            pieces.append(Segment(visible(text[at:start])))
        anchor = f"{field}-{start}" if anchors else None
        pieces.append(Segment(visible(text[start:end]), label, anchor))
        at = end
    if at < len(text):
        pieces.append(Segment(visible(text[at:])))
    return pieces


def excerpt(text: str, hits: Iterable[Hit], field: str, radius: int = 160) -> list[Segment]:
    """The text around the first hit on ``field`` (the start when none), cut as
    ``segments`` cuts the whole, with an ellipsis where it was shortened."""
    first = min((h.start for h in hits if h.field == field and h.end <= len(text)), default=0)
    start = max(0, first - radius)
    end = min(len(text), first + 2 * radius)
    inside = [
        Hit(h.field, h.start - start, h.end - start, h.text, h.topic, h.speaker)
        for h in hits
        if h.field == field and start <= h.start and h.end <= end
    ]
    pieces = segments(text[start:end], inside, field)
    if start > 0:
        pieces.insert(0, Segment("…"))
    if end < len(text):
        pieces.append(Segment("…"))
    return pieces
