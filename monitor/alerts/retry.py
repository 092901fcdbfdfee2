"""Retry policy for deliveries: exponential backoff with full jitter.

Pure (the random source is injectable); no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# 2.0 ** 64 seconds is far beyond any cap; stop the exponent there so huge attempt
# counts cannot overflow a float.
_MAX_EXPONENT = 64


def compute_backoff(
    attempt: int,
    *,
    base: float = 2.0,
    cap: float = 3600.0,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before attempt ``attempt + 1``, after ``attempt`` failed.

    Full jitter (AWS architecture blog): uniform in ``[0, min(cap, base * 2**(attempt-1))]``,
    so many failing deliveries do not retry in lock-step. A ``retry_after`` the far side
    asked for (HTTP Retry-After) is a floor: the result is never earlier than it. The
    result never exceeds ``cap``, even for a larger Retry-After: a receiver asking for
    days must not park an alert beyond what operators configured.
    """
    exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
    ceiling = min(cap, base * 2.0**exponent)
    delay = ceiling * rng()
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
