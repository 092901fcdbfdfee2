"""monitor.alerts.script: a quote's language, its quotation marks and its direction."""

from __future__ import annotations

import pytest

from monitor.alerts.script import direction, quote_language, quote_marks


@pytest.mark.parametrize(
    ("quote", "declared", "language", "marks"),
    [
        ("روسيا لا تتفاوض", "ar", "ar", ("«", "»")),
        ("روسيا لا تتفاوض", "en", "ar", ("«", "»")),  # an Arabic quote in an English item
        ("روسيا لا تتفاوض", None, "ar", ("«", "»")),
        ("Москва ждёт ответа", "ru", "ru", ("«", "»")),
        ("Ми не ведемо переговорів", "uk", "uk", ("«", "»")),  # Cyrillic stays Ukrainian
        ("Nous ne négocions pas", "fr", "fr", ("«\u00a0", "\u00a0»")),
        ("Wir verhandeln nicht", "de-AT", "de", ("„", "“")),
        ("We do not negotiate", "en_GB", "en", ("“", "”")),
        ("We do not negotiate", "ar", None, ("“", "”")),  # a Latin quote in an Arabic item
        ("« 123 »", None, None, ("“", "”")),
    ],
)
def test_quote_language_and_marks(
    quote: str, declared: str | None, language: str | None, marks: tuple[str, str]
) -> None:
    assert quote_language(quote, declared) == language
    assert quote_marks(language) == marks


def test_direction_is_the_first_strong_characters() -> None:
    assert direction("«روسيا»") == "rtl"
    assert direction("2022: بيسكوف") == "rtl"  # digits are weak
    assert direction("NATO الناتو") == "ltr"
    assert direction("") == direction("123 …") == "ltr"
