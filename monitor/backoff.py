"""Exponential backoff with jitter: the one wait between tries of anything that failed
(an alert or digest delivery, a feed poll, a task hit by a store fault, a history write).

Jitter spreads out the retries of faults that came together (one receiver down, one
feed host failing, Redis restarting), so they do not all come back in lock-step. Pure
(the random source is injectable); no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# The share of each step that is random (``backoff_delay``'s ``jitter``).
FULL_JITTER = 1.0  # anywhere in [0, step]: for many retries aimed at one receiver
EQUAL_JITTER = 0.5  # in [step / 2, step]: never much sooner than the step says

# 2.0 ** 64 times any first step is far beyond any cap; stop the exponent there so huge
# attempt counts cannot overflow a float.
_MAX_EXPONENT = 64


def backoff_delay(
    attempt: int,
    *,
    first: float,
    cap: float,
    jitter: float = FULL_JITTER,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after try ``attempt`` (1 for the first try) failed.

    The step is ``first`` doubled after each failed try, never more than ``cap``; the
    wait is that step less a random share of up to ``jitter`` of it: uniform in
    ``[step * (1 - jitter), step]`` (``FULL_JITTER``: in ``[0, step]``, as in the AWS
    architecture blog's "full jitter"). ``rng`` returns a float in ``[0, 1)``; 1.0 (a
    test's choice) gives the whole step.
    """
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be between 0 and 1, not {jitter}")
    exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
    step = max(0.0, min(cap, first * 2.0**exponent))
    return step * ((1.0 - jitter) + jitter * rng())
