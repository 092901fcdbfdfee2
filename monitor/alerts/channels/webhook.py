"""The webhook channel: signed JSON POSTs (Standard Webhooks). Does network I/O (httpx).

Headers: ``webhook-id`` (the alert id, stable across retries, so receivers drop
repeats), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` keyed with the decoded
``whsec_`` secret). Redirects are never followed. 2xx is success; 408, 429, 5xx,
timeouts and network errors are transient (honouring Retry-After); other answers
are permanent. Loopback/private destinations are refused unless allowed.
With ``settings.public_url`` the JSON alert carries ``alert_url``, its page in
``monitor web`` (inside the signed body). ``format: slack | teams | discord`` posts that
service's incoming-webhook message (``monitor.alerts.chat``) instead of the JSON body,
with the same headers.

Error messages name the channel and the host only: webhook URLs often carry a
token in their path, and the secret must never reach a log. The destination guard
(addresses, Retry-After) is ``monitor.net.guard``, the one every outbound
connection uses; the connection itself goes through ``fetch.guarded_transport``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from monitor.alerts.chat import chat_payload
from monitor.alerts.render import alert_json, json_bytes, webhook_body
from monitor.config.schema import decode_webhook_secret
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.model import Alert
from monitor.net import guard
from monitor.net.retry_after import parse_retry_after
from monitor.net.transport import guarded_transport

_TRANSIENT_STATUS = frozenset({408, 429})


# --- signing -----------------------------------------------------------------------


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


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
        fmt: str = "json",
        public_url: str | None = None,
    ) -> None:
        self.name = name
        self._format = fmt
        self._public_url = public_url
        self._url = str(url)  # the config hands over a pydantic URL
        self._host = urlsplit(self._url).hostname or ""
        self._timeout = timeout
        self._allow_private = allow_private
        self._transport = transport
        self._clock = clock
        # The config validates the secret at load: a bad one cannot reach here (if it
        # did, the ValueError at construction says so before any alert is sent).
        self._key = decode_webhook_secret(secret) if secret is not None else None

    def _what(self) -> str:
        return f"webhook channel {self.name} ({self._host})"

    def send(self, alert: Alert) -> None:
        if self._format == "json":
            self._post(alert.id, webhook_body(alert, self._public_url))
        else:
            payload = chat_payload(self._format, [alert], digest=False, public_url=self._public_url)
            self._post(alert.id, json_bytes(payload))

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        """One POST for ``alerts``: ``{"type": "monitor.digest", ...}`` for ``json``
        (signed, ``webhook-id`` the digest id; ``held``: how many the rate limit held
        back), else the chat service's message."""
        if self._format == "json":
            digest = {
                "id": digest_id,
                "held": held,
                "alerts": [alert_json(alert, self._public_url) for alert in alerts],
            }
            body = {"type": "monitor.digest", "version": 1, "digest": digest}
        else:
            body = chat_payload(
                self._format, alerts, digest=True, held=held, public_url=self._public_url
            )
        self._post(digest_id, json_bytes(body))

    def _post(self, msg_id: str, body: bytes) -> None:
        what = self._what()
        guard.check_destination(self._url, self._allow_private, what=what, rules=guard.CHANNELS)
        timestamp = int(self._clock())
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "user-agent": "monitor-webhook/1",
        }
        if self._key is not None:
            headers["webhook-signature"] = sign(self._key, msg_id, timestamp, body)
        # The guarded transport resolves the name once, refuses non-public addresses and
        # connects to the checked ones (each in turn): no DNS rebinding after the check.
        transport = self._transport or guarded_transport(
            allow_private=self._allow_private, rules=guard.CHANNELS, what=what
        )
        try:
            # trust_env=False: no proxy from the environment may bypass the address check.
            with (
                httpx.Client(
                    timeout=self._timeout,
                    follow_redirects=False,
                    trust_env=False,
                    transport=transport,
                ) as client,
                client.stream("POST", self._url, content=body, headers=headers) as response,
            ):
                # The body is never read: an endless answer cannot hold the worker.
                status = response.status_code
                now = datetime.fromtimestamp(self._clock(), UTC)
                retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        except httpx.TimeoutException as exc:
            raise TransientDeliveryError(f"{what}: timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"{what}: network error ({type(exc).__name__})") from None
        self._judge(status, retry_after, what)

    @staticmethod
    def _judge(status: int, retry_after: float | None, what: str) -> None:
        if 200 <= status < 300:
            return
        if status in _TRANSIENT_STATUS or 500 <= status < 600:
            raise TransientDeliveryError(f"{what}: HTTP {status}", retry_after=retry_after)
        if 300 <= status < 400:
            raise DeliveryError(f"{what}: HTTP {status} redirect, which is never followed")
        raise DeliveryError(f"{what}: HTTP {status}")
