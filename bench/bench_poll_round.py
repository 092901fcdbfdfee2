"""One full poll round of many slow feeds: the distributed mode (one poller, one worker)
and ``monitor run --once``, against the sequential baseline measured in the same run.

``FEEDS`` feeds (default 2,000) on loopback HTTP servers that answer each request after
``DELAY`` seconds (200 ms), spread over ``PORTS`` ports (each port is a host for the
per-host limit of 2 requests at a time). Each feed holds one new item that matches
nothing, so the round also queues, processes and records 2,000 items. A round is done
when every feed was answered and Redis holds no poll or process message, unacked task
or queued item. The baseline polls a sample of the feeds one after another in this
process (``pipeline.poll_feed``, as the per-feed task did) and scales it to all feeds.

    python bench/bench_poll_round.py [--feeds 2000] [--delay 0.2] [--sample 50]

Needs ``redis-server`` on PATH. Writes the ``## bench_poll_round`` section of
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis
from results import write_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config.loader import load_config  # noqa: E402
from monitor.pipeline import poll_feed, utcnow  # noqa: E402
from monitor.state.memory import MemoryStore  # noqa: E402

PORTS = 40
TARGET = 30.0


class FeedServers:
    """``PORTS`` threading HTTP servers on 127.0.0.1; ``/feed/N`` is an RSS feed with one
    item, answered after ``delay`` seconds. Counts the answers."""

    def __init__(self, delay: float, ports: int = PORTS) -> None:
        self.delay = delay
        self.served = 0
        self.first: float | None = None
        self._lock = threading.Lock()
        bench = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                time.sleep(bench.delay)
                n = self.path.rsplit("/", 1)[-1]
                body = (
                    '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed '
                    f"{n}</title><link>http://example.org/</link><description>d</description>"
                    f"<item><guid>item-{n}</guid><title>Quiet harbour report {n}</title>"
                    "<description>Fishing boats returned to the harbour on Tuesday."
                    "</description></item></channel></rss>"
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/rss+xml")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with bench._lock:
                    bench.served += 1
                    if bench.first is None:
                        bench.first = time.monotonic()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(ports)]
        for server in self.servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, n: int) -> str:
        port = self.servers[n % len(self.servers)].server_address[1]
        return f"http://127.0.0.1:{port}/feed/{n}"

    def reset(self) -> None:
        with self._lock:
            self.served, self.first = 0, None

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def write_config(path: Path, servers: FeedServers, feeds: int, broker: str | None) -> Path:
    lines = ["feeds:"]
    for n in range(feeds):
        lines += [f"  - id: f{n}", f"    url: {servers.url(n)}", "    every: 1h"]
    lines += [
        "topics:",
        "  NATO: [NATO]",
        "watchlists:",
        "  nato:",
        "    topics: [NATO]",
        "    channels: [archive]",
        "channels:",
        "  archive:",
        "    type: file",
        f"    path: {path.parent / 'alerts.jsonl'}",
        "settings:",
        f"  state_dir: {path.parent / 'state'}",
        "  allow_private_networks: true",
    ]
    if broker:
        lines.append(f"  broker_url: {broker}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sequential(config_path: Path, sample: int) -> float:
    """Seconds to poll ``sample`` feeds one after another."""
    config = load_config(config_path, env={})
    store = MemoryStore()
    poll_feed(config.feeds[-1], config, store, now=utcnow())  # warm: imports, models
    start = time.perf_counter()
    for feed in config.feeds[:sample]:
        poll_feed(feed, config, store, now=utcnow())
    return time.perf_counter() - start


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("bench_poll_round: redis-server is not on PATH")
    with socket_port() as port:
        pass
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([*args, "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            return proc, url
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("bench_poll_round: redis-server did not start")


class socket_port:
    """A free TCP port on 127.0.0.1 (a context manager so the socket closes first)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        pass


def distributed(config: Path, url: str, servers: FeedServers, feeds: int, workdir: Path) -> float:
    """Seconds from the first feed answered to the end of the round (poller + worker)."""
    from monitor.state.redis import RedisStore

    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    procs = []
    for role in ("worker", "poller"):
        log = (workdir / f"{role}.log").open("wb")
        args = [sys.executable, "-m", "monitor", role, "--config", str(config)]
        args += ["--log-level", "warning"]
        procs.append(subprocess.Popen(args, cwd=workdir, env=env, stdout=log, stderr=log))
    store = RedisStore(url)
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if servers.served >= feeds:
                busy = client.llen("poll") + client.llen("process") + client.hlen("unacked")
                if busy == 0 and store.count_queued() == 0:
                    break
            time.sleep(0.2)
        else:
            raise SystemExit(f"bench_poll_round: the round did not end; see {workdir}")
        end = time.monotonic()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        store.close()
        client.close()
    assert servers.first is not None
    return end - servers.first


def embedded(config: Path, servers: FeedServers, workdir: Path) -> float:
    """Seconds of ``monitor run --once`` from the first feed answered to its exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    args = [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)]
    args += ["--log-level", "warning"]
    with (workdir / "run.log").open("wb") as log:
        subprocess.run(args, cwd=workdir, env=env, stdout=log, stderr=log, check=True)
    end = time.monotonic()
    assert servers.first is not None
    return end - servers.first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--sample", type=int, default=50, help="feeds the baseline polls")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-poll-round-"))
    servers = FeedServers(args.delay)
    redis_proc, url = start_redis(workdir)
    try:
        dist_dir, run_dir = workdir / "distributed", workdir / "embedded"
        dist_dir.mkdir()
        run_dir.mkdir()
        dist_config = write_config(dist_dir / "monitor.yaml", servers, args.feeds, url)
        run_config = write_config(run_dir / "monitor.yaml", servers, args.feeds, None)

        sample = min(args.sample, args.feeds)
        baseline = sequential(run_config, sample) * args.feeds / sample
        servers.reset()
        dist = distributed(dist_config, url, servers, args.feeds, dist_dir)
        servers.reset()
        run = embedded(run_config, servers, run_dir)
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        servers.close()
    rows = [
        ("sequential baseline (one feed at a time)", baseline, f"{sample} feeds, scaled"),
        ("`monitor poller` + `monitor worker` (2 processes)", dist, "first answer to last item"),
        ("`monitor run --once`", run, "first answer to exit"),
    ]
    lines = [
        f"{args.feeds} feeds on {PORTS} loopback ports, each answered after "
        f"{args.delay * 1000:.0f} ms, one new item each; target < {TARGET:.0f} s for the "
        "distributed round.",
        "",
        "| one full poll round | seconds | vs baseline | |",
        "|---|---|---|---|",
    ]
    for name, seconds, note in rows:
        lines.append(f"| {name} | {seconds:.1f} | {baseline / seconds:.1f}x | {note} |")
    text = "\n".join(lines)
    print(text)
    write_section("bench_poll_round", text)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
