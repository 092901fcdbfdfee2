"""The web console's routes through Starlette's test client, over an SQLite history
filled by the project's own parser, matcher and history writer (tests/webhistory.py):
pages, the live list, highlighting at the stored offsets, escaping of a hostile
headline, the JSON API and its OpenAPI description, and the security layer (loopback
hosts, bearer token, login cookie, CSRF)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from monitor.history import DeliveryAttempt, History, HistoryBatch, open_history
from monitor.model import Alert, Hit, WireItem
from monitor.web import create_app
from monitor.web.highlight import Segment, excerpt, segments, visible
from monitor.web.security import CSRF_COOKIE, LOGIN_COOKIE, safe_next
from monitor.web.serve import is_loopback, refusal, serve
from tests.webhistory import HOSTILE_TITLE, NOW, TOKEN, fill, shipped_config

BASE = "http://127.0.0.1"
# nine levels of nine aliases: hundreds of millions of nodes once expanded
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10)
)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with open_history(f"sqlite:///{tmp_path / 'history.db'}") as opened:
        yield opened


@pytest.fixture
def alerts(history: History, tmp_path: Path) -> dict[str, Alert]:
    return fill(history, shipped_config(tmp_path / "state"))


def client_for(history: History, tmp_path: Path, token: str | None = None) -> TestClient:
    config = shipped_config(tmp_path / "state", token)
    return TestClient(create_app(config, history=history), base_url=BASE)


@pytest.fixture
def client(history: History, alerts: dict[str, Alert], tmp_path: Path) -> TestClient:
    return client_for(history, tmp_path)


def arabic(alerts: dict[str, Alert]) -> Alert:
    return next(a for a in alerts.values() if a.item.language == "ar")


def hostile(alerts: dict[str, Alert]) -> Alert:
    return alerts["hostile-1"]


class Marks(HTMLParser):
    """The text of every <mark>, with the id of the nearest element around it that
    has one."""

    VOID = frozenset({"meta", "link", "input", "br", "img", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.marks: list[tuple[str, str]] = []
        self.in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        around = self.ids[-1] if self.ids else ""
        if tag == "mark":
            self.in_mark = True
            self.marks.append((around, ""))
        if tag not in self.VOID:
            self.ids.append(dict(attrs).get("id") or around)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.ids:
            self.ids.pop()
        if tag == "mark":
            self.in_mark = False

    def handle_data(self, data: str) -> None:
        if self.in_mark:
            where, text = self.marks[-1]
            self.marks[-1] = (where, text + data)


def marks_in(html: str) -> Marks:
    parser = Marks()
    parser.feed(html)
    return parser


# --- the alerts page ---------------------------------------------------------------------
def test_alerts_page_lists_newest_first_with_source_topics_and_speakers(
    client: TestClient, alerts: dict[str, Alert]
) -> None:
    answer = client.get("/alerts")
    assert answer.status_code == 200
    ids = re.findall(r'href="/alerts/(alrt_\w+)"', answer.text)
    newest_first = sorted(alerts.values(), key=lambda a: a.created_at, reverse=True)
    assert len(alerts) == 6 and ids == [a.id for a in newest_first]
    row = answer.text.split(f'href="/alerts/{arabic(alerts).id}"')[1].split("</li>\n")[0]
    assert "UrduPoint" in row
    assert '<li class="chip topic">NATO</li>' in row
    assert re.search(r'chip speaker quoted">Dmitry Peskov <span class="role">quoted', row)
    assert 'dir="auto" lang="ar"' in answer.text


def test_alerts_filters_narrow_the_list(client: TestClient, alerts: dict[str, Alert]) -> None:
    def listed(query: str) -> list[str]:
        answer = client.get(f"/alerts?{query}")
        assert answer.status_code == 200, answer.text
        return re.findall(r'href="/alerts/(alrt_\w+)"', answer.text)

    assert listed("lang=ar") == [arabic(alerts).id]
    assert listed("lang=xx") == []
    assert set(listed("feed=desk-drop")) == {a.id for a in alerts.values()}
    assert listed("watchlist=nobody") == []
    peskov = {a.id for a in alerts.values() if any(s.name == "Dmitry Peskov" for s in a.speakers)}
    assert peskov and set(listed("speaker=Dmitry+Peskov")) == peskov
    assert set(listed("speaker=dmitry+peskov")) == peskov
    assert listed("speaker=Peskov") == []  # a speaker's name, not a word of it
    assert listed("since=1h") == []  # the fixture's alerts are from March 2026
    assert len(listed("since=365d")) == len(alerts)


def test_a_bad_filter_is_one_line_and_400(client: TestClient) -> None:
    answer = client.get("/alerts?since=soon")
    assert answer.status_code == 400
    assert re.search(r'<p class="error" role="alert">since: [^<\n]+</p>', answer.text)
    assert client.get("/api/alerts?before=garbage").json()["error"].startswith("before:")


def test_pages_of_alerts_follow_each_other_without_overlap(
    history: History, alerts: dict[str, Alert], tmp_path: Path
) -> None:
    # 120 more, a second apart in pairs (ties broken by id), after the fixture's six
    base = arabic(alerts)
    later = datetime.fromisoformat(max(a.created_at for a in alerts.values()))
    many = [
        replace(
            base, id=f"a{n:03d}", created_at=(later + timedelta(seconds=1 + n // 2)).isoformat()
        )
        for n in range(120)
    ]
    history.write(HistoryBatch(alerts=tuple(many)))
    client = client_for(history, tmp_path)
    seen: list[str] = []
    params: dict[str, str] = {}
    while True:
        page = client.get("/api/alerts", params=params).json()
        seen += [a["id"] for a in page["alerts"]]
        assert len(page["alerts"]) <= 50
        if page["next"] is None:
            break
        params = {"before": page["next"]}
    assert seen[:120] == [f"a{n:03d}" for n in reversed(range(120))]
    assert len(seen) == len(set(seen)) == 126
    html = client.get("/alerts").text
    assert html.count('class="alert-row"') == 50 and "Older alerts" in html
    assert "Newest alerts" not in html and "hx-get=" in html
    older = re.search(r'<a href="([^"]+)">Older alerts</a>', html)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert second.count('class="alert-row"') == 50 and "hx-get=" not in second
    assert '<a href="/alerts">Newest alerts</a>' in second


def test_the_live_list_answers_204_until_an_alert_comes(
    client: TestClient, history: History, alerts: dict[str, Alert]
) -> None:
    page = client.get("/alerts").text
    live = re.search(r'hx-get="([^"]+)" hx-trigger="every \d+s"', page)
    assert live is not None
    url = live.group(1).replace("&amp;", "&")
    assert client.get(url).status_code == 204
    newer = Alert(
        **{**arabic(alerts).__dict__, "id": "alrt_new", "created_at": "2026-04-01T00:00:00+00:00"}
    )
    history.write(HistoryBatch(alerts=(newer,)))
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section id="alert-list"')
    assert "<html" not in answer.text
    assert re.findall(r'href="/alerts/(alrt_\w+)"', answer.text)[0] == "alrt_new"


# --- one alert ------------------------------------------------------------------------------
def test_the_alert_page_marks_each_hit_at_its_offsets(
    client: TestClient, alerts: dict[str, Alert]
) -> None:
    alert = arabic(alerts)
    answer = client.get(f"/alerts/{alert.id}")
    assert answer.status_code == 200
    parsed = marks_in(answer.text)
    body_marks = [text for where, text in parsed.marks if where == "body"]
    title_marks = [text for where, text in parsed.marks if where == "headline"]
    expected = sorted((h for h in alert.hits if h.field == "body"), key=lambda h: (h.start, h.end))
    kept: list[str] = []
    end = 0
    for hit in expected:
        if hit.start >= end:
            kept.append(alert.item.body[hit.start : hit.end])
            end = hit.end
    assert body_marks == kept and "الناتو" in body_marks
    assert title_marks == [
        alert.item.title[h.start : h.end] for h in alert.hits if h.field == "title"
    ]
    assert '<div id="body" class="body" dir="auto">' in answer.text
    # the evidence links each place to its mark, grouped by the words as written
    links = re.findall(r'<a href="#((?:title|body)-\d+)">', answer.text)
    marks = re.findall(r'<mark id="((?:title|body)-\d+)"', answer.text)
    assert links and sorted(links) == sorted(marks)
    evidence = answer.text.split('id="evidence-h"')[1].split("</table>")[0]
    assert re.search(r'<mark dir="auto">الناتو</mark> <span class="times">×\d+</span>', evidence)
    assert '<article class="item" lang="ar">' in answer.text


def test_the_alert_page_shows_deliveries_quotes_and_other_outlets(
    client: TestClient, history: History, alerts: dict[str, Alert]
) -> None:
    alert = arabic(alerts)
    copy = WireItem(
        id="copy-1", title=alert.item.title, body=alert.item.body, source="https://other.example/x",
        publisher="Other Outlet", story_id=alert.story_id, language="ar",
    )  # fmt: skip
    history.write(HistoryBatch(items=(copy,)))
    text = client.get(f"/alerts/{alert.id}").text
    rows = re.findall(r"<tr><td><time[^>]*>[^<]+</time></td><td>(\w+)</td><td>(\d)</td>"
                      r'<td><span class="status (\w+)">', text)  # fmt: skip
    assert sorted(rows) == [
        ("archive", "1", "retry"),
        ("archive", "2", "sent"),
        ("stdout", "1", "sent"),
    ]
    assert "disk full" in text
    # a dead letter re-sent by `monitor alerts retry`: its own series, named
    at = datetime.now(UTC)
    retried = DeliveryAttempt(alert.id, "stdout", 1, "sent", at, retried=True)
    history.write(HistoryBatch(deliveries=(retried,)))
    again = client.get(f"/alerts/{alert.id}").text
    assert '<td>stdout</td><td>1 <span class="series">(retry 1)</span></td>' in again
    shown = client.get(f"/api/alerts/{alert.id}").json()["deliveries"]
    assert sorted((d["channel"], d["series"], d["attempt"]) for d in shown)[-2:] == [
        ("stdout", 0, 1),
        ("stdout", 1, 1),
    ]
    outlets = text.split('id="outlets-h"')[1]
    assert '<li dir="auto">Other Outlet</li>' in outlets
    quote = next(s.quote for s in alert.speakers if s.quote)
    assert f'<blockquote dir="auto">{quote}</blockquote>' in text


def test_a_hostile_headline_is_text(client: TestClient, alerts: dict[str, Alert]) -> None:
    for path in ("/alerts", f"/alerts/{hostile(alerts).id}", "/search?q=NATO"):
        text = client.get(path).text
        assert "<script>window" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in text, path
        assert "\u202e" not in text and "[U+202E]evil[U+202C]" in text, path
    api = client.get(f"/api/alerts/{hostile(alerts).id}")
    assert api.json()["item"]["title"] == HOSTILE_TITLE  # JSON keeps it as it came
    assert api.headers["content-type"] == "application/json"


def test_an_unknown_alert_is_404(client: TestClient) -> None:
    assert client.get("/alerts/nope").status_code == 404
    answer = client.get("/api/alerts/nope")
    assert answer.status_code == 404 and answer.json() == {
        "error": "no alert 'nope' in the history"
    }


def test_an_unknown_path_and_a_failing_history_answer_in_one_line(
    client: TestClient, history: History
) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "nothing at /nowhere" in missing.text
    assert "default-src 'self'" in missing.headers["content-security-policy"]
    with history.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE alerts"))
    page = client.get("/alerts")
    assert page.status_code == 503
    assert re.search(r'<p class="error" role="alert">history [^<\n]+alerts[^<\n]*</p>', page.text)
    api = client.get("/api/alerts")
    assert api.status_code == 503 and api.json()["error"].startswith("history ")
    assert client.get("/feeds").status_code == 200  # the rest goes on serving


# --- feeds, search, try ---------------------------------------------------------------------
def test_feeds_page_and_api_show_health(client: TestClient, history: History) -> None:
    # a feed that brought an item an hour, then nothing since 2026-03: gone quiet
    hourly = [
        WireItem(id=f"old-{n}", title="t", body="", source="s", feed_id="old-feed",
                 fetched_at=(NOW + timedelta(hours=n)).isoformat())
        for n in range(6)
    ]  # fmt: skip
    history.write(HistoryBatch(items=tuple(hourly)))
    feeds = {f["feed"]: f for f in client.get("/api/feeds").json()["feeds"]}
    drop, old = feeds["desk-drop"], feeds["old-feed"]
    assert drop["configured"] and drop["items"] == 7 and drop["error_streak"] == 0
    # the six seeds were read this week, the hostile item was written in 2026-03
    assert not drop["quiet"] and drop["items_per_day"] == round(6 / 7, 2)
    assert not old["configured"] and old["quiet"] and old["usual_gap"] == 3600
    text = client.get("/feeds").text
    assert '<th scope="row">desk-drop</th>' in text
    row = text.split('<th scope="row">old-feed')[1].split("</tr>")[0]
    assert "(not in config)" in row and "gone quiet" in row and "1h" in row


def test_search_finds_arabic_by_a_clitic_form_and_marks_it(
    client: TestClient, alerts: dict[str, Alert]
) -> None:
    found = client.get("/api/search", params={"q": "الناتو AND lang:ar"}).json()["items"]
    assert [f["item"]["id"] for f in found] == [arabic(alerts).item.id]
    assert {"topic": "NATO", "field": "body"}.items() <= found[0]["hits"][0].items() or found[0][
        "hits"
    ]
    text = client.get("/search", params={"q": "الناتو"}).text
    assert "<mark" in text and 'lang="ar"' in text
    link = f'<a href="/alerts/{arabic(alerts).id}">Alert of russia-nato</a>'
    assert link in text  # the search leads to the alert the item raised
    bad = client.get("/search", params={"q": "NATO AND ("})
    assert bad.status_code == 400 and "q: " in bad.text


def _csrf(client: TestClient, path: str = "/try") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _count_alerts(history: History) -> int:
    with history.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one())


def test_the_try_form_shows_matches_and_stores_nothing(
    client: TestClient, history: History
) -> None:
    before = _count_alerts(history)
    token = _csrf(client)
    text = "بيسكوف يتحدث عن الناتو\n\nقال المتحدث دميتري بيسكوف إن الناتو يهدد الأمن."
    answer = client.post("/try", data={"csrf": token, "text": text, "watchlist": "russia-nato"})
    assert answer.status_code == 200, answer.text
    results = answer.text.split('id="results-h"')[1]
    assert 'Matches <span class="chip watchlist">russia-nato</span>' in results
    assert '<mark title="NATO">الناتو</mark>' in results
    why = results.split('<details class="why">')[1].split("</details>")[0]
    assert re.search(r'<th scope="row">NATO</th><td><mark dir="auto">الناتو</mark>', why)
    yaml_text = "topics: [Ukraine]\nwhen: any"
    answer = client.post("/try", data={"csrf": token, "text": text, "yaml": yaml_text})
    assert "No match" in answer.text.split('id="results-h"')[1]
    assert _count_alerts(history) == before


def test_a_hostile_pasted_text_is_text_too(client: TestClient) -> None:
    token = _csrf(client)
    text = HOSTILE_TITLE + "\n\nNATO <b>bold</b> \u202e reversed"
    answer = client.post("/try", data={"csrf": token, "text": text, "watchlist": "russia-nato"})
    results = answer.text.split('id="results-h"')[1]
    assert "<script>window" not in results and "<img src=x" not in results
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in results
    assert "\u202e" not in results and "[U+202E]" in results
    assert '<mark title="NATO">NATO</mark>' in results


def test_the_try_form_without_its_csrf_token_is_refused(client: TestClient) -> None:
    _csrf(client)
    for data in ({"text": "NATO", "watchlist": "russia-nato"},
                 {"csrf": "forged", "text": "NATO", "watchlist": "russia-nato"}):  # fmt: skip
        answer = client.post("/try", data=data)
        assert answer.status_code == 403 and "Matches" not in answer.text
    fresh = TestClient(client.app, base_url=BASE)  # a cookie of its own: not the page's
    fresh.get("/try")
    stolen = _csrf(client)
    assert fresh.post("/try", data={"csrf": stolen, "text": "NATO"}).status_code == 403


def test_try_api_with_yaml_and_a_stored_item(client: TestClient, alerts: dict[str, Alert]) -> None:
    item = arabic(alerts).item
    fragment = (
        "topics:\n  Brussels: [بروكسل, Brussels]\n"
        "watchlists:\n  brussels: {topics: [Brussels], speakers: [Dmitry Peskov], when: all}\n"
    )
    answer = client.post("/api/try", json={"item_id": item.id, "yaml": fragment})
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert result["item"]["id"] == item.id
    (match,) = result["matches"]
    assert match["watchlist"] == "brussels" and match["topics"] == ["Brussels"]
    body = item.body
    assert all(
        body[h["start"] : h["end"]] == h["text"] for h in match["hits"] if h["field"] == "body"
    )
    for payload, message in (
        (
            {"text": "NATO", "yaml": "topics: [Nowhere]"},
            "watchlists.try.topics: no topic 'Nowhere'",
        ),
        ({"text": "NATO", "yaml": "when: NATO AND ("}, "when: "),
        ({"text": "NATO", "yaml": "topics: [NATO"}, "YAML line"),
        ({"text": "NATO", "yaml": BOMB}, "YAML line"),
        ({"text": "", "watchlist": "russia-nato"}, "the text is empty"),
        ({"text": "NATO", "watchlist": "nope"}, "no watchlist 'nope'"),
        ({"item_id": "nope", "watchlist": "russia-nato"}, "no item 'nope'"),
    ):
        answer = client.post("/api/try", json=payload)
        assert answer.status_code == 400, payload
        error = answer.json()["error"]
        assert message in error and "\n" not in error, (payload, error)
    form = client.post("/api/try", data={"text": "NATO"})
    assert form.status_code == 415


# --- the API ----------------------------------------------------------------------------------
def test_api_shapes(client: TestClient, alerts: dict[str, Alert]) -> None:
    listed = client.get("/api/alerts").json()
    assert set(listed) == {"alerts", "next"} and listed["next"] is None
    first = listed["alerts"][0]
    assert {"id", "watchlist", "topics", "speakers", "hits", "item", "story", "created_at"} <= set(
        first
    )
    one = client.get(f"/api/alerts/{arabic(alerts).id}").json()
    assert one["item"]["language"] == "ar" and one["item"]["body"] == arabic(alerts).item.body
    assert {d["status"] for d in one["deliveries"]} == {"sent", "retry"}
    assert "also_carried_by" in one
    assert client.get("/api/search").status_code == 400


def test_openapi_lists_every_api_route(client: TestClient) -> None:
    answer = client.get("/api/openapi.json")
    spec = json.loads(answer.text)
    assert spec["openapi"].startswith("3.") and spec["info"]["title"]
    app_paths = {
        re.sub(r"\{(\w+):path\}", r"{\1}", route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if getattr(route, "path", "").startswith("/api/")
    }
    assert set(spec["paths"]) == app_paths
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            assert operation["responses"]["200"]["description"], path
    refs = re.findall(r'"#/components/schemas/(\w+)"', answer.text)
    assert refs and set(refs) <= set(spec["components"]["schemas"])


# --- security ---------------------------------------------------------------------------------
def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/alerts", "/nope", "/api/alerts", "/static/style.css", "/try"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_pages_load_no_script_but_our_own_and_no_inline_one(client: TestClient) -> None:
    for path in ("/alerts", "/try", "/search", "/feeds"):
        text = client.get(path).text
        scripts = re.findall(r"<script\b[^>]*>", text)
        assert scripts == ['<script src="/static/htmx.min.js" defer>'], path
        assert " style=" not in text and "<style" not in text, path
        assert not re.search(r"<[^>]*\son\w+=", text), path  # no inline handler
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and htmx.text.startswith("/*! htmx 2.")


def test_without_a_token_only_loopback_host_names_are_answered(client: TestClient) -> None:
    assert client.get("/alerts", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/alerts", headers={"host": "localhost:8080"}).status_code == 200


def test_with_a_token_the_api_wants_the_bearer(
    history: History, alerts: dict[str, Alert], tmp_path: Path
) -> None:
    client = client_for(history, tmp_path, TOKEN)
    assert client.get("/api/alerts").status_code == 401
    wrong = client.get("/api/alerts", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    right = client.get("/api/alerts", headers={"authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200 and len(right.json()["alerts"]) == len(alerts)


def test_with_a_token_pages_want_a_login(
    history: History, alerts: dict[str, Alert], tmp_path: Path
) -> None:
    client = client_for(history, tmp_path, TOKEN)
    first = client.get("/alerts?lang=ar", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
    poll = client.get("/alerts?partial=list", headers={"hx-request": "true"})
    assert poll.status_code == 401  # htmx swaps nothing in: no login form in the list
    assert client.get("/static/style.css").status_code == 200
    csrf = _csrf(client, "/login")
    bad = client.post("/login", data={"csrf": csrf, "token": "wrong", "next": "/alerts"})
    assert bad.status_code == 401 and LOGIN_COOKIE not in client.cookies
    forged = client.post("/login", data={"token": TOKEN, "next": "/alerts"})
    assert forged.status_code == 403 and LOGIN_COOKIE not in client.cookies
    good = client.post(
        "/login",
        data={"csrf": csrf, "token": TOKEN, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert good.status_code == 303 and good.headers["location"] == "/alerts"
    assert client.get("/alerts").status_code == 200
    # a cookie that is not ours, or was changed, logs nobody in
    stranger = TestClient(client.app, base_url=BASE)
    stranger.cookies.set(LOGIN_COOKIE, client.cookies[LOGIN_COOKIE] + "x")
    assert stranger.get("/alerts", follow_redirects=False).status_code == 303
    client.post("/logout", data={"csrf": client.cookies[CSRF_COOKIE]})
    assert client.get("/alerts", follow_redirects=False).status_code == 303
    # with a token, any Host name is answered (behind a token, on a public name)
    assert client.get("/login", headers={"host": "monitor.example.org"}).status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\t/evil.example", "/\\evil.example", "https://evil.example"]
)
def test_the_login_never_sends_the_browser_to_another_site(target: str) -> None:
    assert safe_next(target) == "/alerts"
    assert safe_next("/alerts/alrt_1?x=1") == "/alerts/alrt_1?x=1"


def test_a_non_loopback_address_without_a_token_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path / "state")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("monitor.example.org")
    assert refusal("127.0.0.1", config) is None
    assert refusal("0.0.0.0", shipped_config(tmp_path / "state", TOKEN)) is None
    # refused before anything listens (the browser tests run the command itself)
    assert serve(config, host="0.0.0.0", port=1) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "settings.web.token" in err and "0.0.0.0" in err


def test_a_short_token_is_a_config_error(tmp_path: Path) -> None:
    from monitor.config.loader import load_config
    from monitor.errors import ConfigError

    path = tmp_path / "monitor.yaml"
    path.write_text("settings:\n  web: {token: short}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    (problem,) = caught.value.problems
    assert "settings.web.token" in problem and "too short" in problem
    assert "short" not in problem.split("too short")[1]  # the value is not shown
    path.write_text("settings:\n  web: {token: '${WEB_TOKEN:-}'}\n", encoding="utf-8")
    assert load_config(path, env={}).settings.web.token is None


# --- highlighting (pure) -----------------------------------------------------------------------
def test_segments_cut_at_offsets_skip_overlaps_and_bad_offsets() -> None:
    text = "والناتو قال بيسكوف"
    hits = [
        Hit("body", 0, 7, "والناتو", topic="NATO"),
        Hit("body", 2, 7, "الناتو", topic="NATO"),  # overlaps the first
        Hit("body", 12, 18, "بيسكوف", speaker="Dmitry Peskov"),
        Hit("body", 15, 99, "x", topic="bad"),  # beyond the text
        Hit("title", 0, 3, "x", topic="other field"),
    ]
    assert segments(text, hits, "body") == [
        Segment("والناتو", "NATO"),
        Segment(" قال "),
        Segment("بيسكوف", "Dmitry Peskov"),
    ]
    assert segments("", hits, "body") == []


def test_visible_writes_out_bidi_controls_and_excerpt_keeps_marks() -> None:
    assert visible("a\u202eb\u2066c\u2069") == "a[U+202E]b[U+2066]c[U+2069]"
    assert visible("x\x00y\u200fz") == "x\ufffdy\u200fz"  # a mark of direction is text
    long = "word " * 100 + "NATO" + " word" * 100
    pieces = excerpt(long, [Hit("body", 500, 504, "NATO", topic="NATO")], "body", radius=50)
    assert pieces[0] == Segment("…") and pieces[-1] == Segment("…")
    assert [p.text for p in pieces if p.marked] == ["NATO"]
