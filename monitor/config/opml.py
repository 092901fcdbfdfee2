"""OPML in and out (``monitor feeds import`` / ``monitor feeds export``), as every feed
reader offers.

Export: the config's URL feeds as OPML 2.0, one ``<outline type="rss">`` each, its
``text`` and ``title`` the feed id, ``xmlUrl`` the URL without a password, ``category``
its tags (``/wire,/state-media``), ``language`` when set. Drop folders have no URL and
headers or credentials are never written (``notes`` says which feeds lost what).

Import: the ``rss`` outlines of an OPML file as ``feeds:`` entries in YAML, for a file
of the user's config folder (nothing of theirs is rewritten): ids from the outline
titles, made unique; tags from the folders an outline sits in and from its
``category``; URLs checked as the config checks them; feeds whose URL the config already
has left out. Parsed with defusedxml, DTDs refused: an entity bomb or XXE is one line.
Pure: bytes and configs in, text out.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET  # only to build the export; parsing is defusedxml's
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XmlParseError
from defusedxml.ElementTree import fromstring

from monitor.config.schema import Config, check_url
from monitor.errors import ConfigError, one_line

MAX_OPML_BYTES = 10 * 1024 * 1024
MAX_OUTLINES = 10_000


@dataclass
class Imported:
    """What an OPML file gave: ``feeds`` (YAML-ready mappings) and one ``notes`` line per
    outline left out, naming it."""

    feeds: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_yaml(self, source: str) -> str:
        head = f"# feeds imported from {source} by `monitor feeds import`\n"
        if not self.feeds:
            return head + "feeds: []\n"
        body = yaml.safe_dump({"feeds": self.feeds}, allow_unicode=True, sort_keys=False)
        return head + body


def export_opml(config: Config, *, now: datetime | None = None) -> tuple[str, list[str]]:
    """The OPML 2.0 document of ``config``'s URL feeds, and notes on what was left out."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "monitor feeds"
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = ET.SubElement(root, "body")
    notes: list[str] = []
    for feed in config.feeds:
        if feed.url is None:
            notes.append(f"{feed.id}: a drop folder, no URL: left out")
            continue
        attrs = {"type": "rss", "text": feed.id, "title": feed.id, "xmlUrl": _no_password(feed.url)}
        if feed.tags:
            attrs["category"] = ",".join(f"/{tag}" for tag in feed.tags)
        if feed.language:
            attrs["language"] = feed.language
        ET.SubElement(body, "outline", attrs)
        kept_out = [key for key in ("headers", "auth", "proxy") if getattr(feed, key)]
        if kept_out or feed.url != attrs["xmlUrl"]:
            what = ", ".join(
                kept_out + (["the URL's password"] if feed.url != attrs["xmlUrl"] else [])
            )
            notes.append(f"{feed.id}: {what} not exported")
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n", notes


def import_opml(data: bytes, source: str, existing: Config | None = None) -> Imported:
    """The feeds of an OPML document; ``ConfigError`` (one line naming ``source``) when it
    cannot be read or is hostile. ``existing``: ids to avoid and URLs already polled."""
    if len(data) > MAX_OPML_BYTES:
        raise ConfigError([f"{source}: larger than {MAX_OPML_BYTES} bytes; not an OPML file"])
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ConfigError(
            [
                f"{source}: refused: the file declares a DTD or entities ({type(exc).__name__});"
                " OPML needs none (an entity bomb or XXE looks like this)"
            ]
        ) from None
    except XmlParseError as exc:
        raise ConfigError([f"{source}: not well-formed XML ({one_line(str(exc))})"]) from None
    if _local(root.tag) != "opml":
        raise ConfigError([f"{source}: not OPML (the document element is <{_local(root.tag)}>)"])
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise ConfigError([f"{source}: OPML without a <body>"])
    result = Imported()
    taken = {feed.id for feed in existing.feeds} if existing else set()
    known = {feed.url: feed.id for feed in existing.feeds if feed.url} if existing else {}
    for count, (outline, folders) in enumerate(_outlines(body, ()), start=1):
        if count > MAX_OUTLINES:
            result.notes.append(f"{source}: more than {MAX_OUTLINES} outlines; the rest left out")
            break
        _add(result, outline, folders, taken, known)
    return result


def _add(
    result: Imported,
    outline: ET.Element,
    folders: tuple[str, ...],
    taken: set[str],
    known: dict[str, str],
) -> None:
    url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
    name = (outline.get("title") or outline.get("text") or "").strip()
    shown = name or url or "an outline"
    if not url:
        return  # a folder or a link: no feed
    try:
        check_url(url, ("http", "https"))
    except ValueError as exc:
        result.notes.append(f"{shown!r}: left out: {exc}")
        return
    if url in known:
        result.notes.append(f"{shown!r}: left out: the config has this URL already ({known[url]})")
        return
    feed_id = _unique(_slug(name) or _slug(urlsplit(url).hostname or "") or "feed", taken)
    taken.add(feed_id)
    known[url] = feed_id
    tags = list(dict.fromkeys(t for t in (*map(_slug, folders), *_categories(outline)) if t))
    feed: dict[str, Any] = {"id": feed_id, "url": url}
    language = (outline.get("language") or "").strip()
    if re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*", language):
        feed["language"] = language
    if tags:
        feed["tags"] = tags
    result.feeds.append(feed)


def _outlines(
    parent: ET.Element, folders: tuple[str, ...]
) -> Iterable[tuple[ET.Element, tuple[str, ...]]]:
    for outline in parent:
        if _local(outline.tag) != "outline":
            continue
        yield outline, folders
        if len(outline):
            label = (outline.get("title") or outline.get("text") or "").strip()
            yield from _outlines(outline, (*folders, label) if label else folders)


def _categories(outline: ET.Element) -> list[str]:
    """OPML 2.0 ``category``: comma-separated, slash-delimited; the last part of each."""
    raw = outline.get("category") or ""
    return [_slug(part.strip().rstrip("/").rpartition("/")[2]) for part in raw.split(",")]


def _slug(text: str) -> str:
    """``[a-z0-9_-]`` from any title: accents dropped, other scripts kept out."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_]+", "-", plain.lower()).strip("-_")[:60].strip("-_")


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _no_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=netloc))


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2].lower() if isinstance(tag, str) else ""
