"""The Celery app of the distributed runner (``celery -A workers.app worker``).

Configured lazily from the monitor's config (``--config`` given to ``python -m
workers``, else ``$MONITOR_CONFIG`` or ``./config``) when Celery first needs its
settings, never at import time. JSON only (pickle over a reachable Redis is
remote code execution); late acks with re-delivery when a pool child dies,
because the alert ledger, not the broker, makes delivery happen once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery import Celery, bootsteps, signals
from kombu.serialization import register
from kombu.utils import json as kombu_json

from monitor import jsontext
from monitor.config.paths import default_config_path
from monitor.config.reload import ConfigReloader
from monitor.config.schema import Config
from monitor.logs import configure_logging, get_logger
from monitor.match.engine import Matcher
from monitor.pipeline import Runtime
from monitor.warmup import warm_up as monitor_warm_up

if TYPE_CHECKING:  # made by workers.tasks, which imports the history's database layer
    from monitor.history.recorder import HistoryRecorder

log = get_logger(__name__)

# Celery redelivers an unacked task after ``settings.visibility_timeout`` (default 90s);
# every countdown we set stays well below it (kombu#337: a longer ETA is delivered again
# and again). A worker killed outright has its reserved tasks come back after this long
# plus the restore sweep; ``python -m workers --visibility-timeout`` overrides the
# config (tests lower it below the config's floor).
# kombu scans for unacked tasks to restore every interval * throttle seconds.
UNACKED_RESTORE_INTERVAL = 2
QUEUES = ("poll", "process", "deliver")
# Every task is killed after 2/3 of the visibility timeout (never less than this), so a
# task still running when its message is redelivered is rare: a hung send or fetch
# cannot hold an item past the point where another worker takes it over. The soft limit
# comes first and lets a batch hand back what it has not done.
MIN_HARD_TIME_LIMIT = 20.0
SOFT_LIMIT_SHARE = 0.75


def task_time_limits(visibility: float) -> tuple[float, float]:
    """``(soft, hard)`` seconds a task may run under a visibility timeout. Pure."""
    hard = max(MIN_HARD_TIME_LIMIT, visibility * 2 / 3)
    return hard * SOFT_LIMIT_SHARE, hard


# Task messages as JSON text holding their characters as they are. kombu's "json"
# escapes every non-ASCII character (\uXXXX), and Redis holds each message inside a
# JSON envelope that escapes every escape again: an Arabic or Russian item took twice
# its size or more, and as long to encode and decode (bench/bench_messages.py). Any
# JSON reader reads either, so messages of an older version are still read, and it
# reads these.
def json_text(data: Any) -> str:
    """``data`` as JSON text (``monitor.jsontext``), kombu's encoder for the types it
    knows; escaped when it holds a lone surrogate, which a reader could not carry:
    kombu encodes a message's text as UTF-8 before decoding it."""
    return jsontext.json_text(data, kombu_json.JSONEncoder)


register(  # type: ignore[no-untyped-call]  # kombu ships no annotations here
    "json",
    json_text,
    kombu_json.loads,
    content_type="application/json",
    content_encoding="utf-8",
)

app = Celery("monitor", include=["workers.tasks"])


@dataclass
class ProcessState:
    """What one worker or poller process holds besides the Celery app: what
    ``python -m workers`` was told, and what is built on first use."""

    config_path: Path | None = None  # --config; None: $MONITOR_CONFIG or ./config
    visibility_timeout: float | None = None  # --visibility-timeout; None: the config's
    reloader: ConfigReloader | None = None  # the config and its watcher (``config_reloader``)
    runtime: Runtime | None = None  # store, matcher, channels (``runtime``; per pool child)
    # A config and the matcher built for it before the pool forked (``warm_up``)
    warmed: tuple[Config, Matcher] | None = None
    history: HistoryRecorder | None = None  # ``workers.tasks.history``, after the fork


process = ProcessState()


def set_visibility_timeout(seconds: float | None) -> None:
    """Override the config's visibility timeout (before ``configure``); must be
    positive. ``None`` goes back to the config's value."""
    if seconds is not None and seconds <= 0:
        raise ValueError("the visibility timeout must be positive")
    process.visibility_timeout = seconds


def visibility_timeout() -> float:
    """The visibility timeout this process's Celery app uses: the override if one was
    set, else the one its config gave Celery (loading the config if not yet done), so
    retry countdowns are capped against the value Celery really applies."""
    if process.visibility_timeout is not None:
        return process.visibility_timeout
    return float(app.conf.broker_transport_options["visibility_timeout"])


def time_limits() -> tuple[float, float]:
    """This process's ``(soft, hard)`` task time limits (``task_time_limits``)."""
    return task_time_limits(visibility_timeout())


def use_config(path: Path) -> None:
    """Point the app at a config before it is configured (``python -m workers``)."""
    process.config_path = path


def celery_settings(config: Config) -> dict[str, Any]:
    if not config.settings.broker_url:
        raise SystemExit("monitor: settings.broker_url is needed for the distributed mode")
    visibility = (
        process.visibility_timeout
        if process.visibility_timeout is not None
        else config.settings.visibility_timeout
    )
    soft, hard = task_time_limits(visibility)
    return {
        "broker_url": config.settings.broker_url,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": "process",
        "task_soft_time_limit": soft,
        "task_time_limit": hard,
        "task_routes": {
            "monitor.poll_feed": {"queue": "poll"},
            "monitor.poll_feeds": {"queue": "poll"},
            "monitor.process_item": {"queue": "process"},
            "monitor.process_items": {"queue": "process"},
            "monitor.process_queued": {"queue": "process"},
            "monitor.deliver": {"queue": "deliver"},
            "monitor.deliver_batch": {"queue": "deliver"},
            "monitor.flush_digest": {"queue": "deliver"},
        },
        "broker_connection_retry_on_startup": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "broker_transport_options": {
            "visibility_timeout": visibility,
            "unacked_restore_interval": UNACKED_RESTORE_INTERVAL,
            # Without it kombu scans only every 10th interval: a killed worker's tasks
            # came back after 95 s instead of 12 s (docs/delivery.md).
            "unacked_restore_throttle": 1,
            # Messages hold their JSON as text, not base64 of it (kombu's default for
            # Redis, a third more bytes to write, encode and decode). Each message names
            # its encoding, so ones queued base64 by an older version are still read.
            "body_encoding": "utf-8",
        },
        "worker_hijack_root_logger": False,
    }


def _lazy_settings() -> dict[str, Any]:
    # the config this process's tasks run on: read once, not once more for Celery
    return celery_settings(config_reloader().config)


# A promise: Celery calls it when it first needs its settings, after --config was seen.
app.add_defaults(_lazy_settings)


def configure(config: Config) -> None:
    """Configure the app explicitly (the poller does this)."""
    app.conf.update(celery_settings(config))


def config_reloader() -> ConfigReloader:
    """This process's config and its watcher, loaded on first use (``ConfigError`` if bad).

    Made in the worker's main process before the pool forks, so a pool child started
    later (a crashed one replaced) begins from the last good config, not from files that
    may have turned bad since, and reloads from there at its first task.
    """
    if process.reloader is None:
        process.reloader = ConfigReloader.start(process.config_path or default_config_path())
    return process.reloader


def runtime() -> Runtime:
    """This process's resources (store, matcher, channels), built on first use.

    Built after the pool forks (see ``_reset_runtime``) so that no Redis
    connection is shared between processes. Each task asks for it, so this is where a
    pool child notices a changed config: the files are stat'ed at most once a second
    (``ConfigReloader``), a good config is swapped in, a bad one is refused and the
    task runs on the last good one. Per child, without telling the main process: each
    child reads the files once, which costs less than a broadcast to do the same.
    """
    if process.runtime is None:
        reloader = config_reloader()
        reloader.check()  # a new pool child: the files may have changed since the fork
        current = reloader.config
        warmed = process.warmed
        matcher = warmed[1] if warmed is not None and warmed[0] is current else None
        process.runtime = Runtime.build(current, distributed=True, matcher=matcher)
    elif process.reloader is not None:  # None: a runtime set by hand (unit tests)
        changed = process.reloader.check()
        if changed is not None:
            process.runtime = process.runtime.reconfigured(changed)
    return process.runtime


def warm_up() -> None:
    """In a worker's main process, before its pool forks: load what a first task
    would (``monitor.warmup``) and keep the matcher built for the config, so that
    each child starts with them instead of paying for them on its first items."""
    config = config_reloader().config
    process.warmed = (config, monitor_warm_up(config))


@signals.setup_logging.connect
def _setup_logging(loglevel: int | str | None = None, **kwargs: Any) -> None:
    """Celery configures no logging of its own once this signal has a receiver: no
    plain-text handler on the root logger, no stdout/stderr redirected into log
    records. Ours renders Celery's records as JSON lines like every other (README, Commands), at
    the worker's ``--loglevel`` (also for ``celery -A workers.app worker``)."""
    name = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
    configure_logging(str(name or "info").lower())


@signals.worker_process_init.connect
def _reset_runtime(**kwargs: Any) -> None:
    process.runtime = None
    if process.reloader is not None:  # inherited from the main process, which reads quietly
        process.reloader.quiet = False
        process.reloader.forked()


class _KeepConfigCurrent(bootsteps.StartStopStep):  # type: ignore[misc]  # celery: untyped
    """In a prefork worker's main process, which runs no task: read a changed config
    file as the pool children do (once a second at most, stat only otherwise), without
    logging, so that a child forked later (one replacing a crashed or recycled one)
    starts from the last good config rather than the one the worker started with.
    Without it, with files gone bad since, such a child ran on the start-up config
    while its older siblings ran on the last good one.

    On the event loop's timer (no thread: a child is never forked mid-read); other
    pools run tasks in this process, where ``runtime`` already checks."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._entry: Any = None

    def start(self, parent: Any) -> None:
        from celery.concurrency.prefork import TaskPool

        prefork = isinstance(parent.pool_cls, type) and issubclass(parent.pool_cls, TaskPool)
        if not (prefork and parent.use_eventloop):
            return
        reloader = config_reloader()
        reloader.quiet = True
        self._entry = parent.timer.call_repeatedly(reloader.interval, reloader.check)

    def stop(self, parent: Any) -> None:
        if self._entry is not None:
            self._entry.cancel()
            self._entry = None


app.steps["worker"].add(_KeepConfigCurrent)


@signals.worker_ready.connect
def _sighup_is_not_a_restart(**kwargs: Any) -> None:
    """Celery re-executes a detached worker on SIGHUP: with a config turned bad since,
    the new one would refuse to start. Pool children reload changed files by themselves
    (``runtime``), so the signal has nothing left to do but say so."""
    from celery import platforms

    def _hup(*args: Any) -> None:
        log.info("sighup_ignored", reason="workers reload a changed config by themselves")

    platforms.signals["SIGHUP"] = _hup
