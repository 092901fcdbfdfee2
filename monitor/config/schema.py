"""The configuration's shape: pydantic models for SPEC section 1.

Pure validation, no I/O and no environment access (``loader.py`` reads files and
interpolates ``${VAR}`` before these models see the data). Field names are the
YAML keys users write; every model forbids unknown keys.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from monitor.match.query import Query, QuerySyntaxError, When, format_when, parse_when
from monitor.net.urls import display_url

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_ID = re.compile(r"^[a-z0-9_-]+$")
# one DNS label: letters (any script, for IDNs), digits, '_' and inner '-'
_HOST_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


# Longer than any poll period, story window or retention anyone means; it keeps a typo
# (`every: 5000d`) or YAML's `.inf` out of the timers and datetimes downstream.
MAX_DURATION = 366 * 86400.0


def parse_duration(value: Any) -> float:
    """``30`` or ``"30s"``, ``"5m"``, ``"2h"``, ``"1d"`` -> seconds (> 0, at most 366d)."""
    if isinstance(value, bool):
        raise ValueError("expected an interval like 30s, 5m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (found := _DURATION.match(value)):
        seconds = float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    else:
        raise ValueError(f"bad interval {value!r}: expected a number with s, m, h or d, like 5m")
    if math.isnan(seconds):
        raise ValueError("bad interval: not a number; write one like 30s, 5m or 1h")
    if seconds <= 0:
        raise ValueError("an interval must be greater than zero")
    if seconds > MAX_DURATION:
        raise ValueError("an interval must be at most 366d")
    return seconds


def duration_ago(value: Any) -> datetime:
    """The UTC time ``value`` (``parse_duration``'s, ``"24h"``) before now: a ``--since``."""
    return datetime.now(UTC) - timedelta(seconds=parse_duration(value))


def check_url(value: str, schemes: tuple[str, ...]) -> str:
    """``value`` if it is a URL with one of ``schemes``, a valid host and port; else ValueError.

    The one URL check of the config (feeds, webhooks, SMTP, the broker, the store): the
    parsers downstream (httpx, smtplib, redis-py) fail late and with a traceback on what
    ``urlsplit`` lets through, such as ``:99999``, ``:notaport`` or a space in the host.
    Messages show the URL as ``display_url`` does: no user, password, query or fragment.
    """
    expected = " or ".join(f"{scheme}://" for scheme in schemes)

    def fault(reason: str) -> ValueError:
        return ValueError(f"bad URL {display_url(value)!r}: {reason}")

    if any(char.isspace() or ord(char) < 32 for char in value):
        raise fault("it contains a space or a control character")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise fault("its host cannot be read") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise fault(f"expected {expected} with a host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        raise fault("the port must be a number from 1 to 65535")
    bracketed = parts.netloc.rpartition("@")[2].startswith("[")
    if not _valid_host(parts.hostname, bracketed=bracketed):
        raise fault(f"{parts.hostname!r} is not a valid host name or address")
    return value


def _valid_host(host: str, *, bracketed: bool) -> bool:
    if bracketed:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def _check_http_url(value: str) -> str:
    return check_url(value, ("http", "https"))


def _check_smtp_url(value: str) -> str:
    return check_url(value, ("smtp", "smtps"))


def decode_webhook_secret(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (``whsec_`` + base64). ValueError if bad.

    Messages never show the secret.
    """
    if not secret:
        raise ValueError("empty: set a whsec_ secret, or remove secret: to send unsigned")
    if not secret.startswith("whsec_"):
        raise ValueError("expected a Standard Webhooks secret: whsec_ then base64")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the secret after whsec_ is not valid base64") from None
    if not key:
        raise ValueError("the secret after whsec_ is empty")
    return key


def _check_webhook_secret(secret: str) -> str:
    decode_webhook_secret(secret)
    return secret


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
SmtpUrl = Annotated[str, AfterValidator(_check_smtp_url)]
WebhookSecret = Annotated[str, AfterValidator(_check_webhook_secret)]
Email = Annotated[str, AfterValidator(_check_email)]
Ident = Annotated[str, AfterValidator(_check_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _names(value: Any) -> Any:
    """Accept a single string where a list of strings is expected."""
    return [value] if isinstance(value, str) else value


NameList = Annotated[list[str], BeforeValidator(_names)]


def _no_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("an empty entry can never match; remove it")
    return value


def _at_least_one(what: str) -> Callable[[list[str]], list[str]]:
    def check(value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"needs at least one {what}: an empty list can never match")
        return value

    return check


# Terms and aliases: a watchlist naming a topic or speaker that can never match is a
# fault, not a quiet no-op (`NATO: []` or `NATO: [""]`).
_Entry = Annotated[str, AfterValidator(_no_blank)]
EntryList = Annotated[list[_Entry], BeforeValidator(_names)]

# The model-level check of FeedConfig would not run when another field of the feed fails
# (pydantic validates the model only once its fields are valid), so the loader checks the
# raw data itself and drops this message when pydantic repeats it.
FEED_SOURCE_PROBLEM = "a feed needs exactly one of url: or path:"


# header names are RFC 9110 tokens; values printable ASCII (h11 would refuse the rest with
# the value in its message). These the fetcher sets itself, or that frame the request.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")
_RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
    | {"if-none-match", "if-modified-since", "proxy-authorization"}
)


def _check_headers(headers: dict[str, str]) -> dict[str, str]:
    """Messages start with the header's name (the loader points at that key) and never
    show a value: a header is where API keys go."""
    seen: set[str] = set()
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name}: not a valid HTTP header name")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"{name}: set by the fetcher itself; remove it")
        if name.lower() in seen:
            raise ValueError(f"{name}: given twice (header names ignore case)")
        seen.add(name.lower())
        if not _HEADER_VALUE.match(value):
            raise ValueError(f"{name}: the value must be ASCII text on one line (value not shown)")
    return headers


def _check_proxy_url(value: str | None) -> str | None:
    return None if value is None else check_url(value, ("http", "https", "socks5", "socks5h"))


class FeedAuth(_Strict):
    """``{bearer: TOKEN}`` or ``{username: U, password: P}``; never shown anywhere."""

    bearer: str | None = Field(default=None, repr=False)
    username: str | None = None
    password: str | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _one_kind(self) -> FeedAuth:
        basic = self.username is not None or self.password is not None
        if (self.bearer is not None) == basic or (
            basic and (self.username is None or self.password is None)
        ):
            raise ValueError("expected {bearer: TOKEN} or {username: U, password: P}")
        if self.bearer is not None and not _HEADER_VALUE.match(self.bearer):
            raise ValueError("bearer: must be ASCII text on one line (value not shown)")
        if self.username is not None and ":" in self.username:
            raise ValueError("username: must not contain ':' (HTTP basic auth)")
        return self


class FeedConfig(_Strict):
    id: Ident
    url: HttpUrl | None = None
    path: str | None = None
    every: Duration = 300.0
    language: str | None = None
    tags: NameList = Field(default_factory=list)
    allow_private: bool = False
    # how the feed is reached (monitor.sources.access): never printed, repr included
    headers: Annotated[dict[str, str], AfterValidator(_check_headers)] = Field(
        default_factory=dict, repr=False
    )
    auth: FeedAuth | None = Field(default=None, repr=False)
    proxy: Annotated[str | None, AfterValidator(_check_proxy_url)] = Field(default=None, repr=False)
    trust_env: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> FeedConfig:
        if (self.url is None) == (self.path is None):
            raise ValueError(FEED_SOURCE_PROBLEM)
        if self.auth is not None and any(k.lower() == "authorization" for k in self.headers):
            raise ValueError("auth: an Authorization header is set too; keep one of them")
        if self.proxy is not None and self.trust_env:
            raise ValueError("proxy: trust_env: true is set too; keep one of them")
        return self


class TopicConfig(_Strict):
    terms: Annotated[EntryList, AfterValidator(_at_least_one("term"))]
    exclude: EntryList = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `NATO: [NATO, OTAN]` is shorthand for `NATO: {terms: [NATO, OTAN]}`
        return {"terms": data} if isinstance(data, list | str) else data


class SpeakerConfig(_Strict):
    aliases: Annotated[EntryList, AfterValidator(_at_least_one("alias"))]
    title: str | None = None  # e.g. "Kremlin spokesman", shown in alerts
    # Offices that name the speaker alone ("the Kremlin spokesman said"): found
    # like aliases, kept only when quoted and when no other speaker lists them.
    titles: EntryList = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"aliases": data} if isinstance(data, list | str) else data


def _read_when(value: Any) -> When:
    """``when:`` parsed once, here: the engine and the loader's reference checks read
    the result."""
    if isinstance(value, Query) or value in ("any", "all"):  # read already
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    try:
        return parse_when(value)
    except QuerySyntaxError as exc:
        raise ValueError(f"bad query: {exc}") from None


# any | all | a query (docs/config.md, watchlists), written back as text
WhenSetting = Annotated[
    When, PlainValidator(_read_when), PlainSerializer(format_when, return_type=str)
]


class WatchlistConfig(_Strict):
    description: str = ""
    topics: NameList = Field(default_factory=list)
    speakers: NameList = Field(default_factory=list)
    when: WhenSetting = "any"
    role: Literal["any", "quoted"] = "any"
    languages: NameList | None = None
    feeds: NameList | None = None  # feed ids or tag:NAME
    channels: NameList = Field(default_factory=list)


_RATE = re.compile(r"^\s*(\d+)\s*/\s*([mhd])\s*$")


def parse_rate_limit(value: Any) -> tuple[int, float]:
    """``"20/h"`` (or ``/m``, ``/d``) -> (20, 3600.0): a count per period, count >= 1."""
    found = _RATE.match(value) if isinstance(value, str) else None
    if found is None or int(found.group(1)) < 1:
        raise ValueError(f"bad rate limit {value!r}: expected a count per m, h or d, like 20/h")
    return int(found.group(1)), float(_UNIT_SECONDS[found.group(2)])


RateLimit = Annotated[tuple[int, float], BeforeValidator(parse_rate_limit)]


class _Channel(_Strict):
    """What every channel type takes: a digest period and a rate limit."""

    digest: Duration | None = None
    rate_limit: RateLimit | None = None


class EmailChannel(_Channel):
    type: Literal["email"]
    to: Annotated[list[Email], BeforeValidator(_names)]
    from_: Email = Field(alias="from")
    # a field check, not a model one, so it is reported along with the other fields' faults
    smtp: SmtpUrl = Field(repr=False)  # may hold a password
    allow_private: bool = False


class WebhookChannel(_Channel):
    type: Literal["webhook"]
    url: HttpUrl
    # Standard Webhooks: whsec_ + base64, checked here so a bad one fails `check`, not sends.
    # Absent means unsigned (tests/integration/test_reliability.py relies on it).
    secret: WebhookSecret | None = Field(default=None, repr=False)
    allow_private: bool = False
    timeout: Duration = 10.0
    # json: SPEC 6's signed body; the others: each chat service's incoming-webhook shape
    format: Literal["json", "slack", "teams", "discord"] = "json"


_APPRISE_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,31}$")


def _apprise_urls(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("needs at least one Apprise URL")
    for url in value:
        scheme, sep, rest = url.partition("://")
        if not _APPRISE_SCHEME.match(scheme) or not sep or not rest or not url.isprintable():
            # the rest of the URL may be a token: never shown
            shown = f"{scheme}://…" if sep and _APPRISE_SCHEME.match(scheme) else "(no scheme)"
            raise ValueError(f"bad Apprise URL {shown}: expected SERVICE://… such as slack://…")
    return value


class AppriseChannel(_Channel):
    type: Literal["apprise"]
    # tokens and passwords live in these URLs: never in a repr, a log or `monitor check`
    urls: Annotated[list[str], BeforeValidator(_names), AfterValidator(_apprise_urls)] = Field(
        repr=False
    )
    allow_private: bool = False
    timeout: Duration = 10.0


class ConsoleChannel(_Channel):
    type: Literal["console"]


class FileChannel(_Channel):
    type: Literal["file"]
    path: str


ChannelConfig = Annotated[
    EmailChannel | WebhookChannel | AppriseChannel | ConsoleChannel | FileChannel,
    Field(discriminator="type"),
]


def _empty_is_none(value: Any) -> Any:
    # `broker_url: ${MONITOR_BROKER_URL:-}` leaves "" when the variable is unset.
    return None if value == "" else value


def _check_broker_url(value: str | None) -> str | None:
    # Both read it: Celery (kombu: redis, rediss) and the RedisStore (redis-py: redis,
    # rediss, unix); kombu spells a socket redis+socket://, which redis-py refuses.
    return None if value is None else check_url(value, ("redis", "rediss"))


_STORE_HINT = "expected sqlite:///path/to/state.db, memory: or redis://host:port/db"


StoreKind = Literal["memory", "sqlite", "redis"]


def parse_store_url(url: str) -> tuple[StoreKind, str]:
    """What a ``settings.store`` URL opens: ``("memory", "")``, ``("sqlite", path)`` or
    ``("redis", url)`` (``redis://``, ``rediss://``, ``unix:///path/to/redis.sock``).

    The one reading of store URLs: ``Settings`` validates with it and
    ``monitor.state.open_store`` opens what it says. ValueError (no password shown) for
    anything else. ``sqlite:///`` then the path, SQLAlchemy's convention: a fourth slash
    makes the path absolute.
    """
    if url in ("memory:", "memory://"):
        return "memory", ""
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"bad store {url!r}: {_STORE_HINT}")
        return "sqlite", path
    if url.startswith("unix:"):
        if not url.startswith("unix:///"):
            raise ValueError("bad store: expected unix:///path/to/redis.sock")
        return "redis", url
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme not in ("redis", "rediss"):
        what = f"the {scheme!r} store is not supported" if scheme else f"bad store {url!r}"
        raise ValueError(f"{what}; {_STORE_HINT}")
    return "redis", check_url(url, ("redis", "rediss"))


def _check_store_url(value: str | None) -> str | None:
    if value is not None:
        parse_store_url(value)
    return value


_HISTORY_HINT = "expected sqlite:///path/to/history.db or postgresql://user@host:port/db"


def check_history_url(url: str) -> str:
    """``url`` if it names a history database: SQLite with a file, or PostgreSQL.

    The one reading of history URLs: ``Settings`` validates with it and
    ``monitor.history.parse_history_url`` opens what it passes (without SQLAlchemy
    imported into every command that loads the config). ValueError, no password shown.
    """
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme in ("sqlite", "sqlite+pysqlite"):
        path = url.partition(":///")[2].partition("?")[0]
        if not path or path == ":memory:":
            raise ValueError(f"bad history URL; {_HISTORY_HINT}")
        return url
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return check_url(url, (scheme,))
    what = f"the {scheme!r} history database is not supported" if scheme else "bad history URL"
    raise ValueError(f"{what}; {_HISTORY_HINT}")


def _check_history_url(value: str | None) -> str | None:
    return None if value is None else check_history_url(value)


def check_public_url(url: str) -> str:
    """``url`` if it is an http(s) base URL (no query or fragment), without a trailing
    slash: ``settings.public_url``, under which ``monitor web`` serves ``/alerts/{id}``."""
    check_url(url, ("http", "https"))
    parts = urlsplit(url)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError(
            f"bad URL {display_url(url)!r}: expected the console's base URL, "
            "without a ?query or #fragment"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"bad URL {display_url(url)!r}: a user or password does not belong in a "
            "link that goes out in every mail"
        )
    return url.rstrip("/")


def _check_public_url(value: str | None) -> str | None:
    return None if value is None else check_public_url(value)


OptionalUrl = Annotated[str | None, BeforeValidator(_empty_is_none)]
BrokerUrl = Annotated[OptionalUrl, AfterValidator(_check_broker_url)]
StoreUrl = Annotated[OptionalUrl, AfterValidator(_check_store_url)]
HistoryUrl = Annotated[OptionalUrl, AfterValidator(_check_history_url)]
PublicUrl = Annotated[OptionalUrl, AfterValidator(_check_public_url)]


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


# The history keeps everything seen this long (pruned daily): long enough for a
# backtest over last month; PostgreSQL can hold more.
DEFAULT_HISTORY_RETENTION = 30 * 86400.0
_check_history_retention = _at_least(86400.0, "must be at least 1d: the history is pruned daily")

_check_seen_retention = _at_least(
    _MIN_SEEN_RETENTION,
    "must be at least 1d: an item that leaves a feed and comes back sooner would be alerted again",
)


# Celery on Redis re-delivers a task not acknowledged within this long (a worker killed
# outright: its reserved tasks come back then), and the poller counts a queued item or
# delivery as lost after as long: so it bounds how late a dead worker's items alert
# (SPEC: within 2 minutes by default). workers/ kills every task after 2/3 of it (at least
# 20 s) and caps every retry countdown at a quarter of it (kombu#337). Below 1m a task
# would be given less than 40 s, less than one fetch may take (fetch_timeout: 30s).
DEFAULT_VISIBILITY_TIMEOUT = 90.0
MIN_VISIBILITY_TIMEOUT = 60.0


_check_visibility_timeout = _at_least(
    MIN_VISIBILITY_TIMEOUT,
    "must be at least 1m: every task may run 2/3 of it, and a feed fetch may take 30s",
)


# A feed of 0 bytes or a delivery tried 0 times can only fail at run time: refused at check.
_check_max_feed_bytes = _at_least(1, "must be at least 1 (bytes)")
_check_delivery_attempts = _at_least(1, "must be at least 1: the first try counts")


# `monitor web` beyond loopback needs a token: long enough that guessing is hopeless
MIN_WEB_TOKEN = 16


def _check_web_token(value: str | None) -> str | None:
    """Empty (``${WEB_TOKEN:-}`` unset) is no token; a short one is refused. Messages
    never show the value."""
    if not value:
        return None
    if len(value) < MIN_WEB_TOKEN:
        raise ValueError(f"too short: at least {MIN_WEB_TOKEN} characters (value not shown)")
    if not _HEADER_VALUE.match(value) or value != value.strip():
        raise ValueError("must be printable ASCII without spaces at its ends (value not shown)")
    return value


class WebSettings(_Strict):
    """``monitor web``: the token for the API (bearer) and the pages (login form)."""

    token: Annotated[str | None, AfterValidator(_check_web_token)] = Field(default=None, repr=False)


class Settings(_Strict):
    broker_url: BrokerUrl = None  # absent: the embedded runner, no Redis needed
    store: StoreUrl = None  # sqlite:///path, memory: or redis://...; default: state_dir
    state_dir: str = "./.monitor"
    allow_private_networks: bool = False
    story_window: Duration = 86400.0
    max_feed_bytes: Annotated[int, AfterValidator(_check_max_feed_bytes)] = 10 * 1024 * 1024
    fetch_timeout: Duration = 30.0
    delivery_attempts: Annotated[int, AfterValidator(_check_delivery_attempts)] = 8
    seen_retention: Annotated[Duration, AfterValidator(_check_seen_retention)] = (
        DEFAULT_SEEN_RETENTION
    )
    history_url: HistoryUrl = None  # sqlite:///path or postgresql://...; default: state_dir
    history_retention: Annotated[Duration, AfterValidator(_check_history_retention)] = (
        DEFAULT_HISTORY_RETENTION
    )
    # where `monitor web` is reachable: alert mails, chat messages and webhooks link to
    # {public_url}/alerts/{alert_id}
    public_url: PublicUrl = None
    # feed health (monitor.feedhealth): alerts about quiet or failing feeds go here
    ops_channel: str | None = None
    feed_quiet_after: Duration = 3600.0
    feed_failing_after: Duration = 2 * 3600.0
    # distributed mode only; `python -m workers --visibility-timeout` overrides it (tests)
    visibility_timeout: Annotated[Duration, AfterValidator(_check_visibility_timeout)] = (
        DEFAULT_VISIBILITY_TIMEOUT
    )
    web: WebSettings = Field(default_factory=WebSettings)


class Config(_Strict):
    feeds: list[FeedConfig] = Field(default_factory=list)
    topics: dict[str, TopicConfig] = Field(default_factory=dict)
    speakers: dict[str, SpeakerConfig] = Field(default_factory=dict)
    watchlists: dict[str, WatchlistConfig] = Field(default_factory=dict)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
    # set by the loader, not by users: the files merged into this config
    source_files: tuple[Path, ...] = Field(default=(), exclude=True)
    # set by the loader: FILE:LINE lines about a config that is valid but likely a mistake
    load_warnings: tuple[str, ...] = Field(default=(), exclude=True)
    # set by the loader when a feed has trust_env: the proxy variables (lower-case names)
    environment_proxies: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)

    def feed(self, feed_id: str) -> FeedConfig:
        for feed in self.feeds:
            if feed.id == feed_id:
                return feed
        raise KeyError(feed_id)
