"""Takes, versions and kills: what the markers on a headline, slug or note say.

Owns the agency conventions for a story filed more than once: ``UPDATE 2-``,
``CORRECTED-``, ``REFILE-``, ``1stLd-Writethru``, ``1ST LEAD``, ``URGENT -``,
editorial notes such as ``(Updates with Kremlin comment)``, and kill or
withdrawal notices (``KILL``, ``WITHDRAWN``, ``ELIMINATE``, ``Kill this story``,
``stat:withheld``). Used by every parser, so that an update of a story in a
feed, a plain-text wire or an agency format keeps one story id (see
``identity.title_story_id``) while its title stays as carried. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.sources.clean import cap
from monitor.sources.furniture import drop_furniture

_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_SEP = r"\s*[-:–—]\s*"
# Markers at the start of a headline or slug, as the agencies file them.
_TAKE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^\s*(?:UPDATE|UPDT|UPD)\s*(\d{{1,3}}){_SEP}", re.I), "update"),
    (re.compile(r"^\s*(\d{1,2})(?:st|nd|rd|th)\s*Ld\s*-?\s*Writethru\b[\s,:-]*", re.I), "lead"),
    # Upper case only: "3 lead climbers die" is news, "1ST LEAD" a take.
    (
        re.compile(r"^\s*(\d{1,2})(?:ST|ND|RD|TH|st|nd|rd|th|\.)\s*(?:LEAD|LD|NEUFASSUNG)\b[\s,:-]*"),
        "lead",
    ),
    (re.compile(r"^\s*(FIRST|SECOND|THIRD|FOURTH|FIFTH|SIXTH)\s+LEAD\b[\s,:-]*"), "lead"),
    (re.compile(rf"^\s*(?:CORRECTED|CORRECTION|CORRECTS?|KORREKTUR){_SEP}", re.I), "fix"),
    (
        re.compile(rf"^\s*(?:REFILE|RPT|REPEAT|RECASTS?|WRITETHRU|WRITETHROUGH){_SEP}", re.I),
        "fix",
    ),
    # Upper case only: "Urgent: ..." may be the story's own word.
    (re.compile(rf"^\s*(?:URGENT|FLASH|BULLETIN|BREAKING|EILT|ALERT){_SEP}"), "flash"),
    (re.compile(r"^\s*URGENT\s+(?=\S)"), "flash"),
    (
        re.compile(
            rf"^\s*(?:MANDATORY\s+)?(?:KILL|KILLED|ELIMINATE|ELIMINATION|WITHDRAWN|WITHDRAWAL|"
            rf"STORY\s+KILLED|ANNULLIERUNG|ANNULATION){_SEP}"
        ),
        "kill",
    ),
)  # fmt: skip
# "(Updates with Kremlin comment)", "(Adds details, paragraphs 4-6)": the note an
# agency puts before or after the headline of a new version of a story.
_NOTE_WORDS = (
    r"updates?|adds?|recasts?|rewrites?|writes\s+through|changes?|moves?|refiles?|"
    r"repeats?|removes?|inserts?|corrects?|fixes|clarifies|expands?|tops?|"
    r"aktualisiert|ergänzt|korrigiert|complète|actualise|corrige"
)
_NOTE = re.compile(rf"\(\s*(?P<word>{_NOTE_WORDS})\b[^()\n]{{0,300}}\)", re.I)
_LEADING_NOTE = re.compile(rf"^\s*{_NOTE.pattern}\s*", re.I)
_TRAILING_NOTE = re.compile(rf"\s*{_NOTE.pattern}\s*$", re.I)
_CORRECTION_WORD = re.compile(r"^(?:corrects?|fixes|korrigiert|corrige)$", re.I)

_TAKE_ANYWHERE = re.compile(
    r"(?:\b(\d{1,2})(?:st|nd|rd|th)\s*Ld\s*-?\s*Writethru\b|\bUPDATE\s*(\d{1,3})\b"
    r"|\b(\d{1,2})(?:ST|ND|RD|TH)\s+LEAD\b)",
    re.I,
)
_KILL = re.compile(
    r"\b(?:KILL|KILLED|KILLS|ELIMINATION|ELIMINATE|WITHDRAWN|WITHDRAW|WITHDRAWAL|"
    r"DISREGARD|ANNULLIERUNG|ANNULATION)\b",
    re.I,
)
_KILL_STATUS = frozenset({"withheld", "canceled", "cancelled", "killed", "kill", "deleted"})
_HEADLINE_KILL = re.compile(
    r"^\s*(?:MANDATORY\s+)?(?:KILL|KILLED|ELIMINATE|ELIMINATION|WITHDRAWN|WITHDRAWAL|"
    r"STORY\s+KILLED|ADVISORY\s*[-:]\s*KILL|ANNULLIERUNG|ANNULATION)\b"
)
# "Kill this story", "Editors: please withdraw this story": an instruction, any case.
_KILL_INSTRUCTION = re.compile(
    r"^\W{0,3}(?:(?:editors?|note to editors|attention editors)\s*[:-]?\s*)?(?:please\s+)?"
    r"(?:kill|withdraw|eliminate|disregard)\s+(?:this|the|that)\s+"
    r"(?:story|item|report|dispatch|article)\b",
    re.I,
)


@dataclass(frozen=True)
class Take:
    """What the markers at the head of a headline or slug say."""

    text: str  # the headline/slug without its markers
    version: int  # 1 for a first filing
    correction: bool = False
    kill: bool = False


def read_take(text: str) -> Take:
    """Peel ``UPDATE 2-``, ``CORRECTED-``, ``1stLd-Writethru``, ``KILL -``,
    ``(Updates with ...)`` ... off ``text``."""
    version = 1
    correction = kill = False
    rest = text
    for _ in range(6):  # "KILL - CORRECTED-UPDATE 2-..." stacks markers
        for pattern, kind in _TAKE_PATTERNS:
            match = pattern.match(rest)
            if match is None:
                continue
            if kind == "update":
                version = max(version, int(match.group(1)) + 1)
            elif kind == "lead":
                raw = match.group(1).lower()
                number = _ORDINAL.get(raw) or int(raw)
                version = max(version, number + 1)
            elif kind == "fix":
                correction = True
            elif kind == "kill":
                kill = True
            rest = rest[match.end() :]
            break
        else:
            note = _LEADING_NOTE.match(rest) or _TRAILING_NOTE.search(rest)
            if note is None or not rest.replace(note.group(0), "").strip():
                break
            version = max(version, 2)
            correction = correction or bool(_CORRECTION_WORD.match(note.group("word")))
            rest = rest.replace(note.group(0), " ", 1).strip()
    kill = kill or bool(_KILL_INSTRUCTION.match(text))
    return Take(rest.strip() or text.strip(), version, correction, kill)


def editorial_note(paragraph: str) -> Take | None:
    """The take a paragraph that is only an editorial note stands for, else None:
    ``(Updates with Kremlin comment)`` is a second version, ``(Corrects ...)`` a fix."""
    match = _NOTE.fullmatch(paragraph.strip())
    if match is None:
        return None
    correction = bool(_CORRECTION_WORD.match(match.group("word")))
    return Take("", 2, correction)


def version_in(text: str) -> int:
    """The take number named anywhere in a slug line (``... 1stLd-Writethru``)."""
    best = 1
    for match in _TAKE_ANYWHERE.finditer(text[:500]):
        number = next((int(g) for g in match.groups() if g), 0)
        best = max(best, number + 1)  # UPDATE 1 and 1st lead are the second version
    return best


def starts_with_kill(headline: str) -> bool:
    """A headline that *is* a kill notice (``KILL - KILL - KILL``, ``WITHDRAWN-...``,
    ``Kill this story``); the markers in upper case only, so "Police kill ..." stays news."""
    return bool(_HEADLINE_KILL.match(headline) or _KILL_INSTRUCTION.match(headline))


def is_kill_instruction(text: str) -> bool:
    """A paragraph telling editors to kill or withdraw the story (``Kill this story.``)."""
    return bool(_KILL_INSTRUCTION.match(text[:300]))


def is_kill_status(value: str | None) -> bool:
    """``stat:withheld``, ``canceled`` ... : the item must not be used."""
    if not value:
        return False
    return value.rpartition(":")[2].strip().lower() in _KILL_STATUS


def says_kill(text: str) -> bool:
    """A headline or editor's note announcing a kill/withdrawal."""
    return bool(_KILL.search(text[:300]))


@dataclass(frozen=True)
class StoryText:
    """A story's body as it gets matched, and what its headline and first
    paragraph say about the take (version, kill)."""

    body: str
    version: int
    kill: bool
    headline: str  # the headline without UPDATE/CORRECTED/KILL markers


def tidy_story(title: str, paragraphs: list[str], body_max: int) -> StoryText:
    """The body every parser matches: a headline repeated as the first line dropped
    once, wire and site furniture dropped, an editorial note above the text
    ("(Updates with Kremlin comment)") removed, capped at ``body_max``."""
    paragraphs = list(paragraphs)
    if paragraphs and title:
        first, _, rest = paragraphs[0].partition("\n")
        if _same(first, title):
            paragraphs[0] = rest
    paragraphs = drop_furniture(paragraphs)
    take = read_take(title)
    note = editorial_note(paragraphs[0]) if paragraphs else None
    if note is not None:
        paragraphs.pop(0)
    body = cap("\n\n".join(paragraphs), body_max)
    kill = take.kill or starts_with_kill(title) or is_kill_instruction(body)
    return StoryText(body, max(take.version, note.version if note else 1), kill, take.text)


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
