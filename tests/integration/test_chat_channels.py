"""Chat channels against a fake Slack / Teams / Discord / Mattermost / ntfy endpoint on
127.0.0.1 (``tests/chat_server.py``) that checks each service's documented payload shape:
webhook ``format:`` templates, the ``apprise`` channel through real Apprise URLs pointing at
loopback with ``allow_private``, its failures retried then dead-lettered, its SSRF guard,
and no token from an Apprise URL in any log line or ``monitor check``.

Does I/O: binds 127.0.0.1 ports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.alerts.channels.apprise_channel import AppriseChannelSender
from monitor.alerts.channels.webhook import WebhookChannelSender
from monitor.alerts.deliver import deliver_each
from monitor.config.loader import load_config
from monitor.config.summary import summarize
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.model import Alert
from monitor.state.memory import MemoryStore
from tests.chat_server import ChatServer, chat_server
from tests.helpers import ROOT, monitor_env, raises_permanent, run_monitor
from tests.integration.test_channels import make_alert

pytestmark = pytest.mark.integration

TOKEN = "T0KEN-s3cret"
HOSTILE = "Peskov [click](https://evil.example) <!channel> *NATO*"


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as state:
        yield state


def alert_titled(title: str, number: int = 0) -> Alert:
    alert = make_alert(title)
    return replace(alert, id=f"alrt_{number:024x}", item=replace(alert.item, id=f"item-{number}"))


def text_of(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


@pytest.mark.parametrize("fmt", ["slack", "teams", "discord"])
def test_webhook_format_posts_the_services_shape(server: ChatServer, fmt: str) -> None:
    channel = WebhookChannelSender(
        "chat", url=server.url(fmt), secret=None, allow_private=True, fmt=fmt
    )
    channel.send(make_alert())
    assert server.refused == []
    (post,) = server.of(fmt)
    text = text_of(post.payload)
    for shown in ("russia-nato", "Peskov: Russia expects", "Dmitry Peskov (quoted)", "NATO must"):
        assert shown in text
    assert "https://example.org/a" in text and "UrduPoint" in text


@pytest.mark.parametrize("fmt", ["slack", "teams", "discord"])
def test_webhook_format_escapes_feed_markup(server: ChatServer, fmt: str) -> None:
    channel = WebhookChannelSender(
        "chat", url=server.url(fmt), secret=None, allow_private=True, fmt=fmt
    )
    channel.send(make_alert(HOSTILE))
    payload = server.of(fmt)[0].payload
    text = text_of(payload)
    if fmt == "slack":
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    if fmt == "teams":  # Markdown: no forged link or emphasis in what the card renders
        assert r"\\[click\\]" in text and r"\\*NATO\\*" in text
        assert "<!channel>" not in text
    if fmt == "discord":  # its embed title is plain text; no mention is ever resolved
        assert payload["allowed_mentions"] == {"parse": []}


def test_webhook_digest_in_a_chat_format_says_how_many_were_held(server: ChatServer) -> None:
    channel = WebhookChannelSender(
        "chat", url=server.url("slack"), secret=None, allow_private=True, fmt="slack"
    )
    alerts = [alert_titled(f"Story {n} on NATO", n) for n in range(3)]
    channel.send_digest(alerts, "dgst_x", held=2)
    text = text_of(server.of("slack")[0].payload)
    assert "Digest: 3 alerts" in text and "2 alerts held back" in text
    assert all(f"Story {n} on NATO" in text for n in range(3))


def apprise_urls(server: ChatServer) -> list[str]:
    return [
        f"ntfy://127.0.0.1:{server.port}/desk?format=markdown",
        f"mmost://127.0.0.1:{server.port}/{TOKEN}",
    ]


def test_apprise_sends_markdown_to_ntfy_and_mattermost(server: ChatServer) -> None:
    channel = AppriseChannelSender("desk-chat", urls=apprise_urls(server), allow_private=True)
    channel.send(make_alert())
    assert server.refused == []
    (ntfy,) = server.of("")
    assert ntfy.payload["topic"] == "desk"
    assert (
        ntfy.payload["title"]
        == "[russia-nato] Peskov: Russia expects security guarantees from NATO"
    )
    message = ntfy.payload["message"]
    assert ntfy.headers.get("x-markdown") == "yes"
    assert "**Watchlist**: russia-nato" in message
    assert "**Speaker**: Dmitry Peskov (quoted): “NATO must listen.”" in message
    assert "**Topics**: NATO" in message and "[Read the story](<https://example.org/a>)" in message
    (mattermost,) = server.of("hooks")
    assert mattermost.path == f"/hooks/{TOKEN}"
    assert "Dmitry Peskov" in mattermost.payload["text"]


def test_apprise_digest_lists_every_alert(server: ChatServer) -> None:
    channel = AppriseChannelSender("desk-chat", urls=apprise_urls(server)[:1], allow_private=True)
    channel.send_digest([alert_titled(f"Story {n} on NATO", n) for n in range(4)], "d", held=3)
    (post,) = server.of("")
    assert post.payload["title"] == "[russia-nato] Digest: 4 alerts"
    assert "3 alerts held back" in post.payload["message"]
    assert post.payload["message"].count("Story ") == 4


def test_apprise_failure_is_retried_then_dead_lettered(
    server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.status = 500
    channel = AppriseChannelSender("desk-chat", urls=apprise_urls(server), allow_private=True)
    store = MemoryStore()
    alert = replace(make_alert(), channels=("desk-chat",))
    first = deliver_each([alert], channel, store, attempt=1, max_attempts=2, now=1000.0)[0]
    assert first.status == "retry" and first.retry_after is not None
    assert "apprise channel desk-chat" in first.detail
    last = deliver_each([alert], channel, store, attempt=2, max_attempts=2, now=2000.0)[0]
    assert last.status == "dead" and last.detail.startswith("gave up after 2 attempts")
    entry = store.get_delivery(alert.id, "desk-chat")
    assert entry is not None and entry.status == "dead" and entry.payload
    # the service was reached each time, and nothing anywhere names the token
    assert len(server.of("")) == 2
    assert TOKEN not in caplog.text and TOKEN not in first.detail + last.detail


def test_apprise_mattermost_failure_hides_the_token(server: ChatServer) -> None:
    server.status = 503
    channel = AppriseChannelSender("desk-chat", urls=apprise_urls(server)[1:], allow_private=True)
    with pytest.raises(TransientDeliveryError) as raised:
        channel.send(make_alert())
    assert "mmost://…" in str(raised.value) and TOKEN not in str(raised.value)


def test_apprise_refuses_loopback_without_allow_private(server: ChatServer) -> None:
    channel = AppriseChannelSender("desk-chat", urls=apprise_urls(server))
    with raises_permanent(DeliveryError) as raised:
        channel.send(make_alert())
    assert "allow_private" in str(raised.value) and TOKEN not in str(raised.value)
    assert server.posts == [] and server.refused == []


def test_apprise_unknown_service_is_a_permanent_fault() -> None:
    channel = AppriseChannelSender("desk-chat", urls=[f"nosuchservice://{TOKEN}"])
    with raises_permanent(DeliveryError) as raised:
        channel.send(make_alert())
    assert "not an Apprise URL" in str(raised.value) and TOKEN not in str(raised.value)


def test_monitor_check_shows_the_service_never_the_token(tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"""
feeds: [{{id: f1, path: ./inbox}}]
topics: {{NATO: [NATO]}}
watchlists: {{w: {{topics: [NATO], channels: [desk-chat, hook]}}}}
channels:
  desk-chat:
    type: apprise
    urls: ["slack://T000/B000/{TOKEN}", "ntfys://ntfy.example.org/desk"]
    rate_limit: 20/h
    digest: 15m
  hook:
    type: webhook
    url: https://hooks.example.org/services/{TOKEN}
    format: teams
""",
        encoding="utf-8",
    )
    summary = summarize(load_config(config))
    assert TOKEN not in summary
    assert "desk-chat: apprise slack://…, ntfys://…; digest every 15m; at most 20 per 1h" in summary
    assert "hook: webhook https://hooks.example.org/... (teams, unsigned)" in summary
    checked = run_monitor(
        ["check", "--config", str(config)],
        tmp_path,
        env=monitor_env(tmp_path, PYTHONPATH=str(ROOT)),
    )
    assert checked.returncode == 0, checked.stderr
    assert TOKEN not in checked.stdout + checked.stderr and "slack://…" in checked.stdout
