"""The email channel: one multipart (text + HTML) message per alert, or per digest of
alerts (``digest:``; see ``monitor.alerts.digest``). Does network I/O.

``smtp://`` upgrades with STARTTLS when the server offers it, verifying the
certificate (``ssl.create_default_context()``: a bare ``starttls()`` verifies
nothing); with credentials and no STARTTLS it refuses to send rather than log in in
clear. ``smtps://`` is implicit TLS. SMTP 4xx, connection errors and timeouts are
transient; 5xx, refused TLS, bad certificates and refused addresses are permanent.
Error messages name the channel and host, never the credentials. The address rules
are ``monitor.net.guard``'s, as for every outbound connection.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from monitor.alerts.render import (
    render_digest_html,
    render_digest_subject,
    render_digest_text,
    render_html,
    render_subject,
    render_text,
)
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.model import Alert
from monitor.net import guard

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
SMTP_TIMEOUT = 30.0


def _message(
    subject: str, message_id: str, *, sender: str, recipients: tuple[str, ...]
) -> EmailMessage:
    """The headers every mail carries; the Message-ID is stable for a stable id."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2] or "monitor.invalid"
    msg["Message-ID"] = f"<{message_id}@{domain}>"
    return msg


def build_message(
    alert: Alert,
    *,
    sender: str,
    recipients: tuple[str, ...],
    public_url: str | None = None,
) -> EmailMessage:
    """The message for ``alert``; its Message-ID derives from the alert id (stable).
    With ``public_url`` both parts link to the alert's page."""
    msg = _message(render_subject(alert), alert.id, sender=sender, recipients=recipients)
    msg["X-Monitor-Alert-Id"] = alert.id
    msg.set_content(render_text(alert, public_url))
    msg.add_alternative(render_html(alert, public_url), subtype="html")
    return msg


def build_digest_message(
    alerts: list[Alert],
    digest_id: str,
    *,
    sender: str,
    recipients: tuple[str, ...],
    held: int = 0,
    public_url: str | None = None,
) -> EmailMessage:
    """One message listing ``alerts``; its Message-ID derives from ``digest_id`` (stable for
    the same alerts, so a digest re-sent after a crash can be recognised)."""
    msg = _message(render_digest_subject(alerts), digest_id, sender=sender, recipients=recipients)
    msg["X-Monitor-Digest-Id"] = digest_id
    msg.set_content(render_digest_text(alerts, held, public_url=public_url))
    msg.add_alternative(render_digest_html(alerts, held, public_url), subtype="html")
    return msg


class EmailChannelSender:
    def __init__(
        self,
        name: str,
        *,
        smtp_url: str,
        sender: str,
        recipients: tuple[str, ...],
        allow_private: bool = False,
        timeout: float = SMTP_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        public_url: str | None = None,
    ) -> None:
        parts = urlsplit(smtp_url)
        self.name = name
        self._scheme = parts.scheme
        self._host = parts.hostname or ""
        self._port = parts.port or DEFAULT_PORTS.get(parts.scheme, 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender
        self._recipients = recipients
        self._allow_private = allow_private
        self._timeout = timeout
        # Injectable for tests (a CA that trusts a test certificate); verifying by default.
        self._ssl_context = ssl_context
        self._public_url = public_url

    def _what(self) -> str:
        return f"email channel {self.name} ({self._host}:{self._port})"

    def send(self, alert: Alert) -> None:
        self._deliver(
            build_message(
                alert,
                sender=self._sender,
                recipients=self._recipients,
                public_url=self._public_url,
            )
        )

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        """Send one digest mail of ``alerts``; faults are classified as for ``send``."""
        self._deliver(
            build_digest_message(
                alerts,
                digest_id,
                sender=self._sender,
                recipients=self._recipients,
                held=held,
                public_url=self._public_url,
            )
        )

    def _deliver(self, msg: EmailMessage) -> None:
        what = self._what()
        if not self._allow_private:
            # smtplib resolves the name again (a rebinding gap the webhook does not have):
            # connecting to the checked address would break the TLS host name check.
            guard.checked_addresses(self._host, self._port, what=what, rules=guard.CHANNELS)
        context = self._ssl_context or ssl.create_default_context()
        try:
            self._send(msg, context, what)
        except DeliveryError:  # already classified (a transient one too)
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise TransientDeliveryError(f"{what}: recipients deferred {codes}") from None
            raise DeliveryError(f"{what}: recipients refused {codes}") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(f"{what}: the server does not support AUTH") from None
        except smtplib.SMTPResponseException as exc:
            text = f"{what}: SMTP {exc.smtp_code}"
            if 500 <= exc.smtp_code < 600:
                raise DeliveryError(text) from None
            raise TransientDeliveryError(text) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{what}: TLS certificate not trusted ({exc.verify_message})"
            ) from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"{what}: TLS failed ({exc.reason})") from None
        except (smtplib.SMTPException, OSError) as exc:
            # disconnects, refused connections, timeouts: worth a retry
            raise TransientDeliveryError(f"{what}: {type(exc).__name__}") from None

    def _send(self, msg: EmailMessage, context: ssl.SSLContext, what: str) -> None:
        smtp: smtplib.SMTP
        if self._scheme == "smtps":
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            smtp.ehlo()
            if self._scheme == "smtp":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif self._username is not None:
                    raise DeliveryError(
                        f"{what}: the server offers no STARTTLS; refusing to send "
                        "credentials in clear (use smtps:// or a server with STARTTLS)"
                    )
            if self._username is not None:
                smtp.login(self._username, self._password or "")
            # A partial refusal returns the refused ones; the others already have it, so
            # a retry would duplicate: count it as sent.
            smtp.send_message(msg, from_addr=self._sender, to_addrs=list(self._recipients))
