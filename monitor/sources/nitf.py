"""NITF 3.x (News Industry Text Format) documents to WireItems.

Owns the NITF vocabulary: ``hedline/hl1`` (else ``head/title``) for the
headline, ``body.content`` for the text, ``docdata`` for ids (``du-key`` is the
story key shared by versions, ``doc-id`` the document), dates (``date.issue``,
``date.release``, ``pubdata``, ``story.date``), ``doc.copyright``/``distributor``
for the agency, ``management-status``/``ed-msg`` for kills. ``read_nitf`` is
also used for NITF carried inside NewsML. Pure: no I/O.
"""

from __future__ import annotations

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.takes import is_kill_status, read_take, says_kill, starts_with_kill
from monitor.sources.wirefmt import (
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
    parse_xml,
    plain,
    to_int,
    xml_lang,
)
from monitor.sources.xmlsafe import sniff_root


def looks_like_nitf(data: bytes) -> bool:
    """True when the document element is ``nitf`` (looked for in the first few KB)."""
    root = sniff_root(data)
    return root is not None and root[0] == "nitf"


def parse_nitf(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """The one story of a NITF document; ParseError naming the source otherwise."""
    root = parse_xml(data, ctx, "NITF")
    if local(root) != "nitf":
        found = descendants(root, "nitf")
        if not found:
            raise ParseError(f"{ctx.source}: not a NITF document (root <{local(root)}>)")
        root = found[0]
    item = make_item(read_nitf(root), ctx, "nitf")
    if item is None:
        raise ParseError(f"{ctx.source}: NITF document without headline or text")
    return [item]


def read_nitf(nitf: XmlElement) -> Story:
    """What a ``<nitf>`` element says, as a Story (no ids decided yet)."""
    head = child(nitf, "head")
    docdata = child(head, "docdata")
    body = child(nitf, "body")
    body_head = child(body, "body.head")
    hl1 = child(body_head, "hedline", "hl1")
    title = plain(hl1) or plain(child(head, "title"))
    take = read_take(title)
    du_key = child(docdata, "du-key")
    doc_id = child(docdata, "doc-id")
    guid = attr(du_key, "key") or attr(doc_id, "id-string")
    version = max(
        to_int(attr(du_key, "generation"), 0),
        to_int(attr(du_key, "version"), 0),
        take.version,
    )
    ed_notes = " ".join(attr(note, "info") or plain(note) for note in children(docdata, "ed-msg"))
    kill = (
        is_kill_status(attr(docdata, "management-status"))
        or says_kill(ed_notes)
        or starts_with_kill(title)
    )
    dateline = child(body_head, "dateline")
    published = first_date(
        attr(child(docdata, "date.release"), "norm"),
        attr(child(docdata, "date.issue"), "norm"),
        attr(child(head, "pubdata"), "date.publication"),
        attr(child(dateline, "story.date"), "norm"),
        plain(child(dateline, "story.date")),
    )
    copyright_ = child(docdata, "doc.copyright")
    rights_owner = child(body_head, "rights", "rights.owner")
    agency = agency_name(
        attr(copyright_, "holder"),
        plain(child(body_head, "distributor")),
        plain(rights_owner),
        attr(doc_id, "regsrc"),
    )
    place = plain(child(dateline, "location")) or attr(child(docdata, "evloc"), "city")
    content = child(body, "body.content")
    text = element_text(content)
    language = xml_lang(nitf) or attr(nitf, "baselang")
    return Story(
        title=title,
        body=text,
        guid=guid,
        version=version,
        published=published,
        language=language,
        agency=agency,
        place=place or None,
        kill=kill,
        slug=(plain(child(body_head, "hedline", "hl2")) or None) if not guid else None,
    )
