"""Send alerts to a channel, each at most once per the delivery ledger; or the digest
of the alerts a digest channel holds (``deliver_digest``).

Does I/O through the channel and the Store it is handed. Alertmanager's model: the
ledger says "sent" only after a successful send, so a crash in between re-sends (with
the same alert id, which receivers use to drop the repeat) rather than loses.

``log_delivery`` is the one log line per delivery, for both runners: a failure must show
at ``--log-level warning``, so a retry is a warning and a dead letter an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

import structlog

from monitor import metrics
from monitor.alerts.channels import BatchChannel, Channel, DigestChannel
from monitor.alerts.decide import current_story
from monitor.alerts.digest import DIGEST_LEASE, digest_id, held_by_rate, settle
from monitor.alerts.retry import after_failure
from monitor.errors import DeliveryError, TransientDeliveryError, one_line
from monitor.model import Alert, DeliveryResult
from monitor.state.base import CLAIM_RELEASED, DeliveryStatus, LedgerEntry, Store

log = structlog.get_logger(__name__)

_MAX_DETAIL = 300  # characters of a ledger/log detail


def send_lease_key(channel: str, alert_id: str) -> str:
    """The store claim (``Store.claim_feed``: a named lease, ``SET NX PX``) that one
    sender of ``alert_id`` on ``channel`` holds while it sends."""
    return f"send:{channel}:{alert_id}"


# The alerts last encoded by ``ledger_payload`` and their JSON, by identity. Deciding a
# poll records each alert pending on each channel, then each channel's send records it
# again: the same object every time unless its story grew (``current_story``), and an
# ``Alert`` never changes. Kept for a poll's alerts (the entry holds the alert, so its
# ``id`` is not reused while it is here); emptied when full.
_PAYLOADS_KEPT = 512
_payloads: dict[int, tuple[Alert, str]] = {}


def ledger_payload(alert: Alert) -> str:
    """The alert as JSON for the ledger; ASCII-escaped if it holds a lone surrogate."""
    kept = _payloads.get(id(alert))
    if kept is not None and kept[0] is alert:
        return kept[1]
    text = json.dumps(alert.to_message(), ensure_ascii=False, sort_keys=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(alert.to_message(), ensure_ascii=True, sort_keys=True)
    if len(_payloads) >= _PAYLOADS_KEPT:
        _payloads.clear()
    _payloads[id(alert)] = (alert, text)
    return text


@dataclass(frozen=True)
class _Outcome:
    """How one send went: ``failure`` is None when it was sent, else a one-line detail."""

    failure: str | None = None
    transient: bool = False
    retry_after: float | None = None


def _attempt(send: Callable[[], None], channel: str, what: str) -> _Outcome:
    """Call ``send`` once and classify what it raised (the one place that does)."""
    try:
        send()
    except TransientDeliveryError as exc:  # before DeliveryError, its base class
        detail = one_line(str(exc), _MAX_DETAIL) or "transient delivery error"
        return _Outcome(detail, transient=True, retry_after=exc.retry_after)
    except DeliveryError as exc:
        return _Outcome(one_line(str(exc), _MAX_DETAIL) or "permanent delivery error")
    except Exception as exc:
        # A bug in a channel must not take the other alerts down with it: treat it as
        # transient, so it is dead-lettered after max_attempts. Only the exception type is
        # kept: its text could carry a secret from a URL.
        detail = f"unexpected {type(exc).__name__} in channel {channel}"
        log.error("delivery_crashed", alert=what, channel=channel, error=detail)
        return _Outcome(detail, transient=True)
    return _Outcome()


def log_delivery(result: DeliveryResult, **extra: int) -> None:
    """Log one delivery's outcome: ``sent`` at info, ``retry`` at warning (with
    ``retry_in`` seconds), ``dead`` at error; each names the alert, the channel and, for
    a failure, the ``reason`` (the ledger's detail)."""
    metrics.delivered(result)
    fields: dict[str, object] = {
        "alert": result.alert_id,
        "channel": result.channel,
        "status": result.status,
        "attempts": result.attempts,
        **extra,
    }
    if result.status in ("sent", "busy"):  # busy: another worker holds the send lease
        log.info("delivery", detail=result.detail, **fields)
    elif result.status == "retry":
        retry_in = None if result.retry_after is None else round(result.retry_after, 1)
        log.warning("delivery", reason=result.detail, retry_in=retry_in, **fields)
    else:
        log.error("delivery", reason=result.detail, **fields)


def deliver_each(
    alerts: list[Alert],
    channel: Channel,
    store: Store,
    *,
    attempt: int = 1,
    max_attempts: int = 8,
    now: float,
    lease: float | None = None,
) -> list[DeliveryResult]:
    """Send each alert on ``channel`` unless the ledger says it was sent; record each
    outcome. One result per alert, in their order: status ``sent`` (now or before),
    ``retry`` (with ``retry_after`` seconds) or ``dead`` (permanent fault or retries
    exhausted: the ledger keeps the payload so ``monitor alerts retry`` can re-send it).

    The ledger is read once for all of them. A ``BatchChannel`` (the file channel: one
    write and one fsync) sends them in one go, whose outcome is each one's, recorded in
    one ledger write; other channels send them one by one, each recorded as it goes.
    An alert listed twice is sent once.

    With ``lease`` (seconds, at least the longest a sender may run) each send is first
    claimed in the store (``send_lease_key``): a copy of the task redelivered while the
    first still sends finds the claim taken and returns ``busy``, sending nothing. The
    claim is dropped once the outcome is recorded, so a retry may take it again; a sender
    killed holding it blocks the send for ``lease`` seconds at most.
    """
    name = channel.name
    previous = store.get_deliveries([(alert.id, name) for alert in alerts])
    results: dict[str, DeliveryResult] = {}
    sending: list[Alert] = []
    taken: set[str] = set()  # the ids already answered or being sent
    claimed: list[str] = []
    for alert, before in zip(alerts, previous, strict=True):
        if alert.id in taken:
            continue
        taken.add(alert.id)
        if before is not None and before.status == "sent":
            results[alert.id] = DeliveryResult(
                alert_id=alert.id,
                channel=name,
                status="sent",
                attempts=before.attempts,
                detail="already sent",
            )
            continue
        if lease is not None:
            key = send_lease_key(name, alert.id)
            if not store.claim_feed(key, lease):
                results[alert.id] = DeliveryResult(
                    alert_id=alert.id,
                    channel=name,
                    status="busy",
                    attempts=before.attempts if before is not None else 0,
                    detail="another sender holds it",
                )
                continue
            claimed.append(key)
        # docs/delivery.md: outlets that carried the story since it was decided go out
        # with it, and the ledger records what was sent (``monitor alerts list``).
        sending.append(current_story(alert, store))

    def recorded(alert: Alert, outcome: _Outcome) -> LedgerEntry:
        entry, retry_after = _settled(
            alert, name, outcome, attempt=attempt, max_attempts=max_attempts, now=now
        )
        results[alert.id] = DeliveryResult(
            alert_id=alert.id,
            channel=name,
            status=_RESULT_OF[entry.status],
            attempts=attempt,
            detail=entry.detail,
            retry_after=retry_after,
        )
        return entry

    if len(sending) > 1 and isinstance(channel, BatchChannel):
        what = f"{len(sending)} alerts from {sending[0].id}"
        with metrics.stage("deliver"):
            outcome = _attempt(lambda: channel.send_each(sending), name, what)
        store.put_deliveries([recorded(alert, outcome) for alert in sending])
    else:
        # each send recorded as soon as it is done: a process stopped between two sends
        # sends again only what it had not recorded (docs/delivery.md)
        for alert in sending:
            with metrics.stage("deliver"):
                outcome = _attempt(partial(channel.send, alert), name, alert.id)
            store.put_delivery(recorded(alert, outcome))
    for key in claimed:
        store.hold_claim(key, CLAIM_RELEASED)
    return [results[alert.id] for alert in alerts]


def _settled(
    alert: Alert, channel: str, outcome: _Outcome, *, attempt: int, max_attempts: int, now: float
) -> tuple[LedgerEntry, float | None]:
    """The ledger entry of one send's outcome (sent, pending a retry or dead) and the
    seconds until that retry."""
    retry_after: float | None = None
    status: DeliveryStatus
    if outcome.failure is None:
        status, detail = "sent", "sent"
    else:
        detail, retry_after = after_failure(
            outcome.failure,
            transient=outcome.transient,
            attempt=attempt,
            max_attempts=max_attempts,
            retry_after=outcome.retry_after,
        )
        status = "dead" if retry_after is None else "pending"
        detail = one_line(detail, _MAX_DETAIL)
    entry = LedgerEntry(
        alert_id=alert.id,
        channel=channel,
        status=status,
        attempts=attempt,
        detail=detail,
        updated=now,
        payload=ledger_payload(alert),
        # a retry is due then: the poller's sweep of pending entries waits for it
        due=now + retry_after if retry_after is not None else 0.0,
    )
    return entry, retry_after


# a ledger status as a result: a settled entry is sent, pending or held for a retry, or dead
_RESULT_OF: dict[DeliveryStatus, Literal["sent", "retry", "dead"]] = {
    "sent": "sent",
    "held": "retry",
    "pending": "retry",
    "dead": "dead",
}


def deliver_digest(
    channel: DigestChannel,
    store: Store,
    *,
    max_attempts: int = 8,
    now: float,
    lease: float = DIGEST_LEASE,
) -> list[DeliveryResult]:
    """Send the alerts held for ``channel`` as one mail if its digest is due; one result
    per alert, ``[]`` when nothing is due (or another flusher has it).

    The alerts are taken with ``Store.claim_held`` (so two flushers never send the same
    ones) and marked sent only after the send; a failed send holds them for a retry per
    ``retry.compute_backoff``, and a permanent failure makes them dead letters.
    """
    entries = store.claim_held(channel.name, now=now, lease=lease)
    readable: list[LedgerEntry] = []
    alerts: list[Alert] = []
    settled: list[LedgerEntry] = []
    for entry in entries:
        try:
            alert = Alert.from_message(json.loads(entry.payload))
        except (ValueError, KeyError, TypeError):
            # cannot be rendered now or later: a dead letter, not a poison for the rest
            settled += settle([entry], failure="unreadable alert payload", max_attempts=1, now=now)
        else:
            # Held since it was decided: the outlets that carried the story meanwhile
            # go in the digest ("also carried by"), and in the ledger with it.
            current = current_story(alert, store)
            alerts.append(current)
            if current is not alert:
                entry = replace(entry, payload=ledger_payload(current))
            readable.append(entry)
    if alerts:
        held = held_by_rate(readable)
        outcome = _attempt(
            lambda: channel.send_digest(alerts, digest_id(a.id for a in alerts), held),
            channel.name,
            f"digest of {len(alerts)}",
        )
        settled += settle(
            readable,
            failure=outcome.failure,
            transient=outcome.transient,
            retry_after=outcome.retry_after,
            max_attempts=max_attempts,
            now=now,
        )
    results = []
    for entry in settled:
        store.put_delivery(entry)
        results.append(
            DeliveryResult(
                alert_id=entry.alert_id,
                channel=entry.channel,
                status=_RESULT_OF[entry.status],
                attempts=entry.attempts,
                detail=entry.detail,
                retry_after=entry.due - now if entry.status == "held" else None,
            )
        )
    return results
