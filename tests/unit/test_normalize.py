"""Normalisation and tokenisation (docs/matching.md): folded forms and offsets."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.text.normalize import (
    _ARABIC_MARKS,
    _KEEP,
    _TABLE,
    fold_keeping_accents,
    fold_text,
    normalize_token,
)
from monitor.text.tokenize import tokenize


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("NATO", "nato"),
        ("Sécurité", "securite"),
        ("Straße", "strasse"),
        ("ＮＡＴＯ", "nato"),  # NFKC: full-width letters
        ("أُوكْرَانِيَا", "اوكرانيا"),  # tashkeel and hamza-on-alef off
        ("الـنـاتـو", "الناتو"),  # tatweel
        ("إلى", "الي"),  # إ -> ا, ى -> ي
        ("آمن", "امن"),
        ("ٱلله", "الله"),
        ("الأمنية", "الامنيه"),  # ة -> ه
        ("الامنیۃ", "الامنيه"),  # Urdu ta marbuta ۃ -> ه too
        ("کتاب", "كتاب"),  # Persian kaf
        ("یوم", "يوم"),  # Persian yeh
        ("٢٠٢٢", "2022"),
        ("۲۰۲۲", "2022"),
        ("\u200fNATO\u200e", "nato"),  # bidi marks
        ("Ёлка", "елка"),
        ("Київ", "київ"),  # ї stays a letter of its own
        ("Дмитрий", "дмитрий"),  # й too
    ],
)
def test_normalize_token(raw: str, folded: str) -> None:
    assert normalize_token(raw) == folded


def test_tokens_slice_the_original_text() -> None:
    text = "l’Ukraine, NATO-Russia et NATO's « الـنـاتـو » \u200fPeskov\u200f."
    tokens = tokenize(text)
    assert [t.text for t in tokens] == [
        "l",
        "Ukraine",
        "NATO",
        "Russia",
        "et",
        "NATO",
        "s",
        "الـنـاتـو",
        "Peskov",
    ]
    for token in tokens:
        assert text[token.start : token.end] == token.text
        assert token.norm == normalize_token(token.text)


def test_marks_do_not_split_words() -> None:
    assert [t.norm for t in tokenize("بِيسْكُوفْ قَالَ")] == ["بيسكوف", "قال"]
    assert [t.norm for t in tokenize("Sécurité")] == ["securite"]


def test_sentences_break_on_punctuation_not_on_line_breaks() -> None:
    tokens = tokenize("security\n  guarantees. Next; one؟ آخر؛ ثم! end")
    assert [t.sentence for t in tokens] == [0, 0, 1, 2, 3, 4, 5]


def test_blank_line_breaks_a_sentence() -> None:
    tokens = tokenize("security\n\nguarantees")
    assert tokens[0].sentence != tokens[1].sentence


def test_underscore_and_invisible_only_runs() -> None:
    assert [t.text for t in tokenize("a_b \u200f\u200f c")] == ["a", "b", "c"]
    assert tokenize("") == []


@given(st.text(max_size=60))
def test_tokens_always_slice_their_text(text: str) -> None:
    previous_end = 0
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text
        assert token.start >= previous_end and token.end > token.start
        assert token.norm
        previous_end = token.end


def _full_fold(text: str) -> str:
    """``fold_text`` with its ``translate`` always applied (the reference)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    for pair, letter in _KEEP:
        decomposed = decomposed.replace(pair, letter)
    return unicodedata.normalize("NFC", decomposed.translate(_TABLE))


def test_skipping_the_translate_changes_no_fold() -> None:
    # Every BMP character alone, and after a letter with a mark that folding keeps.
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        assert fold_text(ch) == _full_fold(ch), hex(code)
        assert fold_text("й" + ch) == _full_fold("й" + ch), hex(code)
    for text in ("\U0001d400b", "\U0001f600", "x\U0001d167", "\uac00\u11a8", "\u1100\u1161"):
        assert fold_text(text) == _full_fold(text), repr(text)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("på", "på"),  # not "pa", the agency PA
        ("Jänner", "jänner"),
        ("FÉVR", "févr"),
        ("fe\u0301vr", "févr"),  # decomposed: composed again
        ("Ёнхап", "ёнхап"),
        ("ＡＦＰ", "afp"),
        ("أُوكْرَانِيَا", "اوكرانيا"),  # Arabic marks and letter variants as for matching
        ("الـنـاتـو", "الناتو"),
        ("مسؤول", "مسوول"),
        ("۲۰۲۲", "2022"),
        ("\u200fفرانس\u200f برس", "فرانس برس"),
    ],
)
def test_fold_keeping_accents(raw: str, folded: str) -> None:
    assert fold_keeping_accents(raw) == folded


def test_fold_keeping_accents_differs_from_fold_text_only_by_the_accents() -> None:
    # Every BMP character: the same fold, except for the non-Arabic marks it keeps.
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        source = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", ch).casefold())
        kept = [c for c in source if unicodedata.combining(c) and c not in _ARABIC_MARKS]
        got = fold_keeping_accents(ch)
        if kept:
            marks = [c for c in unicodedata.normalize("NFD", got) if unicodedata.combining(c)]
            assert marks == kept, hex(code)
        else:
            assert got == fold_text(ch), hex(code)
