"""Config faults the audit found passing `check` or reported badly (docs/config.md): webhook
secrets, URLs, intervals, store and broker schemes, all errors at once, a file that fails to
parse, ``${VAR}`` in keys and watchlists that can never match."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from monitor.config import load_config, summarize
from monitor.config.schema import check_url
from tests.unit.test_config import BASE, problems, problems_in, write

HOOK_SECRET_VALUE = "whsec_" + base64.b64encode(b"audit-key").decode()


def hook(secret_line: str) -> str:
    return BASE + (
        f"  ops-hook:\n    type: webhook\n    url: https://hooks.example.org/x\n{secret_line}"
    )


def mail(to: str, smtp: str) -> str:
    return (
        "  mail:\n"
        "    type: email\n"
        f"    to: [{to}]\n"
        "    from: monitor@example.org\n"
        f"    smtp: {smtp}\n"
    )


# --- 1. webhook secrets --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("not-whsec!!SENTINEL", "expected a Standard Webhooks secret: whsec_ then base64"),
        ("whsec_!!SENTINEL!!", "the secret after whsec_ is not valid base64"),
        ("whsec_", "the secret after whsec_ is empty"),
        ("''", "empty: set a whsec_ secret, or remove secret: to send unsigned"),
    ],
)
def test_a_bad_webhook_secret_is_one_line_without_the_secret(
    tmp_path: Path, secret: str, message: str
) -> None:
    found = problems_in(tmp_path, hook(f"    secret: {secret}\n"))
    assert found == [f"{tmp_path / 'monitor.yaml'}:21: channels.ops-hook.secret: {message}"]
    assert "SENTINEL" not in "\n".join(found)


def test_a_bad_webhook_secret_from_the_environment_is_not_echoed(tmp_path: Path) -> None:
    found = problems_in(
        tmp_path, hook("    secret: ${HOOK_SECRET}\n"), env={"HOOK_SECRET": "whsec_SENTINEL-"}
    )
    assert len(found) == 1 and "channels.ops-hook.secret:" in found[0], found
    assert "SENTINEL" not in found[0]


def test_a_valid_secret_is_signed_and_an_absent_one_unsigned(tmp_path: Path) -> None:
    # no secret: key stays allowed (unsigned); tests/integration/test_reliability.py uses it
    signed = load_config(write(tmp_path, "a.yaml", hook(f"    secret: {HOOK_SECRET_VALUE}\n")))
    assert "(signed)" in summarize(signed)
    assert HOOK_SECRET_VALUE not in summarize(signed)
    assert "(unsigned)" in summarize(load_config(write(tmp_path, "b.yaml", hook("")), env={}))


# --- 2. URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://exa mple.org/x", "it contains a space or a control character"),
        ("https://example.org:99999/", "the port must be a number from 1 to 65535"),
        ("https://example.org:0/", "the port must be a number from 1 to 65535"),
        ("https://example.org:/", "the port must be a number from 1 to 65535"),
        ("http://[::1", "its host cannot be read"),
        ("https://-bad-.org/", "'-bad-.org' is not a valid host name or address"),
        ("https://[not:an:ip]/", "its host cannot be read"),
        ("https:///path", "expected http:// or https:// with a host"),
    ],
)
def test_bad_feed_urls(tmp_path: Path, url: str, reason: str) -> None:
    found = problems_in(tmp_path, BASE.replace("https://example.org/rss", f'"{url}"'))
    # what urlsplit cannot read is not echoed: its query or fragment may hold a key
    shown = "<invalid URL>" if reason == "its host cannot be read" else url
    assert found == [f"{tmp_path / 'monitor.yaml'}:3: feeds[wire].url: bad URL {shown!r}: {reason}"]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/rss",
        "http://127.0.0.1:8080/x",
        "https://[::1]:443/x",
        "https://user:pw@example.org/x?q=1",
        "https://пример.рф/rss",
        "https://my_host.example.org./",
    ],
)
def test_good_urls_pass(url: str) -> None:
    assert check_url(url, ("http", "https")) == url


def test_a_webhook_port_out_of_range_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = hook("").replace("https://hooks.example.org/x", "https://hooks.example.org:99999/x")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:20: channels.ops-hook.url: bad URL"
        " 'https://hooks.example.org:99999/x': the port must be a number from 1 to 65535"
    ]


def test_a_bad_smtp_port_is_an_error_and_the_password_is_masked(tmp_path: Path) -> None:
    text = BASE + mail("desk@example.org", "smtp://user:SENTINEL@mail.example.org:notaport")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:22: channels.mail.smtp: bad URL"
        " 'smtp://mail.example.org:***': the port must be a number from 1 to 65535"
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # urlsplit raises on the stray "]": nothing of the URL is echoed
        ("https://h]/x?apikey=SENTINEL", "<invalid URL>"),
        ("https://-h-/x#access_token=SENTINEL", "https://-h-/x"),
        ("https://h:99999/x?apikey=SENTINEL", "https://h:99999/x?…"),
        ("https://SENTINEL@h:0/x", "https://h:0/x"),
        # "@host" left out: the password reads as a port
        ("redis://:SENTINEL", "redis://:***"),
    ],
)
def test_a_bad_url_never_shows_its_secret(tmp_path: Path, url: str, shown: str) -> None:
    found = problems_in(tmp_path, BASE.replace("https://example.org/rss", f'"{url}"'))
    assert len(found) == 1 and "SENTINEL" not in found[0]
    assert f"feeds[wire].url: bad URL {shown!r}: " in found[0]


# --- 3. intervals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "message"),
    [
        (".inf", "an interval must be at most 366d"),
        ("1.0e+400", "an interval must be at most 366d"),
        ("99999999999999999999d", "an interval must be at most 366d"),
        (".nan", "bad interval: not a number; write one like 30s, 5m or 1h"),
    ],
)
def test_infinite_or_huge_intervals_are_errors(tmp_path: Path, every: str, message: str) -> None:
    found = problems_in(tmp_path, BASE.replace("every: 5m", f"every: {every}"))
    assert found == [f"{tmp_path / 'monitor.yaml'}:4: feeds[wire].every: {message}"]


def test_an_interval_of_366_days_is_the_longest(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "a.yaml", BASE.replace("every: 5m", "every: 366d")))
    assert config.feeds[0].every == 366 * 86400


# --- 4. store and broker schemes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "store: postgresql://user:SENTINEL@db/monitor",
            "settings.store: the 'postgresql' store is not supported;"
            " expected sqlite:///path/to/state.db, memory: or redis://host:port/db",
        ),
        (
            "store: sqlite://state.db",
            "settings.store: bad store 'sqlite://state.db':"
            " expected sqlite:///path/to/state.db, memory: or redis://host:port/db",
        ),
        (
            "store: redis://localhost:70000/0",
            "settings.store: bad URL 'redis://localhost:70000/0':"
            " the port must be a number from 1 to 65535",
        ),
        (
            "broker_url: http://user:SENTINEL@localhost/",
            "settings.broker_url: bad URL 'http://localhost/':"
            " expected redis:// or rediss:// with a host",
        ),
        (
            "broker_url: unix:///run/redis.sock",
            "settings.broker_url: bad URL 'unix:///run/redis.sock':"
            " expected redis:// or rediss:// with a host",
        ),
    ],
)
def test_store_and_broker_schemes_are_checked_at_load(
    tmp_path: Path, setting: str, message: str
) -> None:
    found = problems_in(tmp_path, BASE + f"settings:\n  {setting}\n")
    assert found == [f"{tmp_path / 'monitor.yaml'}:19: {message}"]


@pytest.mark.parametrize(
    "setting",
    [
        "store: sqlite:///state.db",
        "store: sqlite:////var/lib/monitor/state.db",
        "store: 'memory:'",
        "store: rediss://:pw@redis.example.org:6380/1",
        "store: unix:///run/redis.sock",
        "broker_url: redis://localhost:6379/0",
        "broker_url: ''",
    ],
)
def test_supported_stores_and_brokers_load(tmp_path: Path, setting: str) -> None:
    load_config(write(tmp_path, "monitor.yaml", BASE + f"settings:\n  {setting}\n"), env={})


# --- 6. all errors at once -------------------------------------------------------------------


def test_a_feed_without_a_source_is_reported_with_its_other_faults(tmp_path: Path) -> None:
    text = BASE.replace("    url: https://example.org/rss\n", "").replace("5m", "soon")
    path = write(tmp_path, "monitor.yaml", text)
    assert problems(path) == [
        f"{path}:2: feeds[wire]: a feed needs exactly one of url: or path:",
        f"{path}:3: feeds[wire].every: bad interval 'soon'"
        ": expected a number with s, m, h or d, like 5m",
    ]


def test_a_bad_smtp_url_is_reported_with_the_channels_other_faults(tmp_path: Path) -> None:
    text = BASE + mail("not-an-email", "http://mail.example.org")
    path = write(tmp_path, "monitor.yaml", text)
    assert problems(path) == [
        f"{path}:20: channels.mail.to[0]: bad email address 'not-an-email'",
        f"{path}:22: channels.mail.smtp: bad URL 'http://mail.example.org':"
        " expected smtp:// or smtps:// with a host",
    ]


# --- 7. a file that fails to parse -----------------------------------------------------------


def test_references_to_a_file_that_failed_to_parse_say_so(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "topics:\n  NATO: [NATO\n")
    write(
        tmp_path,
        "b.yaml",
        "watchlists:\n  w:\n    topics: [NATO]\n    channels: [c]\n"
        "channels:\n  c: {type: console}\n",
    )
    found = problems(tmp_path)
    assert len(found) == 2, found
    assert found[0].startswith(f"{tmp_path / 'a.yaml'}:3: syntax error: ")
    assert found[1] == (
        f"{tmp_path / 'b.yaml'}:3: watchlists.w.topics[0]: unknown topic 'NATO'"
        " (a.yaml failed to load and may define it)"
    )


# --- 8. ${VAR} in keys, lists that can never match -------------------------------------------


def test_variables_expand_in_mapping_keys(tmp_path: Path) -> None:
    text = BASE.replace("  NATO: [NATO, OTAN]", "  ${TOPIC}: [NATO, OTAN]")
    config = load_config(write(tmp_path, "monitor.yaml", text), env={"TOPIC": "NATO"})
    assert list(config.topics) == ["NATO"]
    assert config.watchlists["russia-nato"].topics == ["NATO"]


def test_a_key_variable_keeps_its_line_and_reports_a_clash(tmp_path: Path) -> None:
    text = BASE.replace("  NATO: [NATO, OTAN]", "  NATO: [NATO]\n  ${TOPIC}: [OTAN, 5]")
    path = write(tmp_path, "monitor.yaml", text)
    found = problems(path, env={"TOPIC": "NATO"})
    assert found[0] == f"{path}:8: topics.${{TOPIC}}: defined twice (first at {path}:7)"
    unset = problems(path)
    assert unset[0] == f"{path}:8: topics.${{TOPIC}}: environment variable TOPIC is not set"
    path.write_text(text.replace("${TOPIC}", "X${TOPIC}"), encoding="utf-8")
    # the fault inside the renamed entry is at its own line
    assert f"{path}:8: topics.XNATO[1]: expected a string, got a number" in problems(
        path, env={"TOPIC": "NATO"}
    )


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ("  NATO: []", "topics.NATO", "needs at least one term: an empty list can never match"),
        ('  NATO: [""]', "topics.NATO[0]", "an empty entry can never match; remove it"),
        ('  NATO: "  "', "topics.NATO[0]", "an empty entry can never match; remove it"),
        (
            "  NATO: {terms: [NATO], exclude: ['']}",
            "topics.NATO.exclude[0]",
            "an empty entry can never match; remove it",
        ),
    ],
)
def test_empty_terms_are_errors(tmp_path: Path, entry: str, path: str, message: str) -> None:
    found = problems_in(tmp_path, BASE.replace("  NATO: [NATO, OTAN]", entry))
    assert found == [f"{tmp_path / 'monitor.yaml'}:7: {path}: {message}"]


def test_empty_aliases_are_errors(tmp_path: Path) -> None:
    found = problems_in(tmp_path, BASE.replace("[Peskov]", "[]"))
    assert found == [
        f"{tmp_path / 'monitor.yaml'}:9: speakers.Dmitry Peskov:"
        " needs at least one alias: an empty list can never match"
    ]
