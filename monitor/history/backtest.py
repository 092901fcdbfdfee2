"""Backtests: what a config (or one watchlist of it) would have alerted over the history.

No network, nothing sent, nothing live touched. The stored items are replayed in the
order they were seen, through the live pipeline's matcher (``build_matcher``) and alert
decision (``decide``: story grouping, one alert per story within
``settings.story_window``), on a ``MemoryStore`` of its own, with each item's
``seen_at`` as the clock. Two runs are compared by (watchlist, story): an alert whose
story the other run never alerted on is *added* (or *removed*).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.alerts.decide import decide, story_key, story_keys
from monitor.config.schema import Config
from monitor.history.records import StoredAlert, StoredItem
from monitor.match.engine import build_matcher
from monitor.model import Alert
from monitor.state.memory import MemoryStore

__all__ = ["BacktestRun", "Comparison", "compare", "replay", "stored_run"]


@dataclass(frozen=True)
class BacktestRun:
    """The alerts one config raised over the replayed items, in the order raised, and
    how many items and matches it saw."""

    alerts: tuple[Alert, ...]
    items: int
    matches: int


@dataclass(frozen=True)
class Comparison:
    """A candidate run against a baseline: alerts only the candidate raised (added) and
    only the baseline raised (removed), each in the order raised."""

    candidate: BacktestRun
    baseline: BacktestRun
    added: tuple[Alert, ...] = field(default=())
    removed: tuple[Alert, ...] = field(default=())


def replay(
    stored: Iterable[StoredItem], configs: list[Config], *, watchlist: str | None = None
) -> list[BacktestRun]:
    """Run every config of ``configs`` over ``stored`` (read once), each with its own
    story state; only ``watchlist``'s matches count when it is given."""
    matchers = [build_matcher(config) for config in configs]
    stores = [MemoryStore() for _ in configs]
    raised: list[list[Alert]] = [[] for _ in configs]
    matched = [0 for _ in configs]
    count = 0
    for entry in stored:
        count += 1
        now = entry.seen_at.timestamp()
        # the item's story names (its body's MinHash above all) cost more than matching
        # it: worked out once, for every config and watchlist it matches
        keys: list[str] | None = None
        for index, matcher in enumerate(matchers):
            window = configs[index].settings.story_window
            for match in matcher.match(entry.item):
                if watchlist is not None and match.watchlist != watchlist:
                    continue
                matched[index] += 1
                keys = story_keys(entry.item) if keys is None else keys
                alert = decide(match, entry.item, stores[index], window=window, now=now, keys=keys)
                if alert is not None:
                    raised[index].append(alert)
    return [
        BacktestRun(tuple(alerts), count, matched[index]) for index, alerts in enumerate(raised)
    ]


def stored_run(alerts: Iterable[StoredAlert], items: int) -> BacktestRun:
    """The alerts the live monitor stored, oldest first, as a run to compare against."""
    ordered = sorted(alerts, key=lambda a: (a.created_at, a.alert.id))
    return BacktestRun(tuple(a.alert for a in ordered), items, 0)


def _story(alert: Alert) -> tuple[str, str]:
    return alert.watchlist, story_key(alert.item)


def _unmatched(alerts: tuple[Alert, ...], other: tuple[Alert, ...]) -> tuple[Alert, ...]:
    """The alerts of ``alerts`` that ``other`` has no counterpart for: the n-th alert on
    a story (a story can come back after its window) pairs with the other's n-th."""
    left = Counter(_story(alert) for alert in other)
    unmatched = []
    for alert in alerts:
        key = _story(alert)
        if left[key]:
            left[key] -= 1
        else:
            unmatched.append(alert)
    return tuple(unmatched)


def compare(candidate: BacktestRun, baseline: BacktestRun) -> Comparison:
    """Which of the candidate's alerts are new against the baseline, and which of the
    baseline's are gone (by watchlist and story, not by id: ids carry the window)."""
    return Comparison(
        candidate,
        baseline,
        added=_unmatched(candidate.alerts, baseline.alerts),
        removed=_unmatched(baseline.alerts, candidate.alerts),
    )
