"""Authenticated and proxied feeds for real (issue #15, Feeds): a feed server on
127.0.0.1 that refuses requests without its key and token, a forward proxy on
127.0.0.1 that must see the request, ``monitor run --once`` and ``monitor check`` as
users run them, and every line they print searched for the secrets."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config.loader import load_config
from monitor.config.paths import proxy_variables
from monitor.errors import FetchError, TransientFetchError
from monitor.net import guard
from monitor.sources.access import FeedAccess
from monitor.sources.fetch import fetch_feed
from tests.feedservers import RSS, FeedServer, ForwardProxy, Socks5Proxy, serving
from tests.helpers import monitor_env, raises_permanent, run_monitor, stop_processes, wait_for

pytestmark = pytest.mark.integration

KEY = "k3y-Sup3r-S3cret"
TOKEN = "t0ken-Sup3r-S3cret"
PASSWORD = "pa55-Sup3r-S3cret"
PROXY_PASSWORD = "pr0xy-Sup3r-S3cret"
SECRETS = (KEY, TOKEN, PASSWORD, PROXY_PASSWORD)


def _config(tmp_path: Path, feed_lines: str) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"""
feeds:
  - id: wire-api
{feed_lines}
topics:
  NATO: [NATO]
watchlists:
  nato:
    topics: [NATO]
    channels: [stdout]
channels:
  stdout:
    type: console
settings:
  state_dir: {tmp_path / "state"}
""",
        encoding="utf-8",
    )
    return path


def _assert_no_secret(*texts: str) -> None:
    basic = base64.b64encode(f"desk:{PASSWORD}".encode()).decode()
    for text in texts:
        for secret in (*SECRETS, basic):
            assert secret not in text


def test_run_once_sends_headers_and_auth_through_the_proxy(tmp_path: Path) -> None:
    server = FeedServer({"X-Api-Key": KEY, "Authorization": f"Bearer {TOKEN}"})
    proxy = ForwardProxy()
    with serving(server), serving(proxy):
        proxy_url = proxy.url.replace("http://", f"http://ops:{PROXY_PASSWORD}@")
        config = _config(
            tmp_path,
            f"""    url: {server.url}/wire.xml
    allow_private: true
    headers: {{X-Api-Key: "${{WIRE_KEY}}"}}
    auth: {{bearer: "${{WIRE_TOKEN}}"}}
    proxy: "${{WIRE_PROXY}}"
""",
        )
        env = monitor_env(tmp_path, WIRE_KEY=KEY, WIRE_TOKEN=TOKEN, WIRE_PROXY=proxy_url)
        result = run_monitor(
            ["run", "--once", "--log-level", "debug", "--config", str(config)], tmp_path, env=env
        )
        check = run_monitor(["check", "--config", str(config)], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "NATO summit" in result.stdout  # the console channel's alert
    assert server.seen and server.seen[-1]["x-api-key"] == KEY
    assert server.seen[-1]["authorization"] == f"Bearer {TOKEN}"
    # the proxy took an absolute-form request for the feed, with the proxy login
    method, target, headers = proxy.requests[0]
    assert (method, target) == ("GET", f"{server.url}/wire.xml")
    expected = base64.b64encode(f"ops:{PROXY_PASSWORD}".encode()).decode()
    assert headers["proxy-authorization"] == f"Basic {expected}"
    assert check.returncode == 0, check.stdout
    assert "headers X-Api-Key; auth bearer; proxy http://127.0.0.1:" in check.stdout
    _assert_no_secret(result.stdout, result.stderr, check.stdout, check.stderr)


def test_a_refused_feed_is_logged_without_its_secrets(tmp_path: Path) -> None:
    server = FeedServer({"X-Api-Key": "another key"})
    with serving(server):
        config = _config(
            tmp_path,
            f"""    url: {server.url}/wire.xml?token=${{WIRE_TOKEN}}
    allow_private: true
    headers: {{X-Api-Key: "${{WIRE_KEY}}"}}
    auth: {{username: desk, password: "${{WIRE_PASSWORD}}"}}
""",
        )
        env = monitor_env(tmp_path, WIRE_KEY=KEY, WIRE_TOKEN=TOKEN, WIRE_PASSWORD=PASSWORD)
        result = run_monitor(
            ["run", "--once", "--log-level", "debug", "--config", str(config)], tmp_path, env=env
        )
    assert result.returncode == 3  # every feed poll failed
    assert "HTTP 401" in result.stderr and "poll_failed" in result.stderr
    basic = base64.b64encode(f"desk:{PASSWORD}".encode()).decode()
    assert server.seen[0]["authorization"] == f"Basic {basic}"  # it was sent, though
    _assert_no_secret(result.stdout, result.stderr)


def test_a_config_error_names_the_header_and_never_shows_its_value(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        """    url: https://example.org/rss
    headers: {X-Api-Key: "line one\\nk3y-Sup3r-S3cret"}
    auth: {bearer: t0ken-Sup3r-S3cret, username: u}
    proxy: ftp://proxy.example.org
""",
    )
    result = run_monitor(["check", "--config", str(config)], tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any("feeds[wire-api].headers.X-Api-Key: the value must be ASCII" in x for x in lines)
    assert any("feeds[wire-api].auth: expected {bearer: TOKEN}" in line for line in lines)
    assert any("feeds[wire-api].proxy: bad URL" in line for line in lines)
    _assert_no_secret(result.stdout, result.stderr)


def _feed(tmp_path: Path, lines: str, env: dict[str, str]) -> FeedAccess:
    config = load_config(_config(tmp_path, lines), env=env)
    return FeedAccess.of(config.feeds[0], config.environment_proxies)


def test_trust_env_takes_the_proxy_from_the_environment(tmp_path: Path) -> None:
    server = FeedServer({"X-Api-Key": KEY})
    proxy = ForwardProxy()
    with serving(server), serving(proxy):
        lines = f"""    url: {server.url}/feed
    allow_private: true
    headers: {{X-Api-Key: {KEY}}}
    trust_env: true
"""
        access = _feed(tmp_path, lines, {"HTTP_PROXY": proxy.url, "HTTPS_PROXY": "http://x:1"})
        result = fetch_feed(f"{server.url}/feed", allow_private=True, access=access)
        assert result.content == RSS
        assert [(m, t) for m, t, _ in proxy.requests] == [("GET", f"{server.url}/feed")]
        # NO_PROXY names the feed's host: straight to the server
        env = {"http_proxy": proxy.url, "NO_PROXY": "localhost,127.0.0.0/8"}
        access = _feed(tmp_path, lines, env)
        assert fetch_feed(f"{server.url}/feed", allow_private=True, access=access).content == RSS
        assert len(proxy.requests) == 1 and len(server.seen) == 2
    # without trust_env the variables are not even read
    config = load_config(_config(tmp_path, "    url: https://example.org/rss\n"), env=env)
    assert config.environment_proxies == {}
    assert proxy_variables({"HTTPS_PROXY": "http://a:1", "https_proxy": "http://b:2"}) == {
        "https_proxy": "http://b:2"
    }


def test_the_proxy_is_not_refused_but_a_private_target_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy on loopback is the operator's choice; the target is checked by name.
    ``wire.example`` resolves (here) to a public address, and the proxy answers for it
    itself, so nothing leaves the machine."""
    real_resolve = guard.resolve

    def resolve(host: str, port: int, **kwargs: object) -> list[guard.IPAddress]:
        if host == "wire.example":
            return [guard.ipaddress.ip_address("93.184.216.34")]
        return real_resolve(host, port, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(guard, "resolve", resolve)
    proxy = ForwardProxy(canned=frozenset({"wire.example"}))
    with serving(proxy):
        access = FeedAccess(headers=(("X-Api-Key", KEY),), proxy=proxy.url, secrets=(KEY,))
        result = fetch_feed("http://wire.example/feed", access=access)
        assert result.content == RSS
        assert proxy.requests[0][:2] == ("GET", "http://wire.example/feed")
        assert proxy.requests[0][2]["x-api-key"] == KEY
        with raises_permanent(FetchError, match=r"non-public address 127\.0\.0\.1"):
            fetch_feed("http://127.0.0.1:9/feed", access=access)
        assert len(proxy.requests) == 1  # refused before anything was sent


def test_headers_go_only_to_the_feeds_own_origin(tmp_path: Path) -> None:
    """A redirect to another host (or port) is followed without the key and token."""
    first = FeedServer({})
    second = FeedServer({})
    with serving(first), serving(second):
        first.redirect["/feed"] = f"{second.url}/moved"
        first.redirect["/same"] = "/feed"
        access = FeedAccess(
            headers=(("X-Api-Key", KEY), ("Authorization", f"Bearer {TOKEN}")),
            secrets=(KEY, TOKEN),
        )
        assert fetch_feed(f"{first.url}/feed", allow_private=True, access=access).content == RSS
        assert first.seen[0]["x-api-key"] == KEY
        assert "x-api-key" not in second.seen[0] and "authorization" not in second.seen[0]
        fetch_feed(f"{first.url}/same", allow_private=True, access=access)
        assert first.seen[-1]["authorization"] == f"Bearer {TOKEN}"  # same origin: kept


def test_a_dead_proxy_is_named_and_its_password_is_not(tmp_path: Path) -> None:
    from tests.helpers import free_port

    dead = f"http://ops:{PROXY_PASSWORD}@127.0.0.1:{free_port()}"
    access = FeedAccess(proxy=dead, secrets=(PROXY_PASSWORD,))
    with pytest.raises(TransientFetchError) as caught:
        fetch_feed("http://127.0.0.1:9/feed", allow_private=True, access=access, timeout=5)
    assert "through proxy http://127.0.0.1:" in str(caught.value)
    _assert_no_secret(str(caught.value), repr(caught.value))


def test_the_distributed_poll_sends_headers_and_auth_through_the_proxy(
    tmp_path: Path, redis_db_url: str
) -> None:
    """``monitor worker`` and ``monitor poller`` on Redis: the worker's fetch pool takes
    the same headers, credentials and proxy; no process logs a secret."""
    server = FeedServer({"X-Api-Key": KEY, "Authorization": f"Bearer {TOKEN}"})
    proxy = ForwardProxy()
    archive = tmp_path / "alerts.jsonl"
    with serving(server), serving(proxy):
        config = _config(
            tmp_path,
            f"""    url: {server.url}/wire.xml
    every: 2s
    allow_private: true
    headers: {{X-Api-Key: "${{WIRE_KEY}}"}}
    auth: {{bearer: "${{WIRE_TOKEN}}"}}
    proxy: "${{WIRE_PROXY}}"
""",
        )
        text = config.read_text(encoding="utf-8").replace(
            "  stdout:\n    type: console\n", f"  stdout:\n    type: file\n    path: {archive}\n"
        )
        config.write_text(text + f"  broker_url: {redis_db_url}\n", encoding="utf-8")
        proxy_url = proxy.url.replace("http://", f"http://ops:{PROXY_PASSWORD}@")
        env = monitor_env(tmp_path, WIRE_KEY=KEY, WIRE_TOKEN=TOKEN, WIRE_PROXY=proxy_url)
        procs: list[subprocess.Popen[str]] = []
        logs = []
        try:
            for role in ("worker", "poller"):
                err = (tmp_path / f"{role}.log").open("w")
                logs.append(err)
                command = [sys.executable, "-m", "monitor", role, "--config", str(config)]
                procs.append(
                    subprocess.Popen(
                        [*command, "--log-level", "debug"],
                        cwd=tmp_path,
                        env=env,
                        stdout=err,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                )
            arrived = wait_for(lambda: archive.exists() and archive.stat().st_size > 0, 60)
        finally:
            stop_processes(procs)
            for log in logs:
                log.close()
    output = "".join(path.read_text(errors="replace") for path in tmp_path.glob("*.log"))
    assert arrived, output[-3000:]
    assert "NATO summit" in archive.read_text(encoding="utf-8")
    assert server.seen[0]["x-api-key"] == KEY
    assert server.seen[0]["authorization"] == f"Bearer {TOKEN}"
    assert proxy.requests[0][:2] == ("GET", f"{server.url}/wire.xml")
    assert '"level": "debug"' in output  # every line, debug ones included, searched
    _assert_no_secret(output)


def test_httpx_and_httpcore_debug_records_hold_no_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The libraries' own debug logging, on for every logger: no record shows a secret
    (the monitor keeps them at warning, but an operator may turn them up)."""
    server = FeedServer({"X-Api-Key": KEY})
    proxy = ForwardProxy()
    with serving(server), serving(proxy), caplog.at_level(logging.DEBUG):
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        proxy_url = proxy.url.replace("http://", f"http://ops:{PROXY_PASSWORD}@")
        lines = f"""    url: {server.url}/feed
    allow_private: true
    headers: {{X-Api-Key: "${{WIRE_KEY}}"}}
    auth: {{username: desk, password: "${{WIRE_PASSWORD}}"}}
    proxy: {proxy_url}
"""
        access = _feed(tmp_path, lines, {"WIRE_KEY": KEY, "WIRE_PASSWORD": PASSWORD})
        fetch_feed(f"{server.url}/feed", allow_private=True, access=access)
        with raises_permanent(FetchError):
            fetch_feed(f"{server.url}/feed?x=1", allow_private=True, access=FeedAccess())
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    records = [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
    assert len(records) > 5  # the libraries did log, at debug level
    _assert_no_secret(*(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in records))


def test_a_socks5_proxy_carries_the_feed_with_its_login(tmp_path: Path) -> None:
    server = FeedServer({"X-Api-Key": KEY})
    socks = Socks5Proxy()
    with serving(server), serving(socks):
        proxy = socks.url.replace("socks5://", f"socks5://ops:{PROXY_PASSWORD}@")
        lines = f"""    url: {server.url}/feed
    allow_private: true
    headers: {{X-Api-Key: {KEY}}}
    proxy: {proxy}
"""
        access = _feed(tmp_path, lines, {})
        assert fetch_feed(f"{server.url}/feed", allow_private=True, access=access).content == RSS
    assert socks.requests == [("127.0.0.1", server.server_address[1], "ops")]
    assert server.seen[0]["x-api-key"] == KEY
