"""workers.publish.send: a pooled channel left without its transport (what kombu can
leave behind after a Redis restart) costs one warning, not every later publish."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery

from monitor.logs import configure_logging
from workers.publish import send

pytestmark = pytest.mark.integration


@pytest.fixture
def app(redis_db_url: str) -> Iterator[Celery]:
    app = Celery("publish-test", broker=redis_db_url)
    yield app
    app.close()


def _task(app: Celery) -> Any:
    @app.task(name="publish_test.echo")
    def echo(value: int) -> int:
        return value

    return echo


def _strand_pooled_channel(app: Celery) -> None:
    """The state kombu leaves: the pool's connection keeps a channel whose transport
    was closed under it."""
    with app.producer_or_acquire() as producer:
        channel = producer.connection.default_channel
        channel.connection.client = None
        channel._pool = None


def _waiting(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.llen("celery"))
    finally:
        client.close()


def test_a_stranded_channel_breaks_a_plain_publish(app: Celery, redis_db_url: str) -> None:
    echo = _task(app)
    echo.apply_async((1,))
    _strand_pooled_channel(app)
    with pytest.raises(AttributeError):
        echo.apply_async((2,))
    assert _waiting(redis_db_url) == 1


def test_send_publishes_on_fresh_pools_and_keeps_publishing(
    app: Celery, redis_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", json=True)  # to this test's captured stderr
    echo = _task(app)
    send(echo, (1,))
    _strand_pooled_channel(app)
    send(echo, (2,))
    send(echo, (3,))
    assert _waiting(redis_db_url) == 3
    assert capsys.readouterr().err.count('"broker_pools_reset"') == 1
