"""Logging (README, Commands): every stderr line is JSON off a TTY, the stdlib's records (Celery,
kombu, redis, Python warnings) included, and ``--log-level`` reaches the worker and the
poller that ``python -m workers`` starts."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import structlog

import workers.__main__ as workers_main
from monitor.logs import configure_logging
from tests.helpers import ROOT
from workers import app as app_module


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """These tests configure logging for the whole process: put it back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("celery").level, logging.lastResort)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("celery").setLevel(saved[2])
    logging.lastResort = saved[3]
    logging.captureWarnings(False)
    structlog.reset_defaults()


def _lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_stdlib_records_are_json_lines_like_ours(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json=True)
    structlog.get_logger("monitor.test").info("poll", feed="wire")
    logging.getLogger("celery.worker.strategy").info("Task %s received", "monitor.poll_feed[1]")
    logging.getLogger("kombu.connection").warning("connection lost")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("redis").exception("broker fault")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)  # catch_warnings put showwarning back
        warnings.warn("running as root", UserWarning, stacklevel=1)
    lines = _lines(capsys.readouterr().err)  # any line that is not JSON raises here
    assert [line["event"] for line in lines[:4]] == [
        "poll",
        "Task monitor.poll_feed[1] received",
        "connection lost",
        "broker fault",
    ]
    assert lines[1]["logger"] == "celery.worker.strategy" and lines[1]["level"] == "info"
    assert lines[2]["level"] == "warning" and "timestamp" in lines[2]
    assert "RuntimeError: boom" in lines[3]["exception"]
    assert lines[4]["logger"] == "py.warnings" and "running as root" in lines[4]["event"]


def test_a_logger_without_handlers_is_rendered_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json=True)
    orphan = logging.getLogger("multiprocessing-like")
    orphan.propagate = False  # as billiard's "multiprocessing" logger: no handler, no parent
    try:
        orphan.error("Process %r exited with %r", "ForkPoolWorker-1", "signal 9")
    finally:
        orphan.propagate = True
    (line,) = _lines(capsys.readouterr().err)
    assert line["event"] == "Process 'ForkPoolWorker-1' exited with 'signal 9'"


def test_the_level_applies_to_ours_and_to_celery_libraries_stay_quieter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("warning", json=True)
    structlog.get_logger("monitor.test").info("hidden")
    logging.getLogger("celery.worker").info("hidden too")
    logging.getLogger("celery.worker").warning("shown")
    assert [line["event"] for line in _lines(capsys.readouterr().err)] == ["shown"]

    configure_logging("debug", json=True)
    structlog.get_logger("monitor.test").debug("ours")
    logging.getLogger("celery.worker").debug("celery's")
    logging.getLogger("kombu").info("not kombu's chatter")
    assert [line["event"] for line in _lines(capsys.readouterr().err)] == ["ours", "celery's"]


def test_console_lines_on_a_tty_for_stdlib_records_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json=False)
    logging.getLogger("celery.apps.worker").info("celery@host ready.")
    err = capsys.readouterr().err
    assert "celery@host ready." in err and not err.lstrip().startswith("{")


# --- --log-level reaches python -m workers -------------------------------------------------
@pytest.fixture
def handover(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``python -m workers`` with Celery and the poll loop stubbed: what they were given."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        workers_main, "configure_logging", lambda level: seen.setdefault("level", level)
    )
    monkeypatch.setattr(app_module, "use_config", lambda path: None)
    stub = SimpleNamespace(config=SimpleNamespace(settings=None), request=lambda: None)
    monkeypatch.setattr(app_module, "config_reloader", lambda: stub)
    monkeypatch.setattr(app_module, "configure", lambda config: None)
    monkeypatch.setattr(app_module, "warm_up", lambda: None)  # no config to warm up with
    monkeypatch.setattr(app_module.app, "start", lambda argv: seen.setdefault("celery", argv) and 0)
    monkeypatch.setattr(workers_main, "open_store", lambda settings, distributed: _Closable())
    monkeypatch.setattr(workers_main, "HistoryRecorder", lambda settings, stop: _Closable())
    monkeypatch.setattr(workers_main, "run_poller", lambda *a, **k: seen.setdefault("poller", True))
    monkeypatch.setattr(workers_main.signal, "signal", lambda *a: None)
    return seen


class _Closable:
    def close(self) -> None:
        pass


@pytest.mark.parametrize("flag", ["--log-level", "--loglevel", "-l"])
def test_the_worker_logs_and_has_celery_log_at_the_level_given(
    handover: dict[str, Any], flag: str, tmp_path: Path
) -> None:
    workers_main.main(["worker", "--config", str(tmp_path), flag, "debug", "--pool", "solo"])
    assert handover["level"] == "debug"
    argv = handover["celery"]
    assert "--loglevel=DEBUG" in argv and argv[-2:] == ["--pool", "solo"]
    assert not any(arg.upper() == "--LOGLEVEL=INFO" for arg in argv)


def test_the_poller_logs_at_the_level_given(handover: dict[str, Any], tmp_path: Path) -> None:
    workers_main.main(["poller", "--config", str(tmp_path), "--log-level", "warning"])
    assert handover == {"level": "warning", "poller": True}


def test_without_a_level_both_log_at_info(handover: dict[str, Any], tmp_path: Path) -> None:
    workers_main.main(["worker", "--config", str(tmp_path)])
    assert handover["level"] == "info" and "--loglevel=INFO" in handover["celery"]


def test_celery_configures_no_logging_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    # `celery -A workers.app worker --loglevel=...` too: Celery calls the receiver, and
    # with one connected it adds no handler of its own and redirects nothing.
    from celery import signals

    receivers = signals.setup_logging.send(sender=None, loglevel=logging.WARNING)
    assert receivers, "workers.app connects a setup_logging receiver"
    logging.getLogger("celery.worker").info("hidden")
    logging.getLogger("celery.worker").warning("shown")
    assert [h.formatter.__class__ for h in logging.getLogger().handlers] == [
        structlog.stdlib.ProcessorFormatter
    ]
    assert "shown" in capsys.readouterr().err


@pytest.mark.parametrize("before", [True, False])
def test_monitor_worker_hands_its_log_level_to_python_m_workers(
    monkeypatch: pytest.MonkeyPatch, before: bool
) -> None:
    """``monitor worker --log-level debug`` (before or after the command) reaches the
    worker's own ``--log-level``; a ``--loglevel`` among Celery's extra arguments comes
    later, so it wins."""
    from monitor import cli

    seen: list[list[str]] = []

    def execv(path: str, argv: list[str]) -> None:
        seen.append(argv)

    monkeypatch.setattr(cli.os, "execv", execv)
    config = str(ROOT / "config")
    args = ["--log-level", "debug", "worker", "--config", config]
    if not before:
        args = ["worker", "--config", config, "--log-level", "debug"]
    assert cli.main([*args, "--loglevel", "warning"]) == 0
    (argv,) = seen
    assert argv[argv.index("--log-level") + 1] == "debug"
    assert argv.index("--log-level") < argv.index("--loglevel")


class _Writes:
    """A stderr that records each write call (what reaches the file descriptor at once
    when several processes share it)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_every_line_is_written_whole_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _Writes()
    monkeypatch.setattr("sys.stderr", stderr)
    configure_logging("info")
    structlog.get_logger("t").info("delivery", alert="a", channel="archive")
    logging.getLogger("celery.worker").warning("from a library")
    assert len(stderr.calls) == 2
    assert all(call.endswith("\n") and call.count("\n") == 1 for call in stderr.calls)
    assert [json.loads(call)["event"] for call in stderr.calls] == ["delivery", "from a library"]
