"""Task messages in Redis hold their JSON as text (``body_encoding: utf-8`` in the
workers' Celery settings), not base64, and their characters unescaped (``workers.app``
registers kombu's "json" so); a message queued base64, as an older version queued it,
is still read. A real Redis; kombu reads the messages as a worker does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from monitor.config.loader import load_config
from workers.app import celery_settings

pytestmark = pytest.mark.integration


def _app(redis_db_url: str, tmp_path: Path, **overrides: Any) -> Celery:
    (tmp_path / "monitor.yaml").write_text(
        f"settings:\n  broker_url: {redis_db_url}\n  state_dir: {tmp_path}\n", encoding="utf-8"
    )
    settings = celery_settings(load_config(tmp_path / "monitor.yaml", env={}))
    settings["task_routes"] = {}
    settings["broker_transport_options"] = {
        **settings["broker_transport_options"],
        **overrides,
    }
    app = Celery("message-body-test")
    app.conf.update(settings)
    return app


def _echo(app: Celery) -> Any:
    @app.task(name="message_body_test.echo")
    def echo(value: Any) -> Any:
        return value

    return echo


def _raw(redis_db_url: str) -> dict[str, Any]:
    client = redis.Redis.from_url(redis_db_url)
    try:
        (raw,) = client.lrange("process", 0, -1)
    finally:
        client.close()
    return dict(json.loads(raw))


def _read_one(app: Celery) -> Any:
    """The args of the next ``process`` message, read with kombu as a worker reads it."""
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("process")
        message = queue.get(timeout=10)
        args = message.payload[0]
        message.ack()
        queue.close()
    return args


ARGS = {"title": "Песков: «гарантии безопасности»", "body": "الناتو " * 200}


def test_a_message_holds_its_json_as_text(redis_db_url: str, tmp_path: Path) -> None:
    app = _app(redis_db_url, tmp_path)
    echo = _echo(app)
    echo.apply_async((ARGS,), queue="process")
    message = _raw(redis_db_url)
    assert message["properties"]["body_encoding"] == "utf-8"
    assert json.loads(message["body"])[0] == [ARGS]  # (args, kwargs, embed)
    # the characters as they are, not \\u escapes (which the envelope escapes again)
    assert "الناتو" in message["body"] and "\\u" not in message["body"]
    app.close()


def test_an_item_with_a_lone_surrogate_goes_escaped_and_is_read(
    redis_db_url: str, tmp_path: Path
) -> None:
    """A badly decoded feed's lone surrogate cannot be UTF-8: kombu encodes a message's
    text so before decoding it, so that message keeps kombu's escapes."""
    args = {**ARGS, "title": "Песков \ud800 garbled"}
    app = _app(redis_db_url, tmp_path)
    _echo(app).apply_async((args,), queue="process")
    assert "\\ud800" in _raw(redis_db_url)["body"]
    assert _read_one(app) == [args]
    app.close()


def test_a_base64_message_of_an_older_version_is_still_read(
    redis_db_url: str, tmp_path: Path
) -> None:
    older = _app(redis_db_url, tmp_path, body_encoding="base64")
    _echo(older).apply_async((ARGS,), queue="process")
    assert _raw(redis_db_url)["properties"]["body_encoding"] == "base64"
    older.close()

    app = _app(redis_db_url, tmp_path)  # reads as a worker of this version does
    assert _read_one(app) == [ARGS]
    app.close()
