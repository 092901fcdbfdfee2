"""The history end to end, on real SQLite and real PostgreSQL: a real ``monitor run
--once`` over an RSS feed served on 127.0.0.1 fills it, sending to a real SMTP server
and a real webhook receiver; then ``monitor backtest --config NEW --since 7d``, a
subprocess, prints what the new config adds and removes (the expected lines written by
hand below) and sends nothing. Retention: ``monitor run`` and ``monitor poller`` forget
the rows older than ``settings.history_retention``.
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.history import DeliveryAttempt, HistoryBatch, open_history
from monitor.model import Alert, WireItem
from tests.helpers import monitor_env, run_monitor, start_monitor, stop_processes, wait_for
from tests.integration import test_channels, test_history, test_run_failures
from tests.integration.test_channels import HookServer
from tests.integration.test_history_ops import TOPICS_NEW, TOPICS_NOW
from tests.integration.test_history_wiring import counts
from tests.integration.test_run_failures import Inbox

pytestmark = pytest.mark.integration

pg_url = test_history.pg_url  # the same databases as the history's own tests
url = test_history.url
smtp = test_run_failures.smtp  # aiosmtpd on loopback
hook_server = test_channels.hook_server  # an HTTP server recording each POST

# The feed, in document order: (guid, title, description)
STORIES = [
    ("en1", "NATO ministers meet in Brussels", "The ministers met for two days."),
    ("ar1", "وزراء الناتو يجتمعون في بروكسل", "عقد الاجتماع يومين."),
    ("en2", "Alliance leaders gather for summit talks", "They gathered in Vilnius."),
    ("en3", "New sanctions on steel imports announced", "The list grew by ten firms."),
    ("ru1", "Новые санкции против банков объявлены", "Список вырос."),
    ("en4", "Rain expected in Kyiv this weekend", "Forecasters said so."),
]

# The current config and the one to try (NATO loses its Arabic term and gains
# "Alliance"; sanctions on steel no longer count), as in the in-process backtest tests
REST = """
feeds:
  - id: wire
    url: {feed}
    every: 5m
    allow_private: true
watchlists:
  nato: {{topics: [NATO], channels: [desk-email, hook]}}
  sanctions: {{topics: [sanctions], channels: [hook]}}
channels:
  desk-email:
    type: email
    to: [desk@example.org]
    from: monitor@example.org
    smtp: smtp://127.0.0.1:{smtp_port}
    allow_private: true
  hook:
    type: webhook
    url: {hook}
    allow_private: true
settings:
  state_dir: {state}
  history_url: "{url}"
  history_retention: 30d
  broker_url: ${{MONITOR_BROKER_URL:-}}
"""


class Feed:
    """``STORIES`` as RSS at any path of a loopback HTTP server; counts the GETs."""

    def __init__(self) -> None:
        self.requests = 0
        published = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
        items = "".join(
            f"<item><guid>{guid}</guid><title>{title}</title>"
            f"<description>{body}</description><pubDate>{published}</pubDate></item>"
            for guid, title, body in STORIES
        )
        document = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Wire</title><link>http://example.org/</link>{items}</channel></rss>"
        ).encode()
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/wire.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def feed() -> Iterator[Feed]:
    served = Feed()
    try:
        yield served
    finally:
        served.httpd.shutdown()
        served.httpd.server_close()


def write_config(tmp_path: Path, name: str, topics: str, **values: object) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(topics + REST.format(state=tmp_path / "state", **values), encoding="utf-8")
    return path


# an instant as the commands print it
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_backtest_of_a_new_config_over_what_monitor_run_stored(
    tmp_path: Path,
    url: str,
    feed: Feed,
    smtp: tuple[Inbox, int],
    hook_server: HookServer,
) -> None:
    inbox, smtp_port = smtp
    inbox.refusal = None  # a mail server that takes mail
    values = {"feed": feed.url, "smtp_port": smtp_port, "hook": hook_server.url, "url": url}
    current = write_config(tmp_path, "current", TOPICS_NOW, **values)
    new = write_config(tmp_path, "new", TOPICS_NEW, **values)

    started = datetime.now(UTC).replace(microsecond=0)
    run = run_monitor(["run", "--once", "--config", str(current)], tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "items 6; alerts 4" in run.stderr, run.stderr
    # the channels work: the run sent every alert (2 NATO by mail, all 4 to the hook)
    assert len(inbox.messages) == 2 and len(hook_server.received) == 4
    with open_history(url) as history:
        stored = counts(history)
    assert stored == {"items": 6, "matches": 4, "alerts": 4, "deliveries": 6}
    ledger = run_monitor(["alerts", "list", "--config", str(current)], tmp_path).stdout

    backtest = ["--config", str(current), "backtest", "--config", str(new), "--since", "7d"]
    result = run_monitor(backtest, tmp_path, env=monitor_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    # every item was seen in the one poll of the run: its time stands for them all
    seen = set(_TIME.findall(result.stdout))
    assert len(seen) == 1, result.stdout
    [at] = seen
    assert started <= datetime.fromisoformat(at) <= datetime.now(UTC), result.stdout
    assert result.stdout.replace(at, "T").splitlines() == [
        "backtest: 6 items, 3 matches, 3 alerts (nothing sent)",
        "  nato\tT\tNATO ministers meet in Brussels",
        "  nato\tT\tAlliance leaders gather for summit talks",
        "  sanctions\tT\tНовые санкции против банков объявлены",
        "against the current config (4 alerts): 1 added, 2 removed",
        "+ nato\tT\tAlliance leaders gather for summit talks",
        "- nato\tT\tوزراء الناتو يجتمعون في بروكسل",
        "- sanctions\tT\tNew sanctions on steel imports announced",
    ]

    # nothing sent, nothing live touched: no mail, no POST, no feed poll, the delivery
    # log and the history as the run left them
    assert len(inbox.messages) == 2 and len(hook_server.received) == 4
    assert feed.requests == 1
    assert run_monitor(["alerts", "list", "--config", str(current)], tmp_path).stdout == ledger
    with open_history(url) as history:
        assert counts(history) == stored


# --- retention ---------------------------------------------------------------------------
def _old_rows(url: str) -> None:
    """An item, its alert and a delivery from 40 days ago, beyond the 30d retention."""
    long_ago = datetime.now(UTC) - timedelta(days=40)
    item = WireItem(
        id="old1", title="NATO old news", body="", source="x", fetched_at=long_ago.isoformat()
    )
    alert = Alert(
        id="alrt_old1",
        watchlist="nato",
        item=item,
        topics=("NATO",),
        speakers=(),
        hits=(),
        story_id="old1",
        sources=("x",),
        channels=("hook",),
        created_at=long_ago.isoformat(),
    )
    with open_history(url) as history:
        history.write(
            HistoryBatch(
                items=(item,),
                alerts=(alert,),
                deliveries=(DeliveryAttempt("alrt_old1", "hook", 1, "sent", long_ago),),
            )
        )
        assert counts(history) == {"items": 1, "matches": 0, "alerts": 1, "deliveries": 1}


def test_monitor_run_forgets_what_is_older_than_the_retention(
    tmp_path: Path, url: str, feed: Feed, smtp: tuple[Inbox, int], hook_server: HookServer
) -> None:
    inbox, smtp_port = smtp
    inbox.refusal = None
    values = {"feed": feed.url, "smtp_port": smtp_port, "hook": hook_server.url, "url": url}
    config = write_config(tmp_path, "current", TOPICS_NOW, **values)
    _old_rows(url)
    run = run_monitor(["run", "--once", "--config", str(config)], tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert '"history_pruned"' in run.stderr, run.stderr
    with open_history(url) as history:
        assert history.item("old1") is None and history.alert("alrt_old1") is None
        assert counts(history) == {"items": 6, "matches": 4, "alerts": 4, "deliveries": 6}


def test_the_poller_forgets_what_is_older_than_the_retention(
    tmp_path: Path, url: str, redis_db_url: str
) -> None:
    # a feed nothing answers: the poller only has to start and make its passes
    values = {"feed": "http://127.0.0.1:9/rss", "smtp_port": 9, "hook": "http://127.0.0.1:9/"}
    config = write_config(tmp_path, "current", TOPICS_NOW, url=url, **values)
    _old_rows(url)
    env = monitor_env(tmp_path, MONITOR_BROKER_URL=redis_db_url)
    log = tmp_path / "poller.err.log"
    poller = start_monitor(["poller", "--config", str(config)], tmp_path, stderr=log, env=env)
    try:

        def pruned() -> bool:
            with open_history(url) as history:
                return counts(history)["items"] == 0

        assert wait_for(lambda: pruned() or poller.poll() is not None, timeout=60)
        assert pruned(), log.read_text(errors="replace")[-3000:]
        with open_history(url) as history:
            assert counts(history) == {"items": 0, "matches": 0, "alerts": 0, "deliveries": 0}
        assert poller.poll() is None
    finally:
        stop_processes([poller])
    assert '"history_pruned"' in log.read_text(errors="replace")
