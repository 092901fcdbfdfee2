"""IPTC 7901 and ANPA-1312 wire transmissions to WireItems.

Owns the framing of the teletype-era wire formats: SYN/SOH, the header lines
(service, number, priority, category, word count, keyword/slug), STX, the
story, ETX, the trailer (filing time: ``131137 GMT Nov 13`` in 7901,
``AP-WF-11-13-13 1509GMT`` in ANPA) and EOT. Inside the story: take lines
(``1ST LEAD``, ``UPDATE 2-``, ``1stLd-Writethru``, ``CORRECTED-``), the
headline block ending in ``=`` (7901) or ``^``-marked header lines with ``<``
line ends (ANPA), bylines, continuation and end markers, the dpa notebook
("not for publication") and the editors' sign-off initials. Updates of one
story share a story id made from agency, slug and day; so do the takes of one
story (``1st Add``), which stay one item each: they are not joined. An input
may hold several transmissions one after the other (a capture of a wire line):
each is an item. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.clean import clean_text, decode_bytes
from monitor.sources.context import SourceContext
from monitor.sources.dateline import canonical_name
from monitor.sources.takes import read_take, starts_with_kill, version_in
from monitor.sources.wirefmt import (
    MAX_INPUT,
    MAX_ITEMS,
    Story,
    agency_name,
    make_item,
    tidy,
)

SYN, SOH, STX, ETX, EOT = "\x16", "\x01", "\x02", "\x03", "\x04"
_SNIFF = 2048
_HEADER_MAX = 4000  # an STX further than this from SOH is no header


def looks_like_iptc7901(data: bytes) -> bool:
    """SOH (after optional SYNs) opening a header, and an STX soon after it."""
    head = data[:_SNIFF].lstrip(b"\x16\r\n\t ")
    return head.startswith(b"\x01") and b"\x02" in head


def looks_like_anpa(data: bytes) -> bool:
    """An IPTC 7901 frame with the ANPA-1312 header: ``SYN SYN SOH``, a unit
    separator after the message number, or ``p c<DC3>`` priority/category/format."""
    if not looks_like_iptc7901(data):
        return False
    head = data[:_SNIFF]
    header = head[: head.find(b"\x02")]
    return (
        head.startswith(b"\x16\x16\x01")
        or b"\x1f" in header
        or bool(re.search(rb"(?:^|\n)[a-z] [a-z][\x11-\x14]", header))
    )


@dataclass
class _Frame:
    header: str
    body: str
    trailer: str
    anpa: bool


def parse_iptc7901(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """The story of every IPTC 7901 or ANPA-1312 transmission in ``data``, in
    order; ParseError when there is none."""
    if len(data) > MAX_INPUT:
        raise ParseError(f"{ctx.source}: wire input is larger than {MAX_INPUT} bytes")
    anpa = looks_like_anpa(data)
    fmt = "anpa" if anpa else "iptc7901"
    frames = _frames(decode_bytes(data), ctx, anpa=anpa)
    items: list[WireItem] = []
    for number, frame in enumerate(frames, 1):
        story = _read_anpa(frame, ctx) if anpa else _read_7901(frame, ctx)
        item = make_item(story, ctx, fmt)
        if item is not None:
            items.append(item)
        elif len(frames) > 1:
            ctx.warnings.append(f"{ctx.source}: transmission {number} has no headline or text")
    if not items:
        raise ParseError(f"{ctx.source}: wire transmission without headline or text")
    return items


def _frames(text: str, ctx: SourceContext, *, anpa: bool) -> list[_Frame]:
    """Every transmission: SOH header STX story ETX trailer EOT, until the next SOH.

    A transmission cut before its ETX ends where the next one starts (or at the
    end of the input); an SOH without an STX before the next SOH is debris, warned
    about and skipped (first or not); an input with no transmission at all is a
    ParseError.
    """
    start = text.find(SOH, 0, _SNIFF)
    if start < 0:
        raise ParseError(f"{ctx.source}: not an IPTC 7901/ANPA transmission (no SOH)")
    frames: list[_Frame] = []
    skipped = 0
    while start >= 0:
        if skipped > MAX_ITEMS:  # a run of stray SOHs costs little, and stops here
            ctx.warnings.append(
                f"{ctx.source}: more than {MAX_ITEMS} transmissions without STX; "
                "the rest of the input was not read"
            )
            break
        following = text.find(SOH, start + 1)
        bound = start + _HEADER_MAX if following < 0 else min(start + _HEADER_MAX, following)
        stx = text.find(STX, start, bound)
        if stx < 0:
            skipped += 1
            start = following
            continue
        following = text.find(SOH, stx)
        limit = following if following >= 0 else len(text)
        etx = text.find(ETX, stx, limit)
        end = etx if etx >= 0 else limit
        eot = text.find(EOT, end, limit)
        trailer = text[end + 1 : eot if eot >= 0 else limit] if etx >= 0 else ""
        header = text[start + 1 : stx]
        frames.append(
            _Frame(_lines_of(header), _lines_of(text[stx + 1 : end]), _lines_of(trailer), anpa)
        )
        if len(frames) == MAX_ITEMS and following >= 0:
            ctx.warnings.append(
                f"{ctx.source}: more than {MAX_ITEMS} transmissions; kept {MAX_ITEMS}"
            )
            break
        start = following
    if not frames:
        raise ParseError(f"{ctx.source}: not an IPTC 7901/ANPA transmission (no STX)")
    if skipped:
        ctx.warnings.append(f"{ctx.source}: skipped {skipped} transmission(s) without STX")
    return frames


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _lines_of(text: str) -> str:
    """Unified line ends; control characters (framing, DC codes) become spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text)


# ---------------------------------------------------------------------------
# IPTC 7901

# A line that is only a take/handling marker: "1ST LEAD", "UPDATE 2", "KORREKTUR".
_TAKE_LINE = re.compile(
    r"^\s*(?:\d{1,2}\s*(?:ST|ND|RD|TH|\.)\s*(?:LEAD|LD|NEUFASSUNG|ZUSAMMENFASSUNG)"
    r"|(?:FIRST|SECOND|THIRD|FOURTH|FIFTH)\s+LEAD|UPDATE\s*\d{1,3}|CORRECTION|CORRECTED|"
    r"KORREKTUR|BERICHTIGUNG|URGENT|EILT|FLASH|BULLETIN|REPEAT|WIEDERHOLUNG|"
    r"(?:MANDATORY\s+)?KILL|ELIMINATION|WITHDRAWN|ANNULLIERUNG|ADVISORY|"
    r"(?:\d{1,2}\s*(?:ST|ND|RD|TH)\s+)?WRITETHRU)\s*[=<]?\s*$",
)
_BYLINE = re.compile(r"^\s*(?:By|BY|Von|VON|Par|PAR|From|Por)\s+\S")
_HEADLINE_BLOCK = 8  # the headline block ends with "=" within this many lines
_NOTEBOOK = re.compile(
    r"^\s*(?:#+\s*(?:dpa[- ]?)?(?:notebook|notizblock)\b|"
    r".*\bnot (?:intended )?for publication\b|.*\bnicht zur veröffentlichung\b)",
    re.IGNORECASE,
)
# "dpa wsz jln npr", "hh/ph/ts/hd": the desk's initials closing a story.
_SIGN_OFF = re.compile(r"^(?:[a-z]{2,5}\s+)?(?:[a-z]{1,4}[ /]+){1,7}[a-z]{1,4}$")
# "131137 GMT Nov 13": day, hour, minute, month, two-digit year.
_TRAILER_7901 = re.compile(
    r"\b(\d{2})(\d{2})(\d{2})\s*(?:GMT|UTC|MEZ|MESZ)?\s+([A-Za-zÄäÖöÜü]{3,9})\.?\s+(\d{2,4})\b"
)
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "mär": 3, "mrz": 3, "apr": 4, "may": 5, "mai": 5,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12,
    "dez": 12,
}  # fmt: skip


def _read_7901(frame: _Frame, ctx: SourceContext) -> Story:
    header_lines = [ln.strip() for ln in frame.header.split("\n") if ln.strip()]
    service = header_lines[0] if header_lines else ""
    slug = " ".join(header_lines[1:]) or None
    lines = frame.body.split("\n")
    version, correction, kill = 1, False, False
    # Take markers above the headline.
    while lines and (not lines[0].strip() or _TAKE_LINE.match(lines[0])):
        marker = lines.pop(0).strip()
        if marker:
            take = read_take(marker + "-")
            version = max(version, take.version, version_in(marker))
            correction = correction or take.correction
            kill = kill or starts_with_kill(marker)
    head, rest = _headline_block(lines)
    title_lines = [ln for ln in head if not _BYLINE.match(ln)]
    title = " ".join(" ".join(title_lines).split())
    take = read_take(title)
    version = max(version, take.version)
    body = _body_7901(rest)
    published = _trailer_date_7901(frame.trailer, ctx.fetched_at.date())
    agency = agency_name(_agency_token(service), _agency_token(frame.trailer))
    return Story(
        title=title,
        body=body,
        version=version,
        published=published,
        agency=agency,
        kill=kill or starts_with_kill(title),
        slug=slug or read_take(title).text,
    )


def _headline_block(lines: list[str]) -> tuple[list[str], list[str]]:
    """(headline and byline lines, the rest). The block ends at the first line
    ending in ``=``; without one, the headline is the first non-empty line."""
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    for position in content[:_HEADLINE_BLOCK]:
        if lines[position].rstrip().endswith("="):
            head = [_unterminate(ln) for ln in lines[: position + 1] if ln.strip()]
            return head, lines[position + 1 :]
    if not content:
        return [], []
    first = content[0]
    return [_unterminate(lines[first])], lines[first + 1 :]


def _unterminate(line: str) -> str:
    return re.sub(r"\s*[=<]+\s*$", "", line).strip()


def _body_7901(lines: list[str]) -> str:
    kept: list[str] = []
    for line in lines:
        if _NOTEBOOK.match(line):
            break
        kept.append(_unterminate(line) if line.rstrip().endswith(("=", "<")) else line)
    paragraphs = _paragraphs(kept)
    while paragraphs and len(paragraphs[-1]) < 40 and _SIGN_OFF.match(paragraphs[-1]):
        paragraphs.pop()
    return tidy("\n\n".join(paragraphs))


def _paragraphs(lines: list[str]) -> list[str]:
    """Hard-wrapped lines joined; a blank line or an indented line starts a paragraph."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line.strip() or (line[:1] in (" ", "\t") and current):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            if not line.strip():
                continue
        current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    return [" ".join(p.split()) for p in paragraphs if p.strip()]


def _trailer_date_7901(trailer: str, reference: date) -> datetime | None:
    match = _TRAILER_7901.search(trailer[:500])
    if match is None:
        return None
    day, hour, minute, month_name, year = match.groups()
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    full_year = int(year) if len(year) == 4 else 2000 + int(year)
    if full_year > reference.year + 1:
        full_year -= 100
    try:
        return datetime(full_year, month, int(day), int(hour), int(minute), tzinfo=UTC)
    except ValueError:
        return None


def _agency_token(text: str) -> str | None:
    """The agency named by a word of a header/trailer (``... dpa 061`` -> dpa)."""
    for word in re.findall(r"[A-Za-z][A-Za-z.-]{1,15}", text[:300]):
        known = canonical_name(word)
        if known is not None and known[1] == "agency":
            return known[0]
    return None


# ---------------------------------------------------------------------------
# ANPA-1312

# "f l<DC3><DC1> BC-LT--Argentina-CancerB     11-13 1049": priority, category,
# format codes, keyword (slug and take), filing month-day, word count.
_ANPA_HEADER = re.compile(
    r"^\s*([a-z])\s+([a-z])\s*(.*?)\s+(\d{2})-(\d{2})\s+(\d{1,5})\s*$", re.IGNORECASE
)
# "^BC-BKN--Heat-Hawks, 1st Ld-Writethru,416": the keyword line, word count last.
_ANPA_KEYWORD = re.compile(r"^(?:[A-Z]{1,3}-)+[A-Za-z0-9].*?(?:,\s*\d{1,5})?$")
_ANPA_META = re.compile(
    r"^(?:AP Photos?|Photos?|Eds?:|Editors?:|Editor's Note|By\s|BY\s|Associated Press$|"
    r"AP\s+[A-Z][\w ]*Writer$|With AP Photos?|Note:|Graphic|Video|Audio|Embargoed)",
)
# "AP-WF-11-13-13 1509GMT": agency, wire, month-day-year, time.
_ANPA_TRAILER = re.compile(
    r"\b([A-Z]{2,6})-[A-Z]{1,4}-(\d{2})-(\d{2})-(\d{2})\s+(\d{2})(\d{2})\s*(?:GMT|UTC|Z)\b"
)


def _read_anpa(frame: _Frame, ctx: SourceContext) -> Story:
    header_lines = [ln for ln in frame.header.split("\n") if ln.strip()]
    slug = ""
    header_date: tuple[int, int] | None = None
    for line in header_lines[1:]:
        match = _ANPA_HEADER.match(line)
        if match is not None:
            slug = " ".join(match.group(3).split())
            header_date = (int(match.group(4)), int(match.group(5)))
            break
    lines = [_anpa_line(ln) for ln in frame.body.split("\n")]
    keyword = ""
    title = ""
    paragraphs: list[str] = []
    first_mark = True
    for line in lines:
        if not line.strip():
            continue
        if line.startswith("^"):
            text = line[1:].strip()
            is_first, first_mark = first_mark, False
            if is_first and _ANPA_KEYWORD.match(text):
                keyword = re.sub(r",\s*\d{1,5}$", "", text)
            elif not title:
                title = text
            elif not _ANPA_META.match(text):
                paragraphs.append(text)
            continue
        if line[:1] in (" ", "\t") or not paragraphs:
            paragraphs.append(line.strip())
        else:
            paragraphs[-1] = f"{paragraphs[-1]} {line.strip()}"
    if not title and paragraphs:
        title = paragraphs.pop(0)
    story_slug = keyword or slug
    version = max(version_in(story_slug), version_in(slug), read_take(title).version)
    slug_base = re.split(r",|\s+\d{1,2}(?:st|nd|rd|th)\s*Ld", story_slug, maxsplit=1)[0]
    slug_base = re.split(r"\s+(?:\d{1,2}(?:st|nd|rd|th)|Writethru|Correction)", slug_base)[0]
    trailer = _ANPA_TRAILER.search(frame.trailer[:500])
    published = _anpa_date(trailer, header_date, ctx.fetched_at.date())
    agency = agency_name(trailer.group(1) if trailer else None)
    body = tidy("\n\n".join(_ap_typography(p) for p in paragraphs))
    kill = starts_with_kill(title) or bool(_SLUG_KILL.search(story_slug))
    return Story(
        title=_ap_typography(title),
        body=body,
        version=version,
        published=published,
        agency=agency,
        kill=kill,
        slug=slug_base.strip() or None,
    )


_SLUG_KILL = re.compile(r"\b(?:Kill|KILL|Elimination|ELIMINATION|Withdrawn|WITHDRAWN)\b")


def _anpa_line(line: str) -> str:
    # "<" ends a header line, "=" a tabular one; neither is text.
    return re.sub(r"\s*[<=]+\s*$", "", line.rstrip())


def _ap_typography(text: str) -> str:
    """ANPA's 7-bit stand-ins: ``quotes'' and `` _ `` for a dash."""
    text = text.replace("``", "\u201c").replace("''", "\u201d").replace("`", "\u2018")
    return clean_text(re.sub(r"(?<=\s)_(?=\s)", "\u2014", text))


def _anpa_date(
    trailer: re.Match[str] | None, header_date: tuple[int, int] | None, reference: date
) -> datetime | None:
    if trailer is not None:
        month, day, year, hour, minute = (int(g) for g in trailer.groups()[1:])
        try:
            return datetime(2000 + year, month, day, hour, minute, tzinfo=UTC)
        except ValueError:
            pass
    if header_date is not None:
        month, day = header_date
        try:
            found = date(reference.year, month, day)
            if (found - reference).days > 2:
                found = date(reference.year - 1, month, day)
            return datetime(found.year, found.month, found.day, tzinfo=UTC)
        except ValueError:
            return None
    return None
