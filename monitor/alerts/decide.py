"""Story grouping: turn a (match, item) pair into a new Alert, or into nothing.

Pure apart from the Store it is handed (the story index); no network, no clock
(``now`` is passed in). One alert per (watchlist, story) within the story window:
republications and updates only add their outlet to the story record.

Story keys
----------
An item may belong to a story under two names:

* its **title fingerprint**, ``"title:" + sha256(normalised title tokens)``, used when
  the title has at least ``MIN_TITLE_TOKENS`` tokens. Normalisation is NFKC, casefold,
  accents/tashkeel/tatweel removed, digits made ASCII, a trailing `` - Outlet`` /
  `` | Outlet`` suffix dropped, and the tokens sorted and de-duplicated, so the same
  story republished by another outlet (different id, same or near-same title) groups.
  Short titles ("Update", "Breaking news") are too common to group on.
* its **story id**, ``item.story_id or item.id`` (wire updates and corrections share it).

``story_key(item)`` is the first of these (the fingerprint when there is one) and the
alert id derives from it, so two workers racing on two copies of one story compute
the same alert id and the delivery ledger drops the second. ``decide`` looks the story
up under every name of the item, so an update whose title changed still finds its
alert through the story id, and a republication finds it through the title; each new
name is then recorded so later copies find it too.

Deciding the item that raised an alert again (a redelivered task) returns the same
alert, so a crash between deciding and delivering loses nothing; the delivery ledger
keeps a channel from getting it twice. Otherwise, when a story is already known
within the window, ``decide`` returns ``None`` and adds
the item's outlet to ``StoryRecord.sources`` (SPEC 6: "adds to the alert already
sent"). It does not send an update alert: the record keeps the outlets for display
("also carried by ...") and counts the additions in ``updates``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

from monitor.alerts.render import snippet_text
from monitor.model import Alert, Match, WireItem
from monitor.state.base import Store, StoryRecord

MIN_TITLE_TOKENS = 4

_WORD = re.compile(r"\w+")
# " - Reuters", " | BBC News", " — TASS": an outlet name appended by the republisher.
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—:]\s+([^-|–—:]{1,40})$")
_TATWEEL = "\u0640"


def _normalise_title_tokens(title: str) -> list[str]:
    text = unicodedata.normalize("NFKC", title)
    suffix = _OUTLET_SUFFIX.search(text)
    # Only drop a short tail: a long one is part of the headline, not an outlet name.
    if suffix and len(_WORD.findall(suffix.group(1))) <= 3:
        head = text[: suffix.start()]
        if len(_WORD.findall(head)) >= MIN_TITLE_TOKENS:
            text = head
    text = text.casefold().replace(_TATWEEL, "")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    tokens = []
    for token in _WORD.findall(unicodedata.normalize("NFC", stripped)):
        # Arabic-Indic and other decimal digits -> ASCII, so "٢٠٢٢" == "2022".
        tokens.append("".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in token))
    return tokens


def title_fingerprint(title: str) -> str | None:
    """``"title:" + sha256`` of the normalised title tokens, or None for short titles."""
    tokens = _normalise_title_tokens(title)
    if len(tokens) < MIN_TITLE_TOKENS:
        return None
    canonical = " ".join(sorted(set(tokens)))
    return "title:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def story_keys(item: WireItem) -> list[str]:
    """Every name the item's story goes by, the primary (``story_key``) first."""
    keys = []
    fingerprint = title_fingerprint(item.title)
    if fingerprint is not None:
        keys.append(fingerprint)
    keys.append(item.story)
    return keys


def story_key(item: WireItem) -> str:
    """The item's primary story key: its title fingerprint, else its story id."""
    return story_keys(item)[0]


def alert_id(watchlist: str, key: str) -> str:
    """Deterministic alert id: ``"alrt_" + sha256(watchlist + story_key)[:24]``."""
    # surrogatepass: an id with a lone surrogate (badly decoded feed) must still hash.
    data = (watchlist + key).encode("utf-8", "surrogatepass")
    return "alrt_" + hashlib.sha256(data).hexdigest()[:24]


def item_source(item: WireItem) -> str:
    """The outlet that carried the item: publisher, agency, URL, else where it was read."""
    return item.publisher or item.agency or item.url or item.source


def _iso_utc(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def decide(
    match: Match, item: WireItem, store: Store, *, window: float, now: float
) -> Alert | None:
    """A new Alert for a new (watchlist, story), else None (the outlet is recorded)."""
    keys = story_keys(item)
    source = item_source(item)
    for key in keys:
        record = store.get_story(match.watchlist, key)
        # Stores expire records by TTL; check the age too for stores that expire lazily.
        if record is None or now - record.first_seen >= window:
            continue
        if key == keys[0] and record.sources[:1] == (source,):
            # The item that raised this alert, processed again (a redelivered task, a
            # crash between deciding and delivering): the same alert, same id. The
            # delivery ledger drops what was already sent, so nothing goes out twice
            # and nothing decided is lost.
            return _alert(match, item, record.alert_id, source, record.first_seen)
        if source not in record.sources:
            record = StoryRecord(
                alert_id=record.alert_id,
                watchlist=record.watchlist,
                story_key=record.story_key,
                first_seen=record.first_seen,
                sources=(*record.sources, source),
                updates=record.updates + 1,
            )
        # The window runs from the first alert; re-putting must not extend it.
        remaining = max(record.first_seen + window - now, 1.0)
        for name in keys:
            store.put_story(_under(record, name), remaining)
        return None

    primary = keys[0]
    # The window's number keeps a story that comes back after the window from reusing
    # the old id (the ledger would drop it), while copies racing in the same window
    # still compute the same id.
    new_id = alert_id(match.watchlist, f"{primary}@{int(now // window)}")
    record = StoryRecord(
        alert_id=new_id,
        watchlist=match.watchlist,
        story_key=primary,
        first_seen=now,
        sources=(source,),
    )
    for name in keys:
        store.put_story(_under(record, name), window)
    return _alert(match, item, new_id, source, now)


def _alert(match: Match, item: WireItem, new_id: str, source: str, first_seen: float) -> Alert:
    return Alert(
        id=new_id,
        watchlist=match.watchlist,
        item=item,
        topics=match.topics,
        speakers=match.speakers,
        # SPEC 6: hits carry snippets; fill any the matcher left empty.
        hits=tuple(
            h if h.snippet else replace(h, snippet=snippet_text(item, h)) for h in match.hits
        ),
        story_id=item.story,
        sources=(source,),
        channels=match.channels,
        created_at=_iso_utc(first_seen),
    )


def _under(record: StoryRecord, key: str) -> StoryRecord:
    """The same record filed under another of the story's names."""
    return StoryRecord(
        alert_id=record.alert_id,
        watchlist=record.watchlist,
        story_key=key,
        first_seen=record.first_seen,
        sources=record.sources,
        updates=record.updates,
    )
