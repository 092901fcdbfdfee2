"""Speaker roles: is a speaker *quoted* (their words reported) or only *mentioned*?

Pure, no I/O. Works on one occurrence of an alias (a token span of a field's
token list) and looks at its neighbourhood:

- ``Name: ...`` (a headline or a line opening with the name and a colon, or a
  colon followed by a quotation mark);
- the name as the subject of a verb of saying: the verb within three tokens after
  the name (``Peskov told``, ``Захарова заявила``, ``Peskow sagte``, ``Poutine a
  dit``), or further after an apposition set off by a comma; not when the name is
  possessive or in an oblique case (``Putin's spokesman said``, ``Офис
  Зеленского заявил``, ``Putins Sprecher sagte``) or governed by a preposition;
- a verb of saying before the name when the verb opens its clause (Arabic VSO
  ``وقال بيسكوف``, ``"…," said Peskov``, ``— заявил Песков``), or directly before
  it outside English (German V2 ``Am Montag sagte Peskow``, ``Об этом заявил
  Песков``); never across ``that``/``что``/``que``/``dass``/``أن``, so "Zelensky
  said Putin had no right" quotes Zelensky, not Putin;
- an attribution: ``according to`` / ``по словам`` / ``за словами`` / ``selon`` /
  ``d'après`` / ``laut`` / ``بحسب`` / ``نقلا عن`` up to four tokens before the name,
  ``zufolge`` right after it, ``عن NAME قوله`` (نقلت … عن … قوله), ``NAME as saying``;
- frames with slots, read over the token stream (the ``_*_frame`` functions):
  ATTRIBUTION [TITLE CHAIN] NAME with a chain of up to 14 words and commas
  (``по словам официального представителя МИД России Марии Захаровой``, ``بحسب
  المتحدث باسم الكرملين دميتري بيسكوف``, ``ووفقا للرئيس الأوكراني …``), not when a
  preposition in the chain governs the name (``according to a source close to
  Lavrov``, ``مستشار سابق لبوتين``) nor when the name is possessive; ``as … NAME put
  it``; NAME AUX … REPORTED (``was quoted by RIA as saying``, ``is reported to have
  said``, ``wurde … zitiert``); NAME soll … VERB (``Wolodin soll gesagt haben``);
  NAME [PREPOSITIONAL PHRASE] VERB (``Песков в интервью ТАСС отметил``); CITE
  [AGENCY] NAME and WORDS NAME with a verb of citing (``цитирует Захарову``,
  ``zitierte die Agentur Interfax Peskow``, ``Слова Пескова приводит``);
  NAME called OBJECT PREDICATE (``called the verdict illegitimate``) against a
  telephone call (``called Lavrov on Saturday``);
- a pronoun follow-up in one of the next three sentences (``He added``, ``добавил
  он``, ``a-t-il ajouté``, ``sagte er``, ``по его словам``, a sentence opening with
  ``وأضاف``) when this name is the speaker last named and no other speaker shares
  its sentence. That needs the other speakers' places (``others``); without them
  follow-ups are not attributed (it would be a guess).

The quote is the text after the colon, else the sentence carrying the
attribution (or the follow-up sentence), in the original script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from monitor.match.compile import text_keys
from monitor.model import Role
from monitor.text.morph import cyrillic_name_forms
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import Token, TokenView, tokenize

__all__ = ["classify_speaker", "held_formerly", "is_follow_up"]


def _norms(words: str) -> frozenset[str]:
    return frozenset(normalize_token(word) for word in words.split())


def _past(stems: str, endings: str) -> str:
    """Russian/Ukrainian past tense forms: ``заявил`` + ``а и`` -> заявил заявила заявили."""
    return " ".join(stem + ending for stem in stems.split() for ending in ("", *endings.split()))


# Verbs of saying (normalised forms), per language: English ones are kept apart
# because English puts a verb directly before an object name ("said Putin had").
_VERBS_EN = _norms(
    "said says say told tells added adds stated states declared announced insisted stressed "
    "noted warned explained argued claimed commented remarked replied asserted confirmed "
    "saying telling adding wrote writes tweeted posted urged acknowledged admitted reiterated "
    "emphasised emphasized underlined suggested promised vowed pledged threatened denied"
)
_VERBS_OTHER = _norms(
    # ru: past tense in all genders and numbers, present
    _past(
        "заявил сказал сообщил отметил подчеркнул добавил указал пояснил заметил признал "
        "предупредил напомнил констатировал ответил заверил написал прокомментировал уточнил "
        "объявил призвал назвал пригрозил пообещал отреагировал",
        "а и",
    )
    + " заявляет говорит считает уверен уверена уверены утверждает настаивает отмечает "
    "подчеркивает сообщает пишет полагает "
    # uk: past tense (-в, -ла, -ли), present
    + " "
    + _past(
        "заяви сказа повідоми зазначи наголоси дода підкресли поясни попереди написа "
        "прокоментува відповіла уточни нагада визна назва пригрози пообіця відреагува заклика",
        "в ла ли",
    )
    + " відповів каже вважає заявляє наголошує зазначає переконаний переконана "
    # ar: past and present, masculine and feminine (clitics are stripped first)
    "قال قالت يقول تقول أكد أكدت يؤكد تؤكد أوضح أوضحت أشار أشارت صرح صرحت أعلن أعلنت "
    "أضاف أضافت ذكر ذكرت شدد شددت لفت لفتت اعتبر اعتبرت رأى رأت نفى نفت تابع تابعت "
    "حذر حذرت أردف أردفت كتب كتبت دعا دعت يرى ترى هدد هددت وعد وعدت وصف وصفت "
    "أبلغ أبلغت أفاد أفادت "
    # fr: past participles (after a/ont) and present
    "déclaré dit affirmé estimé souligné ajouté indiqué expliqué assuré précisé répondu "
    "averti martelé insisté rappelé jugé prévenu annoncé confié écrit reconnu promis réagi "
    "lancé menacé dénoncé qualifié démenti "
    "déclare affirme estime souligne ajoute indique explique assure précise répond "
    "avertit insiste rappelle juge "
    # de
    "sagte sagt sagten gesagt erklärte erklärt erklärten betonte betont betonten meinte "
    "meint warnte warnt fügte teilte mitteilte kritisierte bekräftigte versicherte "
    "unterstrich schrieb antwortete behauptete räumte äußerte mahnte forderte sprach drohte "
    "versprach reagierte warf wirft nannte nennt bezeichnete bezeichnet kündigte wies"
)
_VERBS = _VERBS_EN | _VERBS_OTHER
# Auxiliaries between a name and its participle (Poutine a dit, Blinken hat gesagt,
# Peskov has said) or before an inverted one (a déclaré Zelensky).
_AUX = _norms("a has had have hat habe hatte ont also then later again aussi также також ещё")
# Words that open a reported clause: a name after one is inside what is reported.
_THAT = _norms("that что що чтобы que qu dass ob ان أن إن بان بأن وان لان")
# Prepositions that make the following name an object (с Путиным, з Блінкеном).
_PREPOSITIONS = _norms(
    "с со у к о об при для без от про над под перед між від з із зі до про на "
    "with to by for about from of against avec pour contre sur mit für gegen über von"
)
_CONJUNCTIONS = _norms("and or и или і та й et ou und oder و")
_NOTHING = _norms("nothing ничего нічого rien nichts")
_NEGATION = _norms("не ne nicht")
# Relative pronouns: a name after one is not the subject of an earlier verb.
_RELATIVES = _norms("who which qui который которая которые котрий яка які الذي التي welcher")
# Pronouns that can take up the last named speaker.
_PRONOUNS = _norms("he she он она він вона il elle er sie")
# Attributions that govern the name after them (up to four tokens later).
_BEFORE = _norms(
    "selon laut citing согласно згідно "
    # Arabic, alone and with the clitic and / so (وبحسب، ووفقا، فبحسب)
    + " ".join(c + w for c in ("", "و", "ف") for w in ("بحسب", "حسب", "وفق", "وفقا", "طبقا"))
)
_BEFORE_PAIRS = frozenset(
    tuple(normalize_token(word) for word in pair.split())
    for pair in (
        "according to",
        "quoted by",
        "по словам",
        "по мнению",
        "за словами",
        "на думку",
        "ссылкой на",
        "посиланням на",
        "نقلا عن",
        "نقلت عن",
        "d après",
        "nach angaben",
        "cited by",
    )
)
_ATTRIBUTION_WORDS = _BEFORE | frozenset(pair[0] for pair in _BEFORE_PAIRS)
_AFTER = _norms("zufolge قوله قولها")
_SAYING_THAT = _norms("قائلا قائلة")
_QUOTE_OPENS = re.compile(r"[:\"“«„]")
_QUOTE_CHARS = "\"“”«»„'’‘"
_CLOSING = {"“": "”", "«": "»", "„": "“", "‘": "’"}
_CLAUSE_GAP = re.compile(r"[,،:\"“”«»„\-–—(]")
_APOSTROPHES = "'’ʼ"
_APPOSITION = re.compile(r"[,،]")
_GAP_PUNCTUATION = re.compile(r"[^\w\s\-'’ʼ]")
# Oblique case endings of Cyrillic names, used when the alias is not known
# (Зеленского, Лаврову, Путиным, Захаровой, Захарової, Путінові).
_OBLIQUE_CYR = ("ого", "ому", "ым", "ыми", "ой", "ою", "ої", "ові", "еві", "ього", "ьому")

# -- frames: slots around the name, per language ------------------------------------
# Attribution frame: ATTRIBUTION [TITLE CHAIN] NAME, the chain up to this many words
# (по словам официального представителя МИД России Марии Захаровой; بحسب المتحدث
# باسم الكرملين دميتري بيسكوف; selon le porte-parole du Kremlin, Dmitri Peskov).
_CHAIN = 14
# Punctuation a title chain may hold: commas and parentheses around an apposition.
_CHAIN_BREAK = re.compile(r"[^\w\s\-'’ʼ,،()]")
# A name governed by one of these in the chain is someone else's relation, not the
# source (according to a source close to Lavrov, بحسب مصدر مقرب من لافروف).
_CHAIN_GOVERNORS = _PREPOSITIONS | _norms("de du des d à من عن مع إلى الى على لدى")
# The same as clitics on an Arabic name (مستشار سابق لبوتين), with and / so before.
_ARABIC_PREPOSITIONS = frozenset(c + p for c in ("", "و", "ف") for p in ("ل", "لل", "ب"))
_RELATION_STEMS = tuple(
    _norms(
        "советник помощник окружени соратник сторонник источник радник помічник "
        "оточенн прихильник джерел"
    )
)
# Reporting frame, passive: NAME AUX ... PARTICIPLE (Peskov was quoted by RIA as
# saying; Lavrov is reported to have said; Peskow wurde ... zitiert; Peskov a été cité).
_PASSIVE_AUX = _norms("was is were has been wurde wird a été est")
_REPORTED = _norms("quoted cited reported zitiert cité citée")
# Reporting frame, cited object: CITE [AGENCY] NAME (цитирует Захарову РИА Новости,
# як цитує Інтерфакс Пєскова, zitierte die Agentur Interfax Peskow, quoted Lavrov).
_CITE = _norms(
    "цитирует цитировал цитировало цитировали цитує цитував цитувало цитували "
    "zitierte zitiert quoted cited cite citait"
)
# Words-of frame: WORDS NAME with a verb of citing in its sentence (Слова Пескова
# приводит Интерфакс; передає слова Лаврова): not "что слова Лаврова не стоит …".
_WORDS_OF = _norms("слова")
_WORDS_CITED = _norms(
    _past("привел приводил передал", "а и")
    + " приводит приводят передает передаёт передают цитирует "
    + _past("наві наводи переда", "в ла ли")
    + " наводить наводять передає передають цитує"
)
# Modal reporting frame: NAME soll ... VERB haben (Wolodin soll gesagt haben).
_REPORTED_MODAL = _norms("soll sollen")
# Offices held before: a title after one of these (or before السابق) is another
# person's (former Ukrainian President Petro Poroshenko, бывший глава МИД России).
_FORMER = _norms(
    "former ex erstwhile ancien ancienne anciens früher frühere früheren früherer "
    "ehemalig ehemalige ehemaligen ehemaliger "
    + _past("бывш", "ий ая ее ие его ей ему им ую")
    + " "
    + _past("колишн", "ій я є і ього ьої ьому ім ю")
)
_FORMER_AFTER = _norms("السابق السابقة")
# A prepositional phrase between the name and its verb (Песков в интервью ТАСС
# отметил; Пєсков в інтерв'ю заявив): the verb may stand this far after the name.
_INTERJECTION_OPENS = _norms(
    "в во у на при після после під during in im bei während dans lors pendant"
)
_INTERJECTION_REACH = 8
# Calling frame (English): NAME called OBJECT PREDICATE is a statement (called the
# verdict illegitimate, called the attack a provocation); NAME called OBJECT alone
# is a telephone call. The predicate slot is read from this lexicon.
_CALLED = _norms("called calls calling")
_PREDICATES = _norms(
    "illegitimate illegal unlawful provocation provocative sham farce unacceptable "
    "absurd baseless groundless hostile unfriendly lie lies nonsense propaganda "
    "outrageous irresponsible dangerous cynical mistake blunder betrayal hypocritical "
    "disgraceful shameful aggression terrorism terrorist reckless senseless pointless "
    "insult insulting fake hoax nazi criminal theft robbery piracy blackmail genocide "
    "crime crimes invalid void unfounded destabilising destabilizing escalation"
)


def _window(tokens: Sequence[Token], start: int, stop: int) -> list[str]:
    """The norms of ``tokens[start:stop]`` (on a ``TokenView``, no ``Token`` built)."""
    if isinstance(tokens, TokenView):
        return tokens.norms(start, stop)
    return [tokens[i].norm for i in range(start, stop)]


def _called_statement(tokens: Sequence[Token], verb: int) -> bool:
    """``called`` at ``tokens[verb]`` with a predicate in its sentence after it."""
    stop = min(len(tokens), verb + 12)
    if _PREDICATES.isdisjoint(_window(tokens, verb + 1, stop)):
        return False  # the common case: a telephone call
    sentence = tokens[verb].sentence
    for index in range(verb + 1, stop):
        token = tokens[index]
        if token.sentence != sentence or _is_that(token):
            return False
        if token.norm in _PREDICATES:
            return True
    return False


def _attribution_frame(
    text: str, tokens: Sequence[Token], first: int, last: int, alias: str | None
) -> bool:
    """ATTRIBUTION [TITLE CHAIN] NAME: the name is the source of what follows."""
    sentence = tokens[first].sentence
    # Most names have no attribution before them: look for its words alone first.
    if _ATTRIBUTION_WORDS.isdisjoint(_window(tokens, max(0, first - _CHAIN - 1), first)):
        return False
    possessive = last + 1 < len(tokens) and tokens[last + 1].norm == "s"
    if possessive and _gap(text, tokens, last + 1) in tuple(_APOSTROPHES):
        return False  # according to Lavrov's deputy
    # The word before the name, a first name skipped (close to Sergei Lavrov).
    head = first - 1
    if head > 0 and text[tokens[head].start : tokens[head].end][:1].isupper():
        head -= 0 if _GAP_PUNCTUATION.search(_gap(text, tokens, first)) else 1
    # A preposition governs the name, or a Cyrillic relation noun has it as its
    # possessor (по словам бывшего советника Путина): someone else is the source.
    governed = _arabic_preposition(tokens[first], alias) or (
        head >= 0
        and (tokens[head].norm in _CHAIN_GOVERNORS or tokens[head].norm.startswith(_RELATION_STEMS))
    )
    after = tokens[first]
    for index in range(first - 1, max(-1, first - _CHAIN - 1), -1):
        token = tokens[index]
        if token.sentence != sentence:
            return False
        pair = (token.norm, after.norm)
        after = token
        if token.norm in _BEFORE:
            return index >= head or not governed
        if pair in _BEFORE_PAIRS:
            return index + 1 >= head or not governed
        if _is_that(token) or _is_verb(token) or token.norm in _RELATIVES:
            return False
        if token.norm in _PRONOUNS:
            return False
        if _CHAIN_BREAK.search(text[token.end : tokens[index + 1].start]):
            return False
    return False


def _reporting_frame_after(text: str, tokens: Sequence[Token], first: int, last: int) -> bool:
    """NAME AUX ... REPORTED (passive), or NAME [PREPOSITIONAL PHRASE] VERB."""
    if last + 1 >= len(tokens):
        return False
    sentence = tokens[first].sentence
    opener = tokens[last + 1]
    if opener.sentence != sentence or _GAP_PUNCTUATION.search(_gap(text, tokens, last + 1)):
        return False
    if opener.norm in _PASSIVE_AUX:
        for index in range(last + 2, min(len(tokens), last + 12)):
            token = tokens[index]
            if token.sentence != sentence or _is_that(token):
                return False
            if token.norm in _REPORTED:
                return True
        return False
    if opener.norm in _REPORTED_MODAL:  # Wolodin soll den Abgeordneten gesagt haben
        for index in range(last + 2, min(len(tokens), last + 12)):
            token = tokens[index]
            if token.sentence != sentence or _is_that(token):
                return False
            if _is_verb(token):
                return True
        return False
    if opener.norm in _INTERJECTION_OPENS:
        for index in range(last + 2, min(len(tokens), last + 2 + _INTERJECTION_REACH)):
            token = tokens[index]
            if token.sentence != sentence or _is_that(token):
                return False
            if _is_verb(token):
                return not _says_nothing(tokens, index)
            if _GAP_PUNCTUATION.search(_gap(text, tokens, index)):
                return False  # a comma or quotation, not Telegram-канале
    return False


def _cited_object(text: str, tokens: Sequence[Token], first: int) -> bool:
    """CITE [AGENCY] NAME or WORDS NAME: the name, an object, is the one quoted."""
    sentence = tokens[first].sentence
    if first > 0 and tokens[first - 1].norm in _WORDS_OF:
        # not "відреагували на слова Зеленського": words someone answered
        governed = first > 1 and tokens[first - 2].norm in _PREPOSITIONS
        if governed or tokens[first - 1].sentence != sentence:
            return False
        start, end = _sentence_bounds(tokens, first)
        return not _WORDS_CITED.isdisjoint(_window(tokens, start, end + 1))
    for index in range(first - 1, max(-1, first - 5), -1):
        token = tokens[index]
        if token.sentence != sentence:
            return False
        if _GAP_PUNCTUATION.search(text[token.end : tokens[index + 1].start]):
            return False
        if token.norm in _CITE:
            return True
    return False


# Follow-ups that take up the last named speaker, by token norms.
_FOLLOW_PHRASES = tuple(
    tuple(normalize_token(t.text) for t in tokenize(phrase))
    for phrase in (
        "по его словам",
        "по ее словам",
        "по её словам",
        "за його словами",
        "за її словами",
        "selon lui",
        "selon elle",
        "d'après lui",
        "d'après elle",
        "ihm zufolge",
        "ihr zufolge",
        "according to him",
        "according to her",
        "seinen Worten zufolge",
        "ihren Worten zufolge",
        "بحسب قوله",
        "وفق قوله",
    )
)
# The same by first norm, so a sentence is read once, not once per phrase; a
# sentence holding none of these words (nor opening in Arabic) is no follow-up.
_FOLLOW_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {}
for _phrase in _FOLLOW_PHRASES:
    _FOLLOW_BY_FIRST[_phrase[0]] = (*_FOLLOW_BY_FIRST.get(_phrase[0], ()), _phrase)
_FOLLOW_WORDS = frozenset(_FOLLOW_BY_FIRST) | _PRONOUNS


def _is_verb(token: Token, verbs: frozenset[str] = _VERBS) -> bool:
    if token.norm in verbs:
        return True
    # Arabic clitics: وقال -> قال, فأكدت -> اكدت
    return _is_arabic(token) and any(
        key[3:] in verbs for key in text_keys(token.norm) if key.startswith("ar:")
    )


def _is_that(token: Token) -> bool:
    if token.norm in _THAT:
        return True
    return _is_arabic(token) and any(
        key[3:] in _THAT for key in text_keys(token.norm) if key.startswith("ar:")
    )


def _is_arabic(token: Token) -> bool:
    return "\u0600" <= token.norm[:1] <= "\u06ff"


def _arabic_preposition(token: Token, alias: str | None) -> bool:
    """Whether an Arabic name carries a preposition as a clitic (لبوتين "to/of
    Putin", ببيسكوف), which the alias as configured does not."""
    if alias is None or not _is_arabic(token):
        return False
    base = _first_norm(alias)
    prefix = token.norm[: len(token.norm) - len(base)]
    return bool(base) and token.norm.endswith(base) and prefix in _ARABIC_PREPOSITIONS


def _gap(text: str, tokens: Sequence[Token], index: int) -> str:
    """The characters between ``tokens[index - 1]`` and ``tokens[index]``."""
    return text[tokens[index - 1].end : tokens[index].start] if index > 0 else ""


def _opens_clause(text: str, tokens: Sequence[Token], index: int) -> bool:
    """Whether ``tokens[index]`` starts a clause: first of its sentence, or after
    a comma, colon, quotation mark or dash (auxiliaries before it are skipped:
    ``, a déclaré``, ``», a-t-il``)."""
    while (
        index > 0
        and tokens[index - 1].norm in _AUX
        and not _CLAUSE_GAP.search(_gap(text, tokens, index))
    ):
        index -= 1
    if index == 0 or tokens[index - 1].sentence != tokens[index].sentence:
        return True
    return bool(_CLAUSE_GAP.search(_gap(text, tokens, index)))


def _sentence_bounds(tokens: Sequence[Token], index: int) -> tuple[int, int]:
    if isinstance(tokens, TokenView):  # the matcher's: by its breaks, no walk
        return tokens.sentence_bounds(index)
    sentence = tokens[index].sentence
    first = index
    while first > 0 and tokens[first - 1].sentence == sentence:
        first -= 1
    last = index
    while last + 1 < len(tokens) and tokens[last + 1].sentence == sentence:
        last += 1
    return first, last


def _sentence_text(text: str, tokens: Sequence[Token], index: int) -> str:
    first, last = _sentence_bounds(tokens, index)
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
    if rest and rest[0] in _QUOTE_CHARS:
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
    rest = text[colon + 1 :].lstrip()
    return bool(rest) and rest[0] in _QUOTE_CHARS


@lru_cache(maxsize=4096)
def _last_norm(alias: str) -> str:
    """The normalised last word of an alias (its declined part)."""
    tokens = tokenize(alias)
    return tokens[-1].norm if tokens else ""


@lru_cache(maxsize=4096)
def _first_norm(alias: str) -> str:
    """The normalised first word of an alias (a title's head noun)."""
    tokens = tokenize(alias)
    return tokens[0].norm if tokens else ""


def _is_object(
    text: str, tokens: Sequence[Token], first: int, last: int, alias: str | None
) -> bool:
    """Whether the name cannot be the subject of a verb: possessive (``Putin's``),
    after a preposition (``с Путиным``), or inflected away from the nominative
    (``Пескова``, ``Putins`` when the alias is ``Песков``/``Putin``)."""
    possessive = last + 1 < len(tokens) and tokens[last + 1].norm == "s"
    if possessive and _gap(text, tokens, last + 1) in tuple(_APOSTROPHES):
        return True
    governed = first > 0 and tokens[first - 1].norm in _PREPOSITIONS
    if governed and tokens[first - 1].sentence == tokens[first].sentence:
        return True
    norm = tokens[last].norm
    if _is_arabic(tokens[last]):
        return False
    if alias is not None:
        base = _last_norm(alias)
        if not base:
            return False
        cyrillic_alias = "\u0400" <= base[:1] <= "\u04ff"
        # A Cyrillic title's head comes first (обвинения президента Украины):
        # declined away from the configured form, the phrase is no subject.
        if cyrillic_alias and first < last and tokens[first].norm != _first_norm(alias):
            return True
        if norm == base:
            return False
        # Inflected away from the nominative: a generated case form of a Cyrillic
        # name (Пескова, Захаровой), or a German genitive (Putins). Other
        # differences are spelling variants reaching the alias (Volodine ~ Volodin).
        if cyrillic_alias:
            return norm in cyrillic_name_forms(base)
        return norm == base + "s"
    cyrillic = "\u0400" <= norm[:1] <= "\u04ff"
    return cyrillic and (norm.endswith(_OBLIQUE_CYR) or (norm[-1:] in "ую" and len(norm) > 4))


def _subject_of_verb(
    text: str, tokens: Sequence[Token], first: int, last: int, oblique: bool
) -> bool:
    """A verb of saying after the name, with the name as its subject
    (``oblique``: ``_is_object``)."""
    if oblique:
        return False
    sentence = tokens[first].sentence
    apposition = last + 1 < len(tokens) and "," in _gap(text, tokens, last + 1)
    reach = 16 if apposition else 3
    for index in range(last + 1, min(len(tokens), last + 1 + reach)):
        token = tokens[index]
        if token.sentence != sentence or _is_that(token):
            return False
        if index == last + 1 and token.norm in _AFTER:
            return True
        saying = _is_verb(token) or (token.norm in _CALLED and _called_statement(tokens, index))
        opens = _CLAUSE_GAP.search(_gap(text, tokens, index)) or (
            tokens[index - 1].norm in _AUX and _CLAUSE_GAP.search(_gap(text, tokens, index - 1))
        )
        if saying and (index <= last + 3 or opens):
            return not _says_nothing(tokens, index)
    if last + 2 >= len(tokens):
        return False
    # "as saying": TASS quoted Lavrov as saying
    if tokens[last + 1].norm == "as":
        return tokens[last + 2].norm in ("saying", "telling")
    # "As Kremlin spokesman Dmitry Peskov put it, …"
    if (tokens[last + 1].norm, tokens[last + 2].norm) == ("put", "it"):
        return "as" in _window(tokens, max(first - _CHAIN, 0), first)
    return False


def _verb_before(
    text: str,
    tokens: Sequence[Token],
    first: int,
    last: int,
    alias: str | None,
    others: Sequence[tuple[int, int]] | None,
    oblique: bool,
) -> bool:
    """A verb of saying (or an attribution) before the name that governs it
    (``oblique``: ``_is_object``)."""
    sentence = tokens[first].sentence
    # A name set off by a comma may follow a long title (a réagi jeudi la
    # porte-parole de la diplomatie russe, Maria Zakharova).
    reach = 12 if first > 0 and _APPOSITION.search(_gap(text, tokens, first)) else 8
    after = tokens[first]  # the token after ``index``
    for index in range(first - 1, max(-1, first - reach - 1), -1):
        token = tokens[index]
        if token.sentence != sentence:
            return False
        distance = first - index
        pair = (token.norm, after.norm)
        after = token
        if (token.norm in _BEFORE or pair in _BEFORE_PAIRS) and distance <= 4:
            return _attribution_frame(text, tokens, first, last, alias)
        # The name is inside what someone reports, or in a relative clause.
        if _is_that(token) or token.norm in _PRONOUNS or token.norm in _RELATIVES:
            return False
        if not _is_verb(token):
            continue
        if oblique and not _is_arabic(token):
            return False
        if others and any(index < a and b < first for a, b in others):
            return False  # the verb has its own subject: said Zelensky, who met Putin
        # Inversion outside English: the verb before the name with only words
        # (a title) between, no punctuation (Об этом заявил пресс-секретарь
        # Дмитрий Песков, Am Montag sagte Peskow, a déclaré Zelensky).
        english_only = token.norm in _VERBS_EN and token.norm not in _VERBS_OTHER
        plain = not _GAP_PUNCTUATION.search(text[token.end : tokens[first].start])
        # Without the alias an oblique name cannot be told from a nominative
        # one (прокомментировал заявления Блинкена), so only the adjacent verb.
        if plain and not english_only and distance <= (6 if alias is not None else 1):
            return True
        # Titles may stand between a clause-opening verb and the name
        # (said Kremlin spokesman Dmitry Peskov; أكد المتحدث الرسمي…، دميتري بيسكوف).
        return _opens_clause(text, tokens, index)
    return False


def _arabic_pronoun_verb(text: str, tokens: Sequence[Token], first: int) -> bool:
    """A sentence opening with a verb of saying and no named subject after it
    (وأضاف أن…, وتابع: …): its subject is the speaker last named."""
    token = tokens[first]
    if not (_is_arabic(token) and _is_verb(token)):
        return False
    following = tokens[first + 1] if first + 1 < len(tokens) else None
    return (
        following is None
        or following.sentence != token.sentence
        or _is_that(following)
        or following.norm in _SAYING_THAT
        or bool(_QUOTE_OPENS.search(_gap(text, tokens, first + 1)))
    )


def is_follow_up(text: str, tokens: Sequence[Token], first: int, last: int) -> bool:
    """Whether the sentence ``tokens[first..last]`` reports the words of someone
    named earlier by a pronoun: ``He added``, ``добавил он``, ``sagte er``,
    ``a-t-il ajouté``, ``по его словам``, ``وأضاف أن``."""
    if isinstance(tokens, TokenView):  # norms alone, no ``Token`` per word
        norms = tokens.norms(first, last + 1)
    else:
        norms = [tokens[i].norm for i in range(first, last + 1)]
    if "\u0600" <= norms[0][:1] <= "\u06ff" and _arabic_pronoun_verb(text, tokens, first):
        return True
    if _FOLLOW_WORDS.isdisjoint(norms):
        return False
    for offset, norm in enumerate(norms):
        phrases = _FOLLOW_BY_FIRST.get(norm)
        if phrases is not None and any(
            tuple(norms[offset : offset + len(phrase)]) == phrase for phrase in phrases
        ):
            return True
        if norm not in _PRONOUNS:
            continue
        index = first + offset
        # he said / he also said / sagte er / a-t-il ajouté / добавил он / il a ajouté
        near = range(max(first, index - 2), min(last, index + 3) + 1)
        if any(i != index and _is_verb(tokens[i]) and not _says_nothing(tokens, i) for i in near):
            return True
    return False


def _says_nothing(tokens: Sequence[Token], verb: int) -> bool:
    """``said nothing``, ``ничего не сказал``: a verb of saying that reports no words
    (``he said nothing.``/``nothing about``, but not ``said nothing had changed``)."""
    after = verb + 1
    if after < len(tokens) and tokens[after].norm in _NOTHING:
        nxt = after + 1
        return (
            nxt >= len(tokens)
            or tokens[nxt].sentence != tokens[verb].sentence
            or tokens[nxt].norm in _PREPOSITIONS
        )
    before = verb - 1
    return before >= 1 and tokens[before].norm in _NEGATION and tokens[before - 1].norm in _NOTHING


def _follow_up_quote(
    text: str,
    tokens: Sequence[Token],
    first: int,
    last: int,
    others: Sequence[tuple[int, int]],
) -> str | None:
    """The follow-up sentence that takes up this name, if it is the last named."""
    sentence = tokens[first].sentence
    if any(tokens[a].sentence == sentence for a, _ in others):
        return None  # two speakers in one sentence: "he" would be a guess
    # The three sentences after this one, from the token after the name.
    index = _sentence_bounds(tokens, first)[1] + 1
    left = 3
    while index <= last:  # a name across a sentence break (not the matcher's)
        end = _sentence_bounds(tokens, index)[1]
        if end > last:
            break
        index = end + 1
        left -= 1
    index = max(index, last + 1)
    while left > 0 and index < len(tokens):
        left -= 1
        start, end = _sentence_bounds(tokens, index)
        if any(a <= end for a, _ in others if a > last):
            return None  # someone else was named since
        quote = _follow_up_text(text, tokens, start, end)
        if quote is not None:
            return quote
        index = end + 1
    return None


def _follow_up_text(text: str, tokens: Sequence[Token], first: int, last: int) -> str | None:
    """The sentence ``tokens[first..last]`` if it is a follow-up, else None;
    kept on a ``TokenView`` (it does not depend on the speaker: the several
    names of a field look at the same sentences)."""
    notes = tokens.notes if isinstance(tokens, TokenView) else None
    key = ("follow-up", first)
    if notes is not None and key in notes:
        return notes[key]
    quote = _sentence_text(text, tokens, first) if is_follow_up(text, tokens, first, last) else None
    if notes is not None:
        notes[key] = quote
    return quote


def held_formerly(tokens: Sequence[Token], first: int, last: int) -> bool:
    """Whether the office at ``tokens[first..last]`` is named as held before
    (``former Ukrainian President``, ``бывший глава МИД``, ``الرئيس الأوكراني
    السابق``): its holder then is someone else."""
    before = first > 0 and tokens[first - 1].sentence == tokens[first].sentence
    if before and tokens[first - 1].norm in _FORMER:
        return True
    after = last + 1 < len(tokens) and tokens[last + 1].sentence == tokens[last].sentence
    return after and tokens[last + 1].norm in _FORMER_AFTER


def classify_speaker(
    text: str,
    tokens: Sequence[Token],
    first: int,
    last: int,
    *,
    alias: str | None = None,
    others: Sequence[tuple[int, int]] | None = None,
) -> tuple[Role, str | None]:
    """The role of the alias at ``tokens[first..last]`` and, when quoted, the quote.

    ``alias`` is the alias as configured (its nominative), which tells an oblique
    case from the subject; ``others`` are the token spans of *other* speakers'
    aliases in the same field, which pronoun follow-ups need.
    """
    # Name: words -- the name opens its line (a few tokens, e.g. a title, may come
    # first: "Kremlin spokesman Peskov: ..."), or the colon opens a quotation.
    line_start = text.rfind("\n", 0, tokens[first].start) + 1
    before_on_line = sum(1 for t in tokens[max(0, first - 4) : first] if t.start >= line_start)
    # "Trump and Putin: more than a reset" names a subject, it quotes no one.
    joined = first > 0 and tokens[first - 1].norm in _CONJUNCTIONS
    if (before_on_line <= 3 and not joined) or _quoted_after_colon(text, tokens, last):
        quote = _after_colon(text, tokens, last)
        if quote is not None:
            return "quoted", quote
    oblique = _is_object(text, tokens, first, last, alias)
    if (
        _subject_of_verb(text, tokens, first, last, oblique)
        or _verb_before(text, tokens, first, last, alias, others, oblique)
        or _attribution_frame(text, tokens, first, last, alias)
        or (not oblique and _reporting_frame_after(text, tokens, first, last))
        or _cited_object(text, tokens, first)
    ):
        return "quoted", _sentence_text(text, tokens, first)
    if others is not None:
        quote = _follow_up_quote(text, tokens, first, last, others)
        if quote is not None:
            return "quoted", quote
    return "mentioned", None
