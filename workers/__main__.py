"""``python -m workers worker|poller --config PATH [celery options]``.

What ``monitor worker`` and ``monitor poller`` hand over to, so that the
``monitor`` package never imports Celery.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from celery.utils.log import worker_logger

from monitor import metrics
from monitor.config.paths import default_config_path
from monitor.history.recorder import HistoryRecorder
from monitor.logs import configure_logging, get_logger
from monitor.state import open_store
from workers import app as app_module
from workers import metrics as worker_metrics
from workers.schedule import PENDING_STALE_AFTER, QUEUED_MAX_REQUEUES, run_poller

log = get_logger(__name__)


# Celery logs "Unrecoverable error" on its worker logger and stops the worker (exit code 1).
# kombu 5.7 ends a worker so when Redis goes away under it (closing the consumer's
# channel asks the closed transport for its host), and the warm shutdown that follows
# can hang on the dead connection: the worker starts again instead, at the latest
# SHUTDOWN_GRACE seconds after the error.
SHUTDOWN_GRACE = 15.0
RESTART_AFTER = 2.0


class _UnrecoverableWatch(logging.Filter):
    """Sees Celery's "Unrecoverable error" record go by and arms the restart."""

    def __init__(self, argv: list[str] | None) -> None:
        super().__init__()
        self.argv = argv
        self.seen = threading.Event()
        self.timer: threading.Timer | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno >= logging.CRITICAL
            and str(record.msg).startswith("Unrecoverable error")
            and not self.seen.is_set()
        ):
            self.seen.set()
            # a shutdown that hangs never returns to run_worker: restart from here
            self.timer = threading.Timer(SHUTDOWN_GRACE, _restart, args=(self.argv,))
            self.timer.daemon = True
            self.timer.start()
        return True


def run_worker(celery_argv: list[str], argv: list[str] | None) -> int:
    """Celery's worker until it stops for good: its exit code; after an unrecoverable
    error, this command again (``argv``: the arguments of ``python -m workers``)."""
    watch = _UnrecoverableWatch(argv)
    celery_log = worker_logger  # the logger Celery's WorkController logs the error on
    celery_log.addFilter(watch)
    try:
        code = _celery_worker(celery_argv)
    finally:
        celery_log.removeFilter(watch)
        if watch.timer is not None:
            watch.timer.cancel()
    return _restart(argv) if watch.seen.is_set() else code


def _celery_worker(celery_argv: list[str]) -> int:
    """Celery's worker in this process, until it stops: its exit code."""
    try:  # start(), not worker_main(), which drops the code
        code = app_module.app.start(celery_argv)
    except SystemExit as exc:
        code = exc.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _restart(argv: list[str] | None) -> int:
    """The same command again, in this process (same pid, fresh broker connections)."""
    log.error("worker_restarting", reason="unrecoverable error", restart_in=RESTART_AFTER)
    time.sleep(RESTART_AFTER)
    args = sys.argv[1:] if argv is None else argv
    os.execv(sys.executable, [sys.executable, "-m", "workers", *args])
    return 1  # not reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("role", choices=["worker", "poller"])
    parser.add_argument("--config", type=Path, default=None)
    # --loglevel/-l as well: Celery's spelling, which `monitor worker --loglevel debug`
    # passes through with the Celery options.
    parser.add_argument(
        "--log-level",
        "--loglevel",
        "-l",
        dest="log_level",
        default="info",
        help="debug, info, warning, error (default: info)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        default=None,
        help="seconds before an unacked task is redelivered (default: settings.visibility_timeout)",
    )
    parser.add_argument(
        "--pending-stale-after",
        type=float,
        default=PENDING_STALE_AFTER,
        help="poller: seconds before a delivery left pending is queued again"
        " (default: the visibility timeout)",
    )
    parser.add_argument(
        "--queued-stale-after",
        type=float,
        default=PENDING_STALE_AFTER,
        help="poller: seconds before an item queued and not yet processed is queued again"
        " (default: the visibility timeout)",
    )
    parser.add_argument(
        "--queued-max-requeues",
        type=int,
        default=QUEUED_MAX_REQUEUES,
        help="poller: requeues before such an item is given up on (logged, dead list)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics at /metrics and a health check at /healthz",
    )
    args, extra = parser.parse_known_args(argv)
    configure_logging(args.log_level)
    if args.visibility_timeout is not None:
        app_module.set_visibility_timeout(args.visibility_timeout)
    app_module.use_config(args.config or default_config_path())
    # the worker's pool children inherit it (last good config, stamps) when they fork
    reloader = app_module.config_reloader()
    config = reloader.config
    app_module.configure(config)
    if args.role == "worker":
        import workers.tasks  # noqa: F401  (registers the tasks)

        app_module.warm_up()

        queues = ",".join(app_module.QUEUES)
        # Celery's loggers follow the same level; it leaves the handlers to us
        # (workers.app: the setup_logging signal).
        level = f"--loglevel={args.log_level.upper()}"
        celery_argv = ["worker", level, "-Q", queues, *extra]
        if args.metrics_port is None:
            return run_worker(celery_argv, argv)
        assert config.settings.broker_url  # configure() refused a config without it
        with worker_metrics.multiprocess_dir() as folder:
            server = metrics.serve(
                args.metrics_port,
                worker_metrics.broker_health(config.settings.broker_url),
                multiproc_dir=folder,
            )
            try:
                return run_worker(celery_argv, argv)
            finally:
                if server is not None:
                    server.close()

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, lambda signum, frame: reloader.request())
    store = open_store(config.settings, distributed=True)
    heartbeat = worker_metrics.poller_heartbeat()
    server = metrics.serve(args.metrics_port, heartbeat)
    if server is not None:
        worker_metrics.report_queue_depths(app_module.QUEUES)
    history = HistoryRecorder(config.settings, stop=stop)
    try:
        run_poller(
            config,
            store,
            stop,
            heartbeat=heartbeat,
            history=history,
            reloader=reloader,
            pending_stale_after=args.pending_stale_after,
            queued_stale_after=args.queued_stale_after,
            queued_max_requeues=args.queued_max_requeues,
        )
    finally:
        if server is not None:
            server.close()
        history.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
