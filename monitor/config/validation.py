"""Stage 4 of a config load: validate with pydantic, then say each fault in the user's words.

``schema.py`` owns the shape; this module owns the words. Pydantic's locations become the
key paths users wrote (``from``, not ``from_``; ``channels.hook.url``, not the union tag;
``topics.NATO[2]`` for the shorthand list form), its error types plain sentences with a
"did you mean" where a near name exists, and a fault already reported by an earlier stage
(an unset ``${VAR}``, a feed's missing source) is not said twice.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.config.loadstate import SECTIONS, KeyPath, LoadState
from monitor.config.schema import (
    FEED_SOURCE_PROBLEM,
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
)
from monitor.config.words import describe, hint

_CHANNEL_MODELS: dict[str, type[BaseModel]] = {
    "console": ConsoleChannel,
    "email": EmailChannel,
    "file": FileChannel,
    "webhook": WebhookChannel,
}
_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "feeds": FeedConfig,
    "topics": TopicConfig,
    "speakers": SpeakerConfig,
    "watchlists": WatchlistConfig,
}
_TYPE_WORDS = {
    "string_type": "expected a string",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list of strings",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
}


def check_feed_sources(feeds: list[Any], state: LoadState) -> None:
    """Each feed has exactly one of ``url:`` and ``path:``."""
    # FeedConfig checks this too, but only once all the feed's fields are valid: here it
    # is reported along with them (all errors at once); _pydantic_problem drops the repeat
    for index, item in enumerate(feeds):
        if not isinstance(item, dict):
            continue
        if (item.get("url") is None) == (item.get("path") is None):
            path = ("feeds", index)
            state.add(state.where(path), path, FEED_SOURCE_PROBLEM)


def validate(merged: dict[str, Any], state: LoadState) -> Config | None:
    """The ``Config`` in ``merged``, or None with every pydantic error in ``state``."""
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            _pydantic_problem(dict(error), merged, state)
        return None


def _pydantic_problem(error: dict[str, Any], merged: dict[str, Any], state: LoadState) -> None:
    path, key_error = _yaml_path(tuple(error["loc"]), merged)
    if state.is_failed(path):
        return  # its ${VAR} is already reported; the empty stand-in proves nothing
    kind: str = error["type"]
    if str(error.get("msg", "")).endswith(FEED_SOURCE_PROBLEM):
        return  # check_feed_sources reported it already
    value = error.get("input")
    context: dict[str, Any] = error.get("ctx") or {}
    if key_error:
        message = f"a name must be text, got {describe(value)}"
    elif kind == "extra_forbidden":
        key = str(path[-1])
        message = f"unknown key {key!r}{hint(key, _allowed_keys(path[:-1], merged))}"
    elif kind == "missing":
        message = f"missing required key {path[-1]!r}"
        path = path[:-1]
    elif kind == "union_tag_not_found":
        message = f"missing key 'type': one of {', '.join(_CHANNEL_MODELS)}"
    elif kind == "union_tag_invalid":
        tag = str(context.get("tag", ""))
        path = (*path, "type")
        message = (
            f"unknown channel type {state.shown(path, tag)}"
            f"{hint(tag, _CHANNEL_MODELS, list_all=True)}"
        )
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        message = f"expected {context.get('expected')}, got {state.shown(path, value)}"
        if isinstance(value, str):
            message += hint(value, choices)
    elif kind in _TYPE_WORDS:
        got = state.shown(path, value) if isinstance(value, str) else describe(value)
        message = f"{_TYPE_WORDS[kind]}, got {got}"
        raw = state.raw_scalars.get(path)
        if raw is not None and kind == "string_type":
            message += f" (write '{raw}' in quotes to mean the text)"
    else:
        message = str(error.get("msg", "invalid"))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        # a model-level check that names its key ("smtp: expected ...") points there
        key, sep, rest = message.partition(": ")
        parent = _lookup(merged, path)
        if sep and isinstance(parent, dict) and key in parent:
            path, message = (*path, key), rest
    state.add(state.where(path), path, message)


def _yaml_path(loc: KeyPath, merged: dict[str, Any]) -> tuple[KeyPath, bool]:
    """Pydantic's location -> the path the user wrote (and whether a dict key failed)."""
    path = list(loc)
    key_error = "[key]" in path
    if key_error:
        path = path[: path.index("[key]")]
    if len(path) >= 3 and path[0] == "channels":
        raw = _lookup(merged, tuple(path[:2]))
        if isinstance(raw, dict) and raw.get("type") == path[2]:
            del path[2]  # pydantic's union tag: not something the user wrote
    for section, inner in (("topics", "terms"), ("speakers", "aliases")):
        shorthand = isinstance(_lookup(merged, tuple(path[:2])), list | str)
        if len(path) >= 3 and path[0] == section and path[2] == inner and shorthand:
            del path[2]  # the shorthand `NATO: [NATO, OTAN]` has no terms: key
    return tuple(path), key_error


def _allowed_keys(parent: KeyPath, merged: dict[str, Any]) -> list[str]:
    model: type[BaseModel] | None = None
    if parent == ():
        return list(SECTIONS)
    if parent == ("settings",):
        model = Settings
    elif len(parent) == 2 and parent[0] == "channels":
        raw = _lookup(merged, parent)
        model = _CHANNEL_MODELS.get(str(raw.get("type"))) if isinstance(raw, dict) else None
    elif len(parent) == 2:
        model = _SECTION_MODELS.get(parent[0])
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _lookup(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data
