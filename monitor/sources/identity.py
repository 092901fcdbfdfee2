"""Stable item ids (guid, else canonical link, else a content hash) and story ids.

Owns what makes two fetches of the same item "the same": tracking parameters
dropped from links, whitespace and case ignored in content hashes; and what
makes two versions of one story "one story" where the format has no story id
of its own (feeds, plain-text wires): the headline without its take markers
(see ``takes``), within one outlet. Pure.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ID_MAX = 2000
# Headlines shorter than this ("Update", "Breaking news") name no story.
MIN_STORY_WORDS = 3
_WORD = re.compile(r"[^\W_]+")

_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|"
    r"igshid|_ga|_gl|ref_src|cmpid|ocid|at_medium|at_campaign|smid|sh)$",
    re.IGNORECASE,
)


_HASHED = "sha256:"  # what a content hash id starts with


def content_hash(*parts: str) -> str:
    """``sha256:`` + 16 hex of the normalised text (case, spacing, NFKC ignored)."""
    text = "\n".join(parts)
    norm = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return _HASHED + hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


def canonical_url(url: str) -> str:
    """``url`` with scheme/host lower-cased, fragment and tracking parameters dropped."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    netloc = parts.netloc.lower()
    if parts.scheme.lower() == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    elif parts.scheme.lower() == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def unique_item_id(
    guid: str | None, link: str | None, content: tuple[str, ...], seen: set[str]
) -> str:
    """The id rule (docs/output.md, ``item.id``): guid, else canonical link, else content hash.

    An id already in ``seen`` (taken by an earlier entry of the same feed: a
    CMS that gives every entry one guid) falls through to the next rule, as
    Miniflux does. The chosen id is added to ``seen``.
    """
    # Each rule's id is made only when the ones before it are taken: hashing the
    # normalised text costs more than reading the whole entry.
    if guid and guid.strip() and (candidate := guid.strip()[:ID_MAX]) not in seen:
        seen.add(candidate)
        return candidate
    if link and link.strip() and (candidate := canonical_url(link)[:ID_MAX]) not in seen:
        seen.add(candidate)
        return candidate
    candidate = content_hash(*content)
    seen.add(candidate)
    return candidate  # the same content twice is the same item


def ids_without_text(entries: list[tuple[str | None, str | None]]) -> list[str | None] | None:
    """The id ``unique_item_id`` gives each ``(guid, link)`` entry of a document, found
    without its text (None for an entry with neither, whose id is its content hash).

    Exact only where no entry's id is taken by another: then the rule gives each entry
    its own guid or link whichever entries have text. A document where two entries share
    one (or one looks like a content hash) gives None: every entry must be read.
    """
    ids: list[str | None] = []
    taken: set[str] = set()
    for guid, link in entries:
        if guid and guid.strip():
            candidate: str | None = guid.strip()[:ID_MAX]
        elif link and link.strip():
            candidate = canonical_url(link)[:ID_MAX]
        else:
            candidate = None
        if candidate is not None:
            if candidate in taken or candidate.startswith(_HASHED):
                return None
            taken.add(candidate)
        ids.append(candidate)
    return ids


def title_story_id(scope: str | None, headline: str) -> str | None:
    """``story:`` + 16 hex naming the story a headline (markers already peeled
    off) belongs to at one outlet (``scope``); None for headlines too short to
    tell stories apart. Case, punctuation, spacing and NFKC forms are ignored,
    so ``Kremlin says talks "unsuccessful"`` and its update share it."""
    words = _WORD.findall(unicodedata.normalize("NFKC", headline).casefold())
    if len(words) < MIN_STORY_WORDS:
        return None
    key = f"{' '.join((scope or '').casefold().split())}|{' '.join(words)}"
    return "story:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
