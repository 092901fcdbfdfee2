"""State: what the pipeline remembers between items and runs (the Store protocol).

``open_store`` picks the implementation from the settings; it opens files or network
clients but reads nothing else. Implementations: ``MemoryStore`` (tests),
``SqliteStore`` (the embedded runner's state file), ``RedisStore`` (distributed workers).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.config.schema import Settings, parse_store_url
from monitor.errors import ConfigError, MonitorError, StoreError, one_line
from monitor.state.base import DeliveryStatus, LedgerEntry, Store, StoryRecord
from monitor.state.memory import MemoryStore
from monitor.state.sqlite import SqliteStore

__all__ = [
    "DeliveryStatus",
    "LedgerEntry",
    "MemoryStore",
    "SqliteStore",
    "Store",
    "StoryRecord",
    "open_store",
    "store_faults",
    "store_setting",
]


def open_store(settings: Settings, *, distributed: bool = False) -> Store:
    """The Store the settings ask for.

    ``distributed``: Redis at ``settings.broker_url`` (the workers share it). Otherwise
    ``settings.store``: ``sqlite:///relative/path``, ``sqlite:////absolute/path``,
    ``memory:`` or a ``redis://`` URL; absent: ``{state_dir}/state.db``.
    Raises ConfigError for a missing broker URL or a store URL it cannot open, StoreError
    (naming the setting) for a state file that cannot be created or opened.
    """
    if distributed:
        if not settings.broker_url:
            raise ConfigError(["settings.broker_url: needed for the distributed mode"])
        return _redis(settings.broker_url)
    url = settings.store
    if not url:
        return _sqlite(Path(settings.state_dir) / "state.db", "settings.state_dir")
    try:
        kind, target = parse_store_url(url)
    except ValueError as exc:
        # Settings refuses these at load; this guards a Settings built without validation
        # (``Settings.model_construct``)
        raise ConfigError([f"settings.store: {exc}"]) from None
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return _sqlite(Path(target), "settings.store")
    return _redis(target)


def store_setting(settings: Settings, *, distributed: bool = False) -> str:
    """The setting naming the store ``open_store`` opens, for messages about it."""
    if distributed:
        return "settings.broker_url"
    return "settings.store" if settings.store else "settings.state_dir"


@contextmanager
def store_faults(settings: Settings, *, distributed: bool = False) -> Iterator[None]:
    """Turn the store failing inside the block into one ``StoreError`` line naming the setting.

    For the CLI's commands: Redis unreachable or refusing (redis-py's errors, which the
    RedisStore lets through for the Celery tasks to retry on) and SQLite errors. Anything
    else is a bug and keeps its traceback.
    """
    try:
        yield
    except Exception as exc:
        if not _is_store_fault(exc):
            raise
        detail = one_line(str(exc)) or type(exc).__name__
        setting = store_setting(settings, distributed=distributed)
        raise StoreError(f"{setting}: the store failed: {detail}") from exc


def _is_store_fault(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    # redis-py is only loaded once a RedisStore was opened; then its errors are the store's
    redis_store = sys.modules.get("monitor.state.redis")
    return redis_store is not None and isinstance(exc, redis_store.STORE_FAULTS)


def _sqlite(path: Path, setting: str) -> Store:
    try:
        return SqliteStore(path)
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise StoreError(f"{setting}: cannot open the state file {path}: {reason}") from exc
    except MonitorError as exc:  # the file is there but is not a state file
        raise StoreError(f"{setting}: {exc}") from exc


def _redis(url: str) -> Store:
    # imported here so the embedded runner never loads redis-py
    from monitor.state.redis import RedisStore

    return RedisStore(url)
