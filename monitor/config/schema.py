"""The configuration's shape: pydantic models for SPEC section 1.

Pure validation, no I/O and no environment access (``loader.py`` reads files and
interpolates ``${VAR}`` before these models see the data). Field names are the
YAML keys users write; every model forbids unknown keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_ID = re.compile(r"^[a-z0-9_-]+$")
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def parse_duration(value: Any) -> float:
    """``30`` or ``"30s"``, ``"5m"``, ``"2h"``, ``"1d"`` -> seconds (> 0)."""
    if isinstance(value, bool):
        raise ValueError("expected an interval like 30s, 5m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (found := _DURATION.match(value)):
        seconds = float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    else:
        raise ValueError(f"bad interval {value!r}: expected a number with s, m, h or d, like 5m")
    if seconds <= 0:
        raise ValueError("an interval must be greater than zero")
    return seconds


def _check_http_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"bad URL {value!r}: expected http:// or https:// with a host")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"bad email address {value!r}")
    return value


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"bad id {value!r}: use lower-case letters, digits, '-' and '_'")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
Email = Annotated[str, AfterValidator(_check_email)]
Ident = Annotated[str, AfterValidator(_check_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _names(value: Any) -> Any:
    """Accept a single string where a list of strings is expected."""
    return [value] if isinstance(value, str) else value


NameList = Annotated[list[str], BeforeValidator(_names)]


class FeedConfig(_Strict):
    id: Ident
    url: HttpUrl | None = None
    path: str | None = None
    every: Duration = 300.0
    language: str | None = None
    tags: NameList = Field(default_factory=list)
    allow_private: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> FeedConfig:
        if (self.url is None) == (self.path is None):
            raise ValueError("a feed needs exactly one of url: or path:")
        return self


class TopicConfig(_Strict):
    terms: NameList
    exclude: NameList = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `NATO: [NATO, OTAN]` is shorthand for `NATO: {terms: [NATO, OTAN]}`
        return {"terms": data} if isinstance(data, list | str) else data


class SpeakerConfig(_Strict):
    aliases: NameList
    title: str | None = None  # e.g. "Kremlin spokesman", shown in alerts

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"aliases": data} if isinstance(data, list | str) else data


class WatchlistConfig(_Strict):
    description: str = ""
    topics: NameList = Field(default_factory=list)
    speakers: NameList = Field(default_factory=list)
    when: str = "any"  # any | all | a query (SPEC section 3)
    role: Literal["any", "quoted"] = "any"
    languages: NameList | None = None
    feeds: NameList | None = None  # feed ids or tag:NAME
    channels: NameList = Field(default_factory=list)


class EmailChannel(_Strict):
    type: Literal["email"]
    to: Annotated[list[Email], BeforeValidator(_names)]
    from_: Email = Field(alias="from")
    smtp: str = Field(repr=False)  # may hold a password
    digest: Duration | None = None
    allow_private: bool = False

    @model_validator(mode="after")
    def _smtp_url(self) -> EmailChannel:
        from urllib.parse import urlsplit

        parts = urlsplit(self.smtp)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("smtp: expected smtp://host[:port] or smtps://host[:port]")
        return self


class WebhookChannel(_Strict):
    type: Literal["webhook"]
    url: HttpUrl
    secret: str | None = Field(default=None, repr=False)  # Standard Webhooks: whsec_ + base64
    allow_private: bool = False
    timeout: Duration = 10.0


class ConsoleChannel(_Strict):
    type: Literal["console"]


class FileChannel(_Strict):
    type: Literal["file"]
    path: str


ChannelConfig = Annotated[
    EmailChannel | WebhookChannel | ConsoleChannel | FileChannel,
    Field(discriminator="type"),
]


def _empty_is_none(value: Any) -> Any:
    # `broker_url: ${MONITOR_BROKER_URL:-}` leaves "" when the variable is unset.
    return None if value == "" else value


OptionalUrl = Annotated[str | None, BeforeValidator(_empty_is_none)]


# Seen-set retention: an id is forgotten once its feed's latest complete read no longer
# lists it and it was last listed longer ago than this. Feed readers keep a few weeks;
# 30 days outlasts any feed window that rotates items out and back, and costs little.
DEFAULT_SEEN_RETENTION = 30 * 86400.0
_MIN_SEEN_RETENTION = 86400.0


def _at_least(minimum: float, message: str) -> Callable[[float], float]:
    """A validator refusing a duration below ``minimum`` with ``message``."""

    def check(value: float) -> float:
        if value < minimum:
            raise ValueError(message)
        return value

    return check


_check_seen_retention = _at_least(
    _MIN_SEEN_RETENTION,
    "must be at least 1d: an item that leaves a feed and comes back sooner would be alerted again",
)


# Celery on Redis re-delivers a task not acknowledged within this long (a worker killed
# outright: its reserved tasks come back then). workers/ caps every retry countdown at a
# quarter of it (kombu#337: a longer countdown is delivered again and again), and the
# retry after a store fault waits up to STORE_RETRY_CAP (1m, workers/tasks.py): below 4m
# that backoff would be cut short, retrying a restarting Redis several times a second
# per task, and a webhook's Retry-After would be honoured for less than a minute.
DEFAULT_VISIBILITY_TIMEOUT = 3600.0
MIN_VISIBILITY_TIMEOUT = 240.0


_check_visibility_timeout = _at_least(
    MIN_VISIBILITY_TIMEOUT,
    "must be at least 4m: retry countdowns are capped at a quarter of it,"
    " and a retry after a store fault waits up to 1m",
)


class Settings(_Strict):
    broker_url: OptionalUrl = None  # absent: the embedded runner, no Redis needed
    store: OptionalUrl = None  # sqlite:///path or postgresql://...; default: state_dir
    state_dir: str = "./.monitor"
    allow_private_networks: bool = False
    story_window: Duration = 86400.0
    max_feed_bytes: int = 10 * 1024 * 1024
    fetch_timeout: Duration = 30.0
    delivery_attempts: int = 8
    seen_retention: Annotated[Duration, AfterValidator(_check_seen_retention)] = (
        DEFAULT_SEEN_RETENTION
    )
    # distributed mode only; `python -m workers --visibility-timeout` overrides it (tests)
    visibility_timeout: Annotated[Duration, AfterValidator(_check_visibility_timeout)] = (
        DEFAULT_VISIBILITY_TIMEOUT
    )


class Config(_Strict):
    feeds: list[FeedConfig] = Field(default_factory=list)
    topics: dict[str, TopicConfig] = Field(default_factory=dict)
    speakers: dict[str, SpeakerConfig] = Field(default_factory=dict)
    watchlists: dict[str, WatchlistConfig] = Field(default_factory=dict)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
    # set by the loader, not by users: the files merged into this config
    source_files: tuple[Path, ...] = Field(default=(), exclude=True)

    def feed(self, feed_id: str) -> FeedConfig:
        for feed in self.feeds:
            if feed.id == feed_id:
                return feed
        raise KeyError(feed_id)
