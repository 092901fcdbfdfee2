"""Unit tests for monitor.alerts.render: console text, subject, HTML escaping, JSON."""

from __future__ import annotations

import email.policy
import json
import os
from dataclasses import replace
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.alerts.channels.email import build_message
from monitor.alerts.render import (
    render_console,
    render_html,
    render_subject,
    render_text,
    safe_url,
    webhook_body,
)
from monitor.model import Alert, Hit, SpeakerMatch, WireItem

BODY = "MOSCOW, Jan 12 - Kremlin spokesman Dmitry Peskov said NATO must listen to Russia."


def alert(**item_kw: object) -> Alert:
    values: dict[str, object] = {
        "id": "sputnik-1",
        "title": "Peskov: Russia expects security guarantees from NATO",
        "body": BODY,
        "source": "seeds/peskov.txt",
        "url": "https://example.org/story?id=1&lang=en",
        "agency": "Sputnik",
        "publisher": "UrduPoint",
        "language": "en",
        "published": "2022-01-12",
    }
    values.update(item_kw)
    item = WireItem(**values)  # type: ignore[arg-type]
    start = BODY.index("NATO")
    hits = tuple(
        Hit(field="body", start=start, end=start + 4, text="NATO", topic=f"T{i}") for i in range(7)
    )
    return Alert(
        id="alrt_0123456789abcdef01234567",
        watchlist="russia-nato",
        item=item,
        topics=("NATO", "security guarantees"),
        speakers=(SpeakerMatch("Dmitry Peskov", "quoted", "NATO must listen to Russia."),),
        hits=hits,
        story_id="sputnik-1",
        sources=("UrduPoint", "Al Mayadeen"),
        created_at="2022-01-12T10:00:00Z",
    )


def test_console_layout() -> None:
    text = render_console(alert())
    lines = text.splitlines()
    assert lines[0] == "ALERT [russia-nato] Peskov: Russia expects security guarantees from NATO"
    assert "Agency: Sputnik" in text and "Publisher: UrduPoint" in text
    assert "Published: 12 Jan 2022" in text and "Language: en" in text
    assert "Topics: NATO, security guarantees" in text
    assert "Dmitry Peskov (quoted): “NATO must listen to Russia.”" in text
    # seven hits on one span: one passage naming every term, then every hit counted
    passage_lines = [line for line in lines if line.startswith("  - ")]
    assert passage_lines == [f"  - {', '.join(f'T{i}' for i in range(7))} [body]: {BODY}"]
    assert "  Hits: T0 1, T1 1, T2 1, T3 1, T4 1, T5 1, T6 1" in lines
    assert lines.index("  Hits: T0 1, T1 1, T2 1, T3 1, T4 1, T5 1, T6 1") > lines.index(
        passage_lines[0]
    )
    assert "Also carried by: Al Mayadeen" in text
    assert "\x1b" not in text  # no colour unless asked (a TTY)
    assert "Alert page" not in text


def test_console_title_cannot_forge_lines() -> None:
    text = render_console(alert(title="Real title\nALERT [other] forged\x1b[31m"))
    assert text.splitlines()[0].startswith("ALERT [russia-nato] Real title ALERT [other] forged")
    assert "\x1b" not in text
    assert sum(line.startswith("ALERT") for line in text.splitlines()) == 1


def test_subject_is_one_safe_line() -> None:
    hostile = alert(title="Breaking\r\nBcc: victim@example.org\u2028more\x00")
    subject = render_subject(hostile)
    assert subject == "[russia-nato] Breaking Bcc: victim@example.org more"
    assert not any(ch in subject for ch in "\r\n\x00\u2028")
    # and it survives EmailMessage, which raises on CR/LF in a header
    msg = build_message(hostile, sender="m@example.org", recipients=("d@example.org",))
    assert msg["Subject"] == subject
    assert "Bcc" not in [key for key in msg]
    msg.as_bytes(policy=email.policy.SMTP)


def test_subject_length_is_capped() -> None:
    subject = render_subject(alert(title="word " * 200))
    assert len(subject) <= 200 and subject.startswith("[russia-nato] word")
    assert render_subject(alert(title="   ")) == "[russia-nato] (no title)"


def test_html_escapes_feed_strings_and_sets_dir_auto() -> None:
    evil = alert(
        title='<script>alert("x")</script> بيسكوف',
        agency="<b onmouseover=alert(1)>Sputnik</b>",
        body=BODY,
    )
    html = render_html(evil)
    assert "<script>" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; بيسكوف" in html
    assert "&lt;b onmouseover=alert(1)&gt;Sputnik&lt;/b&gt;" in html
    assert '<h1 class="headline" dir="ltr"' in html
    assert html.count('dir="auto"') >= 5
    assert 'href="https://example.org/story?id=1&amp;lang=en"' in html


def test_html_links_only_http() -> None:
    for bad in ("javascript:alert(1)", "data:text/html,<b>x</b>", "java\nscript:x", "//x.org/a"):
        html = render_html(alert(url=bad))
        assert "href=" not in html, bad
    assert safe_url("HTTPS://example.org/") == "HTTPS://example.org/"
    assert safe_url("ftp://example.org/") is None


def test_text_body_has_the_essentials() -> None:
    text = render_text(alert())
    assert text.startswith("Peskov: Russia expects security guarantees from NATO\n")
    assert "Link: https://example.org/story?id=1&lang=en" in text
    assert "alrt_0123456789abcdef01234567" in text


def test_snippet_is_built_from_offsets_when_missing() -> None:
    text = render_console(alert())
    assert "Dmitry Peskov said NATO must listen" in text


def test_console_colours_matched_terms_only_when_asked() -> None:
    text = render_console(alert(), color=True)
    assert "said \x1b[1;33mNATO\x1b[22;39m must listen" in text
    assert text.splitlines()[0].startswith("ALERT [russia-nato] \x1b[1m")
    # feed text cannot bring its own escapes: only ours are there
    hostile = render_console(alert(title="\x1b[31mred\x1b[0m"), color=True)
    assert "\x1b[31m" not in hostile and "\x1b[0m" not in hostile


def test_console_and_text_link_the_alert_page_with_a_public_url() -> None:
    page = "https://monitor.example.org/alerts/alrt_0123456789abcdef01234567"
    assert f"  Alert page: {page}" in render_console(
        alert(), public_url="https://monitor.example.org"
    )
    assert f"Alert page: {page}" in render_text(alert(), "https://monitor.example.org/")
    assert "Alert page" not in render_text(alert())


def test_an_arabic_quote_is_isolated_in_its_marks_in_text() -> None:
    arabic = replace(
        alert(language="ar"),
        speakers=(SpeakerMatch("Dmitry Peskov", "quoted", "روسيا لا تتفاوض"),),
    )
    assert "Dmitry Peskov (quoted): \u2068«روسيا لا تتفاوض»\u2069" in render_text(arabic)


def test_webhook_body_shape() -> None:
    a = alert(title="Песков: НАТО")
    body = json.loads(webhook_body(a))
    assert body["type"] == "monitor.alert" and body["version"] == 1
    assert body["alert"] == json.loads(json.dumps(a.to_dict()))
    assert "alert_url" not in body["alert"]
    linked = json.loads(webhook_body(a, "https://monitor.example.org"))["alert"]
    assert linked.pop("alert_url") == (
        "https://monitor.example.org/alerts/alrt_0123456789abcdef01234567"
    )
    assert linked == body["alert"]  # every other field as before
    assert body["alert"]["story"] == {"id": "sputnik-1", "sources": ["UrduPoint", "Al Mayadeen"]}
    assert "Песков".encode() in webhook_body(a)  # ensure_ascii=False


def test_email_message_is_multipart_with_stable_message_id() -> None:
    msg = build_message(alert(), sender="m@example.org", recipients=("a@x.org", "b@x.org"))
    assert isinstance(msg, EmailMessage)
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert msg["Message-ID"] == "<alrt_0123456789abcdef01234567@example.org>"
    assert msg["To"] == "a@x.org, b@x.org"


def test_bidi_overrides_are_removed_from_one_line_text() -> None:
    subject = render_subject(alert(title="Invoice \u202egpj.exe\u202c paid \u2066x\u2069"))
    assert subject == "[russia-nato] Invoice gpj.exe paid x"


@settings(max_examples=200, deadline=None)
@given(title=st.text(alphabet=st.characters(exclude_categories=()), max_size=300))
def test_any_title_gives_a_sendable_message(title: str) -> None:
    hostile = alert(title=title)
    subject = render_subject(hostile)
    assert "\r" not in subject and "\n" not in subject and len(subject) <= 200
    msg = build_message(hostile, sender="m@example.org", recipients=("d@example.org",))
    raw = msg.as_bytes(policy=email.policy.SMTP)
    assert b"\r\nBcc:" not in raw
    json.loads(webhook_body(hostile))
    assert "<script" not in render_html(alert(title="<script>" + title))


def test_lone_surrogates_do_not_poison_the_alert() -> None:
    broken = alert(title="bad \udcff byte", body="x \ud800 y")
    assert "\ufffd" in render_subject(broken)
    build_message(broken, sender="m@example.org", recipients=("d@example.org",)).as_bytes()
    assert json.loads(webhook_body(broken))["alert"]["item"]["title"] == "bad \udcff byte"


def _console_output(stream_is_tty: bool) -> str:
    """What the console channel writes to a real pseudo-terminal, or to a pipe."""
    from monitor.alerts.channels.console import ConsoleChannelSender

    reader, writer = os.openpty() if stream_is_tty else os.pipe()
    with open(writer, "w", encoding="utf-8") as stream:
        ConsoleChannelSender("stdout", stream=stream).send(alert())
    chunks = []
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # the terminal side is closed: all read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(reader)
    return b"".join(chunks).decode("utf-8")


def test_console_channel_colours_a_terminal_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[1;33mNATO\x1b[22;39m" in _console_output(stream_is_tty=True)
    assert "\x1b" not in _console_output(stream_is_tty=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in _console_output(stream_is_tty=True)
    monkeypatch.setenv("NO_COLOR", "")  # empty: as if unset (no-color.org)
    assert "\x1b[1;33mNATO" in _console_output(stream_is_tty=True)
