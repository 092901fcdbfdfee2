"""What a feed's headers:, auth:, proxy: and trust_env: mean (``sources.access``) and
how the config refuses bad ones: one line naming the key, never the value."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from monitor.config.loader import load_config
from monitor.config.schema import FeedConfig
from monitor.config.summary import summarize
from monitor.errors import ConfigError
from monitor.sources.access import FeedAccess

SECRET = "s3cret-Value-42"


def _access(env: dict[str, str] | None = None, **feed: object) -> FeedAccess:
    config = FeedConfig.model_validate({"id": "f", "url": "https://wire.example/rss", **feed})
    return FeedAccess.of(config, env or {})


def test_basic_auth_is_one_authorization_header_and_every_form_is_secret() -> None:
    access = _access(auth={"username": "desk", "password": SECRET}, headers={"X-Key": "abcd"})
    token = base64.b64encode(f"desk:{SECRET}".encode()).decode()
    assert dict(access.headers) == {"X-Key": "abcd", "Authorization": f"Basic {token}"}
    text = f"failed with {SECRET}, Basic {token} and abcd"
    assert access.redact(text) == "failed with ***, Basic *** and ***"
    assert SECRET not in repr(access) and SECRET not in repr(access.secrets.__class__)


def test_headers_go_to_the_feeds_origin_only() -> None:
    access = _access(auth={"bearer": SECRET})
    origin = "https://wire.example/rss"
    assert access.headers_for("https://wire.example:443/other?page=2", origin)
    for elsewhere in (
        "http://wire.example/rss",
        "https://wire.example:8443/",
        "https://x.example/",
    ):
        assert access.headers_for(elsewhere, origin) == {}


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({"https_proxy": "http://p:1"}, "https://wire.example/", "http://p:1"),
        ({"https_proxy": "http://p:1"}, "http://wire.example/", None),
        ({"http_proxy": "p:3128"}, "http://wire.example/", "http://p:3128"),
        ({"all_proxy": "socks5://p:1080"}, "https://wire.example/", "socks5://p:1080"),
        ({"https_proxy": "http://p:1", "no_proxy": "*"}, "https://wire.example/", None),
        ({"https_proxy": "http://p:1", "no_proxy": "example"}, "https://wire.example/", None),
        ({"https_proxy": "http://p:1", "no_proxy": ".example"}, "https://wire.example/", None),
        (
            {"https_proxy": "http://p:1", "no_proxy": "ire.example"},
            "https://wire.example/",
            "http://p:1",
        ),
        ({"https_proxy": "http://p:1", "no_proxy": "10.0.0.0/8"}, "https://10.1.2.3/", None),
        (
            {"https_proxy": "http://p:1", "no_proxy": "wire.example:8443"},
            "https://wire.example/",
            "http://p:1",
        ),
        (
            {"https_proxy": "http://p:1", "no_proxy": "wire.example:443"},
            "https://wire.example/",
            None,
        ),
    ],
)
def test_trust_env_reads_the_proxy_variables_as_curl_does(
    env: dict[str, str], url: str, expected: str | None
) -> None:
    assert _access(env, trust_env=True).proxy_for(url) == expected
    assert _access(env).proxy_for(url) is None  # without trust_env: never


def test_a_proxy_password_from_the_environment_is_a_secret() -> None:
    access = _access({"https_proxy": f"http://ops:{SECRET}@p:1"}, trust_env=True)
    assert access.redact(f"proxy http://ops:{SECRET}@p:1") == "proxy http://ops:***@p:1"


def _problems(tmp_path: Path, feed: str) -> list[str]:
    path = tmp_path / "c.yaml"
    path.write_text(f"feeds:\n  - id: f\n    url: https://wire.example/rss\n{feed}")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"KEY": SECRET})
    for line in caught.value.problems:
        assert SECRET not in line and "\n" not in line
    return caught.value.problems


@pytest.mark.parametrize(
    ("feed", "expected"),
    [
        ('    headers: {"Bad Name": x}\n', "headers.Bad Name: not a valid HTTP header name"),
        ("    headers: {Host: x}\n", "headers.Host: set by the fetcher itself"),
        ('    headers: {X-Key: "${KEY}\\u00e9"}\n', "headers.X-Key: the value must be ASCII"),
        ("    headers: {X-Key: 5}\n", "headers.X-Key: expected a string, got a number"),
        ("    auth: {bearer: x, password: y}\n", "feeds[f].auth: expected {bearer: TOKEN}"),
        ("    auth: {username: u}\n", "feeds[f].auth: expected {bearer: TOKEN}"),
        ("    auth: {token: x}\n", "feeds[f].auth.token: unknown key 'token'"),
        (
            '    auth: {bearer: "${KEY}"}\n    headers: {authorization: x}\n',
            "feeds[f].auth: an Authorization header",
        ),
        ("    proxy: ftp://p:1\n", "feeds[f].proxy: bad URL 'ftp://p:1'"),
        ('    proxy: "http://u:${KEY}@p:99999"\n', "feeds[f].proxy: bad URL"),
        (
            "    proxy: http://p:1\n    trust_env: true\n",
            "feeds[f].proxy: trust_env: true is set too",
        ),
    ],
)
def test_bad_access_keys_are_one_line_naming_the_key(
    tmp_path: Path, feed: str, expected: str
) -> None:
    problems = _problems(tmp_path, feed)
    assert any(expected in line for line in problems), problems


def test_the_summary_names_headers_and_auth_kind_never_values(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "feeds:\n  - id: f\n    url: https://wire.example/rss\n"
        '    headers: {X-Key: "${KEY}"}\n    auth: {username: desk, password: "${KEY}"}\n'
        '    proxy: "http://ops:${KEY}@proxy.example:3128"\n'
    )
    config = load_config(path, env={"KEY": SECRET})
    summary = summarize(config)
    assert "headers X-Key; auth basic; proxy http://proxy.example:3128" in summary
    assert SECRET not in summary and SECRET not in repr(config) and "desk" not in summary
