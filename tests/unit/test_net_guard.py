"""The shared outbound guard: address classification (SSRF literals), refusals in
each caller's error classes without secrets, and Retry-After parsing. No network:
``socket.getaddrinfo`` is faked where a name is resolved."""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.errors import DeliveryError, FetchError, TransientDeliveryError, TransientFetchError
from monitor.net import guard
from monitor.net.guard import embedded_ipv4, is_public
from monitor.net.retry_after import parse_retry_after
from monitor.net.urls import display_url
from tests.helpers import raises_permanent


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "0.0.0.0",
        "10.0.0.1",
        "10.255.255.254",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",
        "::",
        "::1",
        "::127.0.0.1",  # IPv4-compatible
        "::8.8.8.8",  # IPv4-compatible, even to a public address: deprecated, IPv4 only
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64 to 10.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 from 169.254.169.254
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
        "2001:0:a00:1::1",  # Teredo, server 10.0.0.1
        "fd00::1",
        "fdff:ffff::1",
        "fe80::1%eth0",
        "ff02::1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700:4700::1111",
        "2002:808:808::1",  # 6to4 from 8.8.8.8
        # (not listed: ::ffff:8.8.8.8 and, on some Pythons, 64:ff9b::808:808, which
        # ipaddress itself calls non-global; the guard refuses them, erring on the safe side)
    ],
)
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_embedded_ipv4_unwraps_each_form() -> None:
    def inner(text: str) -> list[str]:
        return [str(a) for a in embedded_ipv4(ipaddress.ip_address(text))]

    assert inner("::ffff:127.0.0.1") == ["127.0.0.1"]
    assert inner("::127.0.0.1") == ["127.0.0.1"]
    assert inner("64:ff9b::a9fe:a9fe") == ["169.254.169.254"]
    assert inner("2002:a9fe:a9fe::1") == ["169.254.169.254"]
    assert sorted(inner("2001:0:4136:e378:8000:63bf:f5ff:fffe")) == ["10.0.0.1", "65.54.227.120"]
    assert inner("::1") == [] and inner("2606:4700:4700::1111") == [] and inner("8.8.8.8") == []


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names this test resolves: host -> addresses; unknown names fail like NXDOMAIN."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host: str, port: Any, *args: Any, **kw: Any) -> Any:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def test_any_private_answer_refuses_the_host(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["mixed.example"] = ["93.184.216.34", "10.0.0.7"]
    with raises_permanent(FetchError, match=r"non-public address 10\.0\.0\.7"):
        guard.check_destination("https://mixed.example/feed", allow_private=False)
    guard.check_destination("https://mixed.example/feed", allow_private=True)  # no lookup needed


def test_resolution_keeps_each_address_once(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["twice.example"] = ["93.184.216.34", "93.184.216.34", "2606:4700:4700::1111"]
    found = guard.checked_addresses("twice.example", 443, what="x")
    assert [str(a) for a in found] == ["93.184.216.34", "2606:4700:4700::1111"]


def test_channel_refusals_are_delivery_errors_without_secrets(
    fake_dns: dict[str, list[str]],
) -> None:
    fake_dns["hooks.example"] = ["127.0.0.1"]
    url = "https://user:pa55w0rd@hooks.example/hook/s3cr3t?token=t0k3n"
    what = "webhook channel ops (hooks.example)"
    with raises_permanent(DeliveryError) as refused:
        guard.check_destination(url, allow_private=False, what=what, rules=guard.CHANNELS)
    message = str(refused.value)
    assert message.startswith(what) and "allow_private: true on the channel" in message
    with pytest.raises(TransientDeliveryError, match=r"cannot resolve host 'nowhere\.example'"):
        guard.checked_addresses("nowhere.example", 25, what=what, rules=guard.CHANNELS)
    with raises_permanent(FetchError) as feed_refused:  # the default: the URL, shown safely
        guard.check_destination(url, allow_private=False)
    with pytest.raises(TransientFetchError):
        guard.check_destination("https://nowhere.example/", allow_private=False)
    assert not any(secret in message for secret in ("pa55w0rd", "s3cr3t", "t0k3n", "user"))
    # a feed's path is shown (it names the feed); credentials and query never are
    shown = str(feed_refused.value)
    assert "https://hooks.example/hook/s3cr3t?…" in shown
    assert not any(secret in shown for secret in ("pa55w0rd", "t0k3n", "user"))


def test_display_url_hides_credentials_and_query() -> None:
    shown = display_url("https://u:p4ss@[2001:db8::1]:8443/a/b?key=k3y#frag")
    assert shown == "https://[2001:db8::1]:8443/a/b?…"
    assert display_url("http://[::1") == "<invalid URL>"


NOW = datetime(2022, 1, 12, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Wed, 12 Jan 2022 10:01:00 GMT", 60.0),  # IMF-fixdate
        ("Wednesday, 12-Jan-22 10:02:00 GMT", 120.0),  # RFC 850
        ("Wed Jan 12 10:00:30 2022", 30.0),  # asctime, no zone: GMT
        ("Wed, 12 Jan 2022 09:00:00 GMT", 0.0),  # already past
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("²", None),  # a digit to str.isdigit, not to HTTP
        ("Wed, 32 Jan 2022 10:01:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_parse_retry_after_defaults_to_the_current_time() -> None:
    later = datetime.now(UTC).timestamp() + 3600
    header = datetime.fromtimestamp(later, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    got = parse_retry_after(header)
    assert got is not None and 3590 < got <= 3600


@pytest.mark.parametrize(
    "url", ["https://h]/x?apikey=SECRET", "https://h/x#access_token=SECRET", "https://:SECRET"]
)
def test_display_url_never_shows_a_key(url: str) -> None:
    for shown in (
        display_url(url),
        display_url(url, user=True),
        display_url(url, path=False),
    ):
        assert "SECRET" not in shown, shown
    assert display_url("smtp://user:p4ss@mail.example:587", user=True) == (
        "smtp://user:***@mail.example:587"
    )
