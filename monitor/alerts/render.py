"""Render an Alert as console text, an email subject, text and HTML bodies, and JSON.

Pure: no I/O beyond loading the packaged Jinja2 templates once. Everything that came
from a feed is untrusted: HTML output is autoescaped, only http(s) links are emitted,
and the subject has no line breaks or control characters (a CR/LF in a subject makes
``EmailMessage`` raise, which would turn a hostile title into a lost alert).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.model import Alert, Hit, WireItem

MAX_SUBJECT = 200
MAX_HITS = 5
SNIPPET_RADIUS = 80
_SPACES = re.compile(r"\s+")
_LINE_SAFE = {"Cc": " ", "Zl": " ", "Zp": " ", "Cs": "\ufffd"}
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def clean_line(text: str | None) -> str:
    """One line of text: control/format-breaking characters -> spaces, runs collapsed."""
    if not text:
        return ""
    # Cc covers CR, LF, TAB, NUL, ESC...; Zl/Zp are U+2028/U+2029 line/paragraph separators.
    # Lone surrogates (Cs) cannot be encoded: left in, they would make every send raise.
    chars = (_LINE_SAFE.get(unicodedata.category(ch), ch) for ch in text)
    # Bidi embeddings/overrides/isolates could reorder what follows them (a spoofed
    # subject or console line); dir="auto" and the terminal handle direction instead.
    return _SPACES.sub(" ", "".join(chars).translate(_BIDI_CONTROLS)).strip()


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def outlets(alert: Alert) -> tuple[str, list[str]]:
    """The outlet of the item shown (``sources[0]``) and the others that carried it too,
    each one clean line; ``""`` when the alert names none."""
    first, *also = alert.sources or ("",)
    return clean_line(first), [clean_line(source) for source in also]


def headline(alert: Alert) -> str:
    return clean_line(alert.item.title) or "(no title)"


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) with a host, else None (no javascript:, data:, ...)."""
    if not url:
        return None
    url = url.strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs") or ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def snippet_text(item: WireItem, hit: Hit) -> str:
    """The text around a hit in its item, on one line, with ellipses where cut."""
    text = getattr(item, hit.field, "") or ""
    start = max(0, hit.start - SNIPPET_RADIUS)
    end = min(len(text), hit.end + SNIPPET_RADIUS)
    core = clean_line(text[start:end]) or clean_line(hit.text)
    return ("…" if start > 0 else "") + core + ("…" if end < len(text) else "")


def snippet(alert: Alert, hit: Hit) -> str:
    """The hit's snippet, else the text around it in the item, on one line."""
    if hit.snippet:
        return clean_line(hit.snippet)
    return snippet_text(alert.item, hit)


@dataclass(frozen=True)
class _View:
    """What every renderer shows, as plain one-line strings (not yet escaped)."""

    watchlist: str
    headline: str
    meta: list[tuple[str, str]]
    topics: list[str]
    speakers: list[dict[str, str]]
    hits: list[dict[str, str]]
    more_hits: int
    url: str | None
    also: list[str]
    alert_id: str


def _view(alert: Alert) -> _View:
    item = alert.item
    meta = [
        ("Agency", item.agency),
        ("Publisher", item.publisher),
        ("Published", item.published),
        ("Language", item.language),
        ("Place", item.place),
    ]
    return _View(
        watchlist=clean_line(alert.watchlist),
        headline=headline(alert),
        meta=[(label, clean_line(value)) for label, value in meta if value],
        topics=[clean_line(t) for t in alert.topics],
        speakers=[
            {"name": clean_line(s.name), "role": s.role, "quote": clean_line(s.quote)}
            for s in alert.speakers
        ],
        hits=[
            {
                "label": clean_line(h.topic or h.speaker or h.text),
                "field": h.field,
                "snippet": snippet(alert, h),
            }
            for h in alert.hits[:MAX_HITS]
        ],
        more_hits=max(0, len(alert.hits) - MAX_HITS),
        url=safe_url(item.url),
        also=outlets(alert)[1],
        alert_id=alert.id,
    )


def render_console(alert: Alert) -> str:
    """Readable multi-line text for a terminal; first line ``ALERT [watchlist] headline``."""
    view = _view(alert)
    return "\n".join([f"ALERT [{view.watchlist}] {view.headline}", *_body_lines(view)])


def _body_lines(view: _View) -> list[str]:
    lines: list[str] = []
    if view.meta:
        lines.append("  " + " | ".join(f"{label}: {value}" for label, value in view.meta))
    if view.topics:
        lines.append("  Topics: " + ", ".join(view.topics))
    for s in view.speakers:
        quote = f": “{s['quote']}”" if s["quote"] else ""
        lines.append(f"  Speaker: {s['name']} ({s['role']}){quote}")
    for h in view.hits:
        lines.append(f"  - {h['label']} [{h['field']}]: {h['snippet']}")
    if view.more_hits:
        lines.append(f"  (+{view.more_hits} more hits)")
    if view.url:
        lines.append(f"  Link: {view.url}")
    if view.also:
        lines.append("  Also carried by: " + ", ".join(view.also))
    return lines


def render_subject(alert: Alert) -> str:
    """``[watchlist] headline`` on one line, at most ``MAX_SUBJECT`` characters."""
    return _cap(f"[{clean_line(alert.watchlist)}] {headline(alert)}", MAX_SUBJECT)


def render_text(alert: Alert) -> str:
    """The plain-text email body."""
    view = _view(alert)
    lines = [view.headline, ""]
    lines += [line[2:] for line in _body_lines(view)]
    lines += ["", f"Watchlist: {view.watchlist}", f"Alert id: {view.alert_id}"]
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # autoescape on for every template (select_autoescape's default_for_string too):
    # feed text must never reach the HTML unescaped.
    return Environment(
        loader=PackageLoader("monitor.alerts", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(alert: Alert) -> str:
    """The HTML email body: escaped, ``dir="auto"`` on text, only http(s) links."""
    return _environment().get_template("alert.html").render(v=_view(alert))


# --- digests: one mail for many alerts (``monitor.alerts.digest``) -------------------------
def _watchlists(alerts: list[Alert]) -> list[str]:
    return list(dict.fromkeys(clean_line(alert.watchlist) for alert in alerts))


def render_digest_subject(alerts: list[Alert]) -> str:
    """``[watchlist, other] Digest: N alerts`` on one line, at most ``MAX_SUBJECT`` characters."""
    count = f"{len(alerts)} alert" + ("" if len(alerts) == 1 else "s")
    return _cap(f"[{', '.join(_watchlists(alerts))}] Digest: {count}", MAX_SUBJECT)


def _digest_groups(alerts: list[Alert]) -> list[tuple[str, list[_View]]]:
    """The alerts' views grouped by watchlist, watchlists and alerts in arrival order."""
    groups: dict[str, list[_View]] = {}
    for alert in alerts:
        view = _view(alert)
        groups.setdefault(view.watchlist, []).append(view)
    return list(groups.items())


def held_note(held: int) -> str:
    """The digest's line about the alerts the channel's rate limit held back."""
    return f"{held} alert{'' if held == 1 else 's'} held back by this channel's rate limit."


def render_digest_text(alerts: list[Alert], held: int = 0) -> str:
    """The plain-text body of a digest: each alert with its evidence, by watchlist;
    first how many the rate limit held (``held``), when any."""
    lines = [render_digest_subject(alerts), ""]
    if held:
        lines += [held_note(held), ""]
    for watchlist, views in _digest_groups(alerts):
        lines += [f"== Watchlist: {watchlist} ({len(views)}) ==", ""]
        for number, view in enumerate(views, 1):
            lines.append(f"{number}. {view.headline}")
            lines += _body_lines(view)
            lines += [f"  Alert id: {view.alert_id}", ""]
    return "\n".join(lines)


def render_digest_html(alerts: list[Alert]) -> str:
    """The HTML body of a digest: escaped, ``dir="auto"`` on text, only http(s) links."""
    return (
        _environment()
        .get_template("digest.html")
        .render(subject=render_digest_subject(alerts), groups=_digest_groups(alerts))
    )


def webhook_body(alert: Alert) -> bytes:
    """The webhook POST body of SPEC 6 (also one line of the file channel)."""
    return json_bytes({"type": "monitor.alert", "version": 1, "alert": alert.to_dict()})


def json_bytes(body: object) -> bytes:
    """``body`` as UTF-8 JSON (webhook and file channels)."""
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate from a badly decoded feed: \u-escape it rather than lose the alert.
        return json.dumps(body, ensure_ascii=True).encode("ascii")
