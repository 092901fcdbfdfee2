"""The webhook channel: signed JSON POSTs (Standard Webhooks). Does network I/O (httpx).

Headers: ``webhook-id`` (the alert id, stable across retries, so receivers drop
repeats), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` keyed with the decoded
``whsec_`` secret). Redirects are never followed. 2xx is success; 408, 429, 5xx,
timeouts and network errors are transient (honouring Retry-After); other answers
are permanent. Loopback/private destinations are refused unless allowed.

Error messages name the channel and the host only: webhook URLs often carry a
token in their path, and the secret must never reach a log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import ipaddress
import socket
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import httpx

from monitor.alerts.render import webhook_body
from monitor.errors import DeliveryError, MonitorError, TransientDeliveryError, TransientError
from monitor.model import Alert

_TRANSIENT_STATUS = frozenset({408, 429})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


# --- destination guard ---------------------------------------------------------------
# monitor.sources.netguard (owner SOURCES) is the shared SSRF guard; when it is not there
# yet this minimal check stands in. Both refuse any destination that is not global.


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in a mapped, 6to4, Teredo or NAT64 IPv6 address."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    if addr in _NAT64 or addr in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    # IPv4-compatible (deprecated) ::a.b.c.d, which is_global wrongly calls global
    if int(addr) >> 32 == 0 and int(addr) > 1:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True when ``address`` (an IP literal) and any IPv4 it wraps are global unicast."""
    addr = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_ipv4(addr)
        if inner is not None and not (inner.is_global and not inner.is_multicast):
            return False
    return addr.is_global and not addr.is_multicast


def resolve_checked(host: str, port: int, allow_private: bool, *, what: str) -> list[str]:
    """The addresses ``host`` resolves to, refusing (DeliveryError) any non-global one.

    Callers connect to these very addresses, so a DNS answer that changes between the
    check and the connection (rebinding) cannot reach a private address.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TransientDeliveryError(f"{what}: cannot resolve host {host!r}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise DeliveryError(
                    f"{what}: host {host!r} is a loopback or private address; "
                    "set allow_private: true on the channel to allow it"
                )
    return addresses


def check_host(host: str, port: int, allow_private: bool, *, what: str) -> None:
    """Refuse (DeliveryError) a host that is, or resolves to, a non-global address."""
    if not allow_private:
        resolve_checked(host, port, allow_private, what=what)


class _Guard(Protocol):
    def __call__(self, url: str, allow_private: bool) -> None: ...


def _shared_guard() -> _Guard | None:
    try:
        module = importlib.import_module("monitor.sources.netguard")
    except ImportError:
        return None
    guard = getattr(module, "check_url", None)
    return cast(_Guard, guard) if callable(guard) else None


def check_destination(url: str, allow_private: bool, *, what: str) -> list[str]:
    """Apply the shared guard (when there is one) and return the checked addresses."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    guard = _shared_guard()
    if guard is not None:
        try:
            guard(url, allow_private=allow_private)
        except TransientError as exc:  # e.g. DNS failure: may pass
            raise TransientDeliveryError(
                f"{what}: cannot check host {host!r} ({type(exc).__name__})"
            ) from None
        except MonitorError as exc:
            # netguard names the URL; ours names only the host (the path may hold a token).
            raise DeliveryError(
                f"{what}: host {host!r} refused ({type(exc).__name__}); "
                "set allow_private: true on the channel if it is meant to be private"
            ) from None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return resolve_checked(host, port, allow_private, what=what)


# --- signing -----------------------------------------------------------------------


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (``whsec_`` + base64). ValueError if bad."""
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a whsec_ base64 secret") from None
    if not key:
        raise ValueError("empty secret")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


# --- the channel ----------------------------------------------------------------------


class WebhookChannelSender:
    def __init__(
        self,
        name: str,
        *,
        url: str,
        secret: str | None,
        timeout: float = 10.0,
        allow_private: bool = False,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._url = url
        self._host = urlsplit(url).hostname or ""
        self._timeout = timeout
        self._allow_private = allow_private
        self._transport = transport
        self._clock = clock
        self._key: bytes | None = None
        self._key_problem: str | None = None
        if secret is not None:
            try:
                self._key = decode_secret(secret)
            except ValueError as exc:
                self._key_problem = str(exc)

    def _what(self) -> str:
        return f"webhook channel {self.name} ({self._host})"

    def send(self, alert: Alert) -> None:
        what = self._what()
        if self._key_problem is not None:
            raise DeliveryError(f"{what}: the secret is invalid: {self._key_problem}")
        addresses = check_destination(self._url, self._allow_private, what=what)
        body = webhook_body(alert)
        timestamp = int(self._clock())
        url = httpx.URL(self._url)
        headers = {
            "host": url.netloc.decode("ascii"),
            "content-type": "application/json",
            "webhook-id": alert.id,
            "webhook-timestamp": str(timestamp),
            "user-agent": "monitor-webhook/1",
        }
        if self._key is not None:
            headers["webhook-signature"] = sign(self._key, alert.id, timestamp, body)
        extensions: dict[str, Any] = {}
        if url.scheme == "https":
            # Connect to the checked address but verify the certificate for the name.
            extensions["sni_hostname"] = url.raw_host.decode("ascii")
        try:
            # trust_env=False: no proxy from the environment may bypass the address check.
            with httpx.Client(
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
                transport=self._transport,
            ) as client:
                status, retry_after = self._post(client, url, addresses, headers, body, extensions)
        except httpx.TimeoutException as exc:
            raise TransientDeliveryError(f"{what}: timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"{what}: network error ({type(exc).__name__})") from None
        self._judge(status, retry_after, what)

    def _post(
        self,
        client: httpx.Client,
        url: httpx.URL,
        addresses: list[str],
        headers: dict[str, str],
        body: bytes,
        extensions: dict[str, Any],
    ) -> tuple[int, float | None]:
        """POST to each checked address in turn until one accepts the connection."""
        refused: httpx.ConnectError | None = None
        for address in addresses:
            target = url if address == url.host else url.copy_with(host=address)
            try:
                with client.stream(
                    "POST", target, content=body, headers=headers, extensions=extensions
                ) as response:
                    # The body is never read: an endless answer cannot hold the worker.
                    retry_after = parse_retry_after(
                        response.headers.get("retry-after"), now=self._clock()
                    )
                    return response.status_code, retry_after
            except httpx.ConnectError as exc:
                refused = exc  # nothing was sent: the next address is safe to try
        raise refused or httpx.ConnectError("no address to connect to")

    @staticmethod
    def _judge(status: int, retry_after: float | None, what: str) -> None:
        if 200 <= status < 300:
            return
        if status in _TRANSIENT_STATUS or 500 <= status < 600:
            raise TransientDeliveryError(f"{what}: HTTP {status}", retry_after=retry_after)
        if 300 <= status < 400:
            raise DeliveryError(f"{what}: HTTP {status} redirect, which is never followed")
        raise DeliveryError(f"{what}: HTTP {status}")
