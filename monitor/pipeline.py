"""The stages composed: poll a feed, process an item, deliver an alert.

Both runners drive these functions: the embedded runner (``runner.py``) calls
them in one process; the Celery tasks in ``workers/`` call one each and pass
the results between processes as JSON. The functions take everything they use
as arguments (config, store, matcher, channels): nothing global.

I/O happens only through what is passed in (the store, the channels) and the
source readers (``sources.fetch``, ``sources.drop``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from monitor import metrics
from monitor.alerts.channels import Channel, DigestChannel, build_channel
from monitor.alerts.decide import decide_story, story_keys, with_story
from monitor.alerts.deliver import deliver_digest, deliver_each, ledger_payload, log_delivery
from monitor.alerts.digest import (
    RATE_HELD_DETAIL,
    digest_periods,
    due_channels,
    flush_periods,
    held_entry,
)
from monitor.alerts.keyversion import legacy_keys_due
from monitor.config.schema import Config, FeedConfig
from monitor.errors import ParseError, one_line
from monitor.jsontext import json_text
from monitor.logs import get_logger
from monitor.match.engine import Matcher, build_matcher
from monitor.model import Alert, DeliveryResult, Match, WireItem
from monitor.net.urls import display_url
from monitor.sources import cadence
from monitor.sources.access import FeedAccess
from monitor.sources.context import SourceContext
from monitor.sources.detect import MAX_INPUT, parse_bytes
from monitor.sources.drop import read_drop_file, scan_folder
from monitor.sources.fetch import fetch_feed
from monitor.sources.fetchpool import FetchPool, Outcome, host_key
from monitor.state import open_store
from monitor.state.base import (
    ERROR_STREAK_KEY,
    LAST_ERROR_AT_KEY,
    LAST_ERROR_KEY,
    LAST_POLL_KEY,
    LedgerEntry,
    QueuedItem,
    Store,
    StoryRecord,
)
from monitor.state.codec import chunks

log = get_logger(__name__)

# The seen ids and feed state of a feed removed from the config are forgotten once it
# has not been polled for ``settings.seen_retention`` (so a feed removed by mistake and
# put back keeps its seen ids). The runners sweep at start and then this often, taking
# this many feeds per store call.
REMOVED_FEEDS_SWEEP_EVERY = 86400.0
REMOVED_FEEDS_BATCH = 500
# Feed-state key of a document read in batches (``sources.context.EntryBatch``): the
# offset of its next batch and which document it is (a drop file's key, a URL's digest).
ENTRY_BATCH_KEY = "entry_batch"
# the ledger detail of a delivery whose channel a reload removed (``deliver_alerts``)
REMOVED_CHANNEL_DETAIL = "channel removed from the config"


@dataclass
class PollResult:
    """What one poll found. Nothing is remembered until ``commit_poll`` runs,
    which the caller does only after the items were queued or processed, so a
    crash in between re-reads them instead of losing them."""

    feed_id: str
    items: list[WireItem] = field(default_factory=list)
    seen_keys: list[str] = field(default_factory=list)  # item ids and drop-file keys
    feed_state: dict[str, str] = field(default_factory=dict)  # conditional-GET validators
    warnings: list[str] = field(default_factory=list)
    # Seen-set retention: every id and drop-file key this read listed, new or not (their
    # last-seen time is refreshed); whether the read listed the whole feed or folder
    # (not a 304, nor a malformed, truncated or capped feed, nor an unreadable file);
    # and the cutoff before which absent ids are forgotten (None, trim nothing, unless
    # complete).
    present_keys: list[str] = field(default_factory=list)
    complete: bool = False
    polled_at: float | None = None  # unix seconds; set by poll_feed
    forget_before: float | None = None
    # Seconds until the feed's next poll (``sources.cadence``): adapted for a URL (and
    # put in ``feed_state`` too, so it outlives the process), the feed's ``every`` for a
    # drop folder. ``fresh_for``: the server's Cache-Control max-age, less Age.
    interval: float = 0.0
    fresh_for: float | None = None
    # A document was read only up to a batch (``ENTRY_BATCH_KEY``): poll again at once.
    more: bool = False


@dataclass
class Runtime:
    """Per-process resources, built once at start and passed to the stages."""

    config: Config
    store: Store
    matcher: Matcher
    channels: dict[str, Channel]

    @classmethod
    def build(
        cls, config: Config, *, distributed: bool = False, matcher: Matcher | None = None
    ) -> Runtime:
        """``matcher``: one already built for ``config`` (``monitor.warmup``)."""
        return cls(
            config=config,
            store=open_store(config.settings, distributed=distributed),
            matcher=matcher or build_matcher(config),
            channels=build_channels(config),
        )

    def reconfigured(self, config: Config) -> Runtime:
        """This runtime on a reloaded ``config``: the same store (its settings are kept,
        ``config.reload.RESTART_ONLY``), the matcher and channels built again once."""
        return Runtime(
            config=config,
            store=self.store,
            matcher=build_matcher(config),
            channels=build_channels(config),
        )

    def close(self) -> None:
        self.store.close()


def build_channels(config: Config) -> dict[str, Channel]:
    return {
        name: build_channel(name, channel, config.settings)
        for name, channel in config.channels.items()
    }


def poll_feed(
    feed: FeedConfig,
    config: Config,
    store: Store,
    *,
    now: datetime,
    timeout: float | None = None,
) -> PollResult:
    """Read one feed or drop folder and return the items not seen before.

    A feed that cannot be fetched or parsed raises (``FetchError``, transient or not,
    or ``ParseError``); one bad file in a drop folder is
    a warning and the others are still read. ``PollResult.interval`` says when to poll
    it next (``sources.cadence``); ``commit_poll`` stores a URL's in its feed state.
    ``timeout`` shortens ``settings.fetch_timeout`` (a task's time limit).
    """
    state: dict[str, str] = {}
    if feed.path is not None:
        result = _poll_folder(feed, Path(feed.path), store, now=now)
    else:
        state = store.get_feed_state(feed.id)
        result = _poll_url(feed, config, state, store, now=now, timeout=timeout)
    result.polled_at = now.timestamp()
    result.present_keys.extend(item.id for item in result.items)
    if result.complete:
        result.forget_before = result.polled_at - config.settings.seen_retention
    fresh = set(store.seen_filter(feed.id, [item.id for item in result.items]))
    new_items: list[WireItem] = []
    for item in result.items:
        if item.id in fresh:
            fresh.discard(item.id)  # a duplicate inside one poll counts once
            new_items.append(item)
    result.items = new_items
    result.seen_keys.extend(item.id for item in new_items)
    if feed.path is None:
        current = cadence.current_interval(state, feed.every)
        result.interval = cadence.next_interval(
            feed.every, current, new_items=bool(new_items), fresh_for=result.fresh_for
        )
        result.feed_state[cadence.INTERVAL_KEY] = repr(result.interval)
    else:
        # A drop folder is scanned every `every`: a local listing is cheap, and a wire
        # dropped there must not wait for an interval stretched by a quiet night.
        result.interval = feed.every
    if result.more:
        result.interval = 0.0  # the document's next batch: at once
    return result


def poll_feeds(
    feeds: Iterable[FeedConfig],
    config: Config,
    store: Store,
    pool: FetchPool,
    *,
    now: datetime,
    deadline: float | None = None,
) -> Iterator[Outcome[FeedConfig, PollResult]]:
    """``poll_feed`` for many feeds at once in ``pool`` (per-host limits), each outcome
    as it completes: a ``PollResult``, the error ``poll_feed`` raised, or skipped when
    not started by ``deadline`` (``time.monotonic()``). No fetch outlasts the deadline."""

    def poll(feed: FeedConfig) -> PollResult:
        timeout = None if deadline is None else max(0.1, deadline - time.monotonic())
        with metrics.stage("poll"):
            return poll_feed(feed, config, store, now=now, timeout=timeout)

    return pool.run(feeds, poll, lambda feed: host_key(feed.url), deadline=deadline)


def commit_poll(result: PollResult, store: Store) -> None:
    """Remember what a poll found, once its items are safely queued or processed.

    Then keep the seen-set bounded the way feed readers do: an id is forgotten only
    when the feed's latest complete read no longer lists it AND it was last listed
    more than ``settings.seen_retention`` ago, so an item a feed keeps in its window
    for months is never queued again.
    """
    now = result.polled_at if result.polled_at is not None else utcnow().timestamp()
    if result.seen_keys:
        store.mark_seen(result.feed_id, result.seen_keys, now=now)
    if result.present_keys or result.forget_before is not None:
        forgotten = store.refresh_seen(
            result.feed_id,
            result.present_keys,
            now=now,
            forget_before=result.forget_before,
        )
        if forgotten:
            log.info("seen_trimmed", feed=result.feed_id, forgotten=forgotten)
    # Every successful poll, 304 included, records its time: a feed whose items are all
    # still seen yet long unpolled is one removed from the config (forget_removed_feeds).
    state = store.get_feed_state(result.feed_id)
    state.update(result.feed_state)
    state[LAST_POLL_KEY] = repr(now)
    if state.get(ERROR_STREAK_KEY, "0") != "0":
        state[ERROR_STREAK_KEY] = "0"  # failures in a row: none now (the last error stays)
    store.set_feed_state(result.feed_id, state)


def record_poll_failure(feed_id: str, error: str, store: Store, *, now: float) -> int:
    """Keep a failed poll in the feed state (``monitor feeds status`` shows it): the
    error, its time and the failures in a row, which this returns."""
    state = store.get_feed_state(feed_id)
    try:
        streak = int(state.get(ERROR_STREAK_KEY) or 0) + 1
    except ValueError:  # written by something else: start counting again
        streak = 1
    state.update(
        {
            LAST_ERROR_KEY: one_line(error, 300),
            LAST_ERROR_AT_KEY: repr(now),
            ERROR_STREAK_KEY: str(streak),
        }
    )
    store.set_feed_state(feed_id, state)
    return streak


def removed_feeds(activity: Mapping[str, float], config: Config, *, now: float) -> list[str]:
    """The feed ids in ``activity`` (``Store.feed_activity``: feed id -> last known poll)
    that the config no longer has and that nobody has polled for longer than
    ``settings.seen_retention``, sorted. Pure."""
    configured = {feed.id for feed in config.feeds}
    idle_before = now - config.settings.seen_retention
    return sorted(
        feed_id
        for feed_id, last in activity.items()
        if feed_id not in configured and last < idle_before
    )


def forget_removed_feeds(config: Config, store: Store, *, now: float) -> list[str]:
    """Forget the seen ids and feed state of feeds ``removed_feeds`` lists; return them.

    The store checks each feed's activity again as it deletes, so a feed another process
    (with a newer config) polled in between keeps everything.
    """
    gone = removed_feeds(store.feed_activity(), config, now=now)
    forgotten: list[str] = []
    for batch in chunks(gone, REMOVED_FEEDS_BATCH):
        forgotten.extend(
            store.forget_feeds(batch, idle_before=now - config.settings.seen_retention)
        )
    if forgotten:
        log.info("removed_feeds_forgotten", feeds=forgotten)
    return forgotten


def record_queued(items: list[WireItem], store: Store, *, now: float) -> None:
    """Remember the items a poll is about to queue (distributed runner), in one write.

    Called before the items are queued and marked seen: a queue message the broker loses
    (kombu's Redis transport pops it and records it as unacked in two commands) leaves
    the record behind, and the poller queues the item again (``workers.schedule``).
    ``finish_queued`` removes the record once the item is processed.
    """
    if not items:
        return  # most polls find nothing new: no write
    store.put_queued(
        [
            # JSON text: half the size of escaped JSON for Arabic or Russian, and faster
            # to read back; escaped for an item with a lone surrogate (badly decoded)
            QueuedItem(*queued_key(item), json_text(item.to_dict()), now)
            for item in items
        ]
    )


def queued_key(item: WireItem) -> tuple[str, str]:
    """The ``(feed_id, item_id)`` of the item's queued record."""
    return (item.feed_id or "", item.id)


def finish_queued(item: WireItem, store: Store) -> None:
    """The item is processed (its deliveries are recorded): forget its queued record."""
    store.remove_queued(*queued_key(item))


def forget_dead_queued(config: Config, store: Store, *, now: float) -> int:
    """Forget the queued items given up on (dead) more than ``settings.seen_retention``
    ago; return how many. The dead list is for a human to look at (``monitor items
    dead``); kept for as long as the seen ids, it stays bounded however long the poller
    runs. The poller calls this in its sweep: a range read of an index when nothing
    is old enough."""
    forgotten = store.forget_dead_queued(dead_before=now - config.settings.seen_retention)
    if forgotten:
        log.info("dead_queued_forgotten", items=forgotten)
    return forgotten


def _context(
    feed: FeedConfig, source: str, now: datetime, headers: Mapping[str, str] | None = None
) -> SourceContext:
    return SourceContext(
        source=source,
        feed_id=feed.id,
        language=feed.language,
        tags=tuple(feed.tags),
        headers=dict(headers or {}),
        fetched_at=now,
    )


def _stamp(items: list[WireItem], feed: FeedConfig, now: datetime) -> list[WireItem]:
    """Tag items with the feed they came through (parsers may not know it)."""
    return [
        dataclasses.replace(
            item,
            feed_id=feed.id,
            tags=tuple(feed.tags),
            fetched_at=item.fetched_at or now.isoformat(),
        )
        for item in items
    ]


def _poll_folder(feed: FeedConfig, folder: Path, store: Store, *, now: datetime) -> PollResult:
    result = PollResult(feed_id=feed.id)
    if not folder.is_dir():
        raise ParseError(f"feed {feed.id}: drop folder {folder} does not exist")
    files = scan_folder(folder)
    file_keys = {f"file:{dropped.key}": dropped for dropped in files}
    # A file still in the folder stays seen however old: its key is refreshed every poll,
    # so it is never re-read. The ids of the items in it are refreshed only when a file
    # is read; an unchanged file's items may expire, which is harmless while the file key
    # stands (only a rewrite, which is a new key, reads them again).
    result.present_keys.extend(file_keys)
    progress = _batch_progress(store.get_feed_state(feed.id))
    unread = store.seen_filter(feed.id, list(file_keys))
    # the document being read in batches first, so its progress is not overwritten
    unread.sort(key=lambda key: progress is None or key != progress[0])
    for key in unread:
        dropped = file_keys[key]
        ctx = _context(feed, str(dropped.path), now)
        ctx.batch.start = progress[1] if progress is not None and progress[0] == key else 0
        try:
            items = parse_bytes(read_drop_file(dropped, MAX_INPUT), ctx)
        except (ParseError, OSError) as exc:
            problem = str(exc) if isinstance(exc, ParseError) else f"{dropped.path}: {exc}"
            result.warnings.append(problem)
            log.warning("drop_file_unreadable", feed=feed.id, file=str(dropped.path), error=problem)
        else:
            result.items.extend(_stamp(items, feed, now))
        result.warnings.extend(ctx.warnings)
        if ctx.batch.more:
            # The rest of the document is the next poll's, due at once; the file is seen
            # only after its last batch (a crash re-reads a batch: its ids are seen).
            result.feed_state[ENTRY_BATCH_KEY] = f"{ctx.batch.end} {key}"
            result.more = True
            break
        if progress is not None and progress[0] == key:
            result.feed_state[ENTRY_BATCH_KEY] = ""
        # A file is re-read only when it changes (the key holds size and mtime).
        result.seen_keys.append(key)
    result.complete = not result.warnings and not result.more
    return result


_DONE = "done"  # ENTRY_BATCH_KEY of a URL's document read to its end: "done DIGEST"
_ALL_READ = 2**62  # a batch start past any document's end


def _batch_progress(state: Mapping[str, str]) -> tuple[str, int] | None:
    """The document being read in batches and the offset of its next batch, if any
    (feed state ``ENTRY_BATCH_KEY``: ``"OFFSET DOCUMENT"``)."""
    offset, _, document = state.get(ENTRY_BATCH_KEY, "").partition(" ")
    if not document or not offset.isdigit():
        return None
    return document, int(offset)


def _poll_url(
    feed: FeedConfig,
    config: Config,
    state: Mapping[str, str],
    store: Store,
    *,
    now: datetime,
    timeout: float | None = None,
) -> PollResult:
    assert feed.url is not None
    result = PollResult(feed_id=feed.id)
    limit = config.settings.fetch_timeout
    fetched = fetch_feed(
        feed.url,
        etag=state.get("etag"),
        last_modified=state.get("last_modified"),
        timeout=limit if timeout is None else min(limit, timeout),
        max_bytes=config.settings.max_feed_bytes,
        allow_private=feed.allow_private or config.settings.allow_private_networks,
        access=FeedAccess.of(feed, config.environment_proxies),
    )
    validators = {"etag": fetched.etag or "", "last_modified": fetched.last_modified or ""}
    result.feed_state = {key: value for key, value in validators.items() if value}
    result.fresh_for = cadence.fresh_for(fetched.headers)
    if fetched.status == 304:
        return result
    # display_url: a token in the feed URL must not reach errors, warnings or items.
    ctx = dataclasses.replace(
        _context(feed, display_url(feed.url), now, fetched.headers),
        # entries seen before are not made into items again, only listed as present
        unseen=lambda ids: store.seen_filter(feed.id, ids),
    )
    # A document read in batches goes on from its next batch even if it changed in
    # between (a feed that differs on every fetch must still come to an end; entries
    # shifted by new ones on top are seen ids, skipped), and is known by its digest
    # once done: the same one again is read no further; a changed one, or one that
    # changed during its batches, starts over.
    document = "sha256:" + hashlib.sha256(fetched.content).hexdigest()
    marker = state.get(ENTRY_BATCH_KEY, "")
    progress = _batch_progress(state)
    finished = marker == f"{_DONE} {document}"
    if finished:
        ctx.batch.start = _ALL_READ
    elif progress is not None:
        ctx.batch.start = progress[1]
    result.items = _stamp(parse_bytes(fetched.content, ctx), feed, now)
    result.present_keys.extend(ctx.skipped)
    result.warnings.extend(ctx.warnings)
    if ctx.batch.more:
        # The next batch needs the whole document again: no conditional GET until done.
        result.feed_state = {
            "etag": "",
            "last_modified": "",
            ENTRY_BATCH_KEY: f"{ctx.batch.end} {document}",
        }
        result.more = True
    elif progress is not None and progress[0] != document:
        # changed during the batches: entries new on top were before the offset, so
        # the next poll reads it from its start
        result.feed_state[ENTRY_BATCH_KEY] = ""
    elif progress is not None or ctx.batch.total > ctx.batch.size:
        result.feed_state[ENTRY_BATCH_KEY] = f"{_DONE} {document}"
    # Parsers warn only when they kept part of a document (malformed, truncated, capped):
    # the ids missing from such a read may still be in the feed, so nothing is trimmed;
    # nor after a read that skipped a finished document's entries.
    result.complete = not ctx.warnings and not result.more and not finished
    return result


class ItemOutcome(NamedTuple):
    """What processing one item found: its matches and the alerts it raised (again, for
    an item processed twice: ``decide.decide_story`` gives the same alert)."""

    item: WireItem
    matches: list[Match]
    alerts: list[Alert]
    # alerts raised before that this item, another outlet's copy, added to
    additions: list[StoryRecord]


def process_item(
    item: WireItem, matcher: Matcher, store: Store, config: Config, *, now: datetime
) -> list[Alert]:
    """Match one item against every watchlist and decide which alerts to raise."""
    return decide_item(item, matcher, store, config, now=now).alerts


def decide_item(
    item: WireItem, matcher: Matcher, store: Store, config: Config, *, now: datetime
) -> ItemOutcome:
    """``process_item``, with the matches (for the history)."""
    alerts: list[Alert] = []
    additions: list[StoryRecord] = []
    matches = matcher.match(item)
    keys: list[str] = []
    if matches:
        metrics.item_matched()
        window, at = config.settings.story_window, now.timestamp()
        keys = story_keys(item, legacy=legacy_keys_due(store, window=window, now=at))
    for match in matches:
        alert, added = decide_story(
            match, item, store, window=config.settings.story_window, now=now.timestamp(), keys=keys
        )
        if alert is not None:
            record_pending(alert, store, now=now, digests=digest_periods(config))
            alerts.append(alert)
        elif added is not None:
            record_addition(added, match.channels, store)
            additions.append(added)
    return ItemOutcome(item, matches, alerts, additions)


def record_addition(record: StoryRecord, channels: Iterable[str], store: Store) -> None:
    """Write a story's new outlets into the ledger payload of its alert where it was
    already sent, so ``monitor alerts list`` shows them after the story window too.

    Nothing is sent (docs/delivery.md: one alert per story). Only ``sent`` entries are rewritten:
    sent is final (no sender writes the entry again), so this read-then-write races with
    nobody; a delivery not yet sent takes the outlets from the story record when it goes
    (``decide.current_story``) and records them then. One being sent at this very moment
    may record what it read before this addition: ``monitor alerts list`` merges the story
    record too, so it shows the addition all the same while the story window lasts.
    """
    for entry in store.get_deliveries([(record.alert_id, name) for name in channels]):
        if entry is None or entry.status != "sent" or not entry.payload:
            continue
        try:
            alert = Alert.from_message(json.loads(entry.payload))
        except (ValueError, KeyError, TypeError):
            continue  # unreadable: left as it is, nothing depends on it any more
        current = with_story(alert, record)
        if current is not alert:
            store.put_delivery(dataclasses.replace(entry, payload=ledger_payload(current)))


def record_pending(
    alert: Alert, store: Store, *, now: datetime, digests: Mapping[str, float] | None = None
) -> None:
    """Write the alert to the ledger as pending on each channel before any send,
    so a crash between deciding and delivering loses nothing: the runner resumes
    pending entries at start, and ``monitor alerts retry`` re-sends them.

    On a digest channel (``digests``: channel -> period) the alert is ``held`` instead,
    until ``flush_digests`` sends it in that channel's next digest.
    """
    payload = ledger_payload(alert)
    known = store.get_deliveries([(alert.id, name) for name in alert.channels])
    entries: list[LedgerEntry] = []
    for name, previous in zip(alert.channels, known, strict=True):
        if previous is None:
            period = (digests or {}).get(name)
            if period is not None:
                entry = held_entry(alert.id, name, payload, period=period, now=now.timestamp())
            else:
                entry = LedgerEntry(
                    alert.id, name, "pending", 0, "queued", now.timestamp(), payload
                )
            entries.append(entry)
    store.put_deliveries(entries)  # one round trip for every channel


def immediate_channels(alert: Alert, config: Config) -> list[str]:
    """The alert's channels that send at once (not digest channels)."""
    digests = digest_periods(config)
    return [name for name in alert.channels if name not in digests]


def deliver_alerts(
    alerts: list[Alert],
    channels: Mapping[str, Channel],
    store: Store,
    config: Config,
    *,
    now: datetime,
    only: str | None = None,
    attempt: int = 1,
    lease: float | None = None,
) -> list[DeliveryResult]:
    """Send each alert to each of its channels (or to ``only``); one result per alert
    and channel. ``lease``: see ``alerts.deliver.deliver_each`` (the distributed
    runner's send lease).

    A channel at a time: a channel's alerts (a poll's new ones) go together
    (``deliver_each``: the ledger read once, the file channel's one write and fsync).
    Results channel by channel, in the order the alerts name the channels, and in the
    alerts' order within a channel. Channels are independent: one failing does not
    delay or repeat the others. On a digest channel an alert is held for
    ``flush_digests`` instead (an entry still pending, from before the channel had
    ``digest:``, is held too) and has no result.
    """
    digests = digest_periods(config)
    going: dict[str, list[Alert]] = {}
    for alert in alerts:
        for name in alert.channels:
            if only is not None and name != only:
                continue
            if name in digests:
                _hold(alert, name, store, period=digests[name], now=now)
                continue
            if name not in channels:
                _drop_for_removed_channel(alert, name, store, now=now)
                continue
            if attempt == 1 and not _within_rate(alert, name, store, config, now=now):
                continue
            going.setdefault(name, []).append(alert)
    results: list[DeliveryResult] = []
    for name, group in going.items():
        for result in deliver_each(
            group,
            channels[name],
            store,
            attempt=attempt,
            max_attempts=config.settings.delivery_attempts,
            now=now.timestamp(),
            lease=lease,
        ):
            log_delivery(result)
            results.append(result)
    return results


def dead_already(alert_ids: Sequence[str], channel: str, attempt: int, store: Store) -> set[str]:
    """Those of ``alert_ids`` whose delivery task for ``attempt`` on ``channel`` is a
    stale copy of one already dead-lettered: the poller's sweep queued it again while
    the first copy was still waiting in the queue, and that copy has since failed for
    good. Sending it would hit a receiver that refused it (a 400) once more. ``monitor
    alerts retry`` sends dead letters on purpose, without a task, so it is not stopped by
    this. The ledger is read once for all of them."""
    previous = store.get_deliveries([(alert_id, channel) for alert_id in alert_ids])
    dead = {
        entry.alert_id
        for entry in previous
        if entry is not None and entry.status == "dead" and attempt <= entry.attempts
    }
    for alert_id in sorted(dead):
        reason = "dead-lettered already"
        log.info("delivery_skipped", alert=alert_id, channel=channel, reason=reason)
    return dead


def _drop_for_removed_channel(alert: Alert, channel: str, store: Store, *, now: datetime) -> None:
    """The channel left the config (a reload) since the alert was decided: its retry,
    requeued delivery or held alert has nowhere to go. Recorded ``dead``, not left
    pending or held, which the poller's sweep would queue again every minute forever;
    dead, ``monitor alerts dead`` shows it and ``alerts retry`` re-sends it if the
    channel comes back."""
    previous = store.get_delivery(alert.id, channel)
    if previous is not None and previous.status in ("sent", "dead"):
        return  # settled already (a duplicate task): nothing to record
    store.put_delivery(
        LedgerEntry(
            alert_id=alert.id,
            channel=channel,
            status="dead",
            attempts=previous.attempts if previous is not None else 0,
            detail=REMOVED_CHANNEL_DETAIL,
            updated=now.timestamp(),
            payload=previous.payload
            if previous is not None and previous.payload
            else ledger_payload(alert),
        )
    )
    log.error("delivery_skipped", alert=alert.id, channel=channel, reason=REMOVED_CHANNEL_DETAIL)


def _hold(
    alert: Alert,
    channel: str,
    store: Store,
    *,
    period: float,
    now: datetime,
    detail: str | None = None,
) -> None:
    previous = store.get_delivery(alert.id, channel)
    if previous is not None and previous.status != "pending":
        return  # held already, or settled
    payload = previous.payload if previous else ledger_payload(alert)
    entry = held_entry(alert.id, channel, payload, period=period, now=now.timestamp())
    store.put_delivery(entry if detail is None else dataclasses.replace(entry, detail=detail))


def _within_rate(
    alert: Alert, channel: str, store: Store, config: Config, *, now: datetime
) -> bool:
    """Whether the first attempt of ``alert`` on ``channel`` may go now: the channel has
    no ``rate_limit``, or its bucket (``Store.take_token``, shared by every worker) gave a
    token. Otherwise the alert is held for the channel's next digest, never dropped."""
    limit = config.channels[channel].rate_limit
    if limit is None:
        return True
    previous = store.get_delivery(alert.id, channel)
    if previous is not None and previous.status != "pending":
        return True  # sent or settled already: ``deliver_each`` says so, and takes no token
    count, period = limit
    if store.take_token(f"channel:{channel}", count, period, now=now.timestamp()):
        return True
    _hold(alert, channel, store, period=period, now=now, detail=RATE_HELD_DETAIL)
    log.info("delivery", alert=alert.id, channel=channel, status="held", detail=RATE_HELD_DETAIL)
    return False


def held_without_digest(store: Store, config: Config) -> list[LedgerEntry]:
    """Alerts held for a channel that no longer has ``digest:`` (the config changed):
    they are sent one by one, like pending deliveries, rather than held forever."""
    digests = flush_periods(config)
    return [entry for entry in store.list_deliveries("held") if entry.channel not in digests]


def flush_digests(
    channels: Mapping[str, Channel],
    store: Store,
    config: Config,
    *,
    now: datetime,
    only: str | None = None,
) -> list[DeliveryResult]:
    """Send the digest of every digest channel (or of ``only``) that is due; one result
    per alert sent, retried or dead-lettered. Safe to call often and from several
    processes at once: ``Store.claim_held`` hands each held alert to one caller. The
    runner calls it every tick: one index read per digest channel (``Store.earliest_held``)
    says which are due, and only those are claimed."""
    results: list[DeliveryResult] = []
    names = [
        name
        for name in flush_periods(config)
        if (only is None or name == only) and isinstance(channels.get(name), DigestChannel)
    ]
    if not names:
        return results
    for name in due_channels(store.earliest_held(names), now.timestamp()):
        channel = channels[name]
        assert isinstance(channel, DigestChannel)
        sent = deliver_digest(
            channel,
            store,
            max_attempts=config.settings.delivery_attempts,
            now=now.timestamp(),
        )
        for result in sent:
            log_delivery(result, digest=len(sent))
        results += sent
    return results


def utcnow() -> datetime:
    return datetime.now(UTC)
