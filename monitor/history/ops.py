"""The history's operator commands: ``alerts show``, ``alerts list`` over the history,
``backtest``, ``feeds status``, ``stats``: arguments in, text or JSON out.

Does I/O: opens the history (``settings.history_url``) and, for ``feeds status``, the
state store (the embedded one, or Redis when ``settings.broker_url`` is set), where the
runtime feed state lives. Bad arguments are one line on stderr and exit 2; an unknown
alert id exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.config.schema import Config, duration_ago
from monitor.history.command import history_url

if TYPE_CHECKING:
    from monitor.history.report import FeedStatus
    from monitor.history.store import History

__all__ = [
    "alerts_list",
    "alerts_show",
    "backtest",
    "feed_statuses",
    "feeds_status",
    "run",
    "stats",
]


class _BadArgument(Exception):
    pass


def run(name: str, args: argparse.Namespace, config: Config) -> int:
    """Run the command ``name`` (a function here); a bad argument exits 2."""
    handler: Callable[[argparse.Namespace, Config], int] = globals()[name]
    try:
        return handler(args, config)
    except _BadArgument as exc:
        return _fail(name.replace("_", " "), str(exc), 2)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return duration_ago(value)
    except ValueError as exc:
        raise _BadArgument(f"--since: {exc}") from None


def _number(text: str | None) -> float | None:
    """A number the feed state holds as text; None when absent or unreadable."""
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _fail(command: str, message: str, code: int) -> int:
    print(f"monitor: {command}: {message}", file=sys.stderr)
    return code


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False))


def alerts_show(args: argparse.Namespace, config: Config) -> int:
    from monitor.history import open_history
    from monitor.history.readers import story_outlets
    from monitor.history.report import alert_json, alert_show, also_carried_by

    if len(args.ids) != 1:
        raise _BadArgument("one alert id is needed: monitor alerts show ID")
    with open_history(history_url(config.settings)) as history:
        stored = history.alert(args.ids[0])
        if stored is None:
            return _fail("alerts show", f"no alert {args.ids[0]!r} in the history", 1)
        also = also_carried_by(stored.alert, story_outlets(history, stored.alert.story_id))
    if args.json:
        _print_json(alert_json(stored, also))
    else:
        print(alert_show(stored, also))
    return 0


def alerts_list(args: argparse.Namespace, config: Config) -> int:
    """``alerts list`` with ``--watchlist``, ``--since`` or ``--json``: the history's
    alerts, newest first."""
    from monitor.history import open_history
    from monitor.history.report import alert_json, alert_row

    since = _since(args.since)
    with open_history(history_url(config.settings)) as history:
        found = history.alerts(
            watchlist=args.watchlist, since=since, limit=args.limit, with_deliveries=args.json
        )
    for stored in found:
        if args.json:
            _print_json(alert_json(stored, ()))
        else:
            print(alert_row(stored))
    return 0


def backtest(args: argparse.Namespace, config: Config) -> int:
    """Replay the history through the config (or ``--config-new``'s) and compare."""
    from monitor.config.loader import load_config
    from monitor.history import open_history
    from monitor.history.backtest import compare, stored_run
    from monitor.history.replays import backtest_runs
    from monitor.history.report import backtest_json, backtest_text

    since = _since(args.since)
    candidate_config = load_config(Path(args.new_config)) if args.new_config else None
    for named, where in ((config, "the current config"), (candidate_config, "--config NEW")):
        if args.watchlist and named is not None and args.watchlist not in named.watchlists:
            known = ", ".join(sorted(named.watchlists)) or "none"
            raise _BadArgument(f"--watchlist {args.watchlist}: not in {where} (known: {known})")
    url = history_url(config.settings)
    if candidate_config is not None:
        candidate, baseline = backtest_runs(
            url, [candidate_config, config], since=since, watchlist=args.watchlist
        )
        label = "the current config"
    else:
        (candidate,) = backtest_runs(url, [config], since=since, watchlist=args.watchlist)
        with open_history(url) as history:
            live = history.alerts(watchlist=args.watchlist, since=since, limit=1_000_000)
        baseline = stored_run(live, candidate.items)
        label = "the alerts stored in the history"
    comparison = compare(candidate, baseline)
    if args.json:
        _print_json(backtest_json(comparison, label))
    else:
        print(backtest_text(comparison, label))
    return 0


def stats(args: argparse.Namespace, config: Config) -> int:
    from monitor.history import open_history
    from monitor.history.readers import stats as count
    from monitor.history.report import stats_json, stats_text

    since = _since(args.since)
    with open_history(history_url(config.settings)) as history:
        found = count(history, since=since)
    if args.json:
        _print_json(stats_json(found))
    else:
        print(stats_text(found, args.since))
    return 0


def feed_statuses(config: Config, history: History, now: datetime) -> list[FeedStatus]:
    """Every configured feed's health (then any other feed the history holds items of):
    the runtime state from the state store, the item times from the history."""
    from monitor.history.readers import feed_item_times
    from monitor.history.report import feed_status
    from monitor.sources.cadence import current_interval
    from monitor.state import open_store, store_faults
    from monitor.state.base import ERROR_STREAK_KEY, LAST_ERROR_KEY, LAST_POLL_KEY

    times = feed_item_times(history)
    every = {feed.id: feed.every for feed in config.feeds}
    names = [*every, *sorted(f for f in times if f is not None and f not in every)]
    distributed = bool(config.settings.broker_url)
    statuses: list[FeedStatus] = []
    with store_faults(config.settings, distributed=distributed):
        store = open_store(config.settings, distributed=distributed)
        try:
            for name in names:
                state = store.get_feed_state(name)
                polled = _number(state.get(LAST_POLL_KEY))
                success = None if polled is None else datetime.fromtimestamp(polled, UTC)
                statuses.append(
                    feed_status(
                        name,
                        times.get(name, []),
                        now=now,
                        configured=name in every,
                        last_success=success,
                        last_error=state.get(LAST_ERROR_KEY) or None,
                        error_streak=int(_number(state.get(ERROR_STREAK_KEY)) or 0),
                        interval=(current_interval(state, every[name]) if name in every else None),
                    )
                )
        finally:
            store.close()
    return statuses


def feeds_status(args: argparse.Namespace, config: Config) -> int:
    from monitor.history import open_history
    from monitor.history.report import feed_json, feeds_text

    with open_history(history_url(config.settings)) as history:
        statuses = feed_statuses(config, history, datetime.now(UTC))
    if args.json:
        for status in statuses:
            _print_json(feed_json(status))
    else:
        print(feeds_text(statuses))
    return 0
