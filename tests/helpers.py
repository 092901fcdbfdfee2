"""Shared helpers for tests that run the monitor as users do: a copy of the
shipped example config pointed at a temporary drop folder and archive."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
import redis

from monitor.config.loader import load_config
from monitor.errors import MonitorError, TransientError
from monitor.match.engine import build_matcher
from monitor.model import WireItem
from monitor.pipeline import Runtime, build_channels
from monitor.state.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]
# The shared corpus of real feeds sits beside the clone (CI, /work/main) or beside the
# worktrees; the tests that read it skip (or read less) where it is not.
_CORPUS_PLACES = (ROOT.parent / "shared" / "corpus", ROOT.parents[1] / "shared" / "corpus")
CORPUS = next((p for p in _CORPUS_PLACES if p.is_dir()), _CORPUS_PLACES[0])
SEEDS = ROOT / "seeds"
SEED_AR = SEEDS / "peskov-security-guarantees.ar.txt"


T = TypeVar("T")


def with_peak_memory(call: Callable[[], T]) -> tuple[T, int]:
    """``call()``'s result and the peak bytes Python allocated while it ran: a bound on
    memory shows a bomb was not expanded without a wall-clock limit, which a loaded
    machine breaks."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@contextmanager
def raises_permanent(
    kind: type[MonitorError], match: str | None = None
) -> Iterator[pytest.ExceptionInfo[MonitorError]]:
    """``pytest.raises(kind)`` that also fails on a transient error: a
    ``TransientFetchError`` is a ``FetchError`` (``monitor.errors``), so a plain
    ``raises_permanent(FetchError)`` would accept a fault the code means to retry."""
    with pytest.raises(kind, match=match) as caught:
        yield caught
    assert not isinstance(caught.value, TransientError), f"transient: {caught.value!r}"


def example_config(tmp_path: Path, *, seeds: list[Path] | None = None) -> Path:
    """Write the shipped config with its drop folder and archive moved under ``tmp_path``.

    Returns the config directory; the drop folder is ``tmp_path / "inbox"`` holding
    ``seeds`` (default: none) and the archive is ``tmp_path / "alerts.jsonl"``.
    """
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for seed in seeds or []:
        shutil.copy(seed, inbox / seed.name)
    text = (ROOT / "config" / "monitor.yaml").read_text(encoding="utf-8")
    text = text.replace("path: ./seeds", f"path: {inbox}")
    text = text.replace("every: 10s", "every: 1s")
    archive = "path: ${MONITOR_STATE_DIR:-./.monitor}/alerts.jsonl"
    assert archive in text, "the shipped config's archive path moved: update this helper"
    text = text.replace(archive, f"path: {tmp_path / 'alerts.jsonl'}")
    assert str(inbox) in text
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "monitor.yaml").write_text(text, encoding="utf-8")
    return config_dir


def example_runtime(tmp_path: Path, seeds: list[Path]) -> Runtime:
    """The embedded runner's runtime on ``example_config(tmp_path, seeds=seeds)``, its
    state in ``tmp_path / "state.db"``."""
    config = load_config(example_config(tmp_path, seeds=seeds), env={})
    store = SqliteStore(tmp_path / "state.db")
    return Runtime(config, store, build_matcher(config), build_channels(config))


def archived_ids(tmp_path: Path) -> list[str]:
    """The ids of the alerts in ``example_config``'s archive, in the order sent."""
    path = tmp_path / "alerts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line)["alert"]["id"] for line in lines if line.strip()]


def monitor_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(MONITOR_STATE_DIR=str(tmp_path / "state"), PYTHONUNBUFFERED="1", **extra)
    return env


def run_monitor(
    args: list[str], tmp_path: Path, *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=tmp_path,
        env=env or monitor_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_monitor(
    args: list[str], tmp_path: Path, *, stderr: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``monitor ARGS`` running in the background, its logs into ``stderr``."""
    with stderr.open("w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            cwd=tmp_path,
            env=env or monitor_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )


def http_get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``http://127.0.0.1:PORT/PATH``: status and body; ``(0, b"")`` when nothing
    answers (a server not up yet)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read()
    except OSError:
        return 0, b""


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@contextmanager
def http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve ``handler`` on a free 127.0.0.1 port from a thread; yields the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_answers(url: str) -> bool:
    """True when the Redis at ``url`` answers PING within half a second."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


def stop_processes(procs: list[subprocess.Popen[str]], timeout: float = 20) -> None:
    """SIGTERM every process, then wait for each (killing any that outlive ``timeout``)."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def document_files(folders: list[Path]) -> list[tuple[str, bytes]]:
    """(path, bytes) of every file below ``folders``, gzipped ones decompressed: the
    documents the parser tests read (add ``CORPUS`` when it is there)."""
    found: list[tuple[str, bytes]] = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            found.append((str(path), data))
    return found


def corpus_items() -> list[WireItem]:
    """Every item the parsers read from the shared corpus, one per id (none without it)."""
    from monitor.sources.context import SourceContext
    from monitor.sources.detect import parse_bytes

    parsed: dict[str, WireItem] = {}
    if not CORPUS.is_dir():
        return []
    for path in sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in {".md", ".tsv"}
    ):
        try:
            items = parse_bytes(path.read_bytes(), SourceContext(source=str(path)))
        except Exception:  # what the parsers refuse is not the reader's concern
            continue
        parsed.update((item.id, item) for item in items)
    return list(parsed.values())
