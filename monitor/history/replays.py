"""Backtest runs over the history: one config in this process, several side by side.

Does I/O: each run reads the stored items itself (``readers.replay_items``) from the
history at ``url``. With more than one config and more than one CPU, each config runs
in a process of its own (matching is CPU-bound Python, so threads would not help):
``backtest --config NEW`` then takes about as long as one run instead of two. Every
run reads the same items: those written before it started.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context

from monitor.config.schema import Config
from monitor.history.backtest import BacktestRun, replay

__all__ = ["backtest_runs"]


def _run(
    url: str,
    configs: list[Config],
    since: datetime | None,
    up_to: int | None,
    watchlist: str | None,
) -> list[BacktestRun]:
    from monitor.history import open_history
    from monitor.history.readers import replay_items

    with open_history(url) as history:
        stored = replay_items(history, since=since, up_to=up_to)
        return replay(stored, configs, watchlist=watchlist)


def backtest_runs(
    url: str,
    configs: list[Config],
    *,
    since: datetime | None = None,
    watchlist: str | None = None,
) -> list[BacktestRun]:
    """One ``BacktestRun`` per config, in order, over the items seen since ``since``."""
    from monitor.history import open_history
    from monitor.history.readers import last_item_key

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if len(configs) == 1 or (cpus or 1) < 2:
        return _run(url, configs, since, None, watchlist)
    with open_history(url) as history:
        up_to = last_item_key(history)
    # spawn: a fresh interpreter, no engine or lock inherited half-used from this one
    with ProcessPoolExecutor(len(configs), mp_context=get_context("spawn")) as pool:
        jobs = [pool.submit(_run, url, [config], since, up_to, watchlist) for config in configs]
        return [job.result()[0] for job in jobs]
