"""``monitor.jsontext``: JSON text keeps its characters, escapes only a lone surrogate."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from monitor.jsontext import json_text


def test_characters_stay_as_they_are_and_read_back() -> None:
    data = {"title": "Песков: الناتو", "n": 1}
    text = json_text(data)
    assert "Песков" in text and "\\u" not in text
    assert json.loads(text) == data
    assert json_text({"a": "plain"}) == json.dumps({"a": "plain"}, ensure_ascii=False)


def test_a_lone_surrogate_keeps_the_escapes() -> None:
    data = {"title": "Песков \ud800"}
    text = json_text(data)
    assert text.isascii() and "\\ud800" in text
    text.encode("utf-8")  # what a Redis client does with it
    assert json.loads(text) == data


def test_an_encoder_for_other_types() -> None:
    class Dates(json.JSONEncoder):
        def default(self, o: object) -> object:
            return o.isoformat() if isinstance(o, datetime) else super().default(o)

    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert json.loads(json_text({"at": at}, Dates)) == {"at": at.isoformat()}
