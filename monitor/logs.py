"""Logging set-up: structlog configured here and nowhere else.

Logs go to stderr (results go to stdout): a coloured console renderer on a TTY,
one JSON object per line otherwise. Context such as ``feed``, ``item`` and
``task_id`` is bound through contextvars by the callers. No other I/O.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def configure_logging(level: str = "info", *, json: bool | None = None) -> None:
    """Configure structlog (and the stdlib root logger) once per process."""
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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries (httpx, celery, kombu) log through the stdlib: keep them on stderr, quieter.
    logging.basicConfig(stream=sys.stderr, level=max(numeric, logging.WARNING), force=True)


def get_logger(name: str) -> Any:
    """A structlog logger bound with the module name."""
    return structlog.get_logger(name)
