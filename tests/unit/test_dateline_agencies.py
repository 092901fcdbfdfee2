"""Datelines: the agency table (AAP is not AP) and short month names."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.sources.dateline import canonical_name, find_dateline, parse_date
from monitor.sources.ritzau import AGENCY as RITZAU
from monitor.sources.wirefmt import agency_name

REFERENCE = date(2022, 12, 20)


@pytest.mark.parametrize(
    ("text", "agency", "place", "published"),
    [
        ("SYDNEY, Dec 12 (AAP) - Text.", "AAP", "SYDNEY", "2022-12-12"),
        ("CANBERRA (Australian Associated Press) - Text.", "AAP", "CANBERRA", None),
        ("WASHINGTON (AP) — Text.", "AP", "WASHINGTON", None),
        ("OSLO, 12. okt. (NTB) - Text.", "NTB", "OSLO", "2022-10-12"),
        ("STOCKHOLM (TT) - Text.", "TT", "STOCKHOLM", None),
        ("HELSINKI (STT) - Text.", "STT", "HELSINKI", None),
        ("LONDON (PA) - Text.", "PA", "LONDON", None),
        ("LONDON, Dec 1 (PA Media) - Text.", "PA", "LONDON", "2022-12-01"),
        ("ROME (ANSA) - Text.", "ANSA", "ROME", None),
        ("MADRID (EFE) - Text.", "EFE", "MADRID", None),
        ("ANKARA (AA) - Text.", "Anadolu", "ANKARA", None),
        ("ISTANBUL (Anadolu Agency) - Text.", "Anadolu", "ISTANBUL", None),
        ("TEHRAN, Dec 12 (IRNA) - Text.", "IRNA", "TEHRAN", "2022-12-12"),
        ("BEIJING, Dec. 12 (Xinhua) -- Text.", "Xinhua", "BEIJING", "2022-12-12"),
        ("TOKYO, Dec 12 (Kyodo) - Text.", "Kyodo", "TOKYO", "2022-12-12"),
        ("SEOUL, Dec. 12 (Yonhap) -- Text.", "Yonhap", "SEOUL", "2022-12-12"),
        ("BRÜSSEL, 12. Dez. (dpa) - Text.", "dpa", "BRÜSSEL", "2022-12-12"),
        ("BERLIN, 3. Okt. (dpa) - Text.", "dpa", "BERLIN", "2022-10-03"),
        ("PARIS, 12 déc. (AFP) - Texte.", "AFP", "PARIS", "2022-12-12"),
        ("MOSCOU, 3 févr. (AFP) - Texte.", "AFP", "MOSCOU", "2022-02-03"),
        ("МОСКВА, 12 дек. /ТАСС/. Текст.", "TASS", "МОСКВА", "2022-12-12"),
        ("КИЇВ, 12 груд. /Укрінформ/. Текст.", "Ukrinform", "КИЇВ", "2022-12-12"),
        ("KØBENHAVN (Ritzau) - Tekst.", "Ritzau", "KØBENHAVN", None),
        ("AARHUS, 12. maj (ritzau) - Tekst.", "Ritzau", "AARHUS", "2022-05-12"),
        ("ODENSE, 3. marts (Ritzaus Bureau) - Tekst.", "Ritzau", "ODENSE", "2022-03-03"),
    ],
)
def test_agency_datelines(text: str, agency: str, place: str, published: str | None) -> None:
    found = find_dateline(text, REFERENCE)
    assert found is not None
    assert (found.agency, found.place, found.published) == (agency, place, published)


def test_aap_is_never_ap() -> None:
    assert canonical_name("AAP") == ("AAP", "agency")
    assert canonical_name("Australian Associated Press") == ("AAP", "agency")
    assert canonical_name("The Associated Press") == ("AP", "agency")
    assert agency_name("aap.com.au") == "AAP"
    assert agency_name("Deutsche Presse-Agentur") == "dpa"
    assert agency_name("Agence France-Presse") == "AFP"
    assert agency_name("Norsk Telegrambyrå") == "NTB"
    assert agency_name("Suomen Tietotoimisto") == "STT"


def test_ritzau_is_one_agency_whichever_way_it_is_named() -> None:
    # Its sign-off and XMLNews origin ("/ritzau/", "Via Ritzau"), the old full name,
    # and the name the Ritzau parser gives its items are all the table's one name.
    for text in ("/ritzau/", "Via Ritzau", "RITZAU", "Ritzaus Bureau", "ritzau.dk"):
        assert agency_name(text) == "Ritzau", text
    assert canonical_name(RITZAU) == (RITZAU, "agency")


@pytest.mark.parametrize(
    ("text", "month"),
    [
        # de
        ("3. Jan.", 1), ("3. Feb.", 2), ("3. Mär.", 3), ("3. Mrz.", 3), ("3. Apr.", 4),
        ("3. Mai", 5), ("3. Jun.", 6), ("3. Jul.", 7), ("3. Aug.", 8), ("3. Sept.", 9),
        ("3. Okt.", 10), ("3. Nov.", 11), ("3. Dez.", 12),
        # fr
        ("3 janv.", 1), ("3 févr.", 2), ("3 fevr.", 2), ("3 mars", 3), ("3 avr.", 4),
        ("3 juil.", 7), ("3 sept.", 9), ("3 oct.", 10), ("3 nov.", 11), ("3 déc.", 12),
        # ru
        ("3 янв.", 1), ("3 фев.", 2), ("3 февр.", 2), ("3 мар.", 3), ("3 апр.", 4),
        ("3 июн.", 6), ("3 июл.", 7), ("3 авг.", 8), ("3 сент.", 9), ("3 сен.", 9),
        ("3 окт.", 10), ("3 нояб.", 11), ("3 ноя.", 11), ("3 дек.", 12),
        # uk
        ("3 січ.", 1), ("3 лют.", 2), ("3 бер.", 3), ("3 квіт.", 4), ("3 трав.", 5),
        ("3 черв.", 6), ("3 лип.", 7), ("3 серп.", 8), ("3 вер.", 9), ("3 жовт.", 10),
        ("3 лист.", 11), ("3 груд.", 12),
    ],
)  # fmt: skip
def test_short_month_names(text: str, month: int) -> None:
    assert parse_date(f"{text} 2021", REFERENCE) == f"2021-{month:02d}-03"


def test_short_forms_do_not_match_inside_words() -> None:
    # "листопада" is November in full; "лист" alone is also November, but not a prefix match.
    assert parse_date("3 листопада 2021", REFERENCE) == "2021-11-03"
    assert parse_date("3 листівки", REFERENCE) is None
    assert parse_date("Oktoberfest 3", REFERENCE) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("رويتَرز", "Reuters"),  # tashkeel inside the name
        ("فرانس\u200f برس", "AFP"),  # a bidi mark between the words
        ("Agence\nFrance-Presse", "AFP"),  # a line break inside a name of several words
        ("ＡＦＰ", "AFP"),  # fullwidth letters (NFKC)
    ],
)
def test_names_are_found_under_the_shared_fold(text: str, name: str) -> None:
    # Datelines fold as the matcher does (docs/matching.md), not with a fold of their own.
    found = canonical_name(text)
    assert found is not None and found[0] == name


@pytest.mark.parametrize(
    "text", ["Nyheder på dansk", "Nyheter på svenska", "La ría de Vigo", "Él está aquí pá"]
)
def test_accented_words_are_not_short_agency_names(text: str) -> None:
    # Accents are kept for names (unlike matching): "på" is not PA, "ría" not RIA.
    assert canonical_name(text) is None


def test_dates_are_read_under_the_shared_fold() -> None:
    assert parse_date("12 كانُون الثاني ٢٠٢٢", REFERENCE) == "2022-01-12"
    assert parse_date("3 fe\u0301vr. 2021", REFERENCE) == "2021-02-03"  # decomposed é
    assert parse_date("۵ آذار ۲۰۲۱", REFERENCE) == "2021-03-05"  # Persian digits
