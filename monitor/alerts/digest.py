"""Digests: a channel with ``digest: PERIOD`` gets one summary message per period.

Pure: no I/O, no clock (``now`` is passed in). The alerts of a digest channel wait in
the delivery ledger with status ``held`` (durable in every Store, so a restart loses
none) and ``due`` set to when they were held plus the period. A channel's digest is
due when any of its held alerts is due: then every alert held for it goes in one mail,
so the first alert of a quiet channel waits one period at most, and mails of one
channel are about one period apart. ``Store.claim_held`` applies the same rule
atomically; ``Store.earliest_held`` reads each channel's earliest due from an index,
so finding the due channels (``due_channels``) reads no alert. After the send,
``settle`` says what the ledger records for each alert: sent, held again for a retry, or
dead.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from monitor.alerts.retry import after_failure
from monitor.config.schema import Config
from monitor.state.base import LedgerEntry

HELD_DETAIL = "held for digest"
# an alert over its channel's rate_limit: held for the channel's next digest
RATE_HELD_DETAIL = "held by the rate limit"
# How long a flusher owns the alerts it took (``Store.claim_held``): longer than one
# SMTP conversation can take, so no second flusher sends them meanwhile; a flusher
# that dies mid-send leaves them to be sent again after it.
DIGEST_LEASE = 600.0


def digest_periods(config: Config) -> dict[str, float]:
    """Channel name -> digest period (seconds), for the channels that have one."""
    return {name: channel.digest for name, channel in config.channels.items() if channel.digest}


def flush_periods(config: Config) -> dict[str, float]:
    """Channel name -> how long an alert held for it waits, for every channel whose held
    alerts go out as digests: those with ``digest:`` (their period) and those with only a
    ``rate_limit:`` (its period: the excess of a burst goes out in one digest after it)."""
    periods = {
        name: channel.rate_limit[1]
        for name, channel in config.channels.items()
        if channel.rate_limit
    }
    return periods | digest_periods(config)


def held_by_rate(entries: Iterable[LedgerEntry]) -> int:
    """How many of a digest's entries the rate limit held back (the digest says so)."""
    return sum(entry.detail == RATE_HELD_DETAIL for entry in entries)


def held_entry(
    alert_id: str,
    channel: str,
    payload: str,
    *,
    period: float,
    now: float,
    detail: str = HELD_DETAIL,
) -> LedgerEntry:
    """The ledger entry of an alert that waits for ``channel``'s next digest."""
    return LedgerEntry(
        alert_id=alert_id,
        channel=channel,
        status="held",
        attempts=0,
        detail=detail,
        updated=now,
        payload=payload,
        due=now + period,
    )


def due_channels(earliest: Mapping[str, float], now: float) -> list[str]:
    """The channels whose digest is due now, from ``Store.earliest_held`` (channel ->
    earliest due of its held alerts), sorted."""
    return sorted(channel for channel, due in earliest.items() if due <= now)


def digest_id(alert_ids: Iterable[str]) -> str:
    """A stable id for the digest of these alerts (its Message-ID), whatever their order:
    a digest sent again after a crash before the ledger write carries the same id."""
    joined = "\n".join(sorted(set(alert_ids)))
    return "dgst_" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:24]


def settle(
    entries: list[LedgerEntry],
    *,
    failure: str | None,
    transient: bool = False,
    retry_after: float | None = None,
    max_attempts: int = 8,
    now: float,
    rng: Callable[[], float] = random.random,
) -> list[LedgerEntry]:
    """The ledger entries after one attempt to send the digest of ``entries``.

    ``failure`` None: all sent. A transient failure holds them again until a backoff
    (``retry.compute_backoff``, one series for the whole digest) unless the attempts are
    used up; a permanent one, or the last attempt, makes them dead letters.
    """
    attempt = max((entry.attempts for entry in entries), default=0) + 1
    if failure is None:
        detail = f"sent in a digest of {len(entries)}"
        return [
            replace(e, status="sent", attempts=attempt, detail=detail, updated=now, due=0.0)
            for e in entries
        ]
    detail, delay = after_failure(
        failure,
        transient=transient,
        attempt=attempt,
        max_attempts=max_attempts,
        retry_after=retry_after,
        rng=rng,
    )
    if delay is not None:
        return [
            replace(e, status="held", attempts=attempt, detail=detail, updated=now, due=now + delay)
            for e in entries
        ]
    return [
        replace(e, status="dead", attempts=attempt, detail=detail, updated=now, due=0.0)
        for e in entries
    ]
