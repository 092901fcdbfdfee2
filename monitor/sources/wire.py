"""Plain-text wire stories (the README's Commands): headline line, then the body.

Owns the text-story conventions: the headline line, a headline repeated as
the first body line, IPTC 7901/ANPA envelopes around a plain story, and the
dateline (place, date, agency, publisher), the story id and version from the
headline's take markers, kill notices. Continuation/end markers and
trailing boilerplate go by the shared rules of ``furniture``.

The dateline is *kept* in the body: hits carry offsets into the body as the
item carries it, and a reader of an alert expects to see the story as filed.
Pure: bytes in, items out, no I/O.
"""

from __future__ import annotations

import re

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.clean import BODY_MAX, TITLE_MAX, cap, clean_text, decode_prefix, iso_utc
from monitor.sources.context import SourceContext
from monitor.sources.dateline import find_dateline
from monitor.sources.identity import content_hash, title_story_id
from monitor.sources.takes import tidy_story
from monitor.text.language import item_language


def parse_wire_text(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """One item from a plain-text story; ParseError naming the source if empty."""
    # Bound the work on huge inputs: the body is capped at BODY_MAX anyway.
    text = decode_prefix(data, BODY_MAX * 8)
    text = clean_text(_unwrap_transmission(text[: BODY_MAX * 2]))
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise ParseError(f"{ctx.source}: empty wire story (no headline)")
    title = cap(" ".join(lines[0].split()), TITLE_MAX)
    paragraphs = _paragraphs(lines[1:])
    story = tidy_story(title, paragraphs, BODY_MAX)
    body = story.body
    dateline = find_dateline(body, ctx.fetched_at.date()) if body else None
    item_id = content_hash(title, body)
    # The headline without UPDATE/CORRECTED/KILL markers names the story, within
    # the drop folder or feed it came from (a kill notice carries no dateline).
    story_id = title_story_id(ctx.feed_id, story.headline) or item_id
    language = item_language(title, body, ctx.language)
    return [
        WireItem(
            id=item_id,
            title=title,
            body=body,
            source=ctx.source,
            url=None,
            language=language,
            # No dated dateline: the fetch time, as for feeds (issue #4, "Dates").
            published=(dateline.published if dateline else None) or iso_utc(ctx.fetched_at),
            agency=dateline.agency if dateline else None,
            publisher=dateline.publisher if dateline else None,
            place=dateline.place if dateline else None,
            story_id=story_id,
            version=story.version,
            kind="kill" if story.kill else "news",
            feed_id=ctx.feed_id,
            tags=tuple(ctx.tags),
            fetched_at=iso_utc(ctx.fetched_at),
        )
    ]


def _unwrap_transmission(text: str) -> str:
    """The story inside an IPTC 7901 / ANPA envelope: after STX, before ETX.

    The header before STX (SOH, service ids, keywords) is routing, not news.
    """
    if not text.lstrip("\x16").startswith("\x01"):
        return text
    start = text.find("\x02", 0, 2000)
    if start < 0:
        return text
    end = text.find("\x03", start)
    story = text[start + 1 : end if end > 0 else len(text)].replace("\r\n", "\n")
    # IPTC 7901 ends the headline with " =" and ANPA lines with "<".
    return re.sub(r"[ \t]*[=<][ \t]*$", "", story, flags=re.MULTILINE)


def _paragraphs(lines: list[str]) -> list[str]:
    """Lines grouped at blank lines; lines inside a paragraph keep their breaks."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs
