"""Feeds whose bytes are not in the encoding they declare (or imply) are repaired
where the bytes allow it; feeds that tell the truth are left alone."""

from __future__ import annotations

import pytest

from monitor.sources.context import SourceContext
from monitor.sources.feeds import parse_feed

TITLE_RU = "Песков заявил о гарантиях безопасности"
TITLE_FR = "Sécurité: l'Élysée répond à Moscou"


def _rss(title: str, declaration: str | None) -> str:
    encoding = f' encoding="{declaration}"' if declaration else ""
    head = f'<?xml version="1.0"{encoding}?>'
    return (
        f'{head}<rss version="2.0"><channel><title>Лента</title><link>https://example.org/</link>'
        f"<item><title>{title}</title><description>Кремль и НАТО</description>"
        "<guid>https://example.org/1</guid></item></channel></rss>"
    )


def _titles(data: bytes, content_type: str | None = None) -> list[str]:
    headers = {"content-type": content_type} if content_type else {}
    return [item.title for item in parse_feed(data, SourceContext(source="t", headers=headers))]


@pytest.mark.parametrize("declaration", [None, "utf-8", "iso-8859-1", "windows-1252"])
@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
def test_russian_feed_in_a_legacy_code_page_is_read_whatever_it_declares(
    declaration: str | None, encoding: str
) -> None:
    assert _titles(_rss(TITLE_RU, declaration).encode(encoding)) == [TITLE_RU]


def test_header_charset_that_lies_is_overruled_by_the_bytes() -> None:
    data = _rss(TITLE_RU, None).encode("koi8_r")
    assert _titles(data, "application/rss+xml; charset=utf-8") == [TITLE_RU]


def test_truthful_declarations_are_believed() -> None:
    assert _titles(_rss(TITLE_RU, "windows-1251").encode("cp1251")) == [TITLE_RU]
    french = _rss(TITLE_FR, "iso-8859-1").replace("Лента", "Fil").replace("Кремль и НАТО", "OTAN")
    assert _titles(french.encode("latin-1")) == [TITLE_FR]
    assert _titles(_rss(TITLE_RU, "utf-8").encode("utf-8")) == [TITLE_RU]
