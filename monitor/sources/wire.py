"""Plain-text wire stories (SPEC section 4): headline line, then the body.

Owns the text-story conventions: repeated headline, continuation/end markers
(``(تستمر)``, ``(more)``, ``-more-``, ``(Продолжение следует)``), trailing
site boilerplate, and the dateline (place, date, agency, publisher).

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
from monitor.sources.identity import content_hash
from monitor.text.language import detect_language, hint_fits

# A paragraph that is only one of these is a wire marker, not text.
_MARKER = re.compile(
    r"^\s*(?:"
    r"\(\s*(?:تستمر|يتبع|مزيد|انتهى|النهاية|more|end|ends|continued|"
    r"продолжение следует|далее|конец|продовження буде|далі|"
    r"à suivre|a suivre|suite|fin|fortsetzung folgt|weiter|ende)\s*\)"
    r"|-+\s*(?:more|end|30)\s*-+|(?:more|MORE|ENDS|END)|#{3,}|\*{3,}|-30-"
    r")\s*$",
    re.IGNORECASE,
)
# Site furniture that follows the story text on web copies of wires.
_BOILERPLATE = re.compile(
    r"^\s*(?:"
    r"أفكارك وتعليقاتك|شارك(?:وا)?(?: هذا| الخبر| المقال)?|اقرأ أيضا[ًً]?.*|تابعونا.*|"
    r"read more\b.*|share (?:this|on)\b.*|share\s*$|follow us\b.*|subscribe\b.*|"
    r"related:?.*|click here\b.*|"
    r"поделиться.*|читайте также.*|подписывайтесь.*|читайте нас.*|"
    r"читайте також.*|поділитися.*|"
    r"lire aussi.*|partager.*|lesen sie auch.*|teilen\s*$"
    r")\s*$",
    re.IGNORECASE,
)
_BOILERPLATE_MAX = 120
_HAS_WORD = re.compile(r"[^\W_]")


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
    if paragraphs:
        # Some CMS exports repeat the headline as the first body line: drop it once.
        first, _, rest = paragraphs[0].partition("\n")
        if _same(first, title):
            paragraphs[0] = rest
    paragraphs = [p for p in paragraphs if not _MARKER.match(p) and _HAS_WORD.search(p)]
    while (
        paragraphs
        and len(paragraphs[-1]) <= _BOILERPLATE_MAX
        and _BOILERPLATE.match(paragraphs[-1])
    ):
        paragraphs.pop()
    body = cap("\n\n".join(paragraphs), BODY_MAX)
    dateline = find_dateline(body, ctx.fetched_at.date()) if body else None
    item_id = content_hash(title, body)
    sample = f"{title}\n{body[:2000]}"
    hint = ctx.language if ctx.language and hint_fits(ctx.language, sample) else None
    language = detect_language(sample, hint)
    return [
        WireItem(
            id=item_id,
            title=title,
            body=body,
            source=ctx.source,
            url=None,
            language=language,
            published=dateline.published if dateline else None,
            agency=dateline.agency if dateline else None,
            publisher=dateline.publisher if dateline else None,
            place=dateline.place if dateline else None,
            story_id=item_id,
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
    # A marker line glued to a paragraph ("... text.\n(more)") is still a marker.
    split: list[str] = []
    for paragraph in paragraphs:
        kept = [ln for ln in paragraph.split("\n") if not _MARKER.match(ln)]
        if kept:
            split.append("\n".join(kept))
    return split


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
