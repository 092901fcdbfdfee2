"""Reloading the config in a long-running process, keeping the last good one.

``ConfigReloader`` is shared by ``monitor run``, the poller and every Celery worker
process; each of them only calls ``check()`` once per tick (or per task) and swaps in
the ``Config`` it returns, and ``request()`` from a SIGHUP handler.

- Watching is stat only: the config path (a folder's mtime changes when a file is
  added, removed or renamed into it) and each of its YAML files, at most once per
  ``interval`` seconds, so a container that cannot be sent signals still reloads.
- A change is read once its newest file is ``settle`` seconds old, so an editor or
  ``cp`` still writing is not read half-way (a truncated file can be valid YAML).
- A valid config is swapped in (``config_reloaded`` with counts); an invalid one is
  refused with every ``FILE:LINE: key.path: message`` line the loader wrote (which never
  echo a secret) as one ``config_rejected`` event (any other exception of the load too,
  by its type), the last good config stays, and the
  same files are not read again until they change (a SIGHUP still forces a read, as
  the operator asked for one).
- A config that is valid but can do nothing (no feeds, no watchlists) is taken, with
  one ``config_warning`` per fault, at the start and at each swap.
- Settings a process cannot change while it runs (``RESTART_ONLY``: its broker, its
  store, the visibility timeout Celery was configured with) keep their old value, with
  one ``config_restart_needed`` warning per key; their values are not logged (a URL
  may hold a password).
- ``quiet`` reads and swaps the same way but logs nothing: the Celery worker's main
  process keeps its config current this way only so that a pool child forked later
  starts from the last good config; the children, which run the tasks, say what they
  took.

Pure except for the stat calls and the load; the clocks and the loader are injectable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from monitor.config.loader import config_files, load_config
from monitor.config.schema import Config
from monitor.errors import ConfigError
from monitor.logs import get_logger

__all__ = ["RESTART_ONLY", "ConfigReloader", "keep_restart_only"]

log = get_logger(__name__)

# settings.* read once at start: the store is open, Celery is configured with them
RESTART_ONLY = ("broker_url", "store", "state_dir", "visibility_timeout", "history_url")
CHECK_INTERVAL = 1.0
SETTLE = 1.0

# (path, mtime_ns, size, inode) per watched path; -1s for one that is gone
Stamp = tuple[tuple[str, int, int, int], ...]


def _stamp(paths: Iterable[Path]) -> Stamp:
    entries = []
    for path in dict.fromkeys(paths):
        try:
            st = path.stat()
        except OSError:
            entries.append((str(path), -1, -1, -1))
        else:
            entries.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(entries)


def keep_restart_only(old: Config, new: Config) -> tuple[Config, list[str]]:
    """``new`` with the ``RESTART_ONLY`` settings of ``old``; and the keys that differed."""
    kept = {
        key: getattr(old.settings, key)
        for key in RESTART_ONLY
        if getattr(new.settings, key) != getattr(old.settings, key)
    }
    if not kept:
        return new, []
    settings = new.settings.model_copy(update=kept)
    return new.model_copy(update={"settings": settings}), [f"settings.{key}" for key in kept]


def _counts(old: Config, new: Config) -> dict[str, int]:
    old_feeds = {feed.id for feed in old.feeds}
    new_feeds = {feed.id for feed in new.feeds}
    return {
        "feeds": len(new.feeds),
        "feeds_added": len(new_feeds - old_feeds),
        "feeds_removed": len(old_feeds - new_feeds),
        "watchlists": len(new.watchlists),
        "watchlists_added": len(new.watchlists.keys() - old.watchlists.keys()),
        "watchlists_removed": len(old.watchlists.keys() - new.watchlists.keys()),
        "topics": len(new.topics),
        "speakers": len(new.speakers),
        "channels": len(new.channels),
    }


class ConfigReloader:
    """The last good config of one process, and when to read the files again."""

    def __init__(
        self,
        path: Path,
        config: Config,
        stamp: Stamp,
        *,
        interval: float = CHECK_INTERVAL,
        settle: float = SETTLE,
        load: Callable[[Path], Config] = load_config,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.config = config
        self.interval = interval
        self.settle = settle
        self._load = load
        self._clock = clock
        self._wall_clock = wall_clock
        self._attempted = stamp  # the files as they were at the last read, good or bad
        self._checked_at: float | None = None
        self._requested = False
        self.quiet = False  # True: read and swap as usual, log nothing

    @classmethod
    def start(
        cls, path: Path, *, load: Callable[[Path], Config] = load_config, **options: Any
    ) -> ConfigReloader:
        """Load the config at ``path`` (``ConfigError`` if it is bad) and watch it.

        The files are stamped before they are read, so a change made during the read
        is seen as a change at the first check."""
        stamp = _stamp(cls._watched(path))
        reloader = cls(path, load(path), stamp, load=load, **options)
        reloader._warn(reloader.config)
        return reloader

    @staticmethod
    def _watched(path: Path) -> list[Path]:
        try:
            files = config_files(path)
        except ConfigError:  # gone or empty for now: the path's own stamp says when it is back
            files = []
        return [path, *files]

    def request(self) -> None:
        """Read the files at the next check, changed or not (safe in a signal handler)."""
        self._requested = True

    def forked(self) -> None:
        """In a process forked from this reloader's: stat the files at the next check,
        however recently the parent did. The parent may have looked just before a change
        settled and kept its config; throttled by that look, the child would run on it."""
        self._checked_at = None

    def check(self) -> Config | None:
        """The new config when one was read and swapped in, else None (keep the old)."""
        now = self._clock()
        forced = self._requested
        if not forced and self._checked_at is not None and now - self._checked_at < self.interval:
            return None
        self._checked_at = now
        stamp = _stamp(self._watched(self.path))
        if not forced and (stamp == self._attempted or not self._settled(stamp)):
            return None
        self._requested = False
        self._attempted = stamp
        return self._reload()

    def _settled(self, stamp: Stamp) -> bool:
        newest = max((mtime for _, mtime, _, _ in stamp), default=-1)
        age = self._wall_clock() - newest / 1e9
        # a clock behind the files' (age < 0) cannot tell: read rather than wait for it
        return not 0 <= age < self.settle

    def _reload(self) -> Config | None:
        try:
            new = self._load(self.path)
        except ConfigError as exc:
            self._log("error", "config_rejected", path=str(self.path), errors=exc.problems)
            return None
        except OSError as exc:  # a file removed between the listing and the read
            problem = f"{exc.filename or self.path}: {exc.strerror or type(exc).__name__}"
            self._log("error", "config_rejected", path=str(self.path), errors=[problem])
            return None
        except Exception as exc:
            # the type only: an unforeseen message could hold a secret the loader would hide
            problem = f"{self.path}: cannot load the config ({type(exc).__name__})"
            self._log("error", "config_rejected", path=str(self.path), errors=[problem])
            return None
        new, kept = keep_restart_only(self.config, new)
        for key in kept:
            self._log(
                "warning",
                "config_restart_needed",
                key=key,
                kept="the value the process started with",
            )
        if new == self.config:
            self._log("info", "config_unchanged", path=str(self.path))
            return None
        old, self.config = self.config, new
        self._log("info", "config_reloaded", path=str(self.path), **_counts(old, new))
        self._warn(new)
        return new

    def _warn(self, config: Config) -> None:
        for warning in config.load_warnings:  # valid, but likely not what was meant
            self._log("warning", "config_warning", warning=warning)

    def _log(self, level: str, event: str, **fields: Any) -> None:
        if not self.quiet:
            getattr(log, level)(event, **fields)
