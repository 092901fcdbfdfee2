"""Benchmark: the whole pipeline, embedded and distributed, against a plain loop.

Run ``make bench`` (the compiled build) or ``.venv/bin/python bench/bench_pipeline.py``
(the pure sources); the first line says which build was measured. Realistic ~3 KB
items (the Zipf vocabulary of ``bench/corpus.py``), one in 50 naming a term of the
example config's watchlist (``config/``), served as RSS by a loopback feed server
(``bench/feedserver.py``) in ``--feeds`` feeds of ``--items`` items. One run prints:

(a) embedded items/s: ``EmbeddedRunner.run(once=True)`` (what ``monitor run --once``
    drives) in this process, against a temp state dir;
(b) distributed items/s with 1 and 2 worker processes: ``monitor poller`` and
    ``monitor worker --concurrency N`` against a redis-server this bench starts, from
    the poller's first poll queued until every item is seen and none is still queued
    (the poller's start-up before that is printed apart);
(c) a per-stage breakdown in µs per item of a second embedded run, its functions
    wrapped with timers from here (``bench/stages.py``; exclusive times); and of the
    worker's task bodies run in this process on the same items (``worker_stages``),
    beside (b)'s pool children's CPU per item, to tell the work from Celery's share;
(d) publish-to-alert latency p50/p99 at a steady ``--rate`` items/s (default 200),
    distributed with 2 workers: feed item visible -> alert line in the file channel;
(e) the every-item-matches worst case in alerts/s: embedded, and distributed with 2
    workers until every alert is in the file channel;
(f) start-up: ``monitor match`` on the example config, and load + compile of a
    10k-term config in a fresh process;
beside them the BASELINE measured in the same run: feedparser plus the matcher in a
plain loop in one process. Every figure is printed with its ratio to the baseline
(throughput: ours / baseline; costs: ours / baseline's), and new words per item
(normalised forms the process met for the first time). Results go to the
``## bench_pipeline`` section of bench/RESULTS.md. Targets: issue #11.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

import feedparser
import yaml
from corpus import make_config_data, make_corpus
from feedserver import FeedServer, FeedServerProcess
from results import RESULTS, write_section
from stages import StageTimer

from monitor.config.loader import load_config
from monitor.logs import configure_logging
from monitor.match.engine import build_matcher
from monitor.model import WireItem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = ROOT / "config" / "monitor.yaml"
SEED = ROOT / "seeds" / "peskov-security-guarantees.ar.txt"
STAGES = (
    "fetch", "parse", "clean", "language", "match", "decide", "store", "history", "deliver",
    "queue",
)  # fmt: skip
# A term of the example watchlist (russia-nato) in each language of the corpus.
TERMS = {
    "en": "NATO",
    "fr": "OTAN",
    "de": "Sicherheitsgarantien",
    "ru": "НАТО",
    "uk": "Україна",
    "ar": "الناتو",
}
_TAGS = re.compile(r"<[^>]+>")


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """A progress line on stderr (the figures go to stdout)."""
    print(f"[{time.perf_counter() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# --- items and config -------------------------------------------------------------------
def make_items(
    count: int, every: int, prefix: str, vocab: int = 20_000, seed: int = 1
) -> list[dict[str, Any]]:
    """``count`` corpus items; every ``every``-th names a watchlist term."""
    items = make_corpus(seed=seed, items=count, vocab_size=vocab).items
    return [variant(item, prefix, matching=n % every == 0) for n, item in enumerate(items)]


def wire_items(count: int, every: int, prefix: str, seed: int = 1) -> list[WireItem]:
    """``make_items`` as ``WireItem``s, fetched at one fixed time."""
    return [
        WireItem.from_dict({**data, "fetched_at": "2026-03-01T12:00:00+00:00"})
        for data in make_items(count, every, prefix, seed=seed)
    ]


def variant(item: dict[str, Any], prefix: str, *, matching: bool) -> dict[str, Any]:
    body = item["body"]
    if matching:
        head, _, rest = body.partition("\n\n")
        body = f"{head} {TERMS[item['language']]}.\n\n{rest}"
    return {**item, "id": f"{prefix}-{item['id']}", "body": body}


def split_feeds(items: list[dict[str, Any]], feeds: int) -> list[list[dict[str, Any]]]:
    return [items[n::feeds] for n in range(feeds)]


def write_config(folder: Path, urls: list[str], *, broker_url: str = "", every: str = "1h") -> Path:
    """The example config's topics, speakers and watchlist, with the bench's feeds and
    one file channel (``alerts.jsonl``) under ``folder``. ``every``: 1h for the
    throughput runs (each feed is polled once, at start), 1s for the latency run."""
    example = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    watchlists = {
        name: {**wl, "channels": ["archive"]} for name, wl in example["watchlists"].items()
    }
    data = {
        "feeds": [
            {"id": f"bench-{n}", "url": url, "every": every, "allow_private": True}
            for n, url in enumerate(urls)
        ],
        "topics": example["topics"],
        "speakers": example["speakers"],
        "watchlists": watchlists,
        "channels": {"archive": {"type": "file", "path": str(folder / "alerts.jsonl")}},
        "settings": {"state_dir": str(folder / "state"), "broker_url": broker_url},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def alerts_written(folder: Path) -> int:
    """The lines in the file channel's ``alerts.jsonl`` under ``folder`` so far."""
    path = folder / "alerts.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


# --- caches and words -------------------------------------------------------------------
def clear_caches() -> None:
    """Forget every word the process has met: each measurement starts cold."""
    from monitor.history import fulltext
    from monitor.text import morph, normalize, tokenize

    normalize.normalize_token.cache_clear()
    morph.text_keys.cache_clear()
    # the history's keys too: an in-process history writer starts as cold as the
    # writer process `monitor run` spawns
    fulltext._word_keys.cache_clear()
    fulltext._chunk_keys.cache_clear()
    clear = getattr(tokenize, "clear_caches", None)
    if clear is not None:
        clear()


def words_met() -> int:
    from monitor.text.normalize import normalize_token

    return normalize_token.cache_info().misses


def build_name() -> str:
    from monitor.compiled import imported_files

    files = list(imported_files().values())
    compiled = sum(file.endswith(".so") for file in files)
    where = Path(files[0]).parents[2]
    if compiled == len(files):
        return f"compiled by mypyc ({compiled} modules, from {where})"
    if not compiled:
        return f"pure Python (from {where})"
    return f"mixed: {compiled} of {len(files)} modules compiled"


# --- the measurements -------------------------------------------------------------------
def baseline(server: FeedServerProcess, config_path: Path, feeds: int) -> dict[str, float]:
    """feedparser plus the matcher in a plain loop: no state, no dedup, no delivery."""
    config = load_config(config_path)
    matcher = build_matcher(config)
    clear_caches()
    documents = [server.document(n) for n in range(feeds)]
    words, items, matched = words_met(), 0, 0
    started = time.perf_counter()
    for n, document in enumerate(documents):
        parsed = feedparser.parse(document)
        for entry in parsed.entries:
            body = _TAGS.sub(" ", entry.get("summary", ""))
            item = WireItem(
                id=entry.get("id", ""), title=entry.get("title", ""), body=body, source=str(n)
            )
            matched += bool(matcher.match(item))
            items += 1
    elapsed = time.perf_counter() - started
    return {
        "items": items,
        "matched": matched,
        "seconds": elapsed,
        "rate": items / elapsed,
        "words": (words_met() - words) / max(1, items),
    }


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (and been waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_item_stages(timer: StageTimer) -> None:
    """Put ``timer`` on the stages an item goes through in either mode (fetch, parse,
    clean, language, decide, the poll's commit, the history's write)."""
    from monitor import pipeline
    from monitor.history.recorder import HistoryRecorder
    from monitor.match import engine
    from monitor.sources import feeds as feeds_module

    timer.patch(pipeline, "fetch_feed", "fetch")
    timer.patch(pipeline, "parse_bytes", "parse")
    for name in ("html_to_text", "clean_text", "tidy_story", "cap"):
        timer.patch(feeds_module, name, "clean")
    timer.patch(feeds_module, "item_language", "language")
    # the matcher's own detection (fields without a language): seen on the pure
    # build only; compiled code calls it directly and it counts as match there
    timer.patch(engine, "detect_language", "language")
    timer.patch(pipeline, "decide_story", "decide")
    timer.patch(pipeline, "record_pending", "decide")
    timer.patch(pipeline, "commit_poll", "store")
    timer.patch(HistoryRecorder, "write", "history")


def embedded(
    config_path: Path,
    timer: StageTimer | None = None,
    *,
    history_process: bool = True,
    spawned: bool = False,
) -> dict[str, Any]:
    """One ``run(once=True)`` of the embedded runner over every feed, in this process;
    its history written by a process of its own, as ``monitor run`` does, unless not
    ``history_process``; ``spawned``: that process spawned whatever this one runs (as
    every writer started before a runner with one thread forked it)."""
    from monitor import pipeline, runner
    from monitor.history.recorder import HistoryRecorder
    from monitor.runner import EmbeddedRunner

    config = load_config(config_path)
    runtime = pipeline.Runtime.build(config)
    clear_caches()
    if timer is not None:
        runtime.store = timer.timed_object(runtime.store, "store")
        runtime.matcher = timer.timed_object(runtime.matcher, "match")
        time_item_stages(timer)
        timer.patch(runner, "deliver_alerts", "deliver")
        timer.patch(HistoryRecorder, "submit", "history")
        timer.patch(HistoryRecorder, "flush_attempts", "history")
    from monitor.history import writer as writer_module

    words = words_met()
    # as `monitor run` decides it, from this process's threads: forked or spawned
    decide: Callable[[], str] = (lambda: "spawn") if spawned else writer_module.start_method
    writer_start = decide() if history_process else ""
    try:
        with mock.patch.object(writer_module, "start_method", decide):
            started, cpu, reaped = time.perf_counter(), time.process_time(), children_cpu()
            stats = EmbeddedRunner(runtime, history_process=history_process).run(once=True)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        # the writer process, joined when the run ends (its start-up included)
        writer = children_cpu() - reaped
    finally:
        if timer is not None:
            timer.restore()
        runtime.close()
    return {
        "items": stats.items,
        "alerts": stats.alerts,
        "seconds": elapsed,
        "cpu": cpu,
        "writer_cpu": writer,
        "rate": stats.items / elapsed,
        "alert_rate": stats.alerts / elapsed,
        "words": (words_met() - words) / max(1, stats.items),
        "writer_start": writer_start,
    }


def queue_cost(config_path: Path, items: list[dict[str, Any]], source: str) -> float:
    """Seconds per item a poll spends queueing an item for the workers (the queued-item
    record and its share of a Celery message to Redis) and a worker spends reading the
    item from its record and finishing the record."""
    from monitor import pipeline
    from monitor.state import open_store

    os.environ["MONITOR_CONFIG"] = str(config_path)
    from workers.app import use_config

    use_config(config_path)
    from workers import tasks

    config = load_config(config_path)
    store = open_store(config.settings, distributed=True)
    wire = [
        WireItem(id=i["id"], title=i["title"], body=i["body"], source=source, feed_id="q")
        for i in items
    ]
    started = time.perf_counter()
    # as the poll task and the workers do it: a poll's items recorded in one write and
    # their keys sent ``ITEM_BATCH`` to a message; a batch's records read in one read,
    # then forgotten in one store batch
    for chunk in range(0, len(wire), 100):
        batch = wire[chunk : chunk + 100]
        pipeline.record_queued(batch, store, now=time.time())
        tasks.queue_items([pipeline.queued_key(item) for item in batch])
    for chunk in range(0, len(wire), tasks.ITEM_BATCH):
        batch = wire[chunk : chunk + tasks.ITEM_BATCH]
        payloads = store.queued_payloads([pipeline.queued_key(item) for item in batch])
        assert all(payload is not None for payload in payloads)
        [WireItem.from_dict(json.loads(str(payload))) for payload in payloads]
        with store.batch():
            for item in batch:
                pipeline.finish_queued(item, store)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed / len(wire)


def worker_stages(
    folder: Path, url: str, feeds: list[list[dict[str, Any]]], timer: StageTimer
) -> dict[str, float]:
    """What the pool children of (b) do, in this process with stage timers: the worker's
    task bodies called here, as a worker runs them (``monitor.poll_feeds`` for every feed,
    then each ``monitor.process_queued`` and ``deliver``/``deliver_batch`` with the
    arguments the tasks before them sent). Their messages still go to Redis (the
    ``queue`` stage: publishing), where no worker takes them. The store is the Redis
    store, the history written in the task, as in a worker. Not here: Celery's own share
    of a task (its message read, decoded and acknowledged, the pool's hand-off), which
    (b)'s pool children's CPU per item less these stages shows."""
    from monitor import pipeline
    from workers.app import app, process, use_config
    from workers.publish import send as publish_send

    server = FeedServerProcess(feeds)
    config_path = write_config(folder, server.urls, broker_url=url)
    use_config(config_path)  # the app's broker, unless an earlier run set it already
    from workers import tasks

    app.conf.broker_url  # noqa: B018 (the app configured now, not in a timed call)
    config = load_config(config_path)
    runtime = pipeline.Runtime.build(config, distributed=True)
    runtime.store = timer.timed_object(runtime.store, "store")
    runtime.matcher = timer.timed_object(runtime.matcher, "match")
    sent: list[tuple[Any, tuple[Any, ...]]] = []
    publish = timer.wrap("queue", publish_send)

    def send(task: Any, args: tuple[Any, ...], **options: Any) -> None:
        publish(task, args, **options)
        sent.append((task, args))

    time_item_stages(timer)
    timer.patch(tasks, "_send_now", "deliver")
    saved = (process.runtime, process.reloader, process.history)
    process.runtime, process.reloader, process.history = runtime, None, None
    clear_caches()
    try:
        with mock.patch.object(tasks, "send", send):
            started, cpu = time.perf_counter(), time.process_time()
            tasks.poll_feeds([feed.id for feed in config.feeds])
            while sent:
                task, args = sent.pop(0)
                if task is not tasks.poll_feeds:
                    task(*args)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        timer.restore()
        if process.history is not None:
            process.history.close()
        process.runtime, process.reloader, process.history = saved
        runtime.close()
        server.close()
    return {"items": sum(map(len, feeds)), "seconds": elapsed, "cpu": cpu}


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("bench_pipeline: redis-server is not on PATH (apt install redis-server)")
    import redis

    for _attempt in range(3):
        port = _free_port()
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        proc = subprocess.Popen(
            [exe, *args, "--dir", str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}"
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                if client.ping():
                    break
            except redis.RedisError:
                time.sleep(0.05)
        else:
            proc.terminate()
            proc.wait()
            continue
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        return
    raise SystemExit("bench_pipeline: redis-server did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Distributed:
    """``monitor worker --concurrency N`` and ``monitor poller`` on one config."""

    def __init__(self, folder: Path, config_path: Path, workers: int) -> None:
        self.folder = folder
        self.config_path = config_path
        self.workers = workers
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []

    def _start(self, role: str, *extra: str) -> None:
        monitor = str(Path(sys.executable).with_name("monitor"))
        err = (self.folder / f"{role}.err.log").open("wb")
        self.logs.append(err)
        self.procs.append(
            subprocess.Popen(
                [monitor, role, "--config", str(self.config_path), *extra],
                cwd=self.folder,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        )

    def start_worker(self, timeout: float) -> None:
        self._start("worker", "--pool", "prefork", "--concurrency", str(self.workers))
        log = self.folder / "worker.err.log"
        if not wait_for(lambda: b"ready" in log.read_bytes(), timeout):
            raise SystemExit(f"bench_pipeline: the worker did not start; see {log}")

    def start_poller(self) -> None:
        self._start("poller")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def all_processed(config_path: Path, feeds: list[list[dict[str, Any]]]) -> Callable[[], bool]:
    """True once every item is seen (polled) and none is still queued (processed)."""
    from monitor.state import open_store

    config = load_config(config_path)
    store = open_store(config.settings, distributed=True)

    def done() -> bool:
        for n, feed in enumerate(feeds):
            if store.seen_filter(f"bench-{n}", [item["id"] for item in feed]):
                return False
        return store.count_queued() == 0

    return done


def _first_poll_queued(log: Path) -> float:
    """Wall time of the poller's first ``polls_queued`` line."""
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"polls_queued"' in line:
            stamp = json.loads(line)["timestamp"].replace("Z", "+00:00")
            return datetime.fromisoformat(stamp).timestamp()
    raise SystemExit(f"bench_pipeline: the poller queued no poll; see {log}")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from Linux's /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a worker's pool children)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def redis_cpu(url: str) -> float:
    import redis

    client = redis.Redis.from_url(url)
    info = client.info("cpu")
    client.close()
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def distributed(
    folder: Path,
    url: str,
    feeds: list[list[dict[str, Any]]],
    workers: int,
    timeout: float,
    *,
    alerts: int = 0,
) -> dict[str, float]:
    """Items/s from the poller's first poll queued to the last item processed, or with
    ``alerts`` to the moment that many alerts are in the file channel (the poller's own
    start-up, imports and connecting, is reported apart); and the CPU seconds each
    process used from the poller's start to the end (the poller's start-up included)."""
    server = FeedServer(feeds)
    config_path = write_config(folder, server.urls, broker_url=url)
    run = Distributed(folder, config_path, workers)
    total = sum(map(len, feeds))
    cpu: dict[str, float] = {}
    try:
        run.start_worker(timeout)
        processed = all_processed(config_path, feeds)

        def done() -> bool:
            # the file is read only once every item is processed
            return processed() and (not alerts or alerts_written(folder) >= alerts)

        worker = run.procs[0].pid
        pool = child_pids(worker)
        before = {
            "main": process_cpu(worker),
            "pool": sum(map(process_cpu, pool)),
            "redis": redis_cpu(url),
        }
        started = time.time()
        run.start_poller()
        finished = wait_for(done, timeout, interval=0.05)
        ended = time.time()
        cpu = {
            "cpu_main": process_cpu(worker) - before["main"],
            "cpu_pool": sum(map(process_cpu, child_pids(worker))) - before["pool"],
            "cpu_poller": process_cpu(run.procs[1].pid),
            "cpu_redis": redis_cpu(url) - before["redis"],
            "cpu_wall": ended - started,
        }
    finally:
        run.stop()
        server.close()
    if not finished:
        raise SystemExit(f"bench_pipeline: distributed run not done in {timeout:.0f} s; {folder}")
    first = _first_poll_queued(folder / "poller.err.log")
    written = alerts_written(folder)
    return {
        "items": total,
        "alerts": written,
        "seconds": ended - first,
        "rate": total / (ended - first),
        "alert_rate": written / (ended - first),
        "poller_start": first - started,
        **cpu,
    }


def latency(
    folder: Path, url: str, feeds: list[list[dict[str, Any]]], rate: float, timeout: float
) -> dict[str, float]:
    """Publish the items at ``rate`` items/s; time from each matching item's appearing in
    its feed to its alert's line in the file channel (read every 10 ms)."""
    server = FeedServer(feeds)
    server.hide()  # empty until the publisher starts
    config_path = write_config(folder, server.urls, broker_url=url, every="1s")
    run = Distributed(folder, config_path, 2)
    matching = {item["id"] for feed in feeds for item in feed if _names_term(item)}
    arrived: dict[str, float] = {}
    stop = threading.Event()

    def tail() -> None:
        path = folder / "alerts.jsonl"
        offset = 0
        while not stop.is_set():
            if path.exists():
                with path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
                complete = data[: data.rfind(b"\n") + 1]
                offset += len(complete)
                now = time.time()
                for line in complete.splitlines():
                    item_id = json.loads(line)["alert"]["item"].get("id")
                    arrived.setdefault(item_id, now)
            stop.wait(0.01)

    reader = threading.Thread(target=tail, daemon=True)
    try:
        run.start_worker(timeout)
        run.start_poller()
        time.sleep(2.0)  # the poller's first round finds the feeds empty
        reader.start()
        publisher = server.publish(rate)
        publisher.join()
        wait_for(lambda: matching <= arrived.keys(), timeout, interval=0.1)
    finally:
        stop.set()
        run.stop()
        server.close()
    delays = sorted(arrived[i] - server.published[i] for i in matching if i in arrived)
    if not delays:
        raise SystemExit(f"bench_pipeline: no alert in the latency run; see {folder}")
    return {
        "alerts": len(delays),
        "missing": len(matching) - len(delays),
        "p50": statistics.median(delays),
        "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
    }


def _names_term(item: dict[str, Any]) -> bool:
    return f" {TERMS[item['language']]}.\n\n" in item["body"]


def startup(folder: Path, terms: int, repeat: int) -> dict[str, float]:
    """Wall seconds (best of 3) of: a bare interpreter (the baseline), ``monitor match``
    on the example config, and load + compile of a ``terms``-term config."""
    monitor = str(Path(sys.executable).with_name("monitor"))

    def best(command: list[str]) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
        return min(times)

    import random

    corpus = make_corpus(seed=2, items=0, vocab_size=20_000)
    data = make_config_data(random.Random(2), corpus, terms)
    big = folder / "big.yaml"
    big.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    script = (
        "import sys, time, json\n"
        f"sys.path.append({str(ROOT)!r})\n"
        "started = time.perf_counter()\n"
        "from monitor.config.loader import load_config\n"
        "from monitor.match.engine import build_matcher\n"
        "imported = time.perf_counter()\n"
        f"config = load_config({str(big)!r})\n"
        "loaded = time.perf_counter()\n"
        "build_matcher(config)\n"
        "built = time.perf_counter()\n"
        "print(json.dumps([imported - started, loaded - imported, built - loaded]))\n"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(max(1, repeat - 1))
    ]
    imports, load, compile_ = min(runs, key=sum)
    return {
        "bare": best([sys.executable, "-c", "pass"]),
        "match": best([monitor, "match", "--config", str(EXAMPLE_CONFIG), str(SEED)]),
        "imports": imports,
        "load": load,
        "compile": compile_,
        "terms": terms,
    }


# --- report -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=20, help="feeds served (default 20)")
    parser.add_argument("--items", type=int, default=100, help="items per feed (default 100)")
    parser.add_argument("--rate", type=float, default=200.0, help="latency run: items/s")
    parser.add_argument("--seconds", type=float, default=15.0, help="latency run: how long")
    parser.add_argument("--terms", type=int, default=10_000, help="start-up: config terms")
    parser.add_argument("--vocab", type=int, default=20_000, help="content words/language")
    parser.add_argument("--repeat", type=int, default=3, help="start-up: best of N")
    parser.add_argument("--timeout", type=float, default=900.0, help="per distributed run")
    parser.add_argument(
        "--long", type=int, default=5, help="longer embedded runs: N times the items (0: none)"
    )
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args(argv)
    configure_logging("error")  # the in-process runs: no log line per poll and alert
    total = args.feeds * args.items
    print(f"build: {build_name()}", flush=True)
    print(f"scale: {args.feeds} feeds x {args.items} items, ~3 KB each, 1 in 50 matching")
    progress("making items")
    items = make_items(total, 50, "it", args.vocab)
    worst = [variant(item, "all", matching=True) for item in make_items(total, 1, "w", args.vocab)]
    paced = max(1, int(args.rate * args.seconds))
    # Items of their own, not the throughput items again: a copy of an item under a new id
    # is the same story, which raises no second alert (docs/delivery.md: one alert per story).
    late = make_items(paced, 50, "lat", args.vocab, seed=4)
    feeds = split_feeds(items, args.feeds)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        work = Path(tmp)
        # the embedded runs' feeds are served by a process of their own: the runner's
        # process runs one thread when it starts, as in `monitor run`
        warm = FeedServerProcess(split_feeds(make_items(10, 5, "warm", args.vocab, seed=3), 1))
        try:  # lazy imports and models (language detection) load here, not in a figure
            embedded(write_config(work / "warm", warm.urls))
        finally:
            warm.close()
        server = FeedServerProcess(feeds)
        try:
            config_path = write_config(work / "embedded", server.urls)
            progress("baseline")
            base = baseline(server, config_path, args.feeds)
            per_item = base["seconds"] / base["items"]
            rows.append(
                row(
                    "baseline: feedparser + matcher loop",
                    base["rate"],
                    "items/s",
                    1.0,
                    base["words"],
                )
            )
            progress("(a) embedded")
            emb = embedded(config_path)
            rows.append(
                row(
                    "(a) embedded `run --once`",
                    emb["rate"],
                    "items/s",
                    emb["rate"] / base["rate"],
                    emb["words"],
                )
            )
            progress("(a) embedded, writer process spawned")
            spawn = embedded(write_config(work / "spawned", server.urls), spawned=True)
            rows.append(
                row(
                    "(a) the same, writer process spawned",
                    spawn["rate"],
                    "items/s",
                    spawn["rate"] / base["rate"],
                    spawn["words"],
                )
            )
            progress("(a) embedded, history in the runner's process")
            inline = embedded(write_config(work / "inline", server.urls), history_process=False)
            rows.append(
                row(
                    "(a) the same, history written in the runner's process",
                    inline["rate"],
                    "items/s",
                    inline["rate"] / base["rate"],
                    inline["words"],
                )
            )
            progress("(c) stages")
            timer = StageTimer()
            staged = embedded(write_config(work / "stages", server.urls), timer)
        finally:
            server.close()
        worst_server = FeedServerProcess(split_feeds(worst, args.feeds))
        try:
            progress("(e) every item matching")
            worst_run = embedded(write_config(work / "worst", worst_server.urls))
        finally:
            worst_server.close()
        rows.append(
            row(
                "(e) every item matching, embedded",
                worst_run["alert_rate"],
                "alerts/s",
                worst_run["alert_rate"] / base["rate"],
                worst_run["words"],
            )
        )
        long: dict[bool, float] = {}
        if args.long:
            long = long_runs(work, args)
            total = long_items(args)
            for own, name in ((True, ""), (False, ", history in the runner's process")):
                rows.append(
                    row(
                        f"(a) {total:,} items{name}",
                        long[own],
                        "items/s",
                        long[own] / base["rate"],
                        None,
                    )
                )
        with redis_server(work) as url:
            progress("(c) queue")
            timer.seconds["queue"] = (
                queue_cost(write_config(work / "queue", [], broker_url=f"{url}/9"), items, "queue")
                * staged["items"]
            )
            for db, workers in ((1, 1), (2, 2)):
                progress(f"(b) distributed, {workers} worker process(es)")
                dist = distributed(
                    work / f"dist{workers}", f"{url}/{db}", feeds, workers, args.timeout
                )
                poller_start = dist["poller_start"]
                split = dist  # the last: two worker processes
                rows.append(
                    row(
                        f"(b) distributed, {workers} worker process(es)",
                        dist["rate"],
                        "items/s",
                        dist["rate"] / base["rate"],
                        None,
                    )
                )
            progress("(c) stages, the worker's tasks")
            worker_timer = StageTimer()
            tasked = worker_stages(work / "worker-stages", f"{url}/6", feeds, worker_timer)
            progress("(e) every item matching, distributed")
            worst_dist = distributed(
                work / "dist-worst",
                f"{url}/4",
                split_feeds(worst, args.feeds),
                2,
                args.timeout,
                alerts=len(worst),
            )
            rows.append(
                row(
                    "(e) every item matching, distributed, 2 worker processes",
                    worst_dist["alert_rate"],
                    "alerts/s",
                    worst_dist["alert_rate"] / base["rate"],
                    None,
                )
            )
            progress("(d) latency")
            lat = latency(
                work / "latency", f"{url}/3", split_feeds(late, args.feeds), args.rate, args.timeout
            )
        for name, key in (("p50", "p50"), ("p99", "p99")):
            rows.append(
                row(
                    f"(d) publish-to-alert {name} at {args.rate:.0f} items/s",
                    lat[key],
                    "s",
                    lat[key] / per_item,
                    None,
                )
            )
        progress("(f) start-up")
        up = startup(work, args.terms, args.repeat)
        up["poller_start"] = poller_start
        up.update({key: split[key] / split["items"] for key in split if key.startswith("cpu_")})
    rows.append(row("(f) bare interpreter start (baseline)", up["bare"], "s", 1.0, None))
    rows.append(
        row(
            "(f) `monitor match` start-up, example config",
            up["match"],
            "s",
            up["match"] / up["bare"],
            None,
        )
    )
    load_compile = up["load"] + up["compile"]
    rows.append(
        row(
            f"(f) load + compile {up['terms']:,}-term config",
            load_compile,
            "s",
            load_compile / up["bare"],
            None,
        )
    )
    stage_rows = stage_table(timer, staged, per_item)
    worker_rows = worker_stage_table(worker_timer, tasked, per_item, up["cpu_pool"])
    text = render(args, rows, stage_rows, worker_rows, base, emb, staged, lat, up, long)
    print(text)
    if not args.no_write:
        # the compiled build is what `make bench` and the image run; the pure one apart
        pure = build_name().startswith("pure")
        section = "bench_pipeline (pure Python build)" if pure else "bench_pipeline"
        write_section(section, text, args.results)
        print(f"written: {args.results} ## {section}")
    return 0


def long_items(args: argparse.Namespace) -> int:
    """Items of the longer embedded runs."""
    return int(args.feeds * args.items * args.long)


def long_runs(work: Path, args: argparse.Namespace) -> dict[bool, float]:
    """Items/s of ``run --once`` over ``args.long`` times the items, the history written
    by the writer process (True) and in the runner's process (False): best of two
    interleaved rounds each."""
    total = long_items(args)
    items = make_items(total, 50, "long", args.vocab, seed=5)
    server = FeedServerProcess(split_feeds(items, args.feeds))
    rates: dict[bool, list[float]] = {True: [], False: []}
    try:
        for n in range(2):
            for own in (False, True):
                progress(f"(a) {total:,} items, history process {own}, round {n + 1}")
                folder = work / f"long-{n}-{own}"
                rates[own].append(
                    embedded(write_config(folder, server.urls), history_process=own)["rate"]
                )
    finally:
        server.close()
    return {own: max(found) for own, found in rates.items()}


def _long_note(args: argparse.Namespace, long: dict[bool, float]) -> str:
    if not long:
        return ""
    return (
        f" Over {long_items(args):,} items (best of two interleaved rounds each), the writer"
        f" process runs {long[True] / long[False]:.2f}x the items/s of the history written in"
        " the runner's process."
    )


def row(
    name: str, value: float, unit: str, ratio: float, words: float | None
) -> tuple[str, str, str, str]:
    figure = f"{value:,.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"
    return (name, figure, f"{ratio:.3g}x", "" if words is None else f"{words:.1f}")


def _micros_row(name: str, micros: float, per_item: float) -> tuple[str, str, str]:
    return (name, f"{micros:,.0f}", f"{micros / (per_item * 1e6):.2f}x")


def _stage_rows(timer: StageTimer, items: float, per_item: float) -> list[tuple[str, str, str]]:
    return [
        _micros_row(stage, timer.seconds.get(stage, 0.0) / items * 1e6, per_item)
        for stage in STAGES
    ]


def stage_table(
    timer: StageTimer, staged: dict[str, float], per_item: float
) -> list[tuple[str, str, str]]:
    items = max(1, staged["items"])
    timed = sum(timer.seconds.get(s, 0.0) for s in STAGES if s != "queue")
    other = max(0.0, staged["cpu"] - timed) / items * 1e6
    cpu = staged["cpu"] / items * 1e6
    writer = staged["writer_cpu"] / items * 1e6
    return [
        *_stage_rows(timer, items, per_item),
        _micros_row("other (runner, logs)", other, per_item),
        _micros_row("all, process CPU", cpu, per_item),
        _micros_row("history, in the writer process", writer, per_item),
        _micros_row("all, both processes' CPU", cpu + writer, per_item),
        _micros_row("all, wall time", staged["seconds"] / items * 1e6, per_item),
    ]


def worker_stage_table(
    timer: StageTimer, tasked: dict[str, float], per_item: float, pool_cpu: float
) -> list[tuple[str, str, str]]:
    """``worker_stages``' exclusive CPU per item by stage, their sum with the rest of the
    task bodies, and (b)'s pool children's CPU per item (``pool_cpu``, seconds) beside
    it: the difference is Celery's own share and whatever else the pool children did."""
    items = max(1, tasked["items"])
    timed = sum(timer.seconds.get(stage, 0.0) for stage in STAGES) / items * 1e6
    tasks_cpu = tasked["cpu"] / items * 1e6
    pool = pool_cpu * 1e6
    rest = "Celery and the rest: pool children less the tasks here"
    return [
        *_stage_rows(timer, items, per_item),
        _micros_row("other (task bodies: items' JSON, records)", tasks_cpu - timed, per_item),
        _micros_row("all, the tasks here", tasks_cpu, per_item),
        _micros_row("(b) pool children, two workers", pool, per_item),
        _micros_row(rest, pool - tasks_cpu, per_item),
    ]


def _cpu_note(up: dict[str, float]) -> str:
    """Where the CPU of the two-worker run went, per item."""
    if "cpu_pool" not in up:
        return ""
    parts = [
        f"pool children {up['cpu_pool'] * 1e6:,.0f}",
        f"worker main process {up['cpu_main'] * 1e6:,.0f}",
        f"poller {up['cpu_poller'] * 1e6:,.0f} (its start-up included)",
        f"redis-server {up['cpu_redis'] * 1e6:,.0f}",
    ]
    return (
        " CPU µs per item in the run with two worker processes, from the poller's start: "
        + ", ".join(parts)
        + f"; two cores over that time: {2 * up['cpu_wall'] * 1e6:,.0f}."
    )


def render(
    args: argparse.Namespace,
    rows: list[tuple[str, str, str, str]],
    stage_rows: list[tuple[str, str, str]],
    worker_rows: list[tuple[str, str, str]],
    base: dict[str, float],
    emb: dict[str, float],
    staged: dict[str, float],
    lat: dict[str, float],
    up: dict[str, float],
    long: dict[bool, float],
) -> str:
    lines = [
        f"Build: {build_name()}. Scale: {args.feeds} feeds x {args.items} items (~3 KB, "
        "1 in 50 matching the example watchlist), served on loopback.",
        "",
        "| figure | value | ratio to baseline | new words/item |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        f"Ratios: throughput ours/baseline ({base['rate']:,.0f} items/s); latency over the "
        f"baseline's time per item ({base['seconds'] / base['items'] * 1e6:,.0f} µs); start-up "
        "over a bare interpreter's start. Alerts: embedded "
        f"{emb['alerts']:.0f} of {emb['items']:.0f} items; latency run {lat['alerts']:.0f} "
        f"alerts, {lat['missing']:.0f} missing. Start-up of the {up['terms']:,}-term config: "
        f"imports {up['imports']:.2f} s, load {up['load']:.2f} s, compile {up['compile']:.2f} s."
        " Distributed: items/s from the poller's first poll queued to the last item"
        " processed (every item matching: to the last alert written to the file channel);"
        f" the poller's start-up before it took {up['poller_start']:.1f} s."
        f"{_cpu_note(up)}"
        " Embedded: `monitor run` writes the history in a process of its own"
        f" (`monitor.history.writer`; {emb['writer_start']}ed, as `monitor run` starts it);"
        ' the rows "history in the runner\'s process" are'
        f" the runner writing it itself.{_long_note(args, long)}",
        "",
        f"Per-stage breakdown, embedded run with timers ({staged['rate']:,.0f} items/s "
        "timed; exclusive CPU µs per item, each thread's own, so that fetches and parses "
        "in the fetch threads overlapping the main thread's work are not counted twice; "
        "queue measured apart, in wall time: queued-item record plus Celery "
        "message to Redis in batches, and back; `history` is the runner's share of it, "
        "handing batches to the writer process and waiting for them, whose own CPU "
        "(start-up included) is the row after the process's):",
        "",
        "| stage | µs/item | of baseline's item |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in stage_rows),
        "",
        "Per-stage breakdown, distributed: the worker's task bodies (`monitor.poll_feeds`,"
        " `monitor.process_queued`, `deliver`) called in this process with the same timers,"
        " on the same items, the Redis store and the history written in the task, as a pool"
        " child runs them; `queue` is publishing their messages. Beside them, the CPU per"
        " item of (b)'s pool children with two workers: what is left is Celery's own share"
        " (a message read, decoded and acknowledged, the pool's hand-off) and the noise"
        " between two runs:",
        "",
        "| stage | µs/item | of baseline's item |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in worker_rows),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
