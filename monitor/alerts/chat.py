"""Render alerts for chat tools: Markdown (Apprise, Teams, Discord), Slack mrkdwn, and the
incoming-webhook payload each service documents (``webhook format:``).

Pure: no I/O. Feed text is untrusted: Markdown characters in it are escaped so a title
cannot forge a link or a mention, only http(s) links are emitted, and every line is one
clean line (``render.clean_line``). Matched terms are bold (``monitor.alerts.highlight``
says where): each piece of text is escaped first, then marked up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from monitor.alerts.highlight import Passage, Segment
from monitor.alerts.render import (
    clean_line,
    headline,
    held_note,
    isolate,
    render_digest_subject,
    render_subject,
    safe_url,
)
from monitor.alerts.view import alert_page_url, alert_view
from monitor.model import Alert

# what can start markup inside a line (our lines never begin with feed text, so the
# line-start markers # - + > need no escape)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
# Discord and Slack cap one message; a digest longer than that is cut with a note
MAX_BODY = 3500
DISCORD_MAX_DESCRIPTION = 4096
DISCORD_MAX_TITLE = 256


def escape_markdown(text: str) -> str:
    """``text`` with CommonMark's punctuation escaped: shown as written, never as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def escape_slack(text: str) -> str:
    """Slack mrkdwn: only ``&``, ``<`` and ``>`` are control characters (Slack's docs)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class _Style:
    """How one markup dialect writes what an alert needs."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]  # a label, and a matched term (highlighted)
    link: Callable[[str, str], str]


MARKDOWN = _Style(
    escape=escape_markdown,
    bold=lambda text: f"**{text}**",
    link=lambda text, url: f"[{text}](<{url}>)",
)
SLACK = _Style(
    escape=escape_slack,
    bold=lambda text: f"*{text}*",
    link=lambda text, url: f"<{url}|{text}>",
)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _marked(segments: Iterable[Segment], style: _Style) -> str:
    """Text with its matched terms in bold: each piece escaped first, then marked."""
    return "".join(
        style.bold(style.escape(piece.text)) if piece.marked else style.escape(piece.text)
        for piece in segments
    )


def _passage(passage: Passage, style: _Style) -> str:
    text = _marked(passage.segments, style)
    text = ("…" if passage.cut_before else "") + text + ("…" if passage.cut_after else "")
    return isolate(text, passage.direction)


def alert_lines(alert: Alert, style: _Style = MARKDOWN, public_url: str | None = None) -> list[str]:
    """The body of one alert: watchlist, source, topics, speakers (role, quote in its
    language's marks), highlighted passages, hit counts, links (the story, the alert page)."""
    esc = style.escape
    view = alert_view(alert, public_url)
    lines = [f"{style.bold('Watchlist')}: {esc(view.watchlist)}"]
    if view.source:
        lines.append(f"{style.bold('Source')}: {esc(view.source)}")
    if view.topics:
        lines.append(f"{style.bold('Topics')}: {', '.join(esc(topic) for topic in view.topics)}")
    for speaker in view.speakers:
        quote = f"{speaker.opening}{_marked(speaker.segments, style)}{speaker.closing}"
        said = f": {isolate(quote, speaker.direction)}" if speaker.text else ""
        lines.append(f"{style.bold('Speaker')}: {esc(speaker.name)} ({speaker.role}){said}")
    for passage in view.passages:
        labels = ", ".join(esc(label) for label in passage.labels)
        lines.append(f"• {labels}: {_passage(passage, style)}")
    if view.more_passages:
        more = view.more_passages
        lines.append(f"(+{more} more passage{'' if more == 1 else 's'})")
    if view.hit_counts:
        counts = ", ".join(f"{esc(label)} {n}" for label, n in view.hit_counts)
        lines.append(f"{style.bold('Hits')}: {counts}")
    if view.url:
        lines.append(style.link("Read the story", view.url))
    if view.alert_url:
        lines.append(style.link("Open the alert page", view.alert_url))
    if view.also:
        lines.append("Also carried by: " + ", ".join(esc(name) for name in view.also))
    return lines


def render_markdown(
    alert: Alert, style: _Style = MARKDOWN, *, public_url: str | None = None
) -> tuple[str, str]:
    """(title, body) of one alert: the title is the email subject, the body Markdown."""
    return render_subject(alert), "\n".join(alert_lines(alert, style, public_url))


def render_digest_markdown(
    alerts: list[Alert],
    held: int = 0,
    style: _Style = MARKDOWN,
    *,
    public_url: str | None = None,
) -> tuple[str, str]:
    """(title, body) of a digest: each alert's headline (linked) and watchlist, one a
    line, with its alert page; ``held`` of them were held back by the rate limit (said
    first when any)."""
    lines = [held_note(held)] if held else []
    for alert in alerts:
        title = style.escape(headline(alert))
        url = safe_url(alert.item.url)
        shown = style.link(title, url) if url else title
        page = alert_page_url(public_url, alert.id)
        shown += f" ({style.link('alert page', page)})" if page else ""
        lines.append(f"• [{style.escape(clean_line(alert.watchlist))}] {shown}")
    return render_digest_subject(alerts), _cut("\n".join(lines), MAX_BODY)


# --- incoming-webhook payloads (webhook ``format:``) -----------------------------------------


def slack_payload(title: str, body: str) -> dict[str, Any]:
    """Slack incoming webhook: ``text`` (the notification fallback) and mrkdwn blocks."""
    text = f"*{escape_slack(title)}*\n{body}"
    return {
        "text": escape_slack(title),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, 3000)}}],
    }


def teams_payload(title: str, body: str) -> dict[str, Any]:
    """Teams (Workflows / incoming webhook): a message with one Adaptive Card attachment."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                        {"type": "TextBlock", "text": body, "wrap": True},
                    ],
                },
            }
        ],
    }


def discord_payload(title: str, body: str, url: str | None = None) -> dict[str, Any]:
    """Discord execute-webhook: one embed (title at most 256, description 4096 chars);
    no mentions are ever resolved (``allowed_mentions``)."""
    embed: dict[str, Any] = {
        "title": _cut(title, DISCORD_MAX_TITLE),
        "description": _cut(body, DISCORD_MAX_DESCRIPTION),
    }
    if url:
        embed["url"] = url
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def chat_payload(
    fmt: str,
    alerts: list[Alert],
    digest: bool,
    held: int = 0,
    public_url: str | None = None,
) -> dict[str, Any]:
    """The body a ``format:`` of slack, teams or discord posts for one alert or a digest."""
    style = SLACK if fmt == "slack" else MARKDOWN
    if digest:
        title, body = render_digest_markdown(alerts, held, style, public_url=public_url)
        url = None
    else:
        title, body = render_markdown(alerts[0], style, public_url=public_url)
        url = safe_url(alerts[0].item.url)
    if fmt == "slack":
        return slack_payload(title, body)
    if fmt == "teams":  # a card's TextBlock renders Markdown; a Discord embed title does not
        return teams_payload(escape_markdown(title), body)
    if fmt == "discord":
        return discord_payload(title, body, url)
    raise ValueError(f"unknown chat format {fmt!r}")
