"""The send lease (``alerts.deliver.deliver_each(lease=...)``): a copy of a deliver task
redelivered while the first copy still sends finds the lease taken and sends nothing;
the lease is released once the outcome is in the ledger, and lapses if its holder died."""

from __future__ import annotations

import time

from monitor.alerts.deliver import deliver_each, send_lease_key
from monitor.errors import TransientDeliveryError
from monitor.model import Alert, DeliveryResult
from monitor.state.memory import MemoryStore
from tests.unit.test_alerts import NOW, FakeChannel, new_alert

LEASE = 60.0


class SlowChannel(FakeChannel):
    """While sending, a second copy of the same delivery runs (the redelivered task)."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self.store = store
        self.during: list[DeliveryResult] = []

    def send(self, alert: Alert) -> None:
        if not self.during:
            self.during.append(deliver_each([alert], self, self.store, now=NOW, lease=LEASE)[0])
        super().send(alert)


def test_a_copy_redelivered_while_the_first_sends_sends_nothing() -> None:
    store = MemoryStore()
    channel, alert = SlowChannel(store), new_alert()
    result = deliver_each([alert], channel, store, now=NOW, lease=LEASE)[0]
    assert result.status == "sent"
    assert [r.status for r in channel.during] == ["busy"]
    assert channel.sent == [alert.id]  # once, not twice
    entry = store.get_delivery(alert.id, "hook")
    assert entry is not None and (entry.status, entry.attempts) == ("sent", 1)


def test_the_lease_is_released_after_the_outcome_so_a_retry_can_send() -> None:
    store, alert = MemoryStore(), new_alert()
    flaky = FakeChannel(fail=TransientDeliveryError("HTTP 503"))
    assert deliver_each([alert], flaky, store, now=NOW, lease=LEASE)[0].status == "retry"
    flaky.fail = None
    (again,) = deliver_each([alert], flaky, store, attempt=2, now=NOW + 1, lease=LEASE)
    assert again.status == "sent"
    assert flaky.sent == [alert.id, alert.id]


def test_a_lease_held_by_a_dead_sender_blocks_until_it_lapses() -> None:
    store, channel, alert = MemoryStore(), FakeChannel(), new_alert()
    assert store.claim_feed(send_lease_key("hook", alert.id), 0.05)  # its holder died
    assert deliver_each([alert], channel, store, now=NOW, lease=LEASE)[0].status == "busy"
    assert channel.sent == [] and store.get_delivery(alert.id, "hook") is None
    time.sleep(0.06)
    assert deliver_each([alert], channel, store, now=NOW, lease=LEASE)[0].status == "sent"


def test_a_stale_copy_of_a_dead_lettered_delivery_sends_nothing() -> None:
    """The poller's sweep queued a pending delivery again while its first task still
    waited; the first was refused for good (a 400): the copy must not send it again."""
    from monitor.errors import DeliveryError
    from monitor.pipeline import dead_already

    store, alert = MemoryStore(), new_alert()
    refused = FakeChannel(fail=DeliveryError("HTTP 400"))
    (result,) = deliver_each([alert], refused, store, attempt=1, now=NOW, lease=LEASE)
    assert result.status == "dead"
    assert dead_already([alert.id], "hook", 1, store) == {alert.id}  # the sweep's copy
    assert dead_already([alert.id], "hook", 2, store) == set()  # a later attempt is no copy
    assert dead_already([alert.id], "other", 1, store) == set()  # nothing recorded there
