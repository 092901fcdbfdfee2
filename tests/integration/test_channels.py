"""Channels against real servers on loopback: aiosmtpd for email, http.server for webhooks.

Does I/O: binds 127.0.0.1 ports and writes files under tmp_path. Signatures are checked
with an HMAC computed here, independently of the code under test.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import http.server
import io
import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.alerts.channels import DigestChannel, build_channel
from monitor.alerts.channels.console import ConsoleChannelSender
from monitor.alerts.channels.email import EmailChannelSender
from monitor.alerts.channels.file import FileChannelSender
from monitor.alerts.channels.webhook import WebhookChannelSender
from monitor.alerts.deliver import deliver_each
from monitor.config.schema import (
    ConsoleChannel,
    EmailChannel,
    FileChannel,
    Settings,
    WebhookChannel,
)
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.model import Alert, Hit, SpeakerMatch, WireItem
from monitor.state.memory import MemoryStore
from tests.helpers import http_server, raises_permanent

pytestmark = pytest.mark.integration

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
SMTP_PASSWORD = "pw-s3ntinel-9f2"


def make_alert(title: str = "Peskov: Russia expects security guarantees from NATO") -> Alert:
    item = WireItem(
        id="sputnik-1",
        title=title,
        body="Kremlin spokesman Dmitry Peskov said NATO must listen.",
        source="seeds/peskov.txt",
        url="https://example.org/a",
        agency="Sputnik",
        publisher="UrduPoint",
        language="en",
        published="2022-01-12",
    )
    return Alert(
        id="alrt_00112233445566778899aabb",
        watchlist="russia-nato",
        item=item,
        topics=("NATO",),
        speakers=(SpeakerMatch("Dmitry Peskov", "quoted", "NATO must listen."),),
        hits=(Hit(field="body", start=39, end=43, text="NATO", topic="NATO"),),
        story_id="sputnik-1",
        sources=("UrduPoint",),
        channels=("hook",),
        created_at="2022-01-12T10:00:00Z",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- SMTP ---------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler that keeps messages, or answers DATA with a set reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_reply: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def email_channel(
    port: int, *, creds: bool = False, scheme: str = "smtp", **kw: Any
) -> EmailChannelSender:
    userinfo = f"desk:{SMTP_PASSWORD}@" if creds else ""
    options: dict[str, Any] = {"allow_private": True}
    options.update(kw)
    return EmailChannelSender(
        "desk-email",
        smtp_url=f"{scheme}://{userinfo}127.0.0.1:{port}",
        sender="monitor@example.org",
        recipients=("desk@example.org", "night@example.org"),
        timeout=5,
        **options,
    )


def test_email_is_received_multipart_and_escaped(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    alert = make_alert(title="<script>alert(1)</script>\r\nBcc: evil@example.org")
    email_channel(port).send(alert)
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["Subject"] == "[russia-nato] <script>alert(1)</script> Bcc: evil@example.org"
    assert msg["Bcc"] is None
    assert msg["Message-ID"] == f"<{alert.id}@example.org>"
    assert msg.get_content_type() == "multipart/alternative"
    html_part = msg.get_body(preferencelist=("html",))
    text_part = msg.get_body(preferencelist=("plain",))
    assert html_part is not None and text_part is not None
    html = html_part.get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html and 'dir="auto"' in html
    assert "Dmitry Peskov" in text_part.get_content()
    assert inbox.envelopes == [("monitor@example.org", ["desk@example.org", "night@example.org"])]


def test_email_refuses_credentials_without_starttls(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    with raises_permanent(DeliveryError) as caught:
        email_channel(port, creds=True).send(make_alert())
    assert "STARTTLS" in str(caught.value)
    assert SMTP_PASSWORD not in str(caught.value)
    assert inbox.messages == []


def test_email_refuses_private_address_unless_allowed(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    with raises_permanent(DeliveryError, match="private"):
        email_channel(port, allow_private=False).send(make_alert())
    assert inbox.messages == []


@pytest.mark.parametrize(
    ("reply", "error"),
    [("451 4.3.0 try again later", TransientDeliveryError), ("554 5.7.1 rejected", DeliveryError)],
)
def test_email_smtp_codes(
    smtp_server: tuple[Inbox, int], reply: str, error: type[Exception]
) -> None:
    inbox, port = smtp_server
    inbox.data_reply = reply
    with pytest.raises(error) as caught:
        email_channel(port).send(make_alert())
    assert type(caught.value) is error
    assert reply[:3] in str(caught.value)


def test_email_connection_refused_is_transient() -> None:
    port = free_port()  # nothing listens there now
    with pytest.raises(TransientDeliveryError):
        email_channel(port).send(make_alert())


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def tls_smtp_server(
    tls_files: tuple[Path, Path], *, implicit: bool
) -> Iterator[tuple[Inbox, int, list[tuple[bytes, bytes]]]]:
    """An SMTP server with the self-signed certificate: STARTTLS (login only after it),
    or ``implicit`` TLS from the first byte (smtps). Yields its inbox, port and logins."""
    cert, key = tls_files
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def auth_callback(mechanism: str, login: bytes, password: bytes) -> bool:
        logins.append((login, password))
        return True

    inbox = Inbox()
    port = free_port()
    tls: dict[str, Any] = {"ssl_context": server_ctx} if implicit else {"tls_context": server_ctx}
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        auth_callback=auth_callback,
        auth_require_tls=not implicit,
        **tls,
    )
    controller.start()
    try:
        yield inbox, port, logins
    finally:
        controller.stop()


def test_email_starttls_verifies_certificate_before_login(tls_files: tuple[Path, Path]) -> None:
    with tls_smtp_server(tls_files, implicit=False) as (inbox, port, logins):
        # self-signed: the default context must refuse it, before any credential goes out
        with raises_permanent(DeliveryError, match="certificate"):
            email_channel(port, creds=True).send(make_alert())
        assert logins == [] and inbox.messages == []
        # trusting that certificate, the same channel logs in over TLS and sends
        trusting = ssl.create_default_context(cafile=str(tls_files[0]))
        email_channel(port, creds=True, ssl_context=trusting).send(make_alert())
        assert logins == [(b"desk", SMTP_PASSWORD.encode())]
        assert len(inbox.messages) == 1


# --- webhook ------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HookServer:
    port: int
    received: list[Received] = field(default_factory=list)
    # (status, headers, delay seconds) answered in order; the last one repeats
    replies: list[tuple[int, dict[str, str], float]] = field(
        default_factory=lambda: [(200, {}, 0.0)]
    )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook/tok3n"


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    state = HookServer(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            state.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, headers, delay = (
                state.replies.pop(0) if len(state.replies) > 1 else state.replies[0]
            )
            time.sleep(delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as port:
        state.port = port
        yield state


def hook(server: HookServer, **kw: Any) -> WebhookChannelSender:
    options: dict[str, Any] = {"secret": SECRET, "allow_private": True, "timeout": 5.0}
    options.update(kw)
    return WebhookChannelSender("ops-hook", url=server.url, **options)


def verify(received: Received, *, tolerance: float = 300) -> bool:
    """An independent Standard Webhooks verifier, as a receiver would write it."""
    msg_id = received.headers["webhook-id"]
    timestamp = received.headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + received.body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    offered = [sig.split(",", 1)[1] for sig in received.headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, sig) for sig in offered)


def test_webhook_is_signed_and_verifiable(hook_server: HookServer) -> None:
    alert = make_alert()
    hook(hook_server).send(alert)
    [got] = hook_server.received
    assert got.path == "/hook/tok3n"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == alert.id
    assert got.headers["webhook-signature"].startswith("v1,")
    assert verify(got)
    body = json.loads(got.body)
    assert body["type"] == "monitor.alert" and body["version"] == 1
    assert body["alert"]["id"] == alert.id and body["alert"]["item"]["agency"] == "Sputnik"
    tampered = Received(got.path, got.headers, got.body.replace(b"Sputnik", b"Reuters"))
    assert not verify(tampered)
    stale = Received(got.path, got.headers, got.body)
    assert not verify(stale, tolerance=-1)


def test_webhook_stale_timestamp_fails_verification(hook_server: HookServer) -> None:
    hook(hook_server, clock=lambda: time.time() - 3600).send(make_alert())
    [got] = hook_server.received
    assert not verify(got)


def test_webhook_503_is_transient(hook_server: HookServer) -> None:
    hook_server.replies = [(503, {}, 0.0)]
    with pytest.raises(TransientDeliveryError, match="503"):
        hook(hook_server).send(make_alert())


def test_webhook_429_retry_after_seconds(hook_server: HookServer) -> None:
    hook_server.replies = [(429, {"Retry-After": "7"}, 0.0)]
    with pytest.raises(TransientDeliveryError) as caught:
        hook(hook_server).send(make_alert())
    assert caught.value.retry_after == 7.0


def test_webhook_retry_after_http_date(hook_server: HookServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    hook_server.replies = [(503, {"Retry-After": when}, 0.0)]
    with pytest.raises(TransientDeliveryError) as caught:
        hook(hook_server).send(make_alert())
    assert caught.value.retry_after is not None and 100 <= caught.value.retry_after <= 121


def test_webhook_400_is_permanent(hook_server: HookServer) -> None:
    hook_server.replies = [(400, {}, 0.0)]
    with pytest.raises(DeliveryError) as caught:
        hook(hook_server).send(make_alert())
    assert not isinstance(caught.value, TransientDeliveryError)
    assert "tok3n" not in str(caught.value)  # the URL path may hold a token


def test_webhook_redirect_is_not_followed(hook_server: HookServer) -> None:
    hook_server.replies = [(302, {"Location": "/elsewhere"}, 0.0), (200, {}, 0.0)]
    with raises_permanent(DeliveryError, match="redirect"):
        hook(hook_server).send(make_alert())
    assert [r.path for r in hook_server.received] == ["/hook/tok3n"]


def test_webhook_timeout_is_transient(hook_server: HookServer) -> None:
    hook_server.replies = [(200, {}, 1.5)]
    with pytest.raises(TransientDeliveryError, match="timed out"):
        hook(hook_server, timeout=0.3).send(make_alert())


def test_webhook_refuses_loopback_without_allow_private(hook_server: HookServer) -> None:
    with raises_permanent(DeliveryError, match="private"):
        hook(hook_server, allow_private=False).send(make_alert())
    assert hook_server.received == []


def test_webhook_bad_secret_fails_at_construction_and_is_not_echoed(
    hook_server: HookServer,
) -> None:
    # the config refuses it at load (test_config_audit); a sender built around the config
    # refuses it before any alert, never sending unsigned
    with pytest.raises(ValueError) as caught:
        hook(hook_server, secret="whsec_!!not-base64-s3ntinel")
    assert "s3ntinel" not in str(caught.value)
    assert hook_server.received == []


def test_retries_keep_the_webhook_id(hook_server: HookServer) -> None:
    hook_server.replies = [(503, {}, 0.0), (200, {}, 0.0)]
    store, alert, channel = MemoryStore(), make_alert(), hook(hook_server)
    first = deliver_each([alert], channel, store, attempt=1, now=1000.0)[0]
    assert first.status == "retry"
    second = deliver_each([alert], channel, store, attempt=2, now=1010.0)[0]
    assert second.status == "sent"
    third = deliver_each([alert], channel, store, attempt=3, now=1020.0)[0]
    assert third.detail == "already sent"
    assert [r.headers["webhook-id"] for r in hook_server.received] == [alert.id, alert.id]
    assert all(verify(r) for r in hook_server.received)


# --- file and console ---------------------------------------------------------------------


def test_file_channel_writes_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "alerts.jsonl"
    channel = FileChannelSender("archive", path)
    first, second = make_alert(), make_alert(title="Line\nbreak «RTL» بيسكوف")
    channel.send(first)
    channel.send(second)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    bodies = [json.loads(line) for line in lines]
    assert all(b["type"] == "monitor.alert" and b["version"] == 1 for b in bodies)
    assert bodies[1]["alert"]["item"]["title"] == "Line\nbreak «RTL» بيسكوف"
    assert bodies[0]["alert"] == json.loads(json.dumps(first.to_dict()))


def test_file_channel_io_error_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(TransientDeliveryError):
        FileChannelSender("archive", blocker / "alerts.jsonl").send(make_alert())


def test_console_channel_writes_and_separates() -> None:
    stream = io.StringIO()
    channel = ConsoleChannelSender("stdout", stream)
    channel.send(make_alert())
    channel.send(make_alert())
    text = stream.getvalue()
    assert text.count("ALERT [russia-nato] Peskov") == 2
    assert text.endswith("\n\n")


def test_build_channel_from_config(tmp_path: Path) -> None:
    settings = Settings()
    stream = io.StringIO()
    console = build_channel("stdout", ConsoleChannel(type="console"), settings, stdout=stream)
    console.send(make_alert())
    assert stream.getvalue().startswith("ALERT")
    file_cfg = FileChannel(type="file", path=str(tmp_path / "a.jsonl"))
    assert build_channel("archive", file_cfg, settings).name == "archive"
    hook_cfg = WebhookChannel(type="webhook", url="http://127.0.0.1:9/x", secret=SECRET)
    refused = build_channel("ops-hook", hook_cfg, settings)
    with raises_permanent(DeliveryError, match="private"):
        refused.send(make_alert())
    mail_cfg = EmailChannel.model_validate(
        {"type": "email", "to": "d@example.org", "from": "m@example.org",
         "smtp": "smtp://127.0.0.1:9"}
    )  # fmt: skip
    with raises_permanent(DeliveryError, match="private"):
        build_channel("desk", mail_cfg, settings).send(make_alert())
    allowed = build_channel("desk", mail_cfg, Settings(allow_private_networks=True))
    with pytest.raises(TransientDeliveryError):  # allowed, but nothing listens on port 9
        allowed.send(make_alert())


def test_webhook_refusal_names_the_host_not_the_token(hook_server: HookServer) -> None:
    with raises_permanent(DeliveryError) as caught:
        hook(hook_server, allow_private=False).send(make_alert())
    message = str(caught.value)
    assert "tok3n" not in message and SECRET not in message
    assert message.startswith("webhook channel ops-hook (127.0.0.1)")
    assert "non-public address 127.0.0.1" in message
    assert hook_server.received == []


def test_webhook_unresolvable_host_is_transient(
    hook_server: HookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dns(host: str, port: Any, *args: Any, **kw: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    url = f"http://hooks.example.test:{hook_server.port}/hook/tok3n"
    for allow_private in (False, True):  # the pre-check, then the connect-time lookup
        channel = WebhookChannelSender(
            "ops-hook", url=url, secret=SECRET, allow_private=allow_private
        )
        with pytest.raises(TransientDeliveryError, match="cannot resolve") as caught:
            channel.send(make_alert())
        assert "tok3n" not in str(caught.value)
    assert hook_server.received == []


def test_webhook_rebinding_is_refused_at_connect_time(
    hook_server: HookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that is public when checked and loopback when connecting never gets the POST."""
    answers = ["93.184.216.34", "127.0.0.1"]
    real = socket.getaddrinfo

    def rebinding(host: str, port: Any, *args: Any, **kw: Any) -> Any:
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers.pop(0), port))]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://hooks.example.test:{hook_server.port}/hook/tok3n"
    channel = WebhookChannelSender("ops-hook", url=url, secret=SECRET, allow_private=False)
    with raises_permanent(DeliveryError, match=r"non-public address 127\.0\.0\.1"):
        channel.send(make_alert())
    assert answers == []  # both lookups happened: the check, then the connection
    assert hook_server.received == []


def test_email_non_ascii_subject_round_trips(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    email_channel(port).send(make_alert(title="بيسكوف: روسيا تنتظر ضمانات أمنية من الناتو"))
    [msg] = inbox.messages
    assert msg["Subject"] == "[russia-nato] بيسكوف: روسيا تنتظر ضمانات أمنية من الناتو"
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None and '<h1 class="headline" dir="rtl"' in html_part.get_content()


def test_webhook_connects_to_the_checked_address(
    hook_server: HookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once, by the guard; httpx is handed the address (no rebinding)."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def fake_getaddrinfo(host: str, port: Any, *args: Any, **kw: Any) -> Any:
        lookups.append(host)
        if host == "hooks.example.test":
            # first address refuses connections, the second is the listener
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            ]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    url = f"http://hooks.example.test:{hook_server.port}/hook/tok3n"
    WebhookChannelSender("ops-hook", url=url, secret=SECRET, allow_private=True).send(make_alert())
    [got] = hook_server.received
    assert got.headers["host"] == f"hooks.example.test:{hook_server.port}"
    # the name is looked up once (by the guard); the connections use address literals
    assert lookups[0] == "hooks.example.test"
    assert lookups[1:] == ["127.0.0.2", "127.0.0.1"]  # refused, then the listener
    assert verify(got)
    refused = WebhookChannelSender("ops-hook", url=url, secret=SECRET, allow_private=False)
    with raises_permanent(DeliveryError, match="private"):
        refused.send(make_alert())
    assert len(hook_server.received) == 1


def test_email_smtps_is_tls_from_the_first_byte(tls_files: tuple[Path, Path]) -> None:
    """``smtps://`` (docs/config.md): implicit TLS, the certificate verified before any command;
    a server speaking TLS from its first byte (no STARTTLS offered) gets the login and
    the mail, and plain ``smtp://`` to it fails."""
    with tls_smtp_server(tls_files, implicit=True) as (inbox, port, logins):
        with raises_permanent(DeliveryError, match="certificate"):
            email_channel(port, creds=True, scheme="smtps").send(make_alert())
        # plain SMTP waits for a greeting that never comes in clear: a failed attempt
        with pytest.raises(DeliveryError):
            email_channel(port, creds=True).send(make_alert())
        assert logins == [] and inbox.messages == []
        trusting = ssl.create_default_context(cafile=str(tls_files[0]))
        email_channel(port, creds=True, scheme="smtps", ssl_context=trusting).send(make_alert())
        assert logins == [(b"desk", SMTP_PASSWORD.encode())]
        assert len(inbox.messages) == 1


def test_public_url_links_the_alert_page_in_mail_webhook_and_console(
    smtp_server: tuple[Inbox, int], hook_server: HookServer
) -> None:
    inbox, port = smtp_server
    settings = Settings(allow_private_networks=True, public_url="https://monitor.example.org/")
    alert = make_alert()
    page = f"https://monitor.example.org/alerts/{alert.id}"
    mail_cfg = EmailChannel.model_validate(
        {"type": "email", "to": "d@example.org", "from": "m@example.org",
         "smtp": f"smtp://127.0.0.1:{port}"}
    )  # fmt: skip
    build_channel("desk", mail_cfg, settings).send(alert)
    [msg] = inbox.messages
    html, text = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html is not None and text is not None
    assert f'class="alert-link" href="{page}"' in html.get_content()
    assert f"Alert page: {page}" in text.get_content()

    hook_cfg = WebhookChannel(type="webhook", url=hook_server.url, secret=SECRET)
    webhook = build_channel("ops-hook", hook_cfg, settings)
    webhook.send(alert)
    [got] = hook_server.received
    assert verify(got)  # the added field is inside the signed body
    sent = json.loads(got.body)["alert"]
    assert sent.pop("alert_url") == page
    assert sent == json.loads(json.dumps(alert.to_dict()))  # the rest unchanged
    assert isinstance(webhook, DigestChannel)
    webhook.send_digest([alert], "dgst_1")
    digest = json.loads(hook_server.received[-1].body)["digest"]
    assert verify(hook_server.received[-1]) and digest["alerts"][0]["alert_url"] == page

    stream = io.StringIO()  # not a terminal: plain text, no colour
    build_channel("stdout", ConsoleChannel(type="console"), settings, stdout=stream).send(alert)
    assert f"  Alert page: {page}" in stream.getvalue() and "\x1b" not in stream.getvalue()
