"""Retry policy for deliveries: the backoff (``monitor.backoff``, full jitter) with the
receiver's Retry-After as a floor, and when a failure becomes a dead letter.

Pure (the random source is injectable); no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from monitor.backoff import FULL_JITTER, backoff_delay


def compute_backoff(
    attempt: int,
    *,
    base: float = 2.0,
    cap: float = 3600.0,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before attempt ``attempt + 1``, after ``attempt`` failed.

    Full jitter: uniform in ``[0, min(cap, base * 2**(attempt-1))]``, so many failing
    deliveries do not retry in lock-step. A ``retry_after`` the far side asked for (HTTP
    Retry-After) is a floor: the result is never earlier than it. The result never
    exceeds ``cap``, even for a larger Retry-After: a receiver asking for days must not
    park an alert beyond what operators configured.
    """
    delay = backoff_delay(attempt, first=base, cap=cap, jitter=FULL_JITTER, rng=rng)
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return max(0.0, min(cap, delay))


def after_failure(
    failure: str,
    *,
    transient: bool,
    attempt: int,
    max_attempts: int,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> tuple[str, float | None]:
    """What follows a failed attempt (one alert or one digest): the detail to record and
    the wait before the next attempt, or None when it is now a dead letter (a permanent
    failure, or a transient one on the last attempt)."""
    if not transient:
        return failure, None
    if attempt < max_attempts:
        return failure, compute_backoff(attempt, retry_after=retry_after, rng=rng)
    return f"gave up after {attempt} attempts: {failure}", None
