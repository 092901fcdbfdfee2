"""Logging set-up: structlog configured here and nowhere else.

Logs go to stderr (results go to stdout): a coloured console renderer on a TTY,
one JSON object per line otherwise, for our own log lines and for those of the
libraries that log through the stdlib (Celery, kombu, redis) alike. Context such as
``feed``, ``item`` and ``task_id`` is bound through contextvars by the callers. No
other I/O.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def configure_logging(level: str = "info", *, json: bool | None = None) -> None:
    """Configure structlog and the stdlib root logger, once per process (again is harmless).

    Libraries (celery, kombu, redis, httpx) log through the stdlib: their records go
    through structlog's ``ProcessorFormatter`` to the same renderer, so on a pipe every
    stderr line is one JSON object, on a TTY a console line; they are kept quieter
    (``warning`` at least), except Celery's own loggers, which follow ``level`` (a
    worker's ``Task ... received`` lines are its operational log). Python warnings are
    logged too, not printed.
    """
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    use_json = not sys.stderr.isatty() if json is None else json
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # one write per line, newline included (print() writes it apart): the processes
        # of a worker share stderr, and two lines must never run into one
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # a stdlib record: its message is the event; the logger names the library
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]  # replaces a handler of an earlier call, or Celery's
    # A logger that neither propagates nor has a handler (billiard's "multiprocessing":
    # "Process ... exited with ...") falls back to this, not to a plain-text line.
    logging.lastResort = handler
    root.setLevel(max(numeric, logging.WARNING))
    logging.getLogger("celery").setLevel(numeric)
    logging.captureWarnings(True)


def get_logger(name: str) -> Any:
    """A structlog logger bound with the module name."""
    return structlog.get_logger(name)
