"""Language identification for items that carry no language of their own.

Owns ``detect_language``: py3langid restricted to the languages a news monitor
meets, plus script rules where the model is weak on short headlines (Ukrainian
vs Russian, Persian/Urdu vs Arabic). Pure: no I/O after the model is loaded
once, lazily, on first use.

The model's cost grows with the text, and the first few hundred characters
tell the language as well as the whole: it reads a bounded sample
(``sample_text``; ``bench/bench_language.py``, bench/RESULTS.md, section
bench_language). Where a script has exactly one
answer among ``LANGUAGES`` (Arabic without Persian or Urdu letters, Hebrew,
Greek, Hangul, kana), the script answers and the model is not asked.
tests/unit/test_language.py compares every answer with a whole-text detector's
(tests/unit/language_whole_text.py) over the labelled set and the fixtures.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.text.langident import Identifier

# Languages the identifier may answer with. A closed set keeps short headlines
# from being labelled as some rare language that shares their n-grams.
LANGUAGES: tuple[str, ...] = (
    "ar", "en", "ru", "uk", "fr", "de", "fa", "ur", "es", "it", "pl", "tr", "zh",
    "pt", "nl", "sv", "da", "no", "fi", "cs", "sk", "bg", "sr", "be", "he", "el",
    "ja", "ko", "hu", "ro",
)  # fmt: skip

# The languages the monitor is mostly used for. On short text the model is
# unsure, and a near-tie between "en" and "nl" should go to the likelier prior.
CORE: frozenset[str] = frozenset({"ar", "en", "ru", "uk", "fr", "de"})
_SHORT = 200
_CORE_WEIGHT = 2.0

_identifier: Identifier | None = None
_lock = threading.Lock()

_UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_ONLY = re.compile(r"[ыэёЫЭЁ]")  # not ъ: Bulgarian uses it all the time
# Letters of the other Cyrillic languages the model knows (sr, mk, be).
_OTHER_CYRILLIC = re.compile(r"[ђјљњћџѓќѕўЂЈЉЊЋЏЃЌЅЎ]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_PERSIAN_URDU_ONLY = re.compile(r"[پچژگکی]")
_URDU_ONLY = re.compile(r"[ٹڈڑںھےۓ]")
_LETTER = re.compile(r"[^\W\d_]")

# Characters of text the model reads: enough for its answer to settle (every
# labelled item and fixture gets the whole-text answer), and long enough to stay
# on the long-text path (_SHORT) whenever the whole text was on it.
SAMPLE_CHARS = 600
_LAST_SPACE = re.compile(r"\s\S*\Z")

# Scripts with a single language among LANGUAGES: text written (almost) wholly in
# one of them needs no model. Arabic script is here only without the letters of
# Persian and Urdu, which the same rule then sends to the model (or to "ur").
_SOLE_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")),
    ("ko", re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
)
_SOLE_SHARE = 0.9  # of the letters, for a script to answer alone
# Any letter of the scripts the rules look at (Cyrillic, Arabic, _SOLE_SCRIPTS).
_RULED_SCRIPT = re.compile(
    "["
    + "".join(p.pattern[1:-1] for p in (_CYRILLIC, _ARABIC_SCRIPT, *(p for _, p in _SOLE_SCRIPTS)))
    + "]"
)


def sample_text(text: str, limit: int = SAMPLE_CHARS) -> str:
    """The first ``limit`` characters of ``text``, cut back to a word boundary
    (when one is in the second half: scripts without spaces are cut anywhere)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if text[limit].isspace():
        return head
    found = _LAST_SPACE.search(head, limit // 2)
    return head[: found.start()] if found else head


def _get_identifier() -> Identifier:
    """Build the identifier once per process (``monitor.text.langmodel`` loads the
    model, ``monitor.text.langident`` answers with it)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                _identifier = _load_identifier()
    return _identifier


def _load_identifier() -> Identifier:
    """The compiled build's from its cached tables when they are there; else made from
    py3langid's model (``monitor.text.langmodel``), and its tables cached."""
    from monitor.text import langmodel
    from monitor.text.langident import COMPILED, Identifier

    tables = langmodel.load_walk_tables(LANGUAGES) if COMPILED else None
    if tables is not None:
        return Identifier.from_tables(tables)
    identifier = Identifier.from_py3langid(langmodel.load_identifier(LANGUAGES))
    made = identifier.tables()
    if made is not None:
        langmodel.write_walk_tables(LANGUAGES, made)
    return identifier


def _normalise_hint(hint: str) -> str:
    # "en-US", "ar_EG", "EN" -> "en"
    return re.split(r"[-_]", hint.strip(), maxsplit=1)[0].lower()


def detect_language(text: str, hint: str | None = None) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or None when there is no text.

    A non-empty ``hint`` (the feed's or entry's declared language) wins.
    """
    if hint and hint.strip():
        return _normalise_hint(hint)
    sample = sample_text(text)
    if _RULED_SCRIPT.search(sample) is None:
        # No letter of a script the rules below look at (most text): counting
        # letters would change nothing, the model decides.
        return _classify(sample) if _LETTER.search(sample) else None
    letters = _count(_LETTER, sample)
    if not letters:
        return None
    cyrillic = _count(_CYRILLIC, sample)
    if cyrillic * 2 <= letters:  # not mostly Cyrillic: a script may answer alone
        by_script = _script_answer(sample, letters)
        if by_script is not None:
            return by_script
    else:
        # Letters that exist in only one of the two are decisive on short text,
        # where the model often flips between ru and uk.
        uk = _UKRAINIAN_ONLY.search(sample) is not None
        ru = _RUSSIAN_ONLY.search(sample) is not None
        if uk and not ru:
            return "uk"
        if ru and not uk:
            return "ru"
        if len(sample) < _SHORT and not _OTHER_CYRILLIC.search(sample):
            # Short Cyrillic text without telling letters: the model drifts to
            # Bulgarian; between the languages we watch, let it pick.
            ranked: list[tuple[str, float]] = _get_identifier().rank(sample)
            return next((lang for lang, _ in ranked if lang in ("ru", "uk")), "ru")
    code = _classify(sample)
    arabic = _count(_ARABIC_SCRIPT, sample)
    if arabic * 2 > letters and code in {"ar", "fa", "ur"}:
        if _URDU_ONLY.search(sample):
            return "ur"
        if code == "ar" or not _PERSIAN_URDU_ONLY.search(sample):
            return "ar"
    return code


def _script_answer(sample: str, letters: int) -> str | None:
    """The language the script alone decides, or None (see _SOLE_SCRIPTS)."""
    arabic = _count(_ARABIC_SCRIPT, sample)
    if arabic >= letters * _SOLE_SHARE:
        if _URDU_ONLY.search(sample):
            return "ur"
        if not _PERSIAN_URDU_ONLY.search(sample):
            return "ar"
        return None
    for code, pattern in _SOLE_SCRIPTS:
        if pattern.search(sample) and _count(pattern, sample) >= letters * _SOLE_SHARE:
            return code
    return None


def _count(pattern: re.Pattern[str], text: str) -> int:
    """How many characters of ``text`` match ``pattern``, a one-character class.

    Summed over runs of them: ``findall`` of the class alone would make a string
    per character, a run makes one per word.
    """
    runs = _RUNS.get(pattern)
    if runs is None:
        runs = _RUNS[pattern] = re.compile(pattern.pattern + "+")
    return sum(map(len, runs.findall(text)))


_RUNS: dict[re.Pattern[str], re.Pattern[str]] = {}


def _classify(sample: str) -> str:
    identifier = _get_identifier()
    if len(sample) >= _SHORT:
        return str(identifier.classify(sample)[0])
    ranked: list[tuple[str, float]] = identifier.rank(sample)
    best = max(ranked[:8], key=lambda pair: pair[1] * (_CORE_WEIGHT if pair[0] in CORE else 1.0))
    return str(best[0])


_SCRIPT_OF: dict[str, str] = {
    **dict.fromkeys(("ar", "fa", "ur", "ps", "ku"), "arabic"),
    **dict.fromkeys(("ru", "uk", "bg", "be", "mk", "kk"), "cyrillic"),
    **dict.fromkeys(
        ("en", "fr", "de", "es", "it", "pl", "tr", "pt", "nl", "sv", "da", "no", "fi", "cs", "sk"),
        "latin",
    ),
    **dict.fromkeys(("hu", "ro", "hr", "sl", "et", "lv", "lt", "id", "ms", "vi"), "latin"),
    "he": "hebrew",
    "el": "greek",
}
_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("arabic", _ARABIC_SCRIPT),
    ("cyrillic", _CYRILLIC),
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f]")),
    ("hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
)


def hint_fits(hint: str, text: str) -> bool:
    """False when a declared language cannot be right: its script is not the
    text's (a CMS default of "en-US" on an Arabic feed). Unknown: True."""
    script = _SCRIPT_OF.get(_normalise_hint(hint))
    if script is None:
        return True
    sample = sample_text(text)
    if sample.isascii() and script == "latin":
        return True  # every letter counted below would be Latin
    counts = {name: _count(pattern, sample) for name, pattern in _SCRIPTS}
    total = sum(counts.values())
    if total < 10:
        return True
    return counts[script] * 3 >= total


_LANG_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def item_language(title: str, body: str, *declared: str | None) -> str | None:
    """The language of an item: the first declared language (entry, feed, source
    hint...) that is a language code and fits the text's script, else detected."""
    sample = sample_text(f"{title}\n{body[:SAMPLE_CHARS]}")
    hint = next(
        (lang for lang in declared if lang and _LANG_CODE.match(lang) and hint_fits(lang, sample)),
        None,
    )
    return detect_language(sample, hint)
