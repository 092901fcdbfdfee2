"""Delivery channels: the Channel protocol and ``build_channel`` from config.

No I/O here; each channel module does its own (console stream, file, SMTP, HTTP).
A channel's ``send`` raises ``TransientDeliveryError`` for faults worth a retry and
``DeliveryError`` for the rest; error messages name the channel, never a secret.
"""

from __future__ import annotations

from typing import Protocol, TextIO, runtime_checkable

from monitor.config.schema import (
    AppriseChannel,
    ChannelConfig,
    ConsoleChannel,
    EmailChannel,
    FileChannel,
    Settings,
    WebhookChannel,
)
from monitor.model import Alert


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert; raise TransientDeliveryError or DeliveryError on failure."""
        ...


@runtime_checkable
class BatchChannel(Protocol):
    """A channel that can send many alerts, each its own message, in one go."""

    name: str

    def send_each(self, alerts: list[Alert]) -> None:
        """Deliver each of ``alerts`` as ``send`` would, together; raise as ``send``
        does, for all of them (which of them went out is not known)."""
        ...


@runtime_checkable
class DigestChannel(Protocol):
    """A channel that can also send many alerts as one message (``digest:``)."""

    name: str

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        """Deliver ``alerts`` as one digest, saying that ``held`` of them were held back
        by the channel's rate limit; raise as ``Channel.send`` does."""
        ...


def build_channel(
    name: str, cfg: ChannelConfig, settings: Settings, *, stdout: TextIO | None = None
) -> Channel:
    """The channel ``cfg`` describes. ``stdout`` overrides the console channel's stream."""
    # Imported here so that building a console channel never imports smtplib/httpx.
    if isinstance(cfg, ConsoleChannel):
        from monitor.alerts.channels.console import ConsoleChannelSender

        return ConsoleChannelSender(name, stream=stdout, public_url=settings.public_url)
    if isinstance(cfg, FileChannel):
        from monitor.alerts.channels.file import FileChannelSender

        return FileChannelSender(name, cfg.path)
    if isinstance(cfg, EmailChannel):
        from monitor.alerts.channels.email import EmailChannelSender

        return EmailChannelSender(
            name,
            smtp_url=cfg.smtp,
            sender=cfg.from_,
            recipients=tuple(cfg.to),
            allow_private=cfg.allow_private or settings.allow_private_networks,
            public_url=settings.public_url,
        )
    if isinstance(cfg, WebhookChannel):
        from monitor.alerts.channels.webhook import WebhookChannelSender

        return WebhookChannelSender(
            name,
            url=cfg.url,
            secret=cfg.secret,
            timeout=cfg.timeout,
            allow_private=cfg.allow_private or settings.allow_private_networks,
            fmt=cfg.format,
            public_url=settings.public_url,
        )
    if isinstance(cfg, AppriseChannel):
        from monitor.alerts.channels.apprise_channel import AppriseChannelSender

        return AppriseChannelSender(
            name,
            urls=cfg.urls,
            timeout=cfg.timeout,
            allow_private=cfg.allow_private or settings.allow_private_networks,
            public_url=settings.public_url,
        )
    raise TypeError(f"channel {name!r}: unknown channel type {type(cfg).__name__}")


__all__ = ["Channel", "DigestChannel", "build_channel"]
