"""Feeds that have gone quiet against their own rhythm, or keep failing: an alert to the
``settings.ops_channel`` (Superdesk's "gone strangely quiet").

``assess`` is pure: from a feed's state (kept in its feed state in the store, beside its
ETag) and one poll's outcome it returns the new state and the episodes that just began.
A feed is *quiet* once it has brought new items at least ``MIN_ARRIVALS`` times and then
nothing for longer than both ``settings.feed_quiet_after`` and ``QUIET_FACTOR`` times its
usual gap between new items; it is *failing* once its polls have failed without a
success for ``settings.feed_failing_after``. Each episode raises one alert, whose id
names the feed and when the episode began; a new item (quiet) or a successful poll
(failing) ends it, and the next one raises a new alert.

``check_feed`` is what the runners call after each poll: nothing at all without
``settings.ops_channel``; otherwise one feed-state read and, when it changed, one write,
and the alerts recorded pending in the ledger for the caller to deliver like any other
(retries, dead letters, once per channel).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from monitor.alerts.digest import digest_periods
from monitor.config.schema import Config
from monitor.logs import get_logger
from monitor.model import Alert, WireItem
from monitor.pipeline import record_pending
from monitor.state.base import Store

log = get_logger(__name__)

OPS_WATCHLIST = "ops"
QUIET_FACTOR = 4.0
MIN_ARRIVALS = 3
_GAP_WEIGHT = 0.3  # of the newest gap in the running mean of gaps between new items

# feed-state keys (strings, as the stores keep them)
NEW_AT = "ops_new_at"  # when a poll last brought new items
GAP = "ops_gap"  # running mean of the gaps between such polls
ARRIVALS = "ops_arrivals"
FAIL_SINCE = "ops_fail_since"  # the first failure of the current streak
RAISED_QUIET = "ops_quiet"  # the episode (its NEW_AT) already alerted
RAISED_FAILING = "ops_failing"  # the episode (its FAIL_SINCE) already alerted

Kind = Literal["quiet", "failing"]


@dataclass(frozen=True)
class Episode:
    kind: Kind
    feed_id: str
    since: float  # unix seconds: the last new item (quiet), the first failure (failing)
    detail: str


def _number(state: Mapping[str, str], key: str) -> float | None:
    try:
        return float(state[key])
    except (KeyError, ValueError):
        return None


def assess(
    feed_id: str,
    state: Mapping[str, str],
    *,
    now: float,
    ok: bool,
    new_items: int = 0,
    error: str = "",
    quiet_after: float,
    failing_after: float,
) -> tuple[dict[str, str], list[Episode]]:
    """The feed's ops keys after one poll, and the episodes it begins. Pure."""
    keys = (NEW_AT, GAP, ARRIVALS, FAIL_SINCE, RAISED_QUIET, RAISED_FAILING)
    new = {key: state[key] for key in keys if key in state}
    episodes: list[Episode] = []
    if not ok:
        since = _number(new, FAIL_SINCE)
        if since is None:
            since = now
            new[FAIL_SINCE] = repr(now)
        if now - since >= failing_after and new.get(RAISED_FAILING) != new[FAIL_SINCE]:
            new[RAISED_FAILING] = new[FAIL_SINCE]
            hours = (now - since) / 3600
            detail = f"every poll for {hours:.1f}h has failed; last error: {error}"
            episodes.append(Episode("failing", feed_id, since, detail))
        return new, episodes
    for key in (FAIL_SINCE, RAISED_FAILING):
        new.pop(key, None)
    last = _number(new, NEW_AT)
    if new_items:
        arrivals = int(_number(new, ARRIVALS) or 0) + 1
        if last is not None:
            latest = now - last
            mean = _number(new, GAP)
            new[GAP] = repr(latest if mean is None else mean + _GAP_WEIGHT * (latest - mean))
        new[ARRIVALS] = str(arrivals)
        new[NEW_AT] = repr(now)
        new.pop(RAISED_QUIET, None)
        return new, episodes
    gap = _number(new, GAP)
    if last is None or gap is None or int(_number(new, ARRIVALS) or 0) < MIN_ARRIVALS:
        return new, episodes  # no rhythm known yet
    silence = now - last
    if silence > max(quiet_after, QUIET_FACTOR * gap) and new.get(RAISED_QUIET) != new[NEW_AT]:
        new[RAISED_QUIET] = new[NEW_AT]
        detail = f"no new item for {_span(silence)}, where it brought one every {_span(gap)} or so"
        episodes.append(Episode("quiet", feed_id, last, detail))
    return new, episodes


def _span(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f}h"
    if seconds >= 90:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"


def episode_alert(episode: Episode, channel: str, *, now: float) -> Alert:
    """The alert of one episode; its id is stable, so a repeat is the ledger's to drop."""
    title = (
        f"Feed {episode.feed_id} has gone quiet"
        if episode.kind == "quiet"
        else f"Feed {episode.feed_id} keeps failing"
    )
    alert_id = f"ops_{episode.kind}_{episode.feed_id}_{int(episode.since)}"
    created = datetime.fromtimestamp(now, UTC).isoformat()
    item = WireItem(
        id=alert_id,
        title=title,
        body=f"{title}: {episode.detail}.",
        source="monitor feed health",
        language="en",
        published=created,
        feed_id=episode.feed_id,
    )
    return Alert(
        id=alert_id,
        watchlist=OPS_WATCHLIST,
        item=item,
        topics=(episode.kind,),
        speakers=(),
        hits=(),
        story_id=alert_id,
        sources=("monitor feed health",),
        channels=(channel,),
        created_at=created,
    )


def check_feed(
    feed_id: str,
    config: Config,
    store: Store,
    *,
    now: float,
    ok: bool,
    new_items: int = 0,
    error: str = "",
) -> list[Alert]:
    """After one poll of ``feed_id``: the ops alerts it raises, recorded pending in the
    ledger (the caller delivers them). Nothing without ``settings.ops_channel``."""
    settings = config.settings
    channel = settings.ops_channel
    if channel is None:
        return []
    state = store.get_feed_state(feed_id)
    ops, episodes = assess(
        feed_id,
        state,
        now=now,
        ok=ok,
        new_items=new_items,
        error=error,
        quiet_after=settings.feed_quiet_after,
        failing_after=settings.feed_failing_after,
    )
    if any(state.get(key) != value for key, value in ops.items()) or any(
        key.startswith("ops_") and key not in ops for key in state
    ):
        kept = {key: value for key, value in state.items() if not key.startswith("ops_")}
        store.set_feed_state(feed_id, {**kept, **ops})
    alerts = [episode_alert(episode, channel, now=now) for episode in episodes]
    for alert, episode in zip(alerts, episodes, strict=True):
        log.warning("feed_" + episode.kind, feed=feed_id, alert=alert.id, detail=episode.detail)
        # a digest channel holds it for its next digest, like any alert
        record_pending(
            alert, store, now=datetime.fromtimestamp(now, UTC), digests=digest_periods(config)
        )
    return alerts
