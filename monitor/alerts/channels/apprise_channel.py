"""The apprise channel: one alert (or digest) as a Markdown notification to each Apprise
URL (Slack, Teams, Telegram, ntfy, Matrix, Discord, mail...). Does network I/O (Apprise).

Apprise's ``notify()`` answers only yes or no, so a "no" is a transient fault: retried,
then dead-lettered like any other channel's. Before a send every URL's target host is
resolved and refused unless public (``monitor.net.guard.CHANNELS``), as the webhook does, unless
``allow_private``; Apprise resolves the name again when it connects (the rebinding gap
the email channel has too). Apprise URLs carry tokens and passwords: messages name the
channel and the service only (``display``: Apprise's own privacy form), and Apprise's
log lines are dropped, never passed on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from monitor.alerts.chat import render_digest_markdown, render_markdown
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.model import Alert
from monitor.net import guard

_FIXED_ENDPOINTS = ("notify_url", "webhook_url")


def _silence_apprise() -> None:
    """Apprise's log lines may quote a URL (and so a token): they never reach the
    process's handlers. Idempotent."""
    logger = logging.getLogger("apprise")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def load_plugin(url: str) -> Any:
    """Apprise's plugin for ``url``, or None when Apprise understands no such URL."""
    import apprise

    _silence_apprise()
    return apprise.Apprise.instantiate(url)


def service_name(url: str) -> str:
    """``slack``, ``ntfys``...: the part of an Apprise URL that is safe to show."""
    return url.partition("://")[0].lower() or "?"


def target(plugin: Any) -> tuple[str, int]:
    """The host and port the plugin will connect to: the service's own endpoint for
    fixed services (Slack, Discord, Telegram, ntfy.sh), else the URL's host."""
    mode = getattr(plugin, "mode", None)
    endpoints = [getattr(plugin, "cloud_notify_url", None)] if mode == "cloud" else []
    if mode != "private":
        endpoints += [getattr(plugin, attr, None) for attr in _FIXED_ENDPOINTS]
    for endpoint in endpoints:
        if isinstance(endpoint, str) and endpoint.startswith(("http://", "https://")):
            parts = urlsplit(endpoint)
            return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    return str(plugin.host or ""), int(plugin.port or (443 if plugin.secure else 80))


class AppriseChannelSender:
    def __init__(
        self,
        name: str,
        *,
        urls: list[str],
        allow_private: bool = False,
        timeout: float = 10.0,
        check: Callable[..., object] = guard.checked_addresses,
        public_url: str | None = None,
    ) -> None:
        self.name = name
        self._urls = list(urls)
        self._allow_private = allow_private
        self._timeout = timeout
        self._check = check
        self._public_url = public_url

    def send(self, alert: Alert) -> None:
        self._notify(*render_markdown(alert, public_url=self._public_url))

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        """One notification listing ``alerts``, first saying how many were ``held``."""
        self._notify(*render_digest_markdown(alerts, held, public_url=self._public_url))

    def _notify(self, title: str, body: str) -> None:
        import apprise

        for number, url in enumerate(self._urls, 1):
            what = f"apprise channel {self.name} (URL {number}, {service_name(url)}://…)"
            plugin = load_plugin(url)
            if plugin is None:
                raise DeliveryError(f"{what}: not an Apprise URL")
            if not self._allow_private:
                host, port = target(plugin)
                if not host:
                    raise DeliveryError(f"{what}: no host to check; refused")
                self._check(host, port, what=what, rules=guard.CHANNELS)
            plugin.socket_connect_timeout = self._timeout
            plugin.socket_read_timeout = self._timeout
            sent = plugin.notify(body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN)
            if not sent:
                raise TransientDeliveryError(f"{what}: the service refused or did not answer")
