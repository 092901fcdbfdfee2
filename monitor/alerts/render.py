"""Render an Alert as console text, an email subject, text and HTML bodies, and JSON.

Pure: no I/O beyond loading the packaged Jinja2 templates once. Everything that came
from a feed is untrusted: HTML output is autoescaped, only http(s) links are emitted,
and the subject has no line breaks or control characters (a CR/LF in a subject makes
``EmailMessage`` raise, which would turn a hostile title into a lost alert). What is
shown is ``monitor.alerts.view``'s; matched terms are marked where the medium can
(bold/colour on a terminal, ``<mark>`` in HTML), never in the plain-text mail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.alerts import email_style
from monitor.alerts.highlight import Segment
from monitor.alerts.oneline import clean_line
from monitor.alerts.script import Direction
from monitor.alerts.view import (
    AlertView,
    alert_page_url,
    alert_view,
    headline,
    outlets,
    safe_url,
    snippet_text,
)
from monitor.model import Alert

__all__ = [
    "clean_line",
    "headline",
    "outlets",
    "safe_url",
    "snippet_text",
]

MAX_SUBJECT = 200
# ANSI SGR: bold yellow for a matched term, bold for the headline; reset only what was set
_ANSI_MARK = ("\x1b[1;33m", "\x1b[22;39m")
_ANSI_BOLD = ("\x1b[1m", "\x1b[22m")
# first-strong isolate: a right-to-left quote or passage keeps its own order inside a
# left-to-right line (terminals and mail readers that do bidi honour it)
_FSI, _PDI = "\u2068", "\u2069"

Marker = Callable[[Segment], str]


def _plain(segment: Segment) -> str:
    return segment.text


def _ansi(segment: Segment) -> str:
    return f"{_ANSI_MARK[0]}{segment.text}{_ANSI_MARK[1]}" if segment.marked else segment.text


def isolate(text: str, way: Direction) -> str:
    """``text`` in a first-strong isolate when it runs right to left."""
    return f"{_FSI}{text}{_PDI}" if way == "rtl" and text else text


def joined(segments: Iterable[Segment], mark: Marker) -> str:
    return "".join(mark(segment) for segment in segments)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_console(alert: Alert, *, color: bool = False, public_url: str | None = None) -> str:
    """Readable multi-line text for a terminal; first line ``ALERT [watchlist] headline``.
    ``color``: matched terms in bold yellow and the headline in bold (a TTY only)."""
    view = alert_view(alert, public_url)
    mark = _ansi if color else _plain
    title = isolate(joined(view.title, mark), view.title_direction)
    if color:
        title = f"{_ANSI_BOLD[0]}{title}{_ANSI_BOLD[1]}"
    return "\n".join([f"ALERT [{view.watchlist}] {title}", *_body_lines(view, mark)])


def _body_lines(view: AlertView, mark: Marker = _plain) -> list[str]:
    lines: list[str] = []
    if view.meta:
        lines.append("  " + " | ".join(f"{label}: {value}" for label, value in view.meta))
    if view.topics:
        lines.append("  Topics: " + ", ".join(view.topics))
    for s in view.speakers:
        said = f"{s.opening}{joined(s.segments, mark)}{s.closing}"
        quote = f": {isolate(said, s.direction)}" if s.text else ""
        lines.append(f"  Speaker: {s.name} ({s.role}){quote}")
    for p in view.passages:
        text = ("…" if p.cut_before else "") + joined(p.segments, mark)
        text += "…" if p.cut_after else ""
        lines.append(f"  - {', '.join(p.labels)} [{p.field}]: {isolate(text, p.direction)}")
    if view.more_passages:
        more = view.more_passages
        lines.append(f"  (+{more} more passage{'' if more == 1 else 's'})")
    if view.hit_counts:
        lines.append("  Hits: " + ", ".join(f"{label} {n}" for label, n in view.hit_counts))
    if view.url:
        lines.append(f"  Link: {view.url}")
    if view.alert_url:
        lines.append(f"  Alert page: {view.alert_url}")
    if view.also:
        lines.append("  Also carried by: " + ", ".join(view.also))
    return lines


def render_subject(alert: Alert) -> str:
    """``[watchlist] headline`` on one line, at most ``MAX_SUBJECT`` characters."""
    return _cap(f"[{clean_line(alert.watchlist)}] {headline(alert)}", MAX_SUBJECT)


def render_text(alert: Alert, public_url: str | None = None) -> str:
    """The plain-text email body."""
    view = alert_view(alert, public_url)
    lines = [isolate(view.headline, view.title_direction), ""]
    lines += [line[2:] for line in _body_lines(view)]
    lines += ["", f"Watchlist: {view.watchlist}", f"Alert id: {view.alert_id}"]
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # autoescape on for every template (select_autoescape's default_for_string too):
    # feed text must never reach the HTML unescaped.
    env = Environment(
        loader=PackageLoader("monitor.alerts", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["css"] = email_style.STYLES
    env.globals["side"] = email_style.side
    return env


def render_html(alert: Alert, public_url: str | None = None) -> str:
    """The HTML email body: inline-styled, escaped, each text in its own direction,
    matched terms in ``<mark>``, only http(s) links."""
    return _environment().get_template("alert.html").render(v=alert_view(alert, public_url))


# --- digests: one mail for many alerts (``monitor.alerts.digest``) -------------------------
def _watchlists(alerts: list[Alert]) -> list[str]:
    return list(dict.fromkeys(clean_line(alert.watchlist) for alert in alerts))


def render_digest_subject(alerts: list[Alert]) -> str:
    """``[watchlist, other] Digest: N alerts`` on one line, at most ``MAX_SUBJECT`` characters."""
    count = f"{len(alerts)} alert" + ("" if len(alerts) == 1 else "s")
    return _cap(f"[{', '.join(_watchlists(alerts))}] Digest: {count}", MAX_SUBJECT)


def _digest_groups(
    alerts: list[Alert], public_url: str | None = None
) -> list[tuple[str, list[AlertView]]]:
    """The alerts' views grouped by watchlist, watchlists and alerts in arrival order."""
    groups: dict[str, list[AlertView]] = {}
    for alert in alerts:
        view = alert_view(alert, public_url)
        groups.setdefault(view.watchlist, []).append(view)
    return list(groups.items())


def held_note(held: int) -> str:
    """The digest's line about the alerts the channel's rate limit held back."""
    return f"{held} alert{'' if held == 1 else 's'} held back by this channel's rate limit."


def render_digest_text(
    alerts: list[Alert], held: int = 0, *, color: bool = False, public_url: str | None = None
) -> str:
    """The plain-text body of a digest: each alert with its evidence, by watchlist;
    first how many the rate limit held (``held``), when any. ``color`` as for the console."""
    mark = _ansi if color else _plain
    lines = [render_digest_subject(alerts), ""]
    if held:
        lines += [held_note(held), ""]
    for watchlist, views in _digest_groups(alerts, public_url):
        lines += [f"== Watchlist: {watchlist} ({len(views)}) ==", ""]
        for number, view in enumerate(views, 1):
            lines.append(f"{number}. {isolate(joined(view.title, mark), view.title_direction)}")
            lines += _body_lines(view, mark)
            lines += [f"  Alert id: {view.alert_id}", ""]
    return "\n".join(lines)


def render_digest_html(alerts: list[Alert], held: int = 0, public_url: str | None = None) -> str:
    """The HTML body of a digest: styled as the alert mail, one card per alert."""
    return (
        _environment()
        .get_template("digest.html")
        .render(
            subject=render_digest_subject(alerts),
            held=held_note(held) if held else "",
            groups=_digest_groups(alerts, public_url),
        )
    )


def alert_json(alert: Alert, public_url: str | None = None) -> dict[str, object]:
    """The ``alert`` object of SPEC 6, plus ``alert_url`` (its page) with ``public_url``."""
    data: dict[str, object] = alert.to_dict()
    page = alert_page_url(public_url, alert.id)
    if page:
        data["alert_url"] = page
    return data


def webhook_body(alert: Alert, public_url: str | None = None) -> bytes:
    """The webhook POST body of SPEC 6 (also one line of the file channel)."""
    return json_bytes(
        {"type": "monitor.alert", "version": 1, "alert": alert_json(alert, public_url)}
    )


def json_bytes(body: object) -> bytes:
    """``body`` as UTF-8 JSON (webhook and file channels)."""
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate from a badly decoded feed: \u-escape it rather than lose the alert.
        return json.dumps(body, ensure_ascii=True).encode("ascii")
