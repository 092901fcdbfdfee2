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

from monitor.config.paths import default_config_path
from monitor.logs import configure_logging
from monitor.state import open_store
from workers import app as app_module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("role", choices=["worker", "poller"])
    parser.add_argument("--config", type=Path, default=None)
    args, extra = parser.parse_known_args(argv)
    configure_logging("info")
    app_module.use_config(args.config or default_config_path())
    config = app_module.load_app_config()
    app_module.configure(config)
    if args.role == "worker":
        import workers.tasks  # noqa: F401  (registers the tasks)

        queues = ",".join(app_module.QUEUES)
        app_module.app.worker_main(["worker", "--loglevel=INFO", "-Q", queues, *extra])
        return 0

    from workers.schedule import run_poller

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    store = open_store(config.settings, distributed=True)
    try:
        run_poller(config, store, stop)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
