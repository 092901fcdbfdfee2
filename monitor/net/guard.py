"""The one guard for every outbound connection (feeds, webhooks, SMTP, Apprise): no SSRF.

Owns the address rules: feeds and webhooks use only http/https, and every address a
host resolves to must be global after unwrapping the IPv6 forms that smuggle IPv4
inside (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4
``2002::/16``, Teredo ``2001::/32``, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``):
``ipaddress.is_global`` alone says True for ``::127.0.0.1`` and ``64:ff9b::a9fe:a9fe``.
Refusals are raised as the caller's error classes (``FEEDS`` or ``CHANNELS``). Does
I/O: DNS resolution. Knows nothing of httpx: the connect-time check is
``monitor.net.transport``'s.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.errors import (
    DeliveryError,
    FetchError,
    MonitorError,
    TransientDeliveryError,
    TransientError,
    TransientFetchError,
)
from monitor.net.urls import display_url

__all__ = [
    "CHANNELS",
    "FEEDS",
    "IPAddress",
    "Refusals",
    "check_destination",
    "checked_addresses",
    "embedded_ipv4",
    "is_public",
    "literal_address",
    "refuse_if_private",
    "resolve",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class Refusals:
    """How one kind of caller hears of a refusal: its error classes and its advice."""

    refused: type[MonitorError]  # a non-public address, a bad URL: permanent
    unresolved: type[TransientError]  # DNS failure: may pass
    hint: str  # how to allow a private destination, in the caller's config terms


FEEDS = Refusals(FetchError, TransientFetchError, "set allow_private on this feed to allow it")
CHANNELS = Refusals(
    DeliveryError, TransientDeliveryError, "set allow_private: true on the channel to allow it"
)


def check_destination(
    url: str, allow_private: bool, *, what: str | None = None, rules: Refusals = FEEDS
) -> None:
    """Raise ``rules.refused`` unless ``url`` is http(s) to public addresses only.

    With ``allow_private`` only the scheme and host are checked (tests,
    on-premises wires). A name that does not resolve is ``rules.unresolved``.
    Messages start with ``what`` (default: the URL without its secrets).
    """
    what = what or display_url(url)
    host, port = _host_port(url, what, rules)
    if not allow_private:
        checked_addresses(host, port, what=what, rules=rules)


def _host_port(url: str, what: str, rules: Refusals) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise rules.refused(f"{what}: not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise rules.refused(f"{what}: only http and https URLs can be fetched")
    if not parts.hostname:
        raise rules.refused(f"{what}: the URL has no host")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def checked_addresses(
    host: str, port: int, *, what: str, rules: Refusals = FEEDS, allow_private: bool = False
) -> list[IPAddress]:
    """The addresses ``host`` resolves to, refusing them all if any is not public.

    Callers that connect to these very addresses close the DNS-rebinding gap
    between check and connect.
    """
    addresses = resolve(host, port, what=what, rules=rules)
    if not allow_private:
        for address in addresses:
            refuse_if_private(address, what=what, rules=rules)
    return addresses


def resolve(host: str, port: int, *, what: str, rules: Refusals = FEEDS) -> list[IPAddress]:
    """Every address ``host`` resolves to, once each (IP literals, odd IPv4 forms too)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise rules.unresolved(f"{what}: cannot resolve host {host!r} ({exc})") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise rules.unresolved(f"{what}: host {host!r} has no addresses")
    return addresses


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells when it is an IP literal (odd IPv4 forms such as
    ``127.1`` too, as a connect would read them), else None. No DNS: for ``monitor check``."""
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, OSError, ValueError):
        return None
    for *_, sockaddr in infos:
        try:
            return ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            continue
    return None


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (and would reach through a gateway)."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client): both are reachable
    if any(address in net for net in _NAT64) or (
        address in _IPV4_COMPATIBLE and int(address) > 1  # not :: or ::1
    ):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: IPAddress) -> bool:
    """True when ``address`` and everything embedded in it is a global unicast address."""
    for candidate in (address, *embedded_ipv4(address)):
        if (
            not candidate.is_global
            or candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
            or candidate.is_loopback
            or candidate.is_link_local
            or candidate.is_private
        ):
            return False
    # ::a.b.c.d is "global" to ipaddress but deprecated, and only ever reaches IPv4.
    return not (isinstance(address, ipaddress.IPv6Address) and address in _IPV4_COMPATIBLE)


def refuse_if_private(address: IPAddress, *, what: str, rules: Refusals = FEEDS) -> None:
    if not is_public(address):
        raise rules.refused(
            f"{what}: refused to connect to non-public address {address} ({rules.hint})"
        )
