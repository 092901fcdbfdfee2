"""NewsML-G2 (newsMessage, newsItem) and NewsML 1.x documents to WireItems.

Owns the NewsML vocabulary: ``guid``/``version`` (story id shared by versions,
item id per version), ``itemMeta`` (provider, versionCreated/firstCreated,
pubStatus: withheld or canceled is a kill), ``contentMeta`` (headline,
language, located, infoSource/creator for the agency) and ``contentSet``
(inline XHTML, inline NITF, inline text or HTML). NewsML 1.x (AFP and others
still send it) is read too: NewsIdentifier, NewsManagement, NewsLines,
DataContent. Any namespace prefix works (``ns0:newsItem``). Pure: no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.dateline import canonical_name
from monitor.sources.nitf import read_nitf
from monitor.sources.takes import is_kill_status, read_take, says_kill, starts_with_kill
from monitor.sources.wirefmt import (
    MAX_ITEMS,
    Story,
    XmlElement,
    agency_name,
    attr,
    child,
    children,
    descendants,
    element_text,
    first_date,
    local,
    make_item,
    markup_text,
    parse_xml,
    plain,
    to_int,
    xml_lang,
)
from monitor.sources.xmlsafe import sniff_root

_G2_ROOTS = frozenset({"newsmessage", "newsitem"})
_ROOTS = _G2_ROOTS | {"newsml", "contentset"}
_G2_NS = b"iptc.org/std/nar/"


def looks_like_newsml(data: bytes) -> bool:
    """True when the document element is a NewsML-G2 newsMessage/newsItem or a
    NewsML 1.x ``NewsML`` (looked for in the first few KB, no parse)."""
    root = sniff_root(data)
    if root is None:
        return False
    name, head, _ = root
    if name in _G2_ROOTS or name == "newsml":
        return True
    # A bare contentSet (a fragment of a newsItem) carrying NITF or XHTML.
    return name == "contentset" and (b"inlineXML" in head or _G2_NS in head)


def parse_newsml(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """Every text item of a NewsML document; ParseError naming the source if it
    is not NewsML at all. A message whose items hold no text gives ``[]``."""
    root = parse_xml(data, ctx, "NewsML")
    name = local(root)
    if name not in _ROOTS:
        raise ParseError(f"{ctx.source}: not a NewsML document (root <{name}>)")
    stories: list[Story] = []
    if name == "newsml":
        stories = [_read_newsml1(item) for item in descendants(root, "newsitem")[:MAX_ITEMS]]
    elif name == "contentset":
        stories = [_read_g2(None, root, None)]
    else:
        items = [root] if name == "newsitem" else descendants(root, "newsitem")
        sender = plain(child(root, "header", "sender")) or None
        stories = [_read_g2(item, child(item, "contentset"), sender) for item in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            ctx.warnings.append(f"{ctx.source}: {len(items)} items; kept {MAX_ITEMS}")
    results: list[WireItem] = []
    for story in stories:
        item = make_item(story, ctx, "newsml")
        if item is not None:
            results.append(item)
    return results


# ---------------------------------------------------------------------------
# NewsML-G2


def _read_g2(item: XmlElement | None, content_set: XmlElement | None, sender: str | None) -> Story:
    item_meta = child(item, "itemmeta")
    content_meta = child(item, "contentmeta")
    title = _headline(children(content_meta, "headline"))
    body, nitf_story = _content(content_set)
    if nitf_story is not None:
        title = title or nitf_story.title
    if not body:
        body = " ".join(plain(d) for d in children(content_meta, "description")).strip()
    take = read_take(title)
    version = to_int(attr(item, "version"), 0) or take.version
    status = attr(child(item_meta, "pubstatus"), "qcode")
    notes = " ".join(plain(note)[:300] for note in children(item_meta, "ednote"))
    kill = is_kill_status(status) or starts_with_kill(title) or says_kill(notes)
    published = first_date(
        plain(child(item_meta, "versioncreated")),
        plain(child(item_meta, "firstcreated")),
        plain(child(content_meta, "contentcreated")),
        plain(child(content_meta, "contentmodified")),
    )
    if published is None and nitf_story is not None:
        published = nitf_story.published
    provider = child(item_meta, "provider")
    info_sources = children(content_meta, "infosource")
    agency = agency_name(
        *(_known_or_first(_names(source)) for source in info_sources),
        _known_or_first(_names(provider)),
        plain(child(content_meta, "creditline")),
        *(_known_or_first(_names(creator)) for creator in children(content_meta, "creator")),
        nitf_story.agency if nitf_story else None,
        sender,
    )
    holder = child(item, "rightsinfo", "copyrightholder")
    publisher = agency_name(_known_or_first(_names(provider)), _party(holder), sender)
    located = child(content_meta, "located")
    place = _party(located) or (nitf_story.place if nitf_story else None)
    language = (
        attr(child(content_meta, "language"), "tag")
        or xml_lang(item)
        or (nitf_story.language if nitf_story else None)
    )
    return Story(
        title=title,
        body=body,
        guid=attr(item, "guid"),
        version=version,
        published=published,
        language=language,
        agency=agency,
        publisher=publisher,
        place=place,
        kill=kill,
        slug=plain(child(content_meta, "slugline")) or None,
    )


def _headline(headlines: list[XmlElement]) -> str:
    """The main headline: no role or ``hld:main``, else rank 1, else the first."""
    for headline in headlines:
        role = (attr(headline, "role") or "").rpartition(":")[2].lower()
        if role in ("", "main", "headline") and plain(headline):
            return plain(headline)
    return next((plain(h) for h in headlines if plain(h)), "")


def _party(element: XmlElement | None) -> str | None:
    """A provider/infoSource/located name: ``<name>``, literal, qcode code, uri host."""
    names = _names(element)
    return names[0] if names else None


def _names(element: XmlElement | None) -> list[str]:
    """Every way ``element`` names a party, most readable first."""
    if element is None:
        return []
    found = [plain(name) for name in children(element, "name") if plain(name)]
    literal = attr(element, "literal")
    if literal:
        found.append(literal)
    qcode = attr(element, "qcode")
    if qcode and qcode.rpartition(":")[2]:
        found.append(qcode.rpartition(":")[2])
    uri = attr(element, "uri")
    if uri:
        try:
            host = urlsplit(uri).hostname or ""
        except ValueError:
            host = ""
        if host:
            found.append(re.sub(r"^www\.", "", host))
    return found


def _known_or_first(names: list[str]) -> str | None:
    """The party's canonical agency name when any of its names is known."""
    for name in names:
        known = agency_name(name)
        if known is not None and canonical_name(known) is not None:
            return known
    return agency_name(*names)


_TEXT_TYPES = ("text/plain", "text/html", "application/xhtml", "text/xhtml", "xhtml")


def _content(content_set: XmlElement | None) -> tuple[str, Story | None]:
    """(text, the inline NITF story if any) of a contentSet's first text rendition."""
    if content_set is None:
        return "", None
    for part in content_set:
        name = local(part)
        if name == "inlinexml":
            for node in part:
                kind = local(node)
                if kind == "nitf":
                    story = read_nitf(node)
                    return story.body, story
                if kind in ("html", "body", "div", "section", "article", "p"):
                    body = child(node, "body") if kind == "html" else node
                    return element_text(body if body is not None else node), None
            if len(part):
                return element_text(part), None
            return markup_text(part.text or ""), None
        if name == "inlinedata":
            kind = (attr(part, "contenttype") or "text/plain").lower()
            if kind.startswith(_TEXT_TYPES) or "text" in kind:
                return markup_text(part.text or ""), None
    return "", None


# ---------------------------------------------------------------------------
# NewsML 1.x


def _read_newsml1(item: XmlElement) -> Story:
    identifier = child(item, "identification", "newsidentifier")
    management = child(item, "newsmanagement")
    component = child(item, "newscomponent")
    lines = next(iter(descendants(component, "newslines")), None)
    title = plain(child(lines, "headline"))
    revision = to_int(plain(child(identifier, "revisionid")), 0)
    public_id = plain(child(identifier, "publicidentifier"))
    guid = None
    if public_id:
        # urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86:1 -> without the revision
        guid = re.sub(r":\d+$", "", public_id) if revision else public_id
    elif plain(child(identifier, "newsitemid")):
        guid = f"{plain(child(identifier, 'providerid'))}:{plain(child(identifier, 'newsitemid'))}"
    status = attr(child(management, "status"), "formalname")
    take = read_take(title)
    nitf_story: Story | None = None
    body = ""
    for data in descendants(component, "datacontent"):
        nitf = next(iter(descendants(data, "nitf")), None)
        if nitf is not None:
            nitf_story = read_nitf(nitf)
            body = nitf_story.body
        else:
            body = element_text(data) if len(data) else markup_text(data.text or "")
        if body:
            break
    published = first_date(
        plain(child(management, "thisrevisioncreated")),
        plain(child(management, "firstcreated")),
    )
    provider = next(iter(descendants(component, "provider")), None)
    party = attr(child(provider, "party"), "formalname")
    place = None
    for location in descendants(component, "location"):
        for prop in children(location, "property"):
            if (attr(prop, "formalname") or "").lower() == "city":
                place = attr(prop, "value")
                break
    language = attr(next(iter(descendants(component, "language")), None), "formalname")
    return Story(
        title=title or (nitf_story.title if nitf_story else ""),
        body=body,
        guid=guid,
        version=revision or take.version,
        published=published,
        language=language or xml_lang(item),
        agency=agency_name(party, plain(child(identifier, "providerid"))),
        place=place,
        kill=is_kill_status(status) or starts_with_kill(title),
        slug=plain(child(lines, "slugline")) or None,
    )
