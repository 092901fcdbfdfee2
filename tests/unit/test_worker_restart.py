"""``python -m workers worker``: a Celery worker that stops on an unrecoverable error
(what kombu 5.7 gives when Redis goes away under the consumer) is started again in the
same process with the same arguments, also when its warm shutdown hangs; any other
ending is final."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

import workers.__main__ as entry

ARGV = ["worker", "--config", "monitor.yaml", "--concurrency", "1"]
CELERY_ARGV = ["worker", "--loglevel=INFO", "-Q", "poll,process,deliver", "--concurrency", "1"]


class ExecCalled(Exception):
    pass


def _unrecoverable() -> None:
    # the record Celery's WorkController.start logs before it stops the worker
    logging.getLogger("celery.worker.worker").critical(
        "Unrecoverable error: %r", AttributeError("_connparams"), exc_info=False
    )


def _run(monkeypatch: pytest.MonkeyPatch, start: Any) -> tuple[int | None, dict[str, Any]]:
    seen: dict[str, Any] = {"starts": [], "exec": None, "execed": threading.Event()}

    def fake_start(argv: list[str]) -> object:
        seen["starts"].append(argv)
        return start(seen)

    def fake_exec(path: str, args: list[str]) -> None:
        seen["exec"] = args
        seen["execed"].set()
        raise ExecCalled

    monkeypatch.setattr(entry.app_module.app, "start", fake_start)
    monkeypatch.setattr(entry.os, "execv", fake_exec)
    monkeypatch.setattr(entry, "RESTART_AFTER", 0.0)
    monkeypatch.setattr(entry, "SHUTDOWN_GRACE", 0.2)
    try:
        return entry.run_worker(CELERY_ARGV, ARGV), seen
    except ExecCalled:
        return None, seen


def _ending(value: object) -> Any:
    def start(seen: dict[str, Any]) -> object:
        if isinstance(value, BaseException):
            raise value
        return value

    return start


@pytest.mark.parametrize("ending", [1, SystemExit(1), 0])
def test_an_unrecoverable_error_starts_the_worker_again(
    monkeypatch: pytest.MonkeyPatch, ending: object
) -> None:
    def start(seen: dict[str, Any]) -> object:
        _unrecoverable()
        return _ending(ending)(seen)

    code, seen = _run(monkeypatch, start)
    assert code is None  # replaced by the same command
    assert seen["exec"][1:] == ["-m", "workers", *ARGV]
    assert seen["starts"] == [CELERY_ARGV]


def test_a_shutdown_that_hangs_after_the_error_is_cut_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def start(seen: dict[str, Any]) -> object:
        _unrecoverable()
        # Celery's warm shutdown, wedged on the dead broker connection
        assert seen["execed"].wait(10), "no restart while the shutdown hung"
        return 0

    _code, seen = _run(monkeypatch, start)
    assert seen["exec"][1:] == ["-m", "workers", *ARGV]


@pytest.mark.parametrize(
    ("ending", "expected"),
    [(None, 0), (0, 0), (1, 1), (SystemExit(0), 0), (SystemExit(2), 2), (SystemExit("x"), 1)],
)
def test_any_other_ending_is_final(
    monkeypatch: pytest.MonkeyPatch, ending: object, expected: int
) -> None:
    code, seen = _run(monkeypatch, _ending(ending))
    assert seen["exec"] is None
    assert code == expected


def test_an_error_logged_elsewhere_is_not_a_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    def start(seen: dict[str, Any]) -> object:
        logging.getLogger("celery.worker.consumer").critical("Unrecoverable error: %r", 1)
        logging.getLogger("celery.worker.worker").error("Unrecoverable error: %r", 1)
        return 0

    code, seen = _run(monkeypatch, start)
    assert (code, seen["exec"]) == (0, None)
