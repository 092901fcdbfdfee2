"""The monitor's error tree.

Owns every exception class the domain raises, and ``one_line`` for their messages;
does no I/O. Callers catch ``MonitorError`` at process boundaries (CLI, Celery tasks)
and decide by class: ``TransientError`` is worth a retry, every other ``MonitorError``
is permanent. ``TransientError`` is a mixin as well as a class: a transient fetch or
delivery fault is both a ``FetchError`` (or ``DeliveryError``) and a ``TransientError``,
so ``except FetchError`` catches every failed fetch and ``except TransientError`` every
fault worth a retry. Where both outcomes are handled apart, catch the transient class
first::

    MonitorError
    ├── ConfigError
    ├── StoreError
    │   └── HistoryError
    ├── ParseError
    ├── FetchError
    │   └── TransientFetchError      (+ TransientError)
    ├── DeliveryError
    │   └── TransientDeliveryError   (+ TransientError)
    └── TransientError
        ├── TransientFetchError      (+ FetchError)
        ├── TransientDeliveryError   (+ DeliveryError)
        └── TransientHistoryError
"""

from __future__ import annotations


def one_line(text: str, limit: int | None = None) -> str:
    """A message on one line (runs of whitespace, line breaks included, as one space),
    cut to ``limit`` characters with an ellipsis. For messages and details from our code
    and libraries; feed text bound for a terminal goes through
    ``monitor.alerts.render.clean_line``, which also drops control and bidi characters."""
    flat = " ".join(text.split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""


class ConfigError(MonitorError):
    """The configuration is invalid.

    ``problems`` holds one line per fault, each ``FILE:LINE: key.path: message``.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems) or "invalid configuration")


class StoreError(MonitorError):
    """The state store cannot be opened or reached (an unwritable state_dir, Redis down).

    The message is one line naming the setting to look at (``settings.state_dir``,
    ``settings.store`` or ``settings.broker_url``); never a password.
    """


class ParseError(MonitorError):
    """An input (feed, wire file, pushed item) could not be read as any known format.

    The message is one line naming the source.
    """


class FetchError(MonitorError):
    """A feed could not be fetched. As such, for a reason that will not go away by itself
    (refused address, too large, not a feed, HTTP 404...); its subclass
    ``TransientFetchError`` is the fetch that may succeed later."""


class TransientError(MonitorError):
    """A fault that may pass: timeouts, connection errors, HTTP 429/5xx, SMTP 4xx.

    ``retry_after`` is the delay in seconds the far side asked for, when it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientFetchError(FetchError, TransientError):
    """A feed fetch that may succeed later (a ``FetchError`` worth a retry)."""


class DeliveryError(MonitorError):
    """An alert could not be delivered. As such, retrying will not help (HTTP 4xx other
    than 408/429, SMTP 5xx, a refused address, a bad certificate); its subclass
    ``TransientDeliveryError`` is the delivery that may succeed later."""


class TransientDeliveryError(DeliveryError, TransientError):
    """An alert delivery that may succeed later (a ``DeliveryError`` worth a retry)."""


class HistoryError(StoreError):
    """The history database cannot be opened or migrated (a bad ``settings.history_url``,
    an unwritable path). One line naming the setting; never a password."""


class TransientHistoryError(TransientError):
    """A history read or write failed in a way that may pass (database restarting,
    locked, connection lost): retry it; nothing of the batch was written."""
