"""The web console in a real headless Chromium, end to end: a real ``monitor run --once``
polls an RSS feed served on 127.0.0.1 (the Arabic Peskov seed story and a hostile
item) into an SQLite history, a real ``monitor web`` serves it on a free port, and the
browser reads the pages as a person would: the alerts list, the alert with its Arabic
terms marked at their offsets, feed health, the try form, the search, a new alert
arriving without a reload, and a hostile headline that stays text. A screenshot of each
page goes to the artefacts (tests/browser.py)."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from monitor.history import HistoryBatch, open_history
from monitor.model import Alert
from tests.browser import chromium_page, screenshot
from tests.helpers import (
    SEED_AR,
    example_config,
    free_port,
    http_get,
    http_server,
    monitor_env,
    run_monitor,
    start_monitor,
    stop_processes,
    wait_for,
)
from tests.webhistory import HOSTILE_TITLE, NOW, TOKEN

pytestmark = pytest.mark.integration

HOSTILE_BODY = "Talks with NATO went on. <b>bold</b> \u202e reversed"


def _rss() -> bytes:
    lines = SEED_AR.read_text(encoding="utf-8").splitlines()
    title = next(line for line in lines if line.strip())
    body = "\n".join(lines[lines.index(title) + 1 :]).strip()
    date = format_datetime(NOW)
    # the hostile title escaped twice: its markup is the title's text, which the
    # feed parser hands on as such (once escaped, it would be markup it strips)
    entries = [
        ("peskov-ar-1", escape(title), body, "https://urdupoint.example/peskov"),
        ("hostile-1", escape(escape(HOSTILE_TITLE)), HOSTILE_BODY, "https://hostile.example/x"),
    ]
    items = "".join(
        f"<item><guid>{guid}</guid><title>{t}</title><link>{link}</link>"
        f"<description>{escape(b)}</description><pubDate>{date}</pubDate></item>"
        for guid, t, b, link in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Wire AR</title><link>https://urdupoint.example/</link>{items}</channel></rss>"
    ).encode()


class _Feed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = _rss()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Console:
    url: str
    history_url: str
    port: int
    config: Path


def _config(tmp_path: Path, feed_port: int, history_url: str) -> Path:
    config = example_config(tmp_path)
    path = config / "monitor.yaml"
    text = path.read_text(encoding="utf-8")
    feed = (
        "feeds:\n"
        "  - id: wire-ar\n"
        f"    url: http://127.0.0.1:{feed_port}/rss\n"
        "    every: 1m\n"
        "    allow_private: true\n"
    )
    assert text.count("feeds:\n") == 1
    text = text.replace("feeds:\n", feed, 1)
    text = text.replace(
        "  history_url: ${MONITOR_HISTORY_URL:-}\n", f"  history_url: {history_url}\n"
    )
    assert history_url in text
    path.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    tmp_path = tmp_path_factory.mktemp("web")
    history_url = f"sqlite:///{tmp_path / 'history.db'}"
    with http_server(_Feed) as feed_port:
        config = _config(tmp_path, feed_port, history_url)
        ran = run_monitor(["run", "--once", "--config", str(config)], tmp_path, timeout=120)
        assert ran.returncode == 0, ran.stderr
    port = free_port()
    web = start_monitor(
        ["web", "--config", str(config), "--port", str(port)], tmp_path, stderr=tmp_path / "web.log"
    )
    try:
        assert wait_for(lambda: http_get(port, "/alerts")[0] == 200, 30), (
            tmp_path / "web.log"
        ).read_text()
        yield Console(f"http://127.0.0.1:{port}", history_url, port, config)
    finally:
        stop_processes([web])
        assert web.returncode in (0, -15), (tmp_path / "web.log").read_text()


def _api(console: Console, path: str) -> object:
    status, body = http_get(console.port, path)
    assert status == 200, body[:300]
    return json.loads(body)


def _alerts(console: Console) -> list[dict[str, object]]:
    listed = _api(console, "/api/alerts")
    assert isinstance(listed, dict)
    return listed["alerts"]  # type: ignore[no-any-return]


def _watch_errors(page: object, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: errors.append(str(e)))  # type: ignore[attr-defined]


def test_alerts_list_and_the_arabic_alert_with_its_marks(console: Console) -> None:
    alerts = _alerts(console)
    arabic = next(a for a in alerts if a["item"]["language"] == "ar")  # type: ignore[index]
    errors: list[str] = []
    with chromium_page() as page:
        _watch_errors(page, errors)
        page.goto(f"{console.url}/alerts")
        rows = page.locator("li.alert-row")
        assert rows.count() == len(alerts) == 2
        screenshot(page, "web-alerts")
        link = page.locator(f'a[href="/alerts/{arabic["id"]}"]')
        assert link.get_attribute("dir") == "auto" and link.get_attribute("lang") == "ar"
        link.click()
        page.wait_for_url(f"**/alerts/{arabic['id']}")
        body = page.locator("#body")
        assert body.evaluate("e => getComputedStyle(e).direction") == "rtl"
        # each <mark> in the body sits at the offset of a stored hit: the text before it
        # inside #body is exactly body[:start]
        placed = body.evaluate(
            """b => [...b.querySelectorAll('mark')].map(m => {
                 const r = document.createRange();
                 r.setStart(b, 0); r.setEndBefore(m);
                 return [r.toString().length, m.textContent, m.parentElement.id];
               })"""
        )
        full = _api(console, f"/api/alerts/{arabic['id']}")
        text = full["item"]["body"]  # type: ignore[index]
        hits = {(h["start"], h["text"]) for h in full["hits"] if h["field"] == "body"}  # type: ignore[index]
        assert placed and all(tuple(p[:2]) in hits for p in placed), placed
        assert all(p[2] == "body" for p in placed)
        assert "الناتو" in [p[1] for p in placed]
        assert all(text[start : start + len(word)] == word for start, word, _ in placed)
        assert page.locator("#body").inner_text().startswith(text[:20].strip()[:10])
        statuses = page.locator("table.deliveries .status").all_inner_texts()
        assert statuses and set(statuses) == {"sent"}
        assert page.locator("blockquote").count() >= 1
        screenshot(page, "web-alert")
    assert errors == []


def test_a_hostile_headline_renders_inert(console: Console) -> None:
    hostile = next(a for a in _alerts(console) if "window.pwned" in a["item"]["title"])  # type: ignore[index,operator]
    errors: list[str] = []
    with chromium_page() as page:
        _watch_errors(page, errors)
        for path in ("/alerts", f"/alerts/{hostile['id']}"):
            page.goto(f"{console.url}{path}")
            assert page.evaluate("window.pwned") is None, path
            assert page.locator("main script, main img").count() == 0
        headline = page.locator("#headline").inner_text()
        assert "<script>window.pwned=1</script>" in headline
        assert "[U+202E]evil[U+202C]" in headline and "\u202e" not in headline
        screenshot(page, "web-hostile")
    assert errors == []


def test_a_new_alert_appears_without_a_reload(console: Console) -> None:
    template = _api(console, f"/api/alerts/{_alerts(console)[0]['id']}")
    with chromium_page() as page:
        page.goto(f"{console.url}/alerts")
        assert page.locator("li.alert-row").count() == 2
        page.evaluate("window.notReloaded = true")
        fresh = Alert.from_message({**template, "id": "alrt_live_test",  # type: ignore[dict-item]
                                    "created_at": "2027-01-01T00:00:00+00:00"})  # fmt: skip
        with open_history(console.history_url) as history:
            history.write(HistoryBatch(alerts=(fresh,)))
        page.locator('a[href="/alerts/alrt_live_test"]').wait_for(timeout=20_000)
        assert page.evaluate("window.notReloaded") is True
        assert page.locator("li.alert-row").first.locator("a").get_attribute("href") == (
            "/alerts/alrt_live_test"
        )


def test_the_try_form_shows_what_matches(console: Console) -> None:
    text = SEED_AR.read_text(encoding="utf-8")
    errors: list[str] = []
    with chromium_page() as page:
        _watch_errors(page, errors)
        page.goto(f"{console.url}/try")
        page.fill("#text", text)
        page.select_option("#watchlist", "russia-nato")
        page.click("form.try button[type=submit]")
        page.wait_for_selector("#results")
        results = page.locator("#results")
        assert "russia-nato" in results.locator(".verdict").first.inner_text()
        marks = results.locator(".trial-body mark").all_inner_texts()
        assert "الناتو" in marks
        assert (
            results.locator(".trial-body").evaluate("e => getComputedStyle(e).direction") == "rtl"
        )
        screenshot(page, "web-try")
        page.goto(f"{console.url}/search?q=" + "الناتو")
        assert page.locator("ol.results > li").count() == 1
        assert "الناتو" in page.locator("ol.results mark").all_inner_texts()
        screenshot(page, "web-search")
        page.goto(f"{console.url}/feeds")
        row = page.locator("tr", has=page.locator('th:has-text("wire-ar")'))
        assert row.locator(".status").inner_text() == "ok"
        screenshot(page, "web-feeds")
    assert errors == []


def test_pages_fit_a_phone(console: Console) -> None:
    arabic = next(a for a in _alerts(console) if a["item"]["language"] == "ar")  # type: ignore[index]
    with chromium_page(width=390, height=844) as page:
        for name, path in (("alerts", "/alerts"), ("alert", f"/alerts/{arabic['id']}")):
            page.goto(f"{console.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            screenshot(page, f"web-{name}-phone")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"


def _bearer_get(port: int, path: str, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as answer:
        return answer.code


def test_with_a_token_the_browser_logs_in_and_the_api_wants_the_bearer(
    console: Console, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    text = (console.config / "monitor.yaml").read_text(encoding="utf-8")
    (config / "monitor.yaml").write_text(
        text + '  web: {token: "${WEB_TOKEN}"}\n', encoding="utf-8"
    )
    port = free_port()
    env = monitor_env(tmp_path, WEB_TOKEN=TOKEN)
    web = start_monitor(
        ["web", "--config", str(config), "--port", str(port)],
        tmp_path,
        stderr=tmp_path / "web.log",
        env=env,
    )
    try:
        assert wait_for(lambda: http_get(port, "/login")[0] == 200, 30), (
            tmp_path / "web.log"
        ).read_text()
        assert http_get(port, "/api/alerts")[0] == 401
        assert _bearer_get(port, "/api/alerts", "not-the-token-at-all") == 401
        assert _bearer_get(port, "/api/alerts", TOKEN) == 200
        with chromium_page() as page:
            page.goto(f"http://127.0.0.1:{port}/alerts?lang=ar")
            assert "/login?next=" in page.url
            page.fill("#token", "not-the-token-at-all")
            page.click("form.login button[type=submit]")
            assert "not the token" in page.locator(".error").inner_text()
            page.fill("#token", TOKEN)
            screenshot(page, "web-login")
            page.click("form.login button[type=submit]")
            page.wait_for_url("**/alerts?lang=ar")
            assert page.locator("li.alert-row").count() == 1
            page.click("form.logout button")
            page.wait_for_url("**/login")
            page.goto(f"http://127.0.0.1:{port}/feeds")
            assert "/login?next=" in page.url
    finally:
        stop_processes([web])


def test_the_web_process_refuses_a_public_address_without_a_token(
    console: Console, tmp_path: Path
) -> None:
    config = example_config(tmp_path)
    done = subprocess.run(
        [*run_args(config), "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "settings.web.token" in done.stderr


def run_args(config: Path) -> list[str]:
    import sys

    return [sys.executable, "-m", "monitor", "web", "--config", str(config)]
