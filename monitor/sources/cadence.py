"""Adaptive polling (SPEC 1: ``every`` is the base interval, adaptive within limits).

Pure: no I/O, no clock. Both runners use it, through ``pipeline.poll_feed`` (which
puts the interval in ``PollResult.interval`` and the feed state): the embedded runner
schedules a feed's next poll that far ahead, the distributed poll task re-arms the
feed's claim for that long, so whichever poller comes next waits for it.

The rules, for a feed read over HTTP:

- the interval starts at ``every``;
- a poll that brings no new item lengthens it by ``GROWTH``, up to ``ceiling(every)``:
  ``MAX_FACTOR`` times ``every``, never more than ``CEILING`` (1 h) unless ``every``
  itself is longer, in which case the feed keeps ``every`` (a feed polled hourly or less
  often is not slowed further);
- a poll with a new item brings it back to ``every`` at once;
- a server that says its answer stays fresh longer (``Cache-Control: max-age``, less
  ``Age``) is believed up to the ceiling: the interval is at least that long;
- the interval lives in the feed state (``INTERVAL_KEY``), which every store keeps, so it
  survives a restart and all pollers share it; a value from an older config is brought
  back within ``[every, ceiling(every)]``.

Errors keep their backoff (``runner``: doubling from ``every``, jittered; distributed: the next
claim, ``every`` later), with a ``Retry-After`` (429, 503) honoured up to the same
ceiling (``retry_delay``). Drop folders are not adapted: a folder scan is local and
cheap, and a wire dropped there should be read within ``every``.
"""

from __future__ import annotations

from collections.abc import Mapping

GROWTH = 1.5
MAX_FACTOR = 4.0
CEILING = 3600.0
# Feed-state key holding the current interval, in seconds (repr of a float).
INTERVAL_KEY = "interval"


def ceiling(every: float) -> float:
    """The longest interval a feed of base interval ``every`` adapts to."""
    return max(every, min(every * MAX_FACTOR, CEILING))


def current_interval(state: Mapping[str, str], every: float) -> float:
    """The feed's interval from its feed state, within ``[every, ceiling(every)]``;
    ``every`` when none is stored (or it is unreadable)."""
    try:
        stored = float(state.get(INTERVAL_KEY, ""))
    except ValueError:
        return every
    if stored != stored:  # NaN
        return every
    return min(max(stored, every), ceiling(every))


def next_interval(
    every: float, current: float, *, new_items: bool, fresh_for: float | None = None
) -> float:
    """The interval after a successful poll: back to ``every`` when it brought a new item,
    else ``GROWTH`` times longer; at least ``fresh_for`` (the server's own word); always
    within ``[every, ceiling(every)]``."""
    top = ceiling(every)
    interval = every if new_items else current * GROWTH
    if fresh_for is not None:
        interval = max(interval, fresh_for)
    return min(max(interval, every), top)


def retry_delay(every: float, backoff: float, retry_after: float | None) -> float:
    """The delay before polling a feed that failed again: the caller's ``backoff``, or a
    server's ``Retry-After`` when that is longer, up to ``ceiling(every)`` (a server
    asking for a day is polled hourly; the backoff itself is the caller's to cap)."""
    if retry_after is None or retry_after <= backoff:
        return backoff
    return max(backoff, min(retry_after, ceiling(every)))


def fresh_for(headers: Mapping[str, str]) -> float | None:
    """How long the server says its answer stays fresh: ``Cache-Control: max-age`` less
    ``Age`` (time already spent in a cache), in seconds; None without a usable max-age
    or with ``no-cache``/``no-store``. ``headers`` has lower-case names."""
    max_age: float | None = None
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return None
        if name == "max-age":
            try:
                max_age = float(int(value.strip().strip('"')))
            except ValueError:
                return None
    if max_age is None or max_age <= 0:
        return None
    age = headers.get("age", "").strip()
    if age.isdigit():
        max_age -= int(age)
    return max_age if max_age > 0 else None
