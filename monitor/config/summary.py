"""The human summary ``monitor check`` prints for a valid config.

Pure: formats a ``Config``; never shows a secret (URLs shown by ``display_url``:
no password, query or fragment; webhook URLs reduced to their host).
"""

from __future__ import annotations

from typing import Any

from monitor.config.schema import (
    AppriseChannel,
    Config,
    EmailChannel,
    FeedConfig,
    FileChannel,
    WebhookChannel,
)
from monitor.match.query import format_when
from monitor.net.urls import display_url


def summarize(config: Config) -> str:
    """A short human summary of ``config``: counts, then watchlists, feeds and channels.

    Never shows secrets: webhook secrets are not printed, passwords in URLs are masked and
    webhook URLs show only their host (their paths often carry a token).
    """
    counts = (
        _count(len(config.feeds), "feed"),
        _count(len(config.topics), "topic"),
        _count(len(config.speakers), "speaker"),
        _count(len(config.watchlists), "watchlist"),
        _count(len(config.channels), "channel"),
    )
    lines = [", ".join(counts)]
    if config.source_files:
        lines.append("from " + ", ".join(str(file) for file in config.source_files))
    if config.watchlists:
        lines.append("watchlists:")
    for name, watchlist in config.watchlists.items():
        parts = [
            f"topics: {_names(watchlist.topics)}",
            f"speakers: {_names(watchlist.speakers)}",
            f"when: {format_when(watchlist.when)}",
        ]
        if watchlist.role != "any":
            parts.append(f"role: {watchlist.role}")
        if watchlist.languages is not None:
            parts.append(f"languages: {_names(watchlist.languages)}")
        if watchlist.feeds is not None:
            parts.append(f"feeds: {_names(watchlist.feeds)}")
        parts.append(f"channels: {_names(watchlist.channels)}")
        lines.append(f"  {name}: " + "; ".join(parts))
    if config.feeds:
        lines.append("feeds:")
    for feed in config.feeds:
        source = display_url(feed.url) if feed.url is not None else f"path {feed.path}"
        extra = f"; language {feed.language}" if feed.language else ""
        extra += f"; tags {_names(feed.tags)}" if feed.tags else ""
        extra += _feed_access(feed)
        lines.append(f"  {feed.id}: {source}; every {format_duration(feed.every)}{extra}")
    if config.channels:
        lines.append("channels:")
    for name, channel in config.channels.items():
        lines.append(f"  {name}: {_describe_channel(channel)}")
    settings = config.settings
    runner = "embedded"
    if settings.broker_url:
        runner = (
            f"broker {display_url(settings.broker_url, user=True)}"
            f" (unacked tasks redelivered after {format_duration(settings.visibility_timeout)})"
        )
    lines.append(
        f"settings: runner {runner}; state_dir {settings.state_dir};"
        f" seen ids kept {format_duration(settings.seen_retention)} after they leave a feed"
    )
    return "\n".join(lines)


def _feed_access(feed: FeedConfig) -> str:
    """Header names, the kind of auth and the proxy without its password: no values."""
    text = f"; headers {_names(sorted(feed.headers))}" if feed.headers else ""
    if feed.auth is not None:
        text += "; auth bearer" if feed.auth.bearer is not None else "; auth basic"
    if feed.proxy is not None:
        text += f"; proxy {display_url(feed.proxy)}"
    return text + ("; proxy from the environment" if feed.trust_env else "")


def _describe_channel(channel: Any) -> str:
    return _describe_kind(channel) + _pacing(channel)


def _describe_kind(channel: Any) -> str:
    if isinstance(channel, EmailChannel):
        to = ", ".join(channel.to)
        return f"email to {to} from {channel.from_} via {display_url(channel.smtp, user=True)}"
    if isinstance(channel, WebhookChannel):
        shape = "" if channel.format == "json" else f"{channel.format}, "
        signed = "signed" if channel.secret else "unsigned"
        return f"webhook {display_url(channel.url, path=False)} ({shape}{signed})"
    if isinstance(channel, AppriseChannel):
        # the URLs hold tokens: only each one's service is shown
        return "apprise " + ", ".join(url.partition("://")[0] + "://…" for url in channel.urls)
    if isinstance(channel, FileChannel):
        return f"file {channel.path}"
    return str(getattr(channel, "type", "channel"))


def _pacing(channel: Any) -> str:
    text = f"; digest every {format_duration(channel.digest)}" if channel.digest else ""
    if channel.rate_limit:
        count, per = channel.rate_limit
        text += f"; at most {count} per {format_duration(per)}"
    return text


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "-"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def format_duration(seconds: float) -> str:
    """``300.0`` -> ``5m``, ``90`` -> ``1m30s``, ``86400`` -> ``1d``."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest, text = int(seconds), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            text += f"{rest // size}{unit}"
            rest %= size
    return text or "0s"
