"""Wire and site furniture: text in a story that is not news and must not be matched.

Owns the one list of continuation/end markers (``(تستمر)``, ``(more)``,
``-more-``, ``(Продолжение следует)``, ``###``), of trailing site boilerplate
("Read more…", ``أفكارك وتعليقاتك``, share prompts, "Читайте также"), of
closing desk initials (``jca/bds``) and of the notices an agency puts on a third
party's text it relays (Ritzau's press-release disclaimer), used by every parser
(plain-text wires, agency formats, feeds). Pure: no I/O.
"""

from __future__ import annotations

import re

_MARKER_WORDS = (
    r"تستمر|يتبع|مزيد|انتهى|النهاية|"
    r"more|end|ends|continued|"
    r"продолжение следует|далее|конец|продовження буде|далі|кінець|"
    r"à suivre|a suivre|suite|fin|"
    r"fortsetzung folgt|weiter|ende|mehr|folgt"
)
# A line (or paragraph) that is only a marker.
_MARKER = re.compile(
    r"^\s*(?:"
    rf"\(\s*(?:{_MARKER_WORDS})\s*\)"
    r"|-+\s*(?:more|end|30|mehr)\s*-+|more|ends?|-30-|#{3,}|_{3,}|\*(?:\s*\*){2,}"
    r")\s*$",
    re.IGNORECASE,
)
# A marker glued to the end of the last sentence: "... من موقع القوة" (تستمر)".
# Bidi marks (RLM/LRM/ALM) often sit between the two in right-to-left copy.
_BIDI_MARKS = "\u200e\u200f\u061c"
_TRAILING_MARKER = re.compile(
    rf"[\s{_BIDI_MARKS}]*\(\s*(?:{_MARKER_WORDS})\s*\)[\s{_BIDI_MARKS}]*$",
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
# The notice an agency puts on a press release it relays for a third party:
# the same words on every release, so a watch on one of them ("ansvarlig",
# "Ritzau") would hit them all. Ritzau's is Danish, often between "**", and
# says the release above is passed on for a third party and that Ritzau is
# not responsible for its content. A whole line (or lines: the words may wrap)
# must be the notice, so a story quoting it keeps its text; it is dropped
# wherever it stands, not only at the end.
_RELAY_NOTICE = re.compile(
    r"^[ \t]*(?:\*+\s*)?"
    r"(?:ovenstående|ovennævnte|denne)\s+pressemeddelelse\s+(?:er|bliver)\s+"
    r"(?:videre)?(?:formidlet|sendt|udsendt|distribueret)\s+(?:af|via|gennem)\s+ritzau\s+"
    r"på\s+vegne\s+af\s+(?:en\s+)?tredje\s*part(?:en)?\s*[.,;]?"
    r"(?:\s*(?:og\s+)?ritzau\s+(?:er|kan)\s+(?:derfor\s+)?ikke\s+(?:være\s+)?ansvarlig\s+"
    r"for\s+(?:indholdet|dens\s+indhold)\s*\.?)?"
    r"\s*\**[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# "jca/bds", "hh/ph/ts/hd": desk initials closing an agency story.
_SIGN_OFF = re.compile(r"^[a-z]{1,5}(?:\s*/\s*[a-z]{1,5}){1,7}$")
_BOILERPLATE_MAX = 120
_HAS_WORD = re.compile(r"[^\W_]")


def is_marker(line: str) -> bool:
    """``line`` is nothing but a continuation or end marker."""
    return bool(_MARKER.match(line))


def drop_furniture(paragraphs: list[str]) -> list[str]:
    """``paragraphs`` without marker lines, markers ending a paragraph, relay
    notices, debris with no letter or digit, and the boilerplate or desk initials
    closing the story."""
    kept: list[str] = []
    for paragraph in paragraphs:
        if "itzau" in paragraph or "ITZAU" in paragraph:
            # Every notice names Ritzau: a substring test spares the regex, which
            # tries every line start, on the text of every other story.
            paragraph = _RELAY_NOTICE.sub("", paragraph)
        lines = [ln for ln in paragraph.split("\n") if ln.strip() and not _MARKER.match(ln)]
        text = "\n".join(lines)
        if _may_end_in_marker(text):
            text = _TRAILING_MARKER.sub("", text)
        text = text.rstrip()
        if _HAS_WORD.search(text):
            kept.append(text)
    while (
        kept
        and len(kept[-1]) <= _BOILERPLATE_MAX
        and (_BOILERPLATE.match(kept[-1]) or _SIGN_OFF.match(kept[-1].strip()))
    ):
        kept.pop()
    return kept


def _may_end_in_marker(text: str) -> bool:
    """Whether ``text`` ends in ")" once the spaces and bidi marks closing it are
    gone, as any text ``_TRAILING_MARKER`` matches does. The pattern, which is not
    anchored at its start, tries every position of the text; this looks at its end."""
    end = text.rstrip()  # the spaces of str.rstrip are those of \s
    while end and end[-1] in _BIDI_MARKS:
        end = end.rstrip(_BIDI_MARKS).rstrip()
    return end.endswith(")")


def strip_furniture(body: str) -> str:
    """``drop_furniture`` over a body whose paragraphs are separated by blank lines."""
    return "\n\n".join(drop_furniture(body.split("\n\n")))
