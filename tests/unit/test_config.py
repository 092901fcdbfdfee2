"""The config loader (SPEC section 1): merging, ${VAR}, and one FILE:LINE line per fault."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.config import (
    Config,
    ConfigError,
    EmailChannel,
    FileChannel,
    WebhookChannel,
    load_config,
    summarize,
)
from monitor.match.query import And, Speaker

ROOT = Path(__file__).resolve().parents[2]
# valid (whsec_ + base64 of "SENTINEL-do-not-print"): the loader checks the secret
SECRET = "whsec_U0VOVElORUwtZG8tbm90LXByaW50"
PASSWORD = "SENTINEL-smtp-password"

# a small valid config the error tests break one piece of at a time
BASE = """\
feeds:
  - id: wire
    url: https://example.org/rss
    every: 5m
    tags: [state-media]
topics:
  NATO: [NATO, OTAN]
speakers:
  Dmitry Peskov: [Peskov]
watchlists:
  russia-nato:
    topics: [NATO]
    speakers: [Dmitry Peskov]
    channels: [stdout]
channels:
  stdout:
    type: console
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    """The problem lines loading ``path`` reports (the test fails if it loads)."""
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def problems_in(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    return problems(write(tmp_path, "monitor.yaml", text), env)


# --- what loads --------------------------------------------------------------------------


def test_the_shipped_config_loads_with_the_default_state_dir() -> None:
    config = load_config(ROOT / "config" / "monitor.yaml", env={})
    assert [feed.id for feed in config.feeds] == ["desk-drop"]
    assert config.feeds[0].every == 10.0
    assert "security guarantees" in config.topics
    assert config.watchlists["russia-nato"].channels == ["stdout", "archive"]
    assert config.settings.state_dir == "./.monitor"
    assert config.source_files == (ROOT / "config" / "monitor.yaml",)


def test_the_shipped_config_reads_the_state_dir_from_the_environment() -> None:
    env = {"MONITOR_STATE_DIR": "/var/lib/monitor", "MONITOR_BROKER_URL": "redis://r:6379/0"}
    config = load_config(ROOT / "config", env=env)
    assert config.settings.state_dir == "/var/lib/monitor"
    assert config.settings.broker_url == "redis://r:6379/0"
    assert load_config(ROOT / "config", env={}).settings.broker_url is None


def test_a_directory_of_files_merges_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "10-feeds.yaml", BASE)
    write(
        tmp_path,
        "20-more.yml",
        """\
        feeds:
          - id: drop
            path: ./inbox
        topics:
          Ukraine: [Ukraine, Украина]
        settings:
          story_window: 2h
        """,
    )
    write(tmp_path, "30-empty.yaml", "")
    write(tmp_path, "notes.txt", "not: [config")  # not YAML by name: ignored
    config = load_config(tmp_path, env={})
    assert [feed.id for feed in config.feeds] == ["wire", "drop"]
    assert list(config.topics) == ["NATO", "Ukraine"]
    assert config.settings.story_window == 7200.0
    assert [path.name for path in config.source_files] == [
        "10-feeds.yaml",
        "20-more.yml",
        "30-empty.yaml",
    ]


def test_variables_expand_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "monitor.yaml",
        BASE
        + """\
  hook:
    type: webhook
    url: https://${HOOK_HOST}/monitor
    secret: ${HOOK_SECRET}
  archive:
    type: file
    path: ${ARCHIVE:-./alerts.jsonl}
settings:
  state_dir: ${STATE:-./state}
""",
    )
    config = load_config(path, env={"HOOK_HOST": "hooks.example.org", "HOOK_SECRET": SECRET})
    hook = config.channels["hook"]
    assert isinstance(hook, WebhookChannel)
    assert hook.url == "https://hooks.example.org/monitor"
    assert hook.secret == SECRET
    archive = config.channels["archive"]
    assert isinstance(archive, FileChannel)
    assert archive.path == "./alerts.jsonl"
    assert config.settings.state_dir == "./state"


# --- one line per fault, at the right place ----------------------------------------------


def test_a_duplicate_key_in_one_file_names_both_lines(tmp_path: Path) -> None:
    found = problems_in(tmp_path, BASE + "topics:\n  NATO: [Alliance]\n")
    # the second `topics:` is itself a duplicate top-level key, and so is NATO under it
    path = tmp_path / "monitor.yaml"
    assert f"{path}:18: topics: defined twice (first at {path}:6)" in found


def test_a_duplicate_topic_name_in_one_mapping(tmp_path: Path) -> None:
    text = BASE.replace("  NATO: [NATO, OTAN]\n", "  NATO: [NATO]\n  NATO: [OTAN]\n")
    path = tmp_path / "monitor.yaml"
    assert problems_in(tmp_path, text) == [
        f"{path}:8: topics.NATO: defined twice (first at {path}:7)"
    ]


def test_a_name_defined_in_two_files_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", BASE)
    second = write(
        tmp_path,
        "b.yaml",
        """\
        speakers:
          Maria Zakharova: [Zakharova]
          Dmitry Peskov: [Песков]
        feeds:
          - id: wire
            path: ./inbox
        """,
    )
    assert problems(tmp_path) == [
        f"{second}:3: speakers.Dmitry Peskov: defined twice (first at {first}:9)",
        f"{second}:5: feeds[wire]: defined twice (first at {first}:2)",
    ]


def test_an_unknown_key_suggests_the_near_one(tmp_path: Path) -> None:
    text = BASE.replace("    every: 5m\n", "    evrey: 5m\n")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:4: feeds[wire].evrey: unknown key 'evrey';"
        " did you mean 'every'?"
    ]


def test_an_unknown_top_level_key(tmp_path: Path) -> None:
    assert problems_in(tmp_path, BASE + "watchlist: {}\n") == [
        f"{tmp_path / 'monitor.yaml'}:18: watchlist: unknown key 'watchlist';"
        " did you mean 'watchlists'?"
    ]


def test_a_wrong_type_says_what_was_expected_and_got(tmp_path: Path) -> None:
    text = (
        BASE.replace("  NATO: [NATO, OTAN]", "  NATO: [NATO, 2024]")
        + "settings:\n  delivery_attempts: many\n"
    )
    path = tmp_path / "monitor.yaml"
    assert problems_in(tmp_path, text) == [
        f"{path}:7: topics.NATO[1]: expected a string, got a number"
        " (write '2024' in quotes to mean the text)",
        f"{path}:19: settings.delivery_attempts: expected a whole number, got 'many'",
    ]


def test_a_list_given_a_number(tmp_path: Path) -> None:
    text = BASE.replace("    tags: [state-media]\n", "    tags: 5\n")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:5: feeds[wire].tags: expected a list of strings, got a number"
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("[NATO]", "[NATO, NATOO]", 12, "topics[1]: unknown topic 'NATOO'; did you mean 'NATO'?"),
        ("[Dmitry Peskov]", "Dmitri Peskov", 13, "speakers: unknown speaker 'Dmitri Peskov'"),
        ("[stdout]", "[stdout, pager]", 14, "channels[1]: unknown channel 'pager'"),
        ("[stdout]", "[stdout]\n    feeds: [wire, rss]", 15, "feeds[1]: unknown feed 'rss'"),
        ("[stdout]", "[stdout]\n    feeds: [tag:wires]", 15, "feeds[0]: no feed has tag 'wires'"),
    ],
)
def test_a_dangling_reference_is_reported_where_it_is(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    found = problems_in(tmp_path, BASE.replace(f": {old}\n", f": {new}\n", 1))
    assert len(found) == 1, found
    where = f"{tmp_path / 'monitor.yaml'}:{line}: watchlists.russia-nato."
    assert found[0].startswith(where + message), found[0]


def test_a_valid_feed_and_tag_filter_loads(tmp_path: Path) -> None:
    text = BASE.replace(
        "    channels: [stdout]\n", "    channels: [stdout]\n    feeds: [wire, tag:state-media]\n"
    )
    config = load_config(write(tmp_path, "monitor.yaml", text), env={})
    assert config.watchlists["russia-nato"].feeds == ["wire", "tag:state-media"]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("every: 5m", "every: 5 minutes", 4, "feeds[wire].every: bad interval '5 minutes'"),
        ("every: 5m", "every: 0s", 4, "feeds[wire].every: an interval must be greater than zero"),
        (
            "url: https://example.org/rss",
            "url: ftp://example.org/rss",
            3,
            "feeds[wire].url: bad URL",
        ),
    ],
)
def test_bad_values(tmp_path: Path, old: str, new: str, line: int, message: str) -> None:
    found = problems_in(tmp_path, BASE.replace(old, new))
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'monitor.yaml'}:{line}: {message}")


def test_seen_retention_is_a_duration_of_at_least_a_day(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "monitor.yaml", BASE), env={}).settings.seen_retention == (
        30 * 86400.0
    )
    path = write(tmp_path, "monitor.yaml", BASE + "settings:\n  seen_retention: 90d\n")
    assert load_config(path, env={}).settings.seen_retention == 90 * 86400.0
    found = problems_in(tmp_path, BASE + "settings:\n  seen_retention: 12h\n")
    assert found == [
        f"{tmp_path / 'monitor.yaml'}:19: settings.seen_retention: must be at least 1d:"
        " an item that leaves a feed and comes back sooner would be alerted again"
    ]
    found = problems_in(tmp_path, BASE + "settings:\n  seen_retention: forever\n")
    assert len(found) == 1 and "settings.seen_retention: bad interval 'forever'" in found[0]


def test_visibility_timeout_is_a_duration_of_at_least_one_minute(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, "monitor.yaml", BASE), env={}).settings
    assert settings.visibility_timeout == 90.0
    path = write(tmp_path, "monitor.yaml", BASE + "settings:\n  visibility_timeout: 2h\n")
    assert load_config(path, env={}).settings.visibility_timeout == 7200.0
    path = write(tmp_path, "monitor.yaml", BASE + "settings:\n  visibility_timeout: 1m\n")
    assert load_config(path, env={}).settings.visibility_timeout == 60.0
    found = problems_in(tmp_path, BASE + "settings:\n  visibility_timeout: 59s\n")
    assert found == [
        f"{tmp_path / 'monitor.yaml'}:19: settings.visibility_timeout: must be at least 1m:"
        " every task may run 2/3 of it, and a feed fetch may take 30s"
    ]
    found = problems_in(tmp_path, BASE + "settings:\n  visibility_timeout: 0\n")
    assert found == [
        f"{tmp_path / 'monitor.yaml'}:19: settings.visibility_timeout:"
        " an interval must be greater than zero"
    ]
    found = problems_in(tmp_path, BASE + "settings:\n  visibility_timeout: soon\n")
    assert len(found) == 1 and "settings.visibility_timeout: bad interval 'soon'" in found[0]


def test_the_summary_shows_the_visibility_timeout_of_the_distributed_mode(tmp_path: Path) -> None:
    text = BASE + "settings:\n  broker_url: redis://localhost:6379/0\n  visibility_timeout: 90m\n"
    summary = summarize(load_config(write(tmp_path, "monitor.yaml", text), env={}))
    assert summary.splitlines()[-1].startswith(
        "settings: runner broker redis://localhost:6379/0"
        " (unacked tasks redelivered after 1h30m); state_dir"
    )


def test_a_bad_email_address(tmp_path: Path) -> None:
    text = BASE + (
        "  desk:\n"
        "    type: email\n"
        "    to: [desk@example.org, desk.example.org]\n"
        "    from: monitor@\n"
        "    smtp: smtp://mail.example.org:587\n"
    )
    path = tmp_path / "monitor.yaml"
    assert problems_in(tmp_path, text) == [
        f"{path}:20: channels.desk.to[1]: bad email address 'desk.example.org'",
        f"{path}:21: channels.desk.from: bad email address 'monitor@'",
    ]


def test_an_unknown_channel_type(tmp_path: Path) -> None:
    text = BASE.replace("    type: console", "    type: consol")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:17: channels.stdout.type: unknown channel type 'consol';"
        " did you mean 'console'?"
    ]


def test_a_feed_without_an_id_is_named_by_position(tmp_path: Path) -> None:
    text = BASE.replace("  - id: wire\n    url:", "  - url:")
    found = problems_in(tmp_path, text)
    assert f"{tmp_path / 'monitor.yaml'}:2: feeds[0]: missing required key 'id'" in found


def test_a_bad_query_gives_the_column(tmp_path: Path) -> None:
    text = BASE.replace(
        "    channels: [stdout]\n", "    channels: [stdout]\n    when: NATO AND (OTAN\n"
    )
    found = problems_in(tmp_path, text)
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'monitor.yaml'}:15: watchlists.russia-nato.when: ")
    assert "column 10" in found[0]


# --- environment variables and secrets -----------------------------------------------------

HOOK = (
    BASE
    + "  ops-hook:\n"
    + "    type: webhook\n"
    + "    url: https://hooks.example.org/x\n"
    + "    secret: ${HOOK_SECRET}\n"
)


def test_an_unset_variable_is_an_error_at_its_key(tmp_path: Path) -> None:
    assert problems_in(tmp_path, HOOK) == [
        f"{tmp_path / 'monitor.yaml'}:21: channels.ops-hook.secret:"
        " environment variable HOOK_SECRET is not set"
    ]


def test_an_interpolated_value_never_appears_in_errors(tmp_path: Path) -> None:
    text = HOOK.replace("https://hooks.example.org/x", "${HOOK_URL}")
    found = problems_in(tmp_path, text, env={"HOOK_URL": f"ftp://{SECRET}", "HOOK_SECRET": SECRET})
    assert found == [
        f"{tmp_path / 'monitor.yaml'}:20: channels.ops-hook.url: bad URL '${{HOOK_URL}}':"
        " expected http:// or https:// with a host"
    ]


def test_the_summary_shows_the_config_but_no_secret(tmp_path: Path) -> None:
    text = HOOK + (
        "  desk:\n"
        "    type: email\n"
        "    to: desk@example.org\n"
        "    from: monitor@example.org\n"
        "    smtp: smtp://user:${SMTP_PASSWORD}@mail.example.org:587\n"
    )
    path = write(tmp_path, "monitor.yaml", text)
    config = load_config(path, env={"HOOK_SECRET": SECRET, "SMTP_PASSWORD": PASSWORD})
    desk = config.channels["desk"]
    assert isinstance(desk, EmailChannel)
    assert PASSWORD in desk.smtp  # loaded for use...
    summary = summarize(config)  # ...but never shown
    assert SECRET not in summary
    assert PASSWORD not in summary
    assert "smtp://user:***@mail.example.org:587" in summary
    assert summary.splitlines()[0] == "1 feed, 1 topic, 1 speaker, 1 watchlist, 3 channels"
    assert "  russia-nato: topics: NATO; speakers: Dmitry Peskov; when: any" in summary
    assert "  wire: https://example.org/rss; every 5m; tags state-media" in summary
    assert summary.splitlines()[-1] == (
        "settings: runner embedded; state_dir ./.monitor; seen ids kept 30d after they leave a feed"
    )


# --- files and syntax ----------------------------------------------------------------------


def test_a_yaml_syntax_error_is_one_line_with_its_line(tmp_path: Path) -> None:
    found = problems_in(
        tmp_path, BASE.replace("  NATO: [NATO, OTAN]", "  NATO: [NATO, OTAN\n  x: 1")
    )
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'monitor.yaml'}:8: syntax error: ")
    assert "\n" not in found[0]


def test_a_missing_path_is_one_clear_error(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [
        f"{tmp_path / 'nope.yaml'}: no such file or directory"
    ]


def test_the_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    found = problems_in(tmp_path, "- feeds\n- topics\n")
    assert found == [
        f"{tmp_path / 'monitor.yaml'}:1: the top level must be a mapping with keys"
        " feeds, topics, speakers, watchlists, channels, settings; got a list"
    ]


def test_an_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "monitor.yaml", ""), env={})
    assert config.model_copy(update={"load_warnings": ()}) == Config(
        source_files=(tmp_path / "monitor.yaml",)
    )
    assert len(config.load_warnings) == 2  # no feeds, no watchlists


def test_all_errors_at_once_sorted_by_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "b.yaml",
        """\
        channels:
          hook:
            type: webhook
            url: not a url
        """,
    )
    write(
        tmp_path,
        "a.yaml",
        BASE.replace("every: 5m", "every: soon").replace(
            "  NATO: [NATO, OTAN]", "  NATO: {term: [NATO]}"
        ),
    )
    found = problems(tmp_path)
    places = [line.split(": ")[0] for line in found]
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert places == [f"{a}:4", f"{a}:7", f"{a}:7", f"{b}:4"], found
    assert "topics.NATO.term: unknown key 'term'; did you mean 'terms'?" in found[2]


# --- YAML conveniences and their faults ------------------------------------------------------


def test_anchors_under_an_x_key_and_merges_are_allowed(tmp_path: Path) -> None:
    text = """\
        x-hook: &hook
          type: webhook
          url: https://hooks.example.org/a
        channels:
          a:
            <<: *hook
          b:
            <<: *hook
            url: https://hooks.example.org/b
            timeout: soon
        """
    path = write(tmp_path, "monitor.yaml", text)
    # b's own url overrides the merged one (no "defined twice"); its bad timeout is at its line
    assert problems(path) == [
        f"{path}:10: channels.b.timeout: bad interval 'soon'"
        ": expected a number with s, m, h or d, like 5m"
    ]
    path.write_text(textwrap.dedent(text).replace("soon", "5s"), encoding="utf-8")
    channels = load_config(path, env={}).channels
    urls = [getattr(channel, "url", None) for channel in channels.values()]
    assert urls == ["https://hooks.example.org/a", "https://hooks.example.org/b"]


def test_yaml_booleans_where_text_was_meant_get_a_hint(tmp_path: Path) -> None:
    text = BASE.replace(
        "    channels: [stdout]\n", "    channels: [stdout]\n    languages: [no, en]\n"
    )
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:15: watchlists.russia-nato.languages[0]:"
        " expected a string, got false (write 'no' in quotes to mean the text)"
    ]


def test_query_fields_must_name_what_is_defined(tmp_path: Path) -> None:
    when = '    when: speaker:"Dmitry Peskov" AND NOT feed:wire AND speaker:"Peskow"\n'
    text = BASE.replace("    channels: [stdout]\n", "    channels: [stdout]\n" + when)
    found = problems_in(tmp_path, text)
    assert len(found) == 1, found
    assert found[0].startswith(
        f"{tmp_path / 'monitor.yaml'}:15: watchlists.russia-nato.when: unknown speaker 'Peskow'"
    )


def test_when_is_read_once_into_any_all_or_a_query(tmp_path: Path) -> None:
    query = '    when: (NATO OR "OTAN") speaker:"Dmitry Peskov"\n'
    text = BASE.replace("    channels: [stdout]\n", "    channels: [stdout]\n" + query)
    config = load_config(write(tmp_path, "monitor.yaml", text), env={})
    when = config.watchlists["russia-nato"].when
    assert isinstance(when, And) and isinstance(when.items[1], Speaker)
    summary = summarize(config)  # written back as the query it was read as
    assert 'when: (NATO OR "OTAN") AND speaker:"Dmitry Peskov";' in summary
    assert config.model_dump()["watchlists"]["russia-nato"]["when"] == (
        '(NATO OR "OTAN") AND speaker:"Dmitry Peskov"'
    )
    spaced = BASE.replace("    channels: [stdout]\n", "    channels: [stdout]\n    when: ' ALL '\n")
    config = load_config(write(tmp_path, "monitor.yaml", spaced), env={})
    assert config.watchlists["russia-nato"].when == "all"  # as the matcher always read it


def test_when_any_in_capitals_still_needs_topics_or_speakers(tmp_path: Path) -> None:
    text = BASE.replace("    topics: [NATO]\n    speakers: [Dmitry Peskov]\n", "    when: ANY\n")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:11: watchlists.russia-nato:"
        " a watchlist needs topics:, speakers: or a when: query"
    ]


def test_a_when_that_is_not_text_says_so(tmp_path: Path) -> None:
    text = BASE.replace("    channels: [stdout]\n", "    channels: [stdout]\n    when: 5\n")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'monitor.yaml'}:15: watchlists.russia-nato.when:"
        " expected a string, got a number (write '5' in quotes to mean the text)"
    ]


def test_the_summary_hides_webhook_paths_and_url_passwords(tmp_path: Path) -> None:
    text = HOOK.replace("https://hooks.example.org/x", "https://hooks.example.org/T0/B0/XYZTOKEN")
    text += "settings:\n  broker_url: redis://:brokerpass@localhost:6379/0\n"
    config = load_config(write(tmp_path, "monitor.yaml", text), env={"HOOK_SECRET": SECRET})
    summary = summarize(config)
    assert "  ops-hook: webhook https://hooks.example.org/... (signed)" in summary
    assert "XYZTOKEN" not in summary
    assert "brokerpass" not in summary
    assert "redis://:***@localhost:6379/0" in summary


def test_public_url_is_an_http_base_url_without_its_trailing_slash(tmp_path: Path) -> None:
    text = BASE + "settings:\n  public_url: https://monitor.example.org/desk/\n"
    config = load_config(write(tmp_path, "monitor.yaml", text), env={})
    assert config.settings.public_url == "https://monitor.example.org/desk"
    assert load_config(write(tmp_path, "monitor.yaml", BASE), env={}).settings.public_url is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ftp://monitor.example.org", "expected http:// or https:// with a host"),
        ("monitor.example.org", "expected http:// or https:// with a host"),
        ("https://monitor.example.org/?token=x", "without a ?query or #fragment"),
        ("https://desk:pw@monitor.example.org", "a user or password does not belong"),
    ],
)
def test_a_bad_public_url_is_one_line_naming_the_key(
    tmp_path: Path, value: str, reason: str
) -> None:
    (line,) = problems_in(tmp_path, BASE + f"settings:\n  public_url: {value}\n")
    assert "settings.public_url" in line and reason in line and "\n" not in line
    assert "pw" not in line and "token=x" not in line  # no secret echoed
