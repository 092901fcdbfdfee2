"""Shared pytest fixtures: a real Redis on loopback for integration tests.

Does I/O: ``redis_url`` may start a throw-away ``redis-server`` on a free 127.0.0.1 port
(no persistence) and stops it at the end of the session. ``$REDIS_URL`` overrides it.
Without a usable Redis the tests are skipped locally but fail in CI (``CI=true``), so a
broken CI machine cannot pass by skipping everything.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import redis

from tests.helpers import free_port, redis_answers

_START_TIMEOUT = 10.0


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Redis is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no Redis for integration tests: {reason}")


def _redact(url: str) -> str:
    # a password in REDIS_URL must not reach the test report
    head, sep, tail = url.rpartition("@")
    return f"{head.split('//')[0]}//***@{tail}" if sep else url


def _start_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if exe is None:
        _unavailable("redis-server is not on PATH and REDIS_URL is not set")
    problem = ""
    # another process may grab the free port before redis-server binds it: try again
    for attempt in range(3):
        port = free_port()
        log_path = workdir / f"redis-{attempt}.log"
        with log_path.open("wb") as log:
            # no persistence: a test server is thrown away; --dir keeps stray files in tmp
            args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            args += ["--daemonize", "no", "--dir", str(workdir)]
            proc = subprocess.Popen(
                [exe, *args],
                cwd=workdir,
                preexec_fn=_die_with_parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if redis_answers(url):
                return proc, url
            time.sleep(0.05)
        _stop(proc)
        tail = log_path.read_text(errors="replace")[-500:]
        problem = f"redis-server on port {port} did not answer PING: {tail}"
    _unavailable(problem)


def _die_with_parent() -> None:
    """In the child: on Linux, get SIGTERM when pytest dies, even by os._exit or SIGKILL."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Redis that answers PING: ``$REDIS_URL`` or a server started for this session."""
    given = os.environ.get("REDIS_URL")
    if given:
        if not redis_answers(given):
            _unavailable(f"REDIS_URL={_redact(given)} does not answer PING")
        yield given
        return
    proc, url = _start_server(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        _stop(proc)


@pytest.fixture
def redis_db_url(redis_url: str) -> Iterator[str]:
    """``redis_url`` with its database flushed before the test and after it.

    Flushes: with ``$REDIS_URL`` set, point it at a scratch database (``.../15``).
    """
    _flush(redis_url)
    yield redis_url
    _flush(redis_url)


def _flush(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
