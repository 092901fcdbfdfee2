"""docs/config.md documents every config key (issue #12 item 8): a key added to the schema
without a line in the reference fails here, and every example in it loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from monitor.config.loader import load_config
from monitor.config.schema import (
    AppriseChannel,
    Config,
    ConsoleChannel,
    EmailChannel,
    FeedConfig,
    FileChannel,
    Settings,
    SpeakerConfig,
    TopicConfig,
    WatchlistConfig,
    WebhookChannel,
    WebSettings,
    _Channel,
)

DOC = Path(__file__).parent.parent.parent / "docs" / "config.md"
README = Path(__file__).parent.parent.parent / "README.md"

# each model and the heading of its section in docs/config.md
SECTIONS: dict[type[BaseModel], str] = {
    FeedConfig: "## `feeds`",
    TopicConfig: "## `topics`",
    SpeakerConfig: "## `speakers`",
    WatchlistConfig: "## `watchlists`",
    WebhookChannel: "### `type: webhook`",
    EmailChannel: "### `type: email`",
    ConsoleChannel: "### `type: console`",
    FileChannel: "### `type: file`",
    AppriseChannel: "### `type: apprise`",
    Settings: "## `settings`",
    WebSettings: "### `settings.web`",
}
COMMON_CHANNEL_KEYS = "### Keys of every channel type"


def _section(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    assert heading in text, f"docs/config.md has no section {heading!r}"
    body = text.split(heading, 1)[1]
    level = heading.split(" ", 1)[0]
    ends = [m.start() for m in re.finditer(r"^#{2,3} ", body, re.MULTILINE)]
    ends = [end for end in ends if len(body[end:].split(" ", 1)[0]) <= len(level)]
    return body[: ends[0]] if ends else body


def _keys(model: type[BaseModel]) -> list[str]:
    return [
        info.alias or name
        for name, info in model.model_fields.items()
        if not info.exclude  # set by the loader, not written by users
    ]


def test_every_model_of_the_config_has_a_section() -> None:
    """A new model (a channel type, a section) needs a line in SECTIONS and a section."""
    channel_models = {WebhookChannel, EmailChannel, ConsoleChannel, FileChannel, AppriseChannel}
    nested = {
        FeedConfig,
        TopicConfig,
        SpeakerConfig,
        WatchlistConfig,
        Settings,
        WebSettings,
        *channel_models,
    }
    assert set(SECTIONS) == nested
    text = DOC.read_text(encoding="utf-8")
    for key in _keys(Config):
        assert f"## `{key}`" in text, key


@pytest.mark.parametrize("model", list(SECTIONS), ids=lambda model: model.__name__)
def test_every_key_is_in_its_section_table(model: type[BaseModel]) -> None:
    section = _section(SECTIONS[model])
    # keys every channel type takes are documented once, in their own section
    shared = set(_keys(_Channel)) if issubclass(model, _Channel) else set()
    missing = [key for key in _keys(model) if key not in shared and f"| `{key}` |" not in section]
    assert not missing, f"{SECTIONS[model]} does not document {missing}"


def test_the_keys_of_every_channel_are_documented_once() -> None:
    section = _section(COMMON_CHANNEL_KEYS)
    missing = [key for key in _keys(_Channel) if f"| `{key}` |" not in section]
    assert _keys(_Channel) and not missing, f"{COMMON_CHANNEL_KEYS} does not document {missing}"


def test_every_example_loads(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    merged: dict[str, dict[str, object] | list[object]] = {}
    for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL):
        for key, value in yaml.safe_load(block).items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)  # type: ignore[union-attr]
            else:
                merged.setdefault(key, {}).update(value)  # type: ignore[union-attr]
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(merged, allow_unicode=True), encoding="utf-8")
    env = {"SMTP_PASSWORD": "pw", "HOOK_SECRET": "whsec_" + "a2V5" * 8, "TG_TOKEN": "1:t"}
    env |= {"WIRE_KEY": "key", "WIRE_TOKEN": "token"}
    config = load_config(path, env=env)
    assert set(config.channels) == {
        "ops-hook",
        "chat-hook",
        "desk-email",
        "desk-chat",
        "team-chat",
        "stdout",
        "archive",
    }


def test_the_readme_links_the_reference() -> None:
    assert "docs/config.md" in README.read_text(encoding="utf-8")
