"""Publishing a task message that survives a broker restart.

After Redis restarts, kombu 5.7 can leave a pooled connection holding a channel whose
transport was closed (``Connection.collect`` keeps ``_default_channel``). Publishing on
it fails with ``AttributeError: 'NoneType' object has no attribute 'hostname'`` from
``kombu/transport/redis.py``, not with a connection error, so the retry rules for
broker faults never see it and every later publish of that process fails the same way:
a worker that cannot queue deliveries, a poller that cannot queue polls. ``send`` drops
the process's connection and producer pools and publishes once more on fresh ones; a
second failure is raised as kombu's ``OperationalError``, which the callers already
treat as a broker fault (retried, or left to the poller's sweeps).
"""

from __future__ import annotations

import contextlib
from typing import Any

from kombu import pools
from kombu.exceptions import OperationalError

from monitor.logs import get_logger

log = get_logger(__name__)


def send(task: Any, args: tuple[Any, ...], **options: Any) -> None:
    """``task.apply_async(args, **options)``, on fresh pools when the pooled channel
    is stale."""
    try:
        task.apply_async(args, **options)
        return
    except AttributeError as exc:
        log.warning("broker_pools_reset", task=task.name, error=repr(exc))
        reset_pools(task.app)
    try:
        task.apply_async(args, **options)
    except AttributeError as exc:
        raise OperationalError(f"broker channel unusable: {exc!r}") from exc


def reset_pools(app: Any) -> None:
    """Close this process's broker connections and forget its pools (what Celery does
    after a fork), so the next publish connects afresh."""
    pools.reset()  # type: ignore[no-untyped-call]
    pool = app._pool  # Celery's own after-fork reset reads these two attributes
    if pool is not None:
        with contextlib.suppress(Exception):  # closing a broken pool: nothing to keep
            pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
