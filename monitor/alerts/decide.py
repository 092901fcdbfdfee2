"""Story grouping: turn a (match, item) pair into a new Alert, or into nothing.

Pure apart from the Store it is handed (the story index); no network, no clock
(``now`` is passed in). One alert per (watchlist, story) within the story window:
republications and updates only add their outlet to the story record.

Story keys
----------
An item may belong to a story under several names:

* its **title fingerprint**, ``"title:" + sha256(normalised title tokens)``, used when
  the title has at least ``MIN_TITLE_TOKENS`` tokens. Normalisation is NFKC, casefold,
  accents/tashkeel/tatweel removed, digits made ASCII, a trailing `` - Outlet`` /
  `` | Outlet`` suffix dropped, and the tokens sorted and de-duplicated, so the same
  story republished by another outlet (different id, same or near-same title) groups.
  Short titles ("Update", "Breaking news") are too common to group on.
* its **story id**, ``item.story_id or item.id`` (wire updates and corrections share it).
* its **body keys**, ``"body2:<band>:<hash>"`` (``nearbody.body_keys``): MinHash LSH
  bands of the body's lead, so a republication with a rewritten headline (an intro
  line added, the last paragraph cut) still groups, while another story on the same
  topic does not. Bodies under ``nearbody.MIN_WORDS`` words have none.

``story_key(item)`` is the first of these (the fingerprint when there is one) and the
alert id derives from it, so two workers racing on two copies of one story compute
the same alert id and the delivery ledger drops the second. ``decide`` looks the story
up under every name of the item, so an update whose title changed still finds its
alert through the story id, and a republication finds it through the title; each new
name is then recorded so later copies find it too. Body keys are extra lookup keys
only: the primary key, hence every alert id, is what it was without them.

Deciding the item that raised an alert again (a redelivered task) returns the same
alert, so a crash between deciding and delivering loses nothing; the delivery ledger
keeps a channel from getting it twice. Otherwise, when a story is already known
within the window, ``decide`` returns ``None`` and adds
the item's outlet to ``StoryRecord.sources`` (docs/delivery.md: "adds to the alert already
sent"). It does not send an update alert: the record keeps the outlets for display
("also carried by ...") and counts the additions in ``updates``. The record filed
under the alert's primary name (``StoryRecord.primary``) is rewritten on every
addition, so ``current_story`` finds the latest outlets from the alert alone: a
delivery not yet sent (pending, held for a digest, retrying) goes out with them, and
``pipeline.process_item`` writes them into the ledger of a delivery already sent
(``monitor alerts list`` shows them).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache

from monitor.alerts.nearbody import body_keys, legacy_body_keys
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


# an alerting item's title is fingerprinted when it is decided and again when it is sent
# (``current_story``), once per watchlist it matches
@lru_cache(maxsize=1024)
def title_fingerprint(title: str) -> str | None:
    """``"title:" + sha256`` of the normalised title tokens, or None for short titles."""
    tokens = _normalise_title_tokens(title)
    if len(tokens) < MIN_TITLE_TOKENS:
        return None
    canonical = " ".join(sorted(set(tokens)))
    return "title:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def story_keys(item: WireItem, *, legacy: bool = False) -> list[str]:
    """Every name the item's story goes by, the primary (``story_key``) first, then the
    story id and the body's near-duplicate keys (``nearbody.body_keys``); ``legacy``:
    an earlier release's body keys too (``keyversion.legacy_keys_due``)."""
    keys = []
    fingerprint = title_fingerprint(item.title)
    if fingerprint is not None:
        keys.append(fingerprint)
    keys.append(item.story)
    keys.extend(body_keys(item.body))
    if legacy:
        keys.extend(legacy_body_keys(item.body))
    return keys


def story_key(item: WireItem) -> str:
    """The item's primary story key: its title fingerprint, else its story id."""
    return title_fingerprint(item.title) or item.story


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
    match: Match,
    item: WireItem,
    store: Store,
    *,
    window: float,
    now: float,
    keys: list[str] | None = None,
) -> Alert | None:
    """A new Alert for a new (watchlist, story), else None (the outlet is recorded).
    ``keys``: the item's ``story_keys``, when the caller has them already."""
    return decide_story(match, item, store, window=window, now=now, keys=keys)[0]


def decide_story(
    match: Match,
    item: WireItem,
    store: Store,
    *,
    window: float,
    now: float,
    keys: list[str] | None = None,
) -> tuple[Alert | None, StoryRecord | None]:
    """``decide``, and the story record when this item added to an alert raised before
    (its outlet or an update): the caller shows the addition on that alert's ledger."""
    keys = story_keys(item) if keys is None else keys
    source = item_source(item)
    # Every name at once (one round trip on Redis); the first that holds a live record wins.
    stored = store.get_stories(match.watchlist, keys)
    for key, found in zip(keys, stored, strict=True):
        record = _live(found, window=window, now=now)
        if record is None:
            continue
        if key == keys[0] and record.sources[:1] == (source,):
            # The item that raised this alert, processed again (a redelivered task, a
            # crash between deciding and delivering): the same alert, same id. The
            # delivery ledger drops what was already sent, so nothing goes out twice
            # and nothing decided is lost.
            return _alert(match, item, record.alert_id, source, record.first_seen), None
        # A name other than the alert's primary one may hold an older record (it is
        # rewritten only when an item going by it comes); the primary is kept current.
        if record.primary and record.primary != key:
            current = _live(
                store.get_story(match.watchlist, record.primary), window=window, now=now
            )
            if current is not None and current.alert_id == record.alert_id:
                record = _merged(record, current)
        added = source not in record.sources
        if added:
            record = replace(record, sources=(*record.sources, source), updates=record.updates + 1)
        # The window runs from the first alert; re-putting must not extend it.
        remaining = max(record.first_seen + window - now, 1.0)
        names = [*keys, record.primary] if record.primary not in keys else keys
        store.put_stories(_filed_under(record, [name for name in names if name]), remaining)
        return None, record if added else None

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
        primary=primary,
    )
    store.put_stories(_filed_under(record, keys), window)
    return _alert(match, item, new_id, source, now), None


def _filed_under(record: StoryRecord, names: list[str]) -> list[StoryRecord]:
    """The record once per name (built directly: ``dataclasses.replace`` per name was a
    measurable share of an alerting item)."""
    r = record
    return [
        StoryRecord(
            alert_id=r.alert_id,
            watchlist=r.watchlist,
            story_key=name,
            first_seen=r.first_seen,
            sources=r.sources,
            updates=r.updates,
            primary=r.primary,
        )
        for name in names
    ]


def _live(record: StoryRecord | None, *, window: float, now: float) -> StoryRecord | None:
    # Stores expire records by TTL; check the age too for stores that expire lazily.
    if record is None or now - record.first_seen >= window:
        return None
    return record


def _merged(record: StoryRecord, other: StoryRecord) -> StoryRecord:
    """``record`` with the outlets and updates ``other`` (same alert) knows of too."""
    return replace(
        record,
        sources=_union(record.sources, other.sources),
        updates=max(record.updates, other.updates),
    )


def current_story(alert: Alert, store: Store) -> Alert:
    """The alert with the outlets and updates its story gathered since it was decided.

    Called at send time (``deliver_each``, ``deliver_digest``): a delivery still pending,
    held for a digest or retrying carries what the story record knows when it goes,
    whichever process sends it and from wherever it was rebuilt (a task argument, the
    ledger). The record is looked up under the alert's primary name, which every
    addition rewrites; once the story window is over there is none and the alert stays
    as it is.
    """
    record = store.get_story(alert.watchlist, story_key(alert.item))
    return alert if record is None else with_story(alert, record)


def with_story(alert: Alert, record: StoryRecord) -> Alert:
    """The alert with the record's outlets after its own and its updates count; the same
    object when the record adds nothing or is another alert's."""
    if record.alert_id != alert.id:
        return alert
    sources = _union(alert.sources, record.sources)
    update = max(alert.update, record.updates)
    if sources == alert.sources and update == alert.update:
        return alert
    return replace(alert, sources=sources, update=update)


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _alert(match: Match, item: WireItem, new_id: str, source: str, first_seen: float) -> Alert:
    return Alert(
        id=new_id,
        watchlist=match.watchlist,
        item=item,
        topics=match.topics,
        speakers=match.speakers,
        # docs/delivery.md: hits carry snippets; fill any the matcher left empty.
        hits=tuple(
            h if h.snippet else replace(h, snippet=snippet_text(item, h)) for h in match.hits
        ),
        story_id=item.story,
        sources=(source,),
        channels=match.channels,
        created_at=_iso_utc(first_seen),
    )
