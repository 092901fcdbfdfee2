"""The web console over a PostgreSQL history: the same pages and filters as over
SQLite (tests/unit/test_web.py), where the SQL differs (the JSON evidence read as text
for the speaker filter, the keyset cursor, the join on items)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from monitor.history import History, open_history
from monitor.model import Alert
from monitor.web import create_app
from tests.integration.test_history import pg_url  # noqa: F401  (a fixture)
from tests.webhistory import fill, shipped_config

pytestmark = pytest.mark.integration


@pytest.fixture
def history(pg_url: str) -> Iterator[History]:  # noqa: F811
    with open_history(pg_url) as opened:
        yield opened


def test_alert_pages_and_filters_on_postgresql(history: History, tmp_path: Path) -> None:
    config = shipped_config(tmp_path / "state")
    alerts: dict[str, Alert] = fill(history, config)
    client = TestClient(create_app(config, history=history), base_url="http://127.0.0.1")
    listed = client.get("/api/alerts").json()["alerts"]
    newest_first = sorted(alerts.values(), key=lambda a: a.created_at, reverse=True)
    assert [a["id"] for a in listed] == [a.id for a in newest_first]
    arabic = next(a for a in alerts.values() if a.item.language == "ar")
    assert [a["id"] for a in client.get("/api/alerts?lang=ar").json()["alerts"]] == [arabic.id]
    peskov = {a.id for a in alerts.values() if any(s.name == "Dmitry Peskov" for s in a.speakers)}
    found = client.get("/api/alerts", params={"speaker": "dmitry peskov"}).json()["alerts"]
    assert peskov and {a["id"] for a in found} == peskov
    first = client.get("/api/alerts").json()
    assert first["next"] is None
    page = client.get(f"/alerts/{arabic.id}").text
    marks = re.findall(r'<mark[^>]* title="NATO">([^<]+)</mark>', page.split('id="body"')[1])
    assert "الناتو" in marks
    assert client.get("/api/search", params={"q": "الناتو"}).json()["items"]
