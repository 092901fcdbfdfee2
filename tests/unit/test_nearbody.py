"""Near-duplicate bodies (``monitor.alerts.nearbody``): the same wire text as another
outlet carries it (an intro line added, the last paragraph cut) shares a body key; other
stories of the same day and topic, even quoting the same spokesman and sharing a
background paragraph, share none. The Jaccard figures are measured on these fixtures and
pinned, so a change of normalisation or shingling shows here first."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.alerts import nearbody
from monitor.alerts.nearbody import body_keys, body_words, jaccard, legacy_body_keys, signature
from tests.nearbody_reference import golden_texts, reference_body_words, reference_signature2

STORIES = Path(__file__).parents[1] / "fixtures" / "stories"
SEED_AR = Path(__file__).parents[2] / "seeds" / "peskov-security-guarantees.ar.txt"


def body(path: Path, skip: int = 1) -> str:
    """The text after the headline (and, for the seed, its repeated headline)."""
    return path.read_text(encoding="utf-8").split("\n\n", skip)[skip]


TALKS = body(STORIES / "peskov-talks.en.txt")
GAS = body(STORIES / "peskov-gas.en.txt")  # same day, same spokesman, shared background
ZAKHAROVA = body(STORIES / "zakharova-reply.en.txt")  # same talks, another spokesman
ARABIC = body(SEED_AR, skip=2)

INTRO = (
    "Russia's position on the talks in Brussels and Geneva is unchanged, the Kremlin said "
    "on Wednesday, according to a report by Reuters carried by our partner.\n\n"
)
INTRO_AR = (
    "أفادت وكالة سبوتنيك بأن الكرملين أكد موقفه من المفاوضات الجارية مع الولايات المتحدة "
    "وحلف الناتو حول الضمانات الأمنية.\n\n"
)


def cut(text: str, paragraphs: int = 1) -> str:
    return "\n\n".join(text.split("\n\n")[:-paragraphs])


def shared(a: str, b: str) -> int:
    return len(set(body_keys(a)) & set(body_keys(b)))


# (name, original, copy, measured Jaccard, grouped)
CASES = [
    ("intro line added", TALKS, INTRO + TALKS, 0.840, True),
    ("last paragraph cut", TALKS, cut(TALKS), 0.884, True),
    ("intro added and last paragraph cut", TALKS, INTRO + cut(TALKS), 0.811, True),
    (
        "dateline rewritten",
        TALKS,
        TALKS.replace("MOSCOW, Jan 12 (Reuters) -", "(UrduPoint / Reuters - 12th Jan, 2022)"),
        0.970,
        True,
    ),
    ("arabic: intro line added", ARABIC, INTRO_AR + ARABIC, 0.891, True),
    (
        "arabic: intro added, tail past 300 words cut",
        ARABIC,
        INTRO_AR + cut(ARABIC, 2),
        0.891,
        True,
    ),
    ("two Peskov stories of one day", TALKS, GAS, 0.116, False),
    ("another spokesman on the same talks", TALKS, ZAKHAROVA, 0.049, False),
    ("two other stories of the topic", GAS, ZAKHAROVA, 0.053, False),
]


@pytest.mark.parametrize(
    ("original", "copy", "similarity", "grouped"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_copies_group_and_other_stories_do_not(
    original: str, copy: str, similarity: float, grouped: bool
) -> None:
    assert jaccard(original, copy) == pytest.approx(similarity, abs=0.0005)
    assert (shared(original, copy) > 0) is grouped


def test_band_parameters_split_0_8_from_0_5() -> None:
    """The LSH S-curve ``1 - (1 - J**ROWS)**BANDS``: near-sure at J >= 0.8, unlikely at
    0.5, negligible at the 0.05-0.12 of different stories on one topic."""

    def chance(j: float) -> float:
        return float(1 - (1 - j**nearbody.ROWS) ** nearbody.BANDS)

    assert chance(0.8) > 0.99
    assert chance(0.5) < 0.15
    assert chance(0.15) < 1e-5


def test_short_bodies_have_no_body_keys() -> None:
    short = " ".join(TALKS.split()[: nearbody.MIN_WORDS - 1])
    assert body_keys(short) == ()
    assert body_keys("") == ()
    assert len(body_keys(TALKS)) == nearbody.BANDS


def test_keys_are_stable_and_ignore_case_and_furniture() -> None:
    keys = body_keys(TALKS)
    assert all(key.startswith(f"body2:{band}:") for band, key in enumerate(keys))
    # Stored keys must not change between processes or releases: pinned.
    assert keys[0] == "body2:0:1f923c4d76b894153866049b"
    assert body_keys(TALKS.upper() + "\n\n(more)\n\nRead more: https://example.com") == keys
    # the keys of earlier releases, still looked up while a story index may hold them
    legacy = legacy_body_keys(TALKS)
    assert legacy[0] == "body:0:9666392eb3d40177edd27478"
    assert not set(legacy) & set(keys)


# Characters around which folding a chunk alone could differ from folding the whole text:
# every whitespace character, marks (after a space, on и and і, Arabic tashkeel),
# tatweel and zero-width marks, compatibility forms that fold into spaces or several
# words (U+FDFA, U+2474, the NBSP, ﬁ), Hangul jamo that compose, digits of other
# scripts, lone surrogates, furniture-like lines.
_WHITESPACE = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
_TRICKY = (
    "\u0301\u0306\u0308\u064e\u0651\u0670\u0640\u200b\u200c\u00ad\ufeff\ufdfa\u2474"
    "\ufb01\u1100\u1161\u11a8\u0663\u06f5\ud800\u00df\u03a3\u0130"
    "иійЁأإىةکNATOнатоالناتوa1_-.,«»'’"
)
_TEXT = st.text(alphabet=st.sampled_from(_WHITESPACE + _TRICKY), max_size=200)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_words_read_chunk_by_chunk_are_the_whole_texts_words(text: str) -> None:
    """``body_words`` folds chunk by chunk and stops after the lead; its words are those
    of the whole text folded at once, as the stored keys were first computed."""
    assert body_words(text) == reference_body_words(text)


def test_words_of_every_whitespace_beside_every_tricky_character() -> None:
    for space in _WHITESPACE:
        for char in _TRICKY:
            for text in (f"a{space}{char}b", f"a{char}{space}b", f"{char}{space}{char}"):
                assert body_words(text) == reference_body_words(text), repr(text)


def test_words_of_the_golden_texts_and_a_long_lead() -> None:
    long_lead = " ".join(f"w{n}" for n in range(nearbody.MAX_WORDS * 2))
    for text in [*golden_texts().values(), long_lead, long_lead.replace(" ", " - ")]:
        assert body_words(text) == reference_body_words(text)
    assert len(body_words(long_lead)) == nearbody.MAX_WORDS


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["the", "nato", "الناتو", "песков", "a", "\ud800", "é"]), max_size=9)
)
def test_signature_is_the_minimum_over_the_set_of_shingles(words: list[str]) -> None:
    """Shingles hashed as slices of the lead encoded once, repeats included, give the
    values of each distinct shingle string encoded and hashed on its own."""
    assert signature(words) == reference_signature2(words)
