"""Chat rendering (Markdown, Slack mrkdwn, each service's payload), the channel keys of
issue 15 in the config (``rate_limit``, ``digest`` on every type, webhook ``format``,
``apprise`` URLs: one-line errors naming the key), and a rate-limited channel in the
pipeline: the excess held for its next digest, which says how many were held.

In process: a memory store, fake channels, the clock passed in.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.channels.apprise_channel import AppriseChannelSender, load_plugin, target
from monitor.alerts.chat import chat_payload, render_digest_markdown, render_markdown
from monitor.alerts.digest import RATE_HELD_DETAIL, flush_periods
from monitor.config.loader import load_config
from monitor.config.schema import Config, parse_rate_limit
from monitor.errors import ConfigError, DeliveryError
from monitor.pipeline import deliver_alerts, flush_digests
from monitor.state.memory import MemoryStore
from tests.helpers import raises_permanent
from tests.unit.test_digest import FakeDigest, _at, _hold, make_alert


# --- rendering ------------------------------------------------------------------------------
def test_markdown_has_title_watchlist_topics_speakers_snippet_and_link() -> None:
    title, body = render_markdown(make_alert(1))
    assert title == "[russia-nato] Story number 1 about NATO"
    assert "**Watchlist**: russia-nato" in body and "**Topics**: NATO" in body
    assert "**Speaker**: Dmitry Peskov (quoted): “**NATO** must listen to Russia.”" in body
    assert "• NATO: MOSCOW - Kremlin spokesman Dmitry Peskov said **NATO** must listen" in body
    assert "[Read the story](<https://example.org/1?a=1&b=2>)" in body
    assert "alert page" not in body  # no settings.public_url


def test_markdown_links_the_alert_page_with_a_public_url() -> None:
    _, body = render_markdown(make_alert(1), public_url="https://monitor.example.org")
    page = "https://monitor.example.org/alerts/alrt_000000000000000000000001"
    assert f"[Open the alert page](<{page}>)" in body.splitlines()
    _, digest = render_digest_markdown([make_alert(1)], public_url="https://monitor.example.org")
    assert f"([alert page](<{page}>))" in digest
    slack = chat_payload("slack", [make_alert(1)], digest=False, public_url="https://m.org")
    assert (
        "<https://m.org/alerts/alrt_000000000000000000000001|Open the alert page>"
        in (slack["blocks"][0]["text"]["text"])
    )


def test_feed_markup_is_escaped_and_bad_links_dropped() -> None:
    alert = make_alert(2, url="javascript:alert(1)")
    alert = replace(alert, speakers=(replace(alert.speakers[0], quote="*bold* [x](y) `code`"),))
    _, body = render_markdown(alert)
    assert r"\*bold\* \[x\](y) \`code\`" in body
    assert "javascript" not in body and "Read the story" not in body


def test_digest_says_how_many_were_held_and_links_each_headline() -> None:
    title, body = render_digest_markdown([make_alert(1), make_alert(2)], held=1)
    assert title == "[russia-nato] Digest: 2 alerts"
    assert body.splitlines()[0] == "1 alert held back by this channel's rate limit."
    assert "[Story number 2 about NATO](<https://example.org/2?a=1&b=2>)" in body


def test_slack_payload_uses_mrkdwn_links_and_escapes() -> None:
    payload = chat_payload("slack", [make_alert(3, title="A <b> & c")], digest=False)
    assert payload["text"] == "[russia-nato] A &lt;b&gt; &amp; c"
    block = payload["blocks"][0]["text"]["text"]
    assert "<https://example.org/3?a=1&b=2|Read the story>" in block and "*Watchlist*" in block


def test_discord_payload_fits_the_embed_limits() -> None:
    alerts = [make_alert(n, title="T" * 400) for n in range(200)]
    embed = chat_payload("discord", alerts, digest=True, held=180)["embeds"][0]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert embed["description"].startswith("180 alerts held back")


# --- config ---------------------------------------------------------------------------------
def test_rate_limit_parses_per_minute_hour_and_day() -> None:
    assert parse_rate_limit("20/h") == (20, 3600.0)
    assert parse_rate_limit(" 5 / m ") == (5, 60.0)
    assert parse_rate_limit("100/d") == (100, 86400.0)


@pytest.mark.parametrize(
    ("channel", "key", "says"),
    [
        ("{type: console, rate_limit: 20/w}", "channels.c.rate_limit", "like 20/h"),
        ("{type: console, rate_limit: 0/h}", "channels.c.rate_limit", "like 20/h"),
        ("{type: file, path: x, digest: soon}", "channels.c.digest", "bad interval"),
        (
            "{type: webhook, url: 'https://h.example.org', format: xml}",
            "channels.c.format",
            "slack",
        ),
        ("{type: apprise, urls: []}", "channels.c.urls", "at least one Apprise URL"),
        ("{type: apprise, urls: ['tok3n-only']}", "channels.c.urls", "(no scheme)"),
        ("{type: apprise}", "channels.c", "missing required key 'urls'"),
    ],
)
def test_bad_channel_keys_are_one_line_naming_the_key(
    tmp_path: Path, channel: str, key: str, says: str
) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        "topics: {NATO: [NATO]}\n"
        "watchlists: {w: {topics: [NATO], channels: [c]}}\n"
        f"channels:\n  c: {channel}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert len(message.splitlines()) == 1 and key in message and says in message
    assert "tok3n" not in message


# --- the pipeline -----------------------------------------------------------------------------
def _limited(rate: str = "3/m", digest: str | None = None) -> Config:
    desk: dict[str, Any] = {"type": "console", "rate_limit": rate}
    if digest:
        desk["digest"] = digest
    return Config.model_validate(
        {
            "topics": {"NATO": ["NATO"]},
            "watchlists": {"russia-nato": {"topics": ["NATO"], "channels": ["desk"]}},
            "channels": {"desk": desk},
        }
    )


def test_flush_periods_cover_digest_and_rate_limited_channels() -> None:
    assert flush_periods(_limited("3/m")) == {"desk": 60.0}
    assert flush_periods(_limited("3/m", digest="15m")) == {"desk": 900.0}


def test_the_excess_is_held_then_sent_in_one_digest_that_counts_it() -> None:
    config, store, desk = _limited("3/m"), MemoryStore(), FakeDigest()
    alerts = [_hold(store, config, f"Story {n} on NATO drills {n}", now=1000.0) for n in range(8)]
    results = [
        r for a in alerts for r in deliver_alerts([a], {"desk": desk}, store, config, now=_at(1000))
    ]
    assert [r.status for r in results] == ["sent"] * 3  # the others have no result: held
    assert len(desk.single) == 3
    held = store.list_deliveries("held")
    assert len(held) == 5 and {e.detail for e in held} == {RATE_HELD_DETAIL}
    assert {e.due for e in held} == {1060.0}

    # a retry of a held one does not take a token, and nothing is sent before the period
    assert flush_digests({"desk": desk}, store, config, now=_at(1059)) == []
    flushed = flush_digests({"desk": desk}, store, config, now=_at(1060))
    assert [r.status for r in flushed] == ["sent"] * 5
    assert len(desk.digests) == 1 and len(desk.digests[0]) == 5 and desk.held == [5]
    assert store.list_deliveries("held") == []


def test_a_retry_takes_no_token_and_a_sent_alert_is_not_sent_again() -> None:
    config, store, desk = _limited("1/m"), MemoryStore(), FakeDigest()
    first = _hold(store, config, "Story one on NATO drills", now=1000.0)
    assert [
        r.status for r in deliver_alerts([first], {"desk": desk}, store, config, now=_at(1000))
    ] == ["sent"]
    # the same alert again (a redelivered task): already sent, and the bucket is untouched
    again = deliver_alerts([first], {"desk": desk}, store, config, now=_at(1000))
    assert [r.detail for r in again] == ["already sent"]
    second = _hold(store, config, "Story two on NATO summit", now=1000.0)
    # attempt 2 (after a transient fault) goes without a token
    retried = deliver_alerts([second], {"desk": desk}, store, config, now=_at(1000), attempt=2)
    assert [r.status for r in retried] == ["sent"] and len(desk.single) == 2


# --- the apprise channel's SSRF target ------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("slack://T000/B000/XXXX", "hooks.slack.com", 443),
        ("discord://123/abc", "discord.com", 443),
        ("tgram://123:abc/456", "api.telegram.org", 443),
        ("ntfy://desk", "ntfy.sh", 443),
        ("ntfys://ntfy.example.org/desk", "ntfy.example.org", 443),
        ("ntfy://10.0.0.5:8080/desk", "10.0.0.5", 8080),
        ("mmost://127.0.0.1:8065/token", "127.0.0.1", 8065),
    ],
)
def test_the_checked_host_is_where_apprise_connects(url: str, host: str, port: int) -> None:
    assert target(load_plugin(url)) == (host, port)


def test_a_private_target_is_refused_before_any_connection() -> None:
    channel = AppriseChannelSender("chat", urls=["ntfy://10.0.0.5:8080/desk"])
    with raises_permanent(DeliveryError) as raised:
        channel.send(make_alert(1))
    assert "not allowed" in str(raised.value) or "allow_private" in str(raised.value)
