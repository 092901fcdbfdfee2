"""Plain-text wire stories, datelines and language detection."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.sources.clean import clean_text, decode_bytes, decode_prefix, iso_utc
from monitor.sources.context import SourceContext
from monitor.sources.dateline import canonical_name, find_dateline, parse_date
from monitor.sources.wire import parse_wire_text
from monitor.text.language import detect_language

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def ctx(source: str = "test.txt", language: str | None = None) -> SourceContext:
    return SourceContext(source=source, language=language, fetched_at=FETCHED)


def test_seed_arabic_story() -> None:
    path = SEEDS / "peskov-security-guarantees.ar.txt"
    [item] = parse_wire_text(path.read_bytes(), ctx(str(path)))
    assert item.title == "بيسكوف: روسيا لا تتفاوض مع الغرب حول الضمانات الأمنية من موقع القوة"
    assert item.language == "ar"
    assert (item.agency, item.publisher, item.published) == ("Sputnik", "UrduPoint", "2022-01-12")
    assert item.title not in item.body
    assert "(تستمر)" not in item.body
    assert "أفكارك وتعليقاتك" not in item.body
    assert item.body.startswith("( أردو بوینت")  # the dateline stays in the body
    assert "\n\n" in item.body and "\n\n\n" not in item.body
    assert '..".' not in item.body  # punctuation-only debris paragraph
    assert item.body.rstrip().endswith("في موضوع عدم توسع الناتو.")
    assert item.id.startswith("sha256:") and len(item.id) == len("sha256:") + 16
    assert item.story_id is not None and item.story_id.startswith("story:")
    assert item.source == str(path)
    # Stable for the same file.
    assert parse_wire_text(path.read_bytes(), ctx(str(path)))[0].id == item.id


@pytest.mark.parametrize(
    ("name", "language", "agency", "place", "published"),
    [
        ("nato-council-brussels.en.txt", "en", "Reuters", "BRUSSELS", "2026-01-12"),
        ("zakharova-nato-expansion.ru.txt", "ru", "TASS", "МОСКВА", "2026-01-13"),
        ("sicherheitsgarantien.de.txt", "de", "dpa", "MOSKAU", "2026-01-12"),
        ("garanties-securite.fr.txt", "fr", "AFP", "BRUXELLES", "2026-01-12"),
        ("weather-kyiv.uk.txt", "uk", "Ukrinform", "КИЇВ", "2026-01-12"),
    ],
)
def test_seed_datelines(name: str, language: str, agency: str, place: str, published: str) -> None:
    [item] = parse_wire_text((SEEDS / name).read_bytes(), ctx(name))
    assert (item.language, item.agency, item.place, item.published) == (
        language,
        agency,
        place,
        published,
    )
    assert item.body.startswith(place)


def test_bom_crlf_controls_and_markers() -> None:
    text = (
        "\ufeffHeadline here\r\n\r\nHeadline here\r\nFirst\x07 paragraph.\r\n-more-\r\n"
        "\r\n(more)\r\n\r\nSecond.\r\n\r\nRead more…\r\n"
    )
    [item] = parse_wire_text(text.encode("utf-8"), ctx(language="en"))
    assert item.title == "Headline here"
    assert item.body == "First paragraph.\n\nSecond."
    assert item.language == "en"  # the hint wins


def test_repeated_headline_dropped_only_once() -> None:
    text = "Same line\n\nSame line\n\nSame line\n\nText."
    [item] = parse_wire_text(text.encode(), ctx())
    assert item.body == "Same line\n\nText."


def test_russian_continuation_marker_and_cp1251() -> None:
    text = (
        "Песков: переговоры продолжатся\n\n"
        "МОСКВА, 12 января. /ТАСС/. Текст.\n\n(Продолжение следует)\n"
    )
    [item] = parse_wire_text(text.encode("cp1251"), ctx())
    assert item.title == "Песков: переговоры продолжатся"
    assert "Продолжение" not in item.body
    assert item.agency == "TASS"


def test_mojibake_is_repaired() -> None:
    broken = "Garanties de sécurité pour l'Europe".encode().decode("cp1252")
    [item] = parse_wire_text(f"{broken}\n\nTexte.".encode(), ctx())
    assert item.title == "Garanties de sécurité pour l'Europe"


def test_nfc_normalisation() -> None:
    [item] = parse_wire_text("Se\u0301curite\u0301\n\nx".encode(), ctx())
    assert item.title == "Sécurité"


def test_empty_story_is_parse_error_naming_source() -> None:
    with pytest.raises(ParseError, match=r"inbox/x\.txt"):
        parse_wire_text(b"\n \n\t\n", ctx("inbox/x.txt"))


def test_title_only_story() -> None:
    [item] = parse_wire_text(b"Breaking: only a headline", ctx())
    assert item.body == ""
    # no dateline: the fetch time stands in, as for feeds
    assert item.published == iso_utc(FETCHED)


@pytest.mark.parametrize(
    ("line", "place", "published", "agency", "publisher"),
    [
        (
            "( أردو بوینت نتورك ۔ / سبوتنيك - 12 كانون الثاني 2022ء) نص",
            None,
            "2022-01-12",
            "Sputnik",
            "UrduPoint",
        ),
        ("موسكو، ١٢ يناير (رويترز) - قال", "موسكو", "2026-01-12", "Reuters", None),
        ("(سبوتنيك - ۱۳ شباط ۲۰۲۲) نص", None, "2022-02-13", "Sputnik", None),
        ("BRUSSELS, Jan 12 (Reuters) - Text", "BRUSSELS", "2026-01-12", "Reuters", None),
        ("LONDON, 3 March 2021 (Reuters) - x", "LONDON", "2021-03-03", "Reuters", None),
        ("МОСКВА, 13 января. /ТАСС/. Текст", "МОСКВА", "2026-01-13", "TASS", None),
        ("МОСКВА, 2 марта. /РИА Новости/. Текст", "МОСКВА", "2026-03-02", "RIA Novosti", None),
        ("BRÜSSEL, 12. Januar (dpa) - Text", "BRÜSSEL", "2026-01-12", "dpa", None),
        ("MOSCOU, 12 janvier (AFP) - Texte", "MOSCOU", "2026-01-12", "AFP", None),
        ("WASHINGTON (AP) — The", "WASHINGTON", None, "AP", None),
        ("BUENOS AIRES, Argentina (AP) _ For", "BUENOS AIRES, Argentina", None, "AP", None),
        ("Berlin (dpa) - Negotiations", "Berlin", None, "dpa", None),
        ("KYIV, Dec 30 (Interfax) - x", "KYIV", "2025-12-30", "Interfax", None),
    ],
)
def test_datelines(
    line: str, place: str | None, published: str | None, agency: str, publisher: str | None
) -> None:
    found = find_dateline(line, date(2026, 11, 29))
    assert found is not None
    assert (found.place, found.published, found.agency, found.publisher) == (
        place,
        published,
        agency,
        publisher,
    )
    assert 0 < found.end < len(line)


@pytest.mark.parametrize(
    "line",
    [
        "Officials (who declined to be named) - said",
        "The talks, which began on Monday (local time) - ended",
        "Just a sentence with no dateline at all.",
    ],
)
def test_prose_is_not_a_dateline(line: str) -> None:
    assert find_dateline(line, date(2026, 1, 1)) is None


def test_parse_date_rolls_back_a_year_and_rejects_nonsense() -> None:
    assert parse_date("Dec 31", date(2026, 1, 1)) == "2025-12-31"
    assert parse_date("31 февраля", date(2026, 5, 1)) is None
    assert parse_date("no month here 12", date(2026, 5, 1)) is None


def test_canonical_names_any_script() -> None:
    assert canonical_name("ТАСС") == ("TASS", "agency")
    assert canonical_name("رويترز") == ("Reuters", "agency")
    assert canonical_name("أردو بوینت نتورك ۔") == ("UrduPoint", "publisher")
    assert canonical_name("Укрінформ") == ("Ukrinform", "agency")
    assert canonical_name("Someone Else") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("بيسكوف: روسيا لا تتفاوض مع الغرب حول الضمانات الأمنية", "ar"),
        ("الناتو يرفض المطالب الروسية", "ar"),
        ("NATO-Russia Council meets in Brussels", "en"),
        ("Biden meets Putin in Geneva", "en"),
        ("Kremlin says talks stalled", "en"),
        ("Захарова: Москва ждёт письменного ответа НАТО", "ru"),
        ("Путин провел совещание", "ru"),
        ("Армия России", "ru"),
        ("Влада Србије усвојила нови закон", "sr"),
        ("У Києві очікується сильний снігопад", "uk"),
        ("Зеленський заявив про нову допомогу", "uk"),
        ("L'OTAN rejette les exigences russes", "fr"),
        ("Moscou exige des garanties", "fr"),
        ("Kreml: Keine Verhandlungen über Sicherheitsgarantien", "de"),
        ("Scholz trifft Macron in Berlin", "de"),
        ("واکنش ایران به تحریم های جدید", "fa"),
        ("پاکستان میں بارش سے نقصان", "ur"),
    ],
)
def test_detect_language_short_headlines(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_detect_language_hint_and_empty() -> None:
    assert detect_language("Putin", hint="ru-RU") == "ru"
    assert detect_language("12345 !!") is None
    assert detect_language("") is None


def test_iptc7901_envelope_is_unwrapped() -> None:
    text = (
        "\x01eca062 4 i 211 ccccb   dpa 061\r\n\r\nGermany-politics/\r\n"
        "\x02Coalition talks could fail =\r\n\r\n"
        "   Berlin (dpa) - Negotiations between German conservatives\r\n"
        "could fail, a senior SPD member warned.\r\n\x03"
    )
    [item] = parse_wire_text(text.encode("latin-1"), ctx())
    assert item.title == "Coalition talks could fail"
    assert item.body.startswith("Berlin (dpa) - Negotiations")
    assert "\x03" not in item.body
    assert (item.agency, item.place) == ("dpa", "Berlin")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_any_text_gives_one_item_or_parse_error(text: str) -> None:
    try:
        items = parse_wire_text(text.encode("utf-8", errors="surrogatepass"), ctx())
    except ParseError:
        # Only blanks and invisible characters once mojibake is repaired ("Â\x8d" is
        # U+008D read as cp1252): nothing to read a headline from.
        readable = clean_text(text)
        assert not any(c.isprintable() and not c.isspace() for c in readable)
        return
    [item] = items
    assert item.title and "\n" not in item.title
    assert "\n\n\n" not in item.body


def test_hint_ignored_when_script_cannot_match() -> None:
    data = "Песков: переговоры продолжатся\n\nТекст.".encode()
    assert parse_wire_text(data, ctx(language="ar"))[0].language == "ru"
    assert parse_wire_text(data, ctx(language="uk"))[0].language == "uk"  # same script: trusted


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Привет мир, как дела у вас сегодня", "cp1251"),
        ("Привет мир, как дела у вас сегодня", "koi8_r"),
        ("مرحبا بالعالم يا صديقي العزيز", "cp1256"),
        ("Sécurité garantie à l'Europe", "cp1252"),
    ],
)
def test_legacy_encodings_are_guessed(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


def test_decode_prefix_does_not_split_a_character() -> None:
    data = ("ж" * 10).encode()
    assert decode_prefix(data, 5) == "жж"
    assert decode_prefix(data, 100) == "ж" * 10


def test_danish_wire_copy_names_ritzau_and_loses_the_relay_notice() -> None:
    text = (
        "Vindmølle åbner i Esbjerg\n\n"
        "ESBJERG, 12. maj (RITZAU) - Et nyt anlæg åbner tirsdag.\n\n"
        "Det siger direktøren.\n\n"
        "** Ovennævnte pressemeddelelse er formidlet af Ritzau på vegne af en tredjepart.\n"
        "Ritzau er ikke ansvarlig for indholdet **\n"
    )
    [item] = parse_wire_text(text.encode("utf-8"), ctx())
    # The table's one name, as the Ritzau XMLNews parser gives it; not "RITZAU".
    assert (item.agency, item.place, item.published) == ("Ritzau", "ESBJERG", "2026-05-12")
    assert item.body.endswith("Det siger direktøren.")


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2022, 1, 12, 10, 0, 5, 999, tzinfo=UTC), "2022-01-12T10:00:05Z"),
        (datetime(2022, 1, 12, 12, 0), "2022-01-12T12:00:00Z"),  # naive: taken as UTC
        # a year before 1000 (a mangled date) keeps four digits: it sorts before today
        (datetime(300, 1, 13, tzinfo=UTC), "0300-01-13T00:00:00Z"),
    ],
)
def test_iso_utc_is_always_the_full_width_form(moment: datetime, text: str) -> None:
    assert iso_utc(moment) == text
