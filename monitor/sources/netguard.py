"""Refuse URLs that would reach loopback, private or otherwise non-public hosts (SSRF).

Owns the address rules: only http/https; every address a host resolves to
must be global after unwrapping the IPv6 forms that smuggle IPv4 inside
(IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4
``2002::/16``, Teredo ``2001::/32``, NAT64 ``64:ff9b::/96`` and
``64:ff9b:1::/48``): ``ipaddress.is_global`` alone says True for
``::127.0.0.1`` and ``64:ff9b::a9fe:a9fe``. Does I/O: DNS resolution.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from monitor.errors import FetchError, TransientFetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def display_url(url: str) -> str:
    """``url`` fit for errors and logs: no user:password, query or fragment.

    Feed URLs carry API tokens in both places; messages must never echo them.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path
    return shown + ("?…" if parts.query else "")


def check_url(url: str, allow_private: bool) -> None:
    """Raise FetchError naming ``url`` unless it is http(s) to public addresses only.

    With ``allow_private`` only the scheme and host are checked (tests,
    on-premises wires). A name that does not resolve is a TransientFetchError.
    """
    host, port = _host_port(url)
    if allow_private:
        return
    for address in resolve(host, port, url):
        refuse_if_private(address, url)


def _host_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"{display_url(url)}: not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"{display_url(url)}: only http and https URLs can be fetched")
    if not parts.hostname:
        raise FetchError(f"{display_url(url)}: the URL has no host")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def resolve(host: str, port: int, url: str) -> list[IPAddress]:
    """Every address ``host`` resolves to (IP literals, including odd IPv4 forms, too)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise TransientFetchError(
            f"{display_url(url)}: cannot resolve host {host!r} ({exc})"
        ) from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        try:
            addresses.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    if not addresses:
        raise TransientFetchError(f"{display_url(url)}: host {host!r} has no addresses")
    return addresses


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
        found.extend(address.teredo)
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
    # ::a.b.c.d and NAT64 are "global" to ipaddress but only ever reach IPv4.
    return not (isinstance(address, ipaddress.IPv6Address) and address in _IPV4_COMPATIBLE)


def refuse_if_private(address: IPAddress, url: str) -> None:
    if not is_public(address):
        raise FetchError(
            f"{display_url(url)}: refused to connect to non-public address {address} "
            "(set allow_private on this feed to allow it)"
        )
