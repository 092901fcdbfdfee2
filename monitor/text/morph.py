"""Token keys: the normalised and derived forms under which a token can match.

Pure, no I/O. Every token has a small set of *keys*: its normalised form, plus
derived forms tagged by how they were derived (``ru:`` Cyrillic endings and
stems, ``en:``/``fr:``/``de:`` Snowball stems, ``ar:`` Arabic clitics, article
and attached pronouns). A term token matches a text token when their key sets meet. The sets
are asymmetric on purpose:

- text tokens get every plausible derived form (all clitic splits, all endings);
- term tokens get their own form plus a *guarded* set of forms, so that a text
  form can only reach a term by inflecting the term (``Путин`` -> ``Путина``, not
  ``Путинцев``; ``بوتين`` keeps its ``ب``), and acronyms (``NATO``, ``НАТО``) and
  ``"quoted"`` terms match their exact tokens only.

Names (capitalised Cyrillic term tokens) do not go through a stemmer at all:
their case forms are *generated* from the nominative by its ending class
(``Песков`` -> Пескова/Пескову/Песковым…, ``Захарова`` -> Захаровой/Захаровою…,
``Зеленський`` -> Зеленського/Зеленським…, ``Україна`` -> України/Україні…), so a
different name that shares a stem (``Захаров``, ``Путинцев``, ``Зеленська``) never
meets them. Capitalised Latin tokens keep their Snowball stems (German nouns are
capitalised too) except a stem that only drops a final vowel (``Zakharova`` must
not reach ``Zakharov``); they also get the German genitive/plural endings
``-s``/``-n``/``-en`` (``Lawrows``, ``Sicherheitsgarantien``).
"""

from __future__ import annotations

from functools import lru_cache

import Stemmer

from monitor.text.normalize import normalize_token

__all__ = ["cyrillic_name_forms", "term_keys", "text_keys"]

# No PyStemmer word cache (size 0): every caller already caches per word
# (``text_keys``, the compiler's ``_term_keys``), so the stemmers only see words
# new to them, and for a word it has not seen, PyStemmer's own cache only adds
# its lookup and insert to the stemming.
_STEMMERS = {
    lang: Stemmer.Stemmer(name, 0)
    for lang, name in (("en", "english"), ("fr", "french"), ("de", "german"), ("ru", "russian"))
}
_STEM_EN = _STEMMERS["en"].stemWord
_STEM_FR = _STEMMERS["fr"].stemWord
_STEM_DE = _STEMMERS["de"].stemWord
_STEM_RU = _STEMMERS["ru"].stemWord

# Russian and Ukrainian noun/adjective endings, longest first. Text tokens try
# every one; common-noun term tokens only ever lose the longest.
_ENDINGS_TEXT = """
а я о е ы и у ю ь й і ї є
ой ей ом ем ам ям ах ях ов ев ую юю ая яя ое ее ые ие ий ый ым им ых их
ою ею ові еві ів їв ії ій ія ію єю іх
ами ями ого его ому ему ими ыми иях ией иям ием іям іях ією
ость ости остью іями
"""
_CYR_ENDINGS = tuple(sorted(set(_ENDINGS_TEXT.split()), key=len, reverse=True))
# The same endings grouped by length, longest first: a text token tests one slice
# per length against a set instead of one ``endswith`` per ending.
_CYR_BY_LEN = tuple(
    (n, frozenset(e for e in _CYR_ENDINGS if len(e) == n))
    for n in sorted({len(e) for e in _CYR_ENDINGS}, reverse=True)
)
_AR_CONJ = "وف"
_AR_PREP = "بكل"
# Attached pronouns (enclitics) a text word may end with: ضماناتها "its guarantees",
# حكومتهم "their government". Not the one-letter ي "my" and ك "your", which end too
# many plain words; and ه "his" only after ت (مفاوضاته "his talks", حكومته "his
# government"): folding has made every ة a ه, so a bare final ه is far more often a
# feminine ending (جامعة "university" is not جامع "mosque"; مدينة is not مدين).
_AR_ENCLITICS = ("هما", "كما", "هم", "هن", "ها", "كم", "نا")
_AR_HIS = "ه"
_AR_STEM_MIN = 3  # letters left once a pronoun is removed
_VOWELS = frozenset("aeiouy")

# Case endings of names (Russian and Ukrainian together), by the nominative's
# final letters. Each entry: (nominative ending, endings that replace it).
_NAME_PARADIGMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # adjectival surnames: Зеленский/Зеленський -> Зеленского, Зеленському, Зеленським
    ("ский", ("ский", "ского", "скому", "ским", "ском")),
    ("цкий", ("цкий", "цкого", "цкому", "цким", "цком")),
    ("ський", ("ський", "ського", "ському", "ським", "ськім")),
    ("цький", ("цький", "цького", "цькому", "цьким", "цькім")),
    ("ой", ("ой", "ого", "ому", "ым", "ом")),
    # soft nouns in -ий/-ій/-ей/-й (Дмитрий -> Дмитрия, Андрій -> Андрія, Сергей ->
    # Сергея), -ий also taking adjectival endings (Північноатлантичний -> -ого)
    ("ий", ("ий", "ия", "ию", "ием", "ии", "ого", "ому", "им", "ом", "ім")),
    ("ій", ("ій", "ія", "ію", "ієм", "ії", "еві", "ього", "ьому")),
    ("й", ("й", "я", "ю", "ем", "е", "єм", "ї")),
    ("ь", ("ь", "я", "ю", "ем", "е", "і", "ею")),
    # feminine and -а nouns: Захарова -> Захаровой/Захаровою/Захарову, Україна -> України
    ("а", ("а", "ы", "и", "е", "у", "ой", "ою", "ей", "ею", "і", "ій", "ої")),
    ("я", ("я", "и", "і", "ї", "е", "ю", "ей", "ею", "єю")),
)
# Consonant-final: Песков -> Пескова, Пескову, Песковым, Пескове; Путін -> Путіна, Путінові
_CONSONANT_ENDINGS = ("", "а", "у", "ом", "ем", "ым", "им", "е", "і", "ові", "еві", "ю", "я")
_CYR_VOWELS = frozenset("аяоеёэыиуюіїє")


def _script(norm: str) -> str:
    ch = norm[0]
    if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f":
        return "ar"
    if "\u0400" <= ch <= "\u04ff":
        return "cyr"
    if ch.isascii() or "\u00c0" <= ch <= "\u024f":
        return "lat" if ch.isalpha() else "other"
    return "other"


@lru_cache(maxsize=16_384)
def cyrillic_name_forms(norm: str) -> frozenset[str]:
    """The case forms of a Cyrillic name given in the nominative (normalised).

    Indeclinable names (ending in о, е, и, у, ю, і: ``Шойгу``) have one form.
    """
    for ending, replacements in _NAME_PARADIGMS:
        if norm.endswith(ending) and len(norm) - len(ending) >= 2:
            stem = norm[: -len(ending)]
            return frozenset(stem + new for new in replacements)
    if norm[-1] in _CYR_VOWELS or len(norm) < 3:
        return frozenset({norm})
    return frozenset(norm + ending for ending in _CONSONANT_ENDINGS)


def _ar_clitic_forms(norm: str) -> set[str]:
    """The word with any of: conjunction و/ف, then preposition ب/ك/ل, then article ال
    (or the لل of ل + ال) removed, keeping at least two letters; and each of those
    less an attached pronoun (``_AR_ENCLITICS``; ``ه`` only after ``ت``), keeping at
    least three."""
    bases = {norm}
    if norm[0] in _AR_CONJ and len(norm) > 3:
        bases.add(norm[1:])
    for base in list(bases):
        if base[0] in _AR_PREP and len(base) > 3:
            bases.add(base[1:])
    forms = set(bases)
    for base in bases:
        if base.startswith("ال") and len(base) > 3:
            forms.add(base[2:])
        if base.startswith("لل") and len(base) > 3:  # ل + ال, its alef dropped
            forms.add(base[2:])
    for form in list(forms):
        for pronoun in _AR_ENCLITICS:
            if form.endswith(pronoun) and len(form) - len(pronoun) >= _AR_STEM_MIN:
                forms.update(_ar_stems(form[: -len(pronoun)]))
        if form.endswith("ت" + _AR_HIS) and len(form) - 1 >= _AR_STEM_MIN:
            forms.update(_ar_stems(form[:-1]))
    return forms


def _ar_stems(stem: str) -> tuple[str, ...]:
    """A word less its pronoun; with the ة restored where it was written ت before it
    (حكومته: حكومت -> حكومة, folded حكومه)."""
    return (stem, stem[:-1] + "ه") if stem[-1] == "ت" else (stem,)


@lru_cache(maxsize=262_144)
def text_keys(norm: str) -> frozenset[str]:
    """Every key of a text token (its normalised form ``norm``)."""
    keys = {norm}
    if not norm:
        return frozenset(keys)
    script = _script(norm)
    if script == "ar":
        keys.update("ar:" + form for form in _ar_clitic_forms(norm))
    elif script == "cyr":
        keys.add("ru:" + norm)
        keys.add("ru:" + _STEM_RU(norm))
        for size, endings in _CYR_BY_LEN:
            if len(norm) - size >= 3 and norm[-size:] in endings:
                keys.add("ru:" + norm[:-size])
    elif script == "lat":
        return frozenset(
            (norm, "en:" + _STEM_EN(norm), "fr:" + _STEM_FR(norm), "de:" + _STEM_DE(norm))
        )
    return frozenset(keys)


def _latin_term_keys(original: str, norm: str) -> set[str]:
    keys: set[str] = set()
    capitalised = original[:1].isupper()
    for lang in ("en", "fr", "de"):
        stem = _STEMMERS[lang].stemWord(norm)
        if len(stem) < 3:
            continue
        if capitalised and stem == norm[:-1] and norm[-1] in _VOWELS:
            continue  # Zakharova must not meet Zakharov, nor Poutine poutin
        keys.add(f"{lang}:" + stem)
    if capitalised:
        # German genitive and plural: Lawrows, Selenskyjs, Sicherheitsgarantie(n)
        keys.update(norm + ending for ending in ("s", "n", "en"))
    return keys


def term_keys(original: str, exact: bool = False) -> frozenset[str]:
    """The keys of one term token as written in the config (case matters here:
    all-capital tokens are acronyms, capitalised tokens are names)."""
    norm = normalize_token(original)
    keys = {norm}
    if exact or not norm:
        return frozenset(keys)
    letters = [ch for ch in original if ch.isalpha()]
    if len(letters) >= 2 and all(ch.isupper() for ch in letters):
        return frozenset(keys)  # an acronym: NATO, НАТО, OTAN never inflect here
    script = _script(norm)
    if script == "ar":
        keys.add("ar:" + norm)
        if norm.startswith("ال") and len(norm) > 3:
            keys.add("ar:" + norm[2:])
    elif script == "cyr":
        if original[:1].isupper():
            # A name: its generated case forms, never a Snowball stem (Песков would
            # become песк and meet пески; Захарова would meet Захаров).
            keys.update(cyrillic_name_forms(norm))
        else:
            keys.add("ru:" + norm)
            stem = _STEMMERS["ru"].stemWord(norm)
            if len(stem) >= 4:
                keys.add("ru:" + stem)
            for ending in _CYR_ENDINGS:
                if norm.endswith(ending) and len(norm) - len(ending) >= 4:
                    keys.add("ru:" + norm[: -len(ending)])
                    break
    elif script == "lat":
        keys.update(_latin_term_keys(original, norm))
    return frozenset(keys)
