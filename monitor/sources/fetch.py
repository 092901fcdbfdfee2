"""Fetch one feed over HTTP: the monitor's only network reader for sources.

Owns the rules of a polite, bounded fetch: conditional GET (ETag /
Last-Modified), redirects followed by hand (at most 5, each URL re-checked by
``monitor.net.guard``), a size cap counted *after* decompression (gzip bombs), one
deadline for the whole fetch (httpx timeouts are per read, so a slow drip
would never trip them), and connections made only to addresses checked at
connect time (no DNS rebinding between check and connect:
``monitor.net.transport``). Every failure is a ``FetchError``: a
``TransientFetchError`` (retry: 408/429/5xx, timeouts, connection errors, with
``retry_after`` from Retry-After) or a plain one (give up: other 4xx, refused addresses,
too large). Does I/O.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from monitor import __version__
from monitor.errors import FetchError, TransientFetchError
from monitor.net.guard import check_destination
from monitor.net.retry_after import parse_retry_after
from monitor.net.transport import guarded_transport, proxied_transport
from monitor.net.urls import display_url
from monitor.sources.access import FeedAccess

MiB = 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = f"monitor/{__version__} (multilingual news monitor; feed fetcher)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT = frozenset({408, 425, 429})


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    content: bytes  # b"" for 304 Not Modified
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    etag: str | None = None
    last_modified: str | None = None


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 30,
    max_bytes: int = 10 * MiB,
    allow_private: bool = False,
    access: FeedAccess | None = None,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """GET ``url`` within ``timeout`` seconds in all; see the module docstring.

    ``access``: the feed's headers, credentials and proxy (``sources.access``); no
    message raised from here holds one of its secrets."""
    access = access or FeedAccess()
    try:
        return _fetch(
            url, etag, last_modified, timeout, max_bytes, allow_private, access, transport
        )
    except TransientFetchError as exc:  # before FetchError, its base class
        if not access.secrets:
            raise
        raise TransientFetchError(access.redact(str(exc)), retry_after=exc.retry_after) from None
    except FetchError as exc:
        if not access.secrets:
            raise
        raise FetchError(access.redact(str(exc))) from None


def _fetch(
    url: str,
    etag: str | None,
    last_modified: str | None,
    timeout: float,
    max_bytes: int,
    allow_private: bool,
    access: FeedAccess,
    transport: httpx.BaseTransport | None,
) -> FetchResult:
    deadline = time.monotonic() + timeout
    base = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        base["If-None-Match"] = etag
    if last_modified:
        base["If-Modified-Since"] = last_modified
    clients: dict[str | None, httpx.Client] = {}  # one per proxy (None: direct)

    def client_for(target: str) -> httpx.Client:
        proxy = None if transport is not None else access.proxy_for(target)
        if proxy not in clients:
            if transport is not None:
                chosen: httpx.BaseTransport = transport
            elif proxy is not None:
                chosen = proxied_transport(proxy)
            else:
                chosen = guarded_transport(allow_private=allow_private)
            clients[proxy] = httpx.Client(transport=chosen, follow_redirects=False, trust_env=False)
        return clients[proxy]

    try:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            check_destination(current, allow_private)
            headers = {**base, **access.headers_for(current, url)}
            via = access.proxy_for(current) if transport is None else None
            try:
                client = client_for(current)
                result = _get_once(client, current, headers, deadline, timeout, max_bytes)
            except TransientFetchError as exc:
                if via is None:
                    raise
                through = f"{exc} (through proxy {display_url(via)})"
                raise TransientFetchError(through, exc.retry_after) from exc
            if isinstance(result, FetchResult):
                return result
            current = result
        raise FetchError(f"{display_url(url)}: more than {MAX_REDIRECTS} redirects")
    finally:
        if transport is None:  # a transport the caller passed in stays theirs to close
            for client in clients.values():
                client.close()


def _get_once(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    deadline: float,
    timeout: float,
    max_bytes: int,
) -> FetchResult | str:
    """One request: a result, or the URL a redirect points to."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TransientFetchError(f"{display_url(url)}: fetch took longer than {timeout:g} s")
    try:
        with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(remaining)) as resp:
            status = resp.status_code
            if status in _REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    raise FetchError(
                        f"{display_url(url)}: HTTP {status} redirect without a Location"
                    )
                return str(urljoin(url, location))
            _raise_for_status(url, resp)
            plain = {k.lower(): v for k, v in resp.headers.items()}
            result_etag = plain.get("etag")
            result_modified = plain.get("last-modified")
            if status == 304:
                return FetchResult(url, status, b"", plain, result_etag, result_modified)
            declared = plain.get("content-length", "")
            if declared.isdigit() and "content-encoding" not in plain and int(declared) > max_bytes:
                raise FetchError(f"{display_url(url)}: response larger than {max_bytes} bytes")
            watchdog = _Watchdog(resp, deadline)
            try:
                content = _read_bounded(url, resp, deadline, timeout, max_bytes)
            finally:
                watchdog.cancel()
            return FetchResult(url, status, content, plain, result_etag, result_modified)
    except httpx.TimeoutException as exc:
        raise TransientFetchError(f"{display_url(url)}: timed out ({type(exc).__name__})") from exc
    except httpx.DecodingError as exc:
        raise FetchError(f"{display_url(url)}: response could not be decompressed ({exc})") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FetchError(f"{display_url(url)}: not a fetchable URL ({exc})") from exc
    except httpx.TransportError as exc:
        if time.monotonic() >= deadline:  # the watchdog cut the connection
            raise TransientFetchError(
                f"{display_url(url)}: fetch took longer than {timeout:g} s"
            ) from exc
        raise TransientFetchError(
            f"{display_url(url)}: connection failed ({type(exc).__name__}: {exc})"
        ) from exc


class _Watchdog:
    """Cuts the connection at the deadline.

    httpx timeouts apply to each read, and httpcore fixes them when the body
    starts, so a peer that sends some bytes and then stalls would hold us for
    one more full timeout. Shutting the socket down from a timer thread wakes
    the blocked read at once (it sees end of stream).
    """

    def __init__(self, resp: httpx.Response, deadline: float) -> None:
        self._timer: threading.Timer | None = None
        stream = resp.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, (sock,))
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _cut(sock: socket.socket) -> None:
    # The plain-socket method, also for TLS sockets: SSLSocket.shutdown would
    # tear down TLS state under the reading thread.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _read_bounded(
    url: str, resp: httpx.Response, deadline: float, timeout: float, max_bytes: int
) -> bytes:
    chunks: list[bytes] = []
    total = 0
    for chunk in resp.iter_bytes():  # decompressed: the cap counts what we would parse
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(f"{display_url(url)}: response larger than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise TransientFetchError(f"{display_url(url)}: fetch took longer than {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _raise_for_status(url: str, resp: httpx.Response) -> None:
    status = resp.status_code
    if status < 300 or status == 304:
        return
    if status in _TRANSIENT or status >= 500:
        raise TransientFetchError(
            f"{display_url(url)}: HTTP {status} {resp.reason_phrase}".rstrip(),
            retry_after=parse_retry_after(resp.headers.get("retry-after")),
        )
    raise FetchError(f"{display_url(url)}: HTTP {status} {resp.reason_phrase}".rstrip())
