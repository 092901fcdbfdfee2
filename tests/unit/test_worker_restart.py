"""``python -m workers worker``: a Celery worker that ends on an unrecoverable error
(exit code 70, what kombu 5.7 gives when Redis goes away under the consumer) is started
again in the same process with the same arguments; any other ending is final."""

from __future__ import annotations

from typing import Any

import pytest

import workers.__main__ as entry

ARGV = ["worker", "--config", "monitor.yaml", "--concurrency", "1"]
CELERY_ARGV = ["worker", "--loglevel=INFO", "-Q", "poll,process,deliver", "--concurrency", "1"]


class ExecCalled(Exception):
    pass


def _run(monkeypatch: pytest.MonkeyPatch, ending: object) -> tuple[int | None, dict[str, Any]]:
    seen: dict[str, Any] = {"starts": [], "exec": None}

    def fake_start(argv: list[str]) -> object:
        seen["starts"].append(argv)
        if isinstance(ending, BaseException):
            raise ending
        return ending

    def fake_exec(path: str, args: list[str]) -> None:
        seen["exec"] = args
        raise ExecCalled

    monkeypatch.setattr(entry.app_module.app, "start", fake_start)
    monkeypatch.setattr(entry.os, "execv", fake_exec)
    monkeypatch.setattr(entry, "RESTART_AFTER", 0.0)
    try:
        return entry.run_worker(CELERY_ARGV, ARGV), seen
    except ExecCalled:
        return None, seen


@pytest.mark.parametrize("ending", [70, SystemExit(70)])
def test_an_unrecoverable_error_starts_the_worker_again(
    monkeypatch: pytest.MonkeyPatch, ending: object
) -> None:
    code, seen = _run(monkeypatch, ending)
    assert code is None  # replaced by the same command
    assert seen["exec"][1:] == ["-m", "workers", *ARGV]
    assert seen["starts"] == [CELERY_ARGV]


@pytest.mark.parametrize(
    ("ending", "expected"),
    [(None, 0), (0, 0), (1, 1), (SystemExit(0), 0), (SystemExit(2), 2), (SystemExit("x"), 1)],
)
def test_any_other_ending_is_final(
    monkeypatch: pytest.MonkeyPatch, ending: object, expected: int
) -> None:
    code, seen = _run(monkeypatch, ending)
    assert seen["exec"] is None
    assert code == expected
