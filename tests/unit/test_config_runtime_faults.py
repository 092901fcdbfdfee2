"""Configs that only fail at run time are caught by ``monitor check`` (issue #12 item 6):
a channel on a private IP literal without ``allow_private``, ``max_feed_bytes`` or
``delivery_attempts`` below 1 are FILE:LINE errors; an empty config is a warning."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.cli import cmd_check
from monitor.config.loader import load_config
from monitor.config.reload import ConfigReloader
from monitor.errors import ConfigError

BASE = (Path(__file__).parent.parent / "fixtures" / "config" / "good.yaml").read_text("utf-8")

HOOK = "  hook:\n    type: webhook\n    url: {url}\n"
MAIL = "  mail:\n    type: email\n    to: a@example.org\n    from: b@example.org\n    smtp: {url}\n"


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "monitor.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [problem.removeprefix(f"{path}:") for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("channel", "url", "shown"),
    [
        (HOOK, "http://127.0.0.1:9/x", "15: channels.hook.url: 127.0.0.1"),
        (HOOK, "http://127.1/x", "15: channels.hook.url: 127.0.0.1"),
        (HOOK, "https://[::1]/x", "15: channels.hook.url: ::1"),
        (HOOK, "http://169.254.169.254/latest", "15: channels.hook.url: 169.254.169.254"),
        (MAIL, "smtp://10.1.2.3:25", "17: channels.mail.smtp: 10.1.2.3"),
        (MAIL, "smtps://[::ffff:192.168.0.1]:465", "17: channels.mail.smtp: ::ffff:c0a8:1"),
    ],
)
def test_a_channel_on_a_private_literal_is_an_error(
    tmp_path: Path, channel: str, url: str, shown: str
) -> None:
    [problem] = _problems(tmp_path, BASE + channel.format(url=url))
    assert problem.startswith(f"{shown} is not a public address"), problem
    assert "allow_private: true" in problem


@pytest.mark.parametrize("allow", ["    allow_private: true\n", None])
def test_allow_private_or_allow_private_networks_lets_it_pass(
    tmp_path: Path, allow: str | None
) -> None:
    text = BASE + HOOK.format(url="http://127.0.0.1:9/x")
    text += allow if allow else "settings:\n  allow_private_networks: true\n"
    path = tmp_path / "monitor.yaml"
    path.write_text(text, encoding="utf-8")
    assert "hook" in load_config(path, env={}).channels


def test_a_public_literal_or_a_name_is_not_checked_here(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(BASE + HOOK.format(url="https://hooks.example.org/x"), encoding="utf-8")
    load_config(path, env={})
    path.write_text(BASE + MAIL.format(url="smtp://8.8.8.8:25"), encoding="utf-8")
    load_config(path, env={})


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("max_feed_bytes: -5", "settings.max_feed_bytes: must be at least 1"),
        ("max_feed_bytes: 0", "settings.max_feed_bytes: must be at least 1"),
        ("delivery_attempts: 0", "settings.delivery_attempts: must be at least 1"),
    ],
)
def test_settings_below_one_are_errors(tmp_path: Path, setting: str, message: str) -> None:
    [problem] = _problems(tmp_path, BASE + f"settings:\n  {setting}\n")
    assert problem.startswith(f"14: {message}"), problem


def test_an_empty_config_warns_in_check_and_in_a_running_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("topics:\n  NATO: [NATO]\nfeeds: []\n", encoding="utf-8")
    assert cmd_check(argparse.Namespace(config=str(path))) == 0  # main() would set up logging
    out = capsys.readouterr().out
    assert f"{path}:3: feeds: warning: none defined; nothing will be polled" in out
    assert f"{path}:1: watchlists: warning: none defined; nothing can alert" in out
    with capture_logs() as logs:
        ConfigReloader.start(path)
    warnings = [entry["warning"] for entry in logs if entry["event"] == "config_warning"]
    assert [line.split(": ", 2)[1] for line in warnings] == ["feeds", "watchlists"]
    assert all(entry["log_level"] == "warning" for entry in logs)


def test_a_full_config_has_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_config(path, env={}).load_warnings == ()
