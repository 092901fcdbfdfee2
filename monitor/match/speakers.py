"""Speaker roles: is a speaker *quoted* (their words reported) or only *mentioned*?

Pure, no I/O. Works on one occurrence of an alias (a token span of a field's
token list) and looks at its neighbourhood in the same sentence:

- ``Name: ...`` (a headline or a line opening with the name and a colon);
- the name as the subject of a verb of saying: the verb within three tokens after
  the name (``Peskov told``, ``Захарова заявила``, ``Peskow sagte``), or before it
  when the verb opens the clause (Arabic VSO ``وقال بيسكوف``, ``"…," said Peskov``);
  an attribution like ``according to`` / ``по словам`` / ``selon`` / ``laut`` /
  ``بحسب`` up to three tokens before the name, or ``zufolge`` right after it.

"Zelensky said Putin had no right" quotes Zelensky, not Putin: ``said`` is not
at the start of a clause, so it belongs to the name before it.
The quote is the text after the colon, else the sentence carrying the attribution,
in the original script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.match.compile import text_keys
from monitor.model import Role
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import Token

__all__ = ["classify_speaker"]


def _norms(words: str) -> frozenset[str]:
    return frozenset(normalize_token(word) for word in words.split())


# Verbs of saying (normalised forms). Arabic forms are compared after their
# clitics are stripped, so وقال / فأكدت reach قال / اكدت.
_VERBS = _norms(
    # en
    "said says say told tells added adds stated states declared announced insisted stressed "
    "noted warned explained argued claimed commented remarked replied asserted confirmed "
    # ru
    "заявил заявила заявили заявив заявляет сказал сказала сказали сказав говорит сообщил "
    "сообщила сообщили отметил отметила подчеркнул подчеркнула добавил добавила указал "
    "указала пояснил пояснила заметил заметила считает уверен уверена "
    # uk
    "заявив заявила заявили сказав повідомив повідомила зазначив зазначила наголосив "
    "наголосила додав додала підкреслив підкреслила каже "
    # ar
    "قال قالت يقول تقول أكد أكدت يؤكد أوضح أوضحت أشار أشارت صرح صرحت أعلن أعلنت أضاف أضافت "
    "ذكر ذكرت شدد شددت لفت لفتت اعتبر اعتبرت رأى نفى نفت "
    # fr
    "déclaré dit affirmé estimé souligné ajouté indiqué expliqué assuré précisé répondu "
    "déclare affirme estime souligne "
    # de
    "sagte sagt sagten erklärte erklärt betonte betont meinte warnte fügte teilte kritisierte"
)
# Attributions that govern the name after them (up to three tokens later).
_BEFORE = _norms("selon laut بحسب حسب وفق وفقا")
_BEFORE_PAIRS = frozenset(
    tuple(normalize_token(word) for word in pair.split())
    for pair in ("according to", "по словам", "за словами", "نقلا عن", "نقلت عن", "d après")
)
_AFTER = _norms("zufolge")
_QUOTE_CHARS = "\"“”«»„'’‘"
_CLOSING = {"“": "”", "«": "»", "„": "“", "‘": "’"}
_CLAUSE_GAP = re.compile(r"[,،:\"“”«»„\-–—(]")


def _is_verb(token: Token) -> bool:
    if token.norm in _VERBS:
        return True
    # Arabic clitics: وقال -> قال, فأكدت -> اكدت
    return any(key[3:] in _VERBS for key in text_keys(token.norm) if key.startswith("ar:"))


def _opens_clause(text: str, tokens: Sequence[Token], index: int) -> bool:
    """Whether ``tokens[index]`` starts a clause: first of its sentence, or after
    a comma, colon, quotation mark or dash."""
    if index == 0 or tokens[index - 1].sentence != tokens[index].sentence:
        return True
    gap = text[tokens[index - 1].end : tokens[index].start]
    return bool(_CLAUSE_GAP.search(gap))


def _sentence_text(text: str, tokens: Sequence[Token], index: int) -> str:
    sentence = tokens[index].sentence
    first = index
    while first > 0 and tokens[first - 1].sentence == sentence:
        first -= 1
    last = index
    while last + 1 < len(tokens) and tokens[last + 1].sentence == sentence:
        last += 1
    start, end = tokens[first].start, tokens[last].end
    while start > 0 and text[start - 1] in _QUOTE_CHARS:
        start -= 1
    limit = min(len(text), end + 3)
    while end < limit and not text[end].isspace() and not text[end].isalnum():
        end += 1
    return " ".join(text[start:end].split())


def _after_colon(text: str, tokens: Sequence[Token], last: int) -> str | None:
    """``Name: words`` -> ``words`` (to the end of the line, or the quoted part)."""
    colon = text.find(":", tokens[last].end)
    if colon < 0 or text[tokens[last].end : colon].strip():
        return None
    line_end = text.find("\n", colon)
    rest = text[colon + 1 : line_end if line_end >= 0 else len(text)].strip()
    if rest[:1] in _QUOTE_CHARS:
        close = _CLOSING.get(rest[0], rest[0])
        end = rest.find(close, 1)
        if end > 1:
            rest = rest[1:end]
    quote = " ".join(rest.split()).strip(_QUOTE_CHARS + " ")
    return quote or None


def _quoted_after_colon(text: str, tokens: Sequence[Token], last: int) -> bool:
    """``Name: "words"`` anywhere in a line: the colon is followed by a quotation mark."""
    colon = text.find(":", tokens[last].end)
    if colon < 0 or text[tokens[last].end : colon].strip():
        return False
    return text[colon + 1 :].lstrip()[:1] in _QUOTE_CHARS


def _is_arabic(token: Token) -> bool:
    return "\u0600" <= token.norm[:1] <= "\u06ff"


def classify_speaker(
    text: str, tokens: Sequence[Token], first: int, last: int
) -> tuple[Role, str | None]:
    """The role of the alias at ``tokens[first..last]`` and, when quoted, the quote."""
    sentence = tokens[first].sentence
    # Name: words -- the name opens its line (a few tokens, e.g. a title, may come
    # first: "Kremlin spokesman Peskov: ..."), or the colon opens a quotation.
    line_start = text.rfind("\n", 0, tokens[first].start) + 1
    before_on_line = sum(1 for t in tokens[max(0, first - 4) : first] if t.start >= line_start)
    if before_on_line <= 3 or _quoted_after_colon(text, tokens, last):
        quote = _after_colon(text, tokens, last)
        if quote is not None:
            return "quoted", quote
    # Subject followed by a verb of saying: "Peskov told", or after an apposition
    # set off by commas: "Peskov, the Kremlin spokesman, said".
    apposition = last + 1 < len(tokens) and "," in text[tokens[last].end : tokens[last + 1].start]
    reach = 10 if apposition else 3
    for index in range(last + 1, min(len(tokens), last + 1 + reach)):
        if tokens[index].sentence != sentence:
            break
        if index == last + 1 and tokens[index].norm in _AFTER:
            return "quoted", _sentence_text(text, tokens, first)
        if _is_verb(tokens[index]) and (
            index <= last + 3
            or _CLAUSE_GAP.search(text[tokens[index - 1].end : tokens[index].start])
        ):
            return "quoted", _sentence_text(text, tokens, first)
    # A verb or attribution before the name.
    for index in range(first - 1, max(-1, first - 9), -1):
        token = tokens[index]
        if token.sentence != sentence:
            break
        distance = first - index
        pair = (token.norm, tokens[index + 1].norm)
        if (token.norm in _BEFORE or pair in _BEFORE_PAIRS) and distance <= 4:
            return "quoted", _sentence_text(text, tokens, first)
        if _is_verb(token):
            # Arabic VSO allows an apposition between verb and name
            # (أكد المتحدث الرسمي ...، دميتري بيسكوف); elsewhere the verb is adjacent.
            reach = 8 if _is_arabic(token) else 1
            if distance <= reach and _opens_clause(text, tokens, index):
                return "quoted", _sentence_text(text, tokens, first)
            break
    return "mentioned", None
