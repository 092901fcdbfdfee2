"""How one feed is reached: its own headers, its credentials and its proxy.

Owns what a feed's ``headers:``, ``auth:``, ``proxy:`` and ``trust_env:`` mean for a
request: the headers sent (only to the feed's own origin: a redirect to another
scheme, host or port gets none of them, as curl does without ``--location-trusted``),
which proxy a URL goes through (the feed's, or with ``trust_env`` the ``HTTP_PROXY`` /
``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` variables the loader read), and the
secrets that must never be shown, with ``redact`` to take them out of a message. Pure:
no I/O; ``sources.fetch`` makes the connections.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from monitor.config.schema import FeedConfig

REDACTED = "***"


@dataclass(frozen=True)
class FeedAccess:
    # never in a repr: each may hold a secret
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # Authorization too
    proxy: str | None = field(default=None, repr=False)  # the feed's proxy: URL
    environment_proxies: Mapping[str, str] | None = field(default=None, repr=False)  # trust_env
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, feed: FeedConfig, environment_proxies: Mapping[str, str]) -> FeedAccess:
        headers = list(feed.headers.items())
        secrets = [value for _, value in headers]
        auth = feed.auth
        if auth is not None and auth.bearer is not None:
            headers.append(("Authorization", f"Bearer {auth.bearer}"))
            secrets.append(auth.bearer)
        elif auth is not None and auth.username is not None and auth.password is not None:
            token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
            headers.append(("Authorization", f"Basic {token}"))
            secrets += [auth.password, token]
        proxies = dict(environment_proxies) if feed.trust_env else None
        for proxy in (feed.proxy, *(proxies or {}).values()):
            password = _password(proxy)
            if password:
                secrets.append(password)
        return cls(
            headers=tuple(headers),
            proxy=feed.proxy,
            environment_proxies=proxies,
            secrets=tuple(sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)),
        )

    def headers_for(self, url: str, origin: str) -> dict[str, str]:
        """The feed's headers when ``url`` is on ``origin`` (the feed URL), else none."""
        return dict(self.headers) if _origin(url) == _origin(origin) else {}

    def proxy_for(self, url: str) -> str | None:
        """The proxy ``url`` goes through, or None for a direct connection."""
        if self.proxy is not None or self.environment_proxies is None:
            return self.proxy
        env = self.environment_proxies
        scheme, host, port = _origin(url)
        if _bypassed(host, port, env.get("no_proxy", "")):
            return None
        chosen = env.get(f"{scheme}_proxy") or env.get("all_proxy")
        if chosen and "://" not in chosen:
            chosen = f"http://{chosen}"  # what curl and httpx assume
        return chosen or None

    def redact(self, text: str) -> str:
        for secret in self.secrets:  # longest first, so no part of one survives
            text = text.replace(secret, REDACTED)
        return text


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return ("", url, None)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)


def _password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url if "://" in url else f"http://{url}").password
    except ValueError:
        return None


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """curl's reading of NO_PROXY: ``*``, host names matching as a domain suffix (a
    leading dot optional), IP addresses and networks (CIDR), each with an optional port."""
    host = host.lower().rstrip(".")
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and port is not None and entry_port != str(port):
            continue
        name = name.strip("[]").lstrip(".").rstrip(".")
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False):
                return True
            continue
        except ValueError:
            pass
        if host == name or host.endswith("." + name):
            return True
    return False


def _has_port(entry: str) -> bool:
    if entry.startswith("["):
        return "]:" in entry
    return entry.count(":") == 1
