"""``python -m workers worker|poller --config PATH [celery options]``.

What ``monitor worker`` and ``monitor poller`` hand over to, so that the
``monitor`` package never imports Celery.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from monitor import metrics
from monitor.config.paths import default_config_path
from monitor.history.recorder import HistoryRecorder
from monitor.logs import configure_logging
from monitor.state import open_store
from workers import app as app_module
from workers import metrics as worker_metrics
from workers.schedule import PENDING_STALE_AFTER, QUEUED_MAX_REQUEUES, run_poller


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

        queues = ",".join(app_module.QUEUES)
        # Celery's loggers follow the same level; it leaves the handlers to us
        # (workers.app: the setup_logging signal).
        level = f"--loglevel={args.log_level.upper()}"
        if args.metrics_port is None:
            app_module.app.worker_main(["worker", level, "-Q", queues, *extra])
            return 0
        assert config.settings.broker_url  # configure() refused a config without it
        with worker_metrics.multiprocess_dir() as folder:
            server = metrics.serve(
                args.metrics_port,
                worker_metrics.broker_health(config.settings.broker_url),
                multiproc_dir=folder,
            )
            try:
                app_module.app.worker_main(["worker", level, "-Q", queues, *extra])
            finally:
                if server is not None:
                    server.close()
        return 0

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
