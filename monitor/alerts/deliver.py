"""Send one alert to one channel, at most once per the delivery ledger.

Does I/O through the channel and the Store it is handed. Alertmanager's model: the
ledger says "sent" only after a successful send, so a crash in between re-sends (with
the same alert id, which receivers use to drop the repeat) rather than loses.
"""

from __future__ import annotations

import json

import structlog

from monitor.alerts.channels import Channel
from monitor.alerts.retry import compute_backoff
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.model import Alert, DeliveryResult
from monitor.state.base import DeliveryStatus, LedgerEntry, Store

log = structlog.get_logger(__name__)

_MAX_DETAIL = 300


def one_line(text: str) -> str:
    """A ledger/log detail: one line, bounded length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_DETAIL else flat[: _MAX_DETAIL - 1] + "…"


def _payload(alert: Alert) -> str:
    """The alert as JSON for the ledger; ASCII-escaped if it holds a lone surrogate."""
    text = json.dumps(alert.to_message(), ensure_ascii=False, sort_keys=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(alert.to_message(), ensure_ascii=True, sort_keys=True)
    return text


def deliver(
    alert: Alert,
    channel: Channel,
    store: Store,
    *,
    attempt: int = 1,
    max_attempts: int = 8,
    now: float,
) -> DeliveryResult:
    """Send ``alert`` on ``channel`` unless the ledger says it was sent; record the outcome.

    Returns status ``sent`` (now or before), ``retry`` (with ``retry_after`` seconds) or
    ``dead`` (permanent fault or retries exhausted: the ledger keeps the payload so
    ``monitor alerts retry`` can re-send it).
    """
    previous = store.get_delivery(alert.id, channel.name)
    if previous is not None and previous.status == "sent":
        return DeliveryResult(
            alert_id=alert.id,
            channel=channel.name,
            status="sent",
            attempts=previous.attempts,
            detail="already sent",
        )

    payload = _payload(alert)
    retry_after: float | None = None
    try:
        channel.send(alert)
    except TransientDeliveryError as exc:
        detail = one_line(str(exc)) or "transient delivery error"
        status: DeliveryStatus = "dead" if attempt >= max_attempts else "pending"
        if status == "pending":
            retry_after = compute_backoff(attempt, retry_after=exc.retry_after)
        else:
            detail = one_line(f"gave up after {attempt} attempts: {detail}")
    except DeliveryError as exc:
        detail = one_line(str(exc)) or "permanent delivery error"
        status = "dead"
    except Exception as exc:
        # A bug in a channel must not take the other alerts down with it: treat it as
        # transient, so it is dead-lettered after max_attempts. Only the exception type is
        # kept: its text could carry a secret from a URL.
        detail = f"unexpected {type(exc).__name__} in channel {channel.name}"
        log.error("delivery_crashed", alert=alert.id, channel=channel.name, error=detail)
        status = "dead" if attempt >= max_attempts else "pending"
        if status == "pending":
            retry_after = compute_backoff(attempt)
    else:
        status, detail = "sent", "sent"

    store.put_delivery(
        LedgerEntry(
            alert_id=alert.id,
            channel=channel.name,
            status=status,
            attempts=attempt,
            detail=detail,
            updated=now,
            payload=payload,
        )
    )
    return DeliveryResult(
        alert_id=alert.id,
        channel=channel.name,
        status="retry" if status == "pending" else status,
        attempts=attempt,
        detail=detail,
        retry_after=retry_after,
    )
