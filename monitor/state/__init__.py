"""State: what the pipeline remembers between items and runs (the Store protocol).

``open_store`` picks the implementation from the settings; it opens files or network
clients but reads nothing else. Implementations: ``MemoryStore`` (tests),
``SqliteStore`` (the embedded runner's state file), ``RedisStore`` (distributed workers).
"""

from __future__ import annotations

from pathlib import Path

from monitor.config.schema import Settings
from monitor.errors import ConfigError
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
]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_store(settings: Settings, *, distributed: bool = False) -> Store:
    """The Store the settings ask for.

    ``distributed``: Redis at ``settings.broker_url`` (the workers share it). Otherwise
    ``settings.store``: ``sqlite:///relative/path``, ``sqlite:////absolute/path``,
    ``memory:`` or a ``redis://`` URL; absent: ``{state_dir}/state.db``.
    Raises ConfigError for a missing broker URL or a store URL it cannot open.
    """
    if distributed:
        if not settings.broker_url:
            raise ConfigError(["settings.broker_url: needed for the distributed mode"])
        return _redis(settings.broker_url)
    url = settings.store
    if not url:
        return SqliteStore(Path(settings.state_dir) / "state.db")
    if url in ("memory:", "memory://"):
        return MemoryStore()
    if url.startswith("sqlite:///"):
        # SQLAlchemy's convention: three slashes then the path, so a fourth makes it absolute
        path = url.removeprefix("sqlite:///")
        if not path:
            raise ConfigError(
                [f"settings.store: {url!r} names no file (sqlite:///path/to/state.db)"]
            )
        return SqliteStore(Path(path))
    if url.startswith(_REDIS_SCHEMES):
        return _redis(url)
    scheme = url.split(":", 1)[0]
    raise ConfigError(
        [
            f"settings.store: the {scheme!r} store is not supported; use sqlite:///path, "
            "memory: or redis://host:port/db"
        ]
    )


def _redis(url: str) -> Store:
    # imported here so the embedded runner never loads redis-py
    from monitor.state.redis import RedisStore

    return RedisStore(url)
