"""Load the monitor's YAML configuration (SPEC section 1): files in, a validated ``Config`` out.

Owns reading config files (the only I/O here), ``${VAR}`` interpolation (with
``paths.py``, the only reader of ``os.environ``), merging a directory of files, the
cross-reference checks pydantic cannot do, and turning every fault into one line
``FILE:LINE: key.path: message``. ``schema.py`` owns the shape; this module owns the words.

The stages, each collecting problems instead of stopping so users see them all at once:

1. read each file with ``_LineLoader``, a ``yaml.SafeLoader`` that records the line of
   every mapping key and list item and reports duplicate keys (libyaml's ``CSafeLoader``
   when there is one; on any fault the pure reader reads again, so messages are the
   same); ``yamlguard`` refuses deep nesting and alias bombs before any tree is built;
2. merge the files (sorted by name): ``feeds`` lists concatenate, the named sections and
   ``settings`` merge by key, and a name (or feed id) defined twice is an error naming both
   places;
3. expand ``${VAR}`` and ``${VAR:-default}`` (the default also replaces an empty value,
   as in the shell; ``$${`` is a literal ``${``) in every string value;
4. validate with pydantic and translate its errors;
5. check references: watchlist topics, speakers, channels and feeds (an id or
   ``tag:NAME``) must exist, and ``when:`` queries must parse.

Problems are sorted by file (in reading order) and line, and raised as ``ConfigError``.

Top-level keys starting with ``x-`` are ignored (as in docker compose), so a file can hold
``&anchors`` to reuse with ``*aliases`` or ``<<:`` merges.

Key paths use the names users wrote: ``from``, not ``from_``; ``channels.hook.url``, not
pydantic's union tag; ``topics.NATO[2]`` for the shorthand list form. A feed is addressed
by its id when it has a valid one (``feeds[sputnik-ar].every``), else by its 0-based
position in its own file (``feeds[2].every``): the ``FILE:LINE`` prefix says which file, and
a position in the merged list would mean nothing to the person reading the file.

Secrets: a value that came from the environment never appears in a problem or in
``summary.summarize()``; a message about an interpolated string shows what the user wrote
(``'${HOOK_URL}'``) instead of what it expanded to.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.config.paths import proxy_variables
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
from monitor.config.yamlguard import FAST_LOADER, LimitError, check_limits
from monitor.errors import ConfigError, one_line
from monitor.match.query import Query, QuerySyntaxError, When, named_refs, parse_when
from monitor.net import guard

__all__ = ["load_config"]

KeyPath = tuple[Any, ...]  # mapping keys (usually str) and list indices (int)
Where = tuple[str, int]  # (file as the user named it, 1-based line)

SECTIONS = ("feeds", "topics", "speakers", "watchlists", "channels", "settings")
_NAMED = ("topics", "speakers", "watchlists", "channels", "settings")
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_FEED_ID = re.compile(r"^[a-z0-9_-]+$")
# ${NAME} or ${NAME:-default}; `$${` escapes; a bare `${` that matches neither is an error
_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{")
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


# --- reading YAML with line numbers ------------------------------------------------------


class _LineMixin:
    """Records where each mapping key and list item is, on a SafeLoader or CSafeLoader.

    ``lines`` maps key paths to 1-based lines; ``duplicates`` lists keys defined twice in
    one mapping as (path, first line, second line); ``raw_scalars`` keeps the source text
    of scalars YAML typed as something other than a string (``no`` -> False), for hints.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)  # type: ignore[call-arg]  # the loader class mixed in
        self.lines: dict[KeyPath, int] = {}
        self.raw_scalars: dict[KeyPath, str] = {}
        self.duplicates: list[tuple[KeyPath, int, int]] = []

    def load(self) -> Any:
        base: Any = self  # the loader class mixed in
        node = base.get_single_node()
        if node is None:
            return None
        self.lines[()] = node.start_mark.line + 1
        self._walk(node, (), frozenset(), merged=False)
        return base.construct_document(node)

    def _record(self, path: KeyPath, node: Node, merged: bool) -> None:
        # keys copied by a `<<:` merge lose to the mapping's own keys, wherever they stand
        if merged:
            self.lines.setdefault(path, node.start_mark.line + 1)
        else:
            self.lines[path] = node.start_mark.line + 1

    def _walk(self, node: Node, path: KeyPath, active: frozenset[int], merged: bool) -> None:
        if id(node) in active:  # a recursive alias; the merge step reports it
            return
        active = active | {id(node)}
        if isinstance(node, MappingNode):
            self._walk_mapping(node, path, active, merged)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self._record((*path, index), item, merged)
                self._walk(item, (*path, index), active, merged)
        elif isinstance(node, ScalarNode) and node.tag != _STR_TAG:
            self.raw_scalars[path] = str(node.value)

    def _walk_mapping(
        self, node: MappingNode, path: KeyPath, active: frozenset[int], merged: bool
    ) -> None:
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    self._walk(source, path, active, merged=True)
                continue
            if not isinstance(key_node, ScalarNode):
                continue  # a complex key: construct_document reports it
            key = self.construct_object(key_node)  # type: ignore[attr-defined]
            line = key_node.start_mark.line + 1
            if key in seen and not merged:
                self.duplicates.append(((*path, key), seen[key], line))
            seen.setdefault(key, line)
            self._record((*path, key), key_node, merged)
            self._walk(value_node, (*path, key), active, merged)


class _LineLoader(_LineMixin, yaml.SafeLoader):
    """The pure-Python reader: the reference for every message."""


_FAST_LINE_LOADER: type[_LineMixin] | None = (
    type("_CLineLoader", (_LineMixin, FAST_LOADER), {}) if FAST_LOADER is not None else None
)


def _read_yaml(text: str, cls: type[_LineMixin]) -> tuple[Any, _LineMixin]:
    """The data in ``text`` and the loader that read it (its lines); YAML errors and
    ``LimitError`` propagate. The limits are checked on the events, before any tree."""
    if cls is not _LineLoader:
        yaml.reader.Reader(text)  # libyaml lets through characters YAML forbids
    scanner: Any = (yaml.SafeLoader if cls is _LineLoader or FAST_LOADER is None else FAST_LOADER)(
        text
    )
    try:
        check_limits(scanner)
    finally:
        scanner.dispose()
    loader = cls(text)
    try:
        return loader.load(), loader
    finally:
        loader.dispose()  # type: ignore[attr-defined]


@dataclass
class _Doc:
    file: str
    data: Any
    lines: dict[KeyPath, int]
    raw_scalars: dict[KeyPath, str]
    duplicates: list[tuple[KeyPath, int, int]]  # (path, first line, second line)


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    message = exc.problem or "not valid YAML"
    if exc.context:
        message += f" ({exc.context}"
        start, end = exc.context_mark, exc.problem_mark
        if start is not None and end is not None and start.line != end.line:
            message += f" started at line {start.line + 1}"
        message += ")"
    return one_line(message)


# --- the load ----------------------------------------------------------------------------


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, merge, interpolate and validate the config at ``path`` (a file or a folder).

    ``env`` defaults to ``os.environ``. Raises ``ConfigError`` listing every problem.
    """
    files = config_files(Path(path))
    loader = _Loader(os.environ if env is None else env, [str(file) for file in files])
    return loader.run(files)


def config_files(path: Path) -> list[Path]:
    """The files a config at ``path`` is read from: the file itself, or a folder's
    ``*.yaml``/``*.yml`` by name, hidden files left out (what a reload watches too)."""
    if path.is_dir():
        files = sorted(
            (
                child
                for child in path.iterdir()
                if child.suffix in (".yaml", ".yml")
                and child.is_file()
                and not child.name.startswith(".")  # editor backups, not config
            ),
            key=lambda child: child.name,
        )
        if not files:
            raise ConfigError([f"{path}: no *.yaml or *.yml files in this directory"])
        return files
    if path.is_file():
        return [path]
    if not path.exists():
        raise ConfigError([f"{path}: no such file or directory"])
    raise ConfigError([f"{path}: not a file or a directory"])


@dataclass
class _Loader:
    """One load: the merged data, where each piece came from, and the problems so far."""

    env: Mapping[str, str]
    file_order: list[str]
    lines: dict[KeyPath, Where] = field(default_factory=dict)
    raw_scalars: dict[KeyPath, str] = field(default_factory=dict)
    feeds: list[Any] = field(default_factory=list)
    feed_labels: dict[int, str] = field(default_factory=dict)
    named: dict[str, dict[Any, Any]] = field(
        default_factory=lambda: {section: {} for section in _NAMED}
    )
    interpolated: dict[KeyPath, tuple[str, str]] = field(default_factory=dict)  # raw, value
    failed: set[KeyPath] = field(default_factory=set)  # already reported, skip later faults
    secrets: dict[str, str] = field(default_factory=dict)  # env value -> ${NAME}
    unloaded: list[str] = field(default_factory=list)  # files that could not be read
    problems: list[tuple[int, int, int, str]] = field(default_factory=list)

    def run(self, files: list[Path]) -> Config:
        for file in files:
            doc = self._read(file)
            if doc is not None:
                self._merge(doc)
        self._check_feed_ids()
        merged: dict[str, Any] = {"feeds": self._interpolate(self.feeds, ("feeds",), set())}
        for section in _NAMED:
            merged[section] = self._interpolate(self.named[section], (section,), set())
        self._check_feed_sources(merged["feeds"])
        config = self._validate(merged)
        self._check_references(merged, config)
        self._check_private_channels(merged)
        if self.problems or config is None:
            self.problems.sort()
            raise ConfigError([text for *_, text in self.problems])
        warnings = self._warnings(config)
        update: dict[str, Any] = {"source_files": tuple(files), "load_warnings": tuple(warnings)}
        if any(feed.trust_env for feed in config.feeds):
            update["environment_proxies"] = proxy_variables(self.env)
        return config.model_copy(update=update)

    # problems

    def _add(self, where: Where, path: KeyPath, message: str) -> None:
        file, line = where
        message = self._redact(path, message)
        shown = self._show_path(path)
        text = f"{file}:{line}: " if line else f"{file}: "
        text += f"{shown}: {message}" if shown else message
        rank = self.file_order.index(file) if file in self.file_order else -1
        self.problems.append((rank, line, len(self.problems), text))

    def _where(self, path: KeyPath) -> Where:
        """The line of ``path``, else of its nearest parent that has one."""
        for size in range(len(path), -1, -1):
            found = self.lines.get(path[:size])
            if found is not None:
                return found
        return (self.file_order[0], 1)

    def _show_path(self, path: KeyPath) -> str:
        text = ""
        for index, part in enumerate(path):
            if index == 1 and path[0] == "feeds" and isinstance(part, int):
                text += f"[{self.feed_labels.get(part, part)}]"
            elif index == 1 and path[0] in _NAMED:  # a name, even one YAML read as a number
                text += f".{part}"
            elif isinstance(part, int) and not isinstance(part, bool) and index > 0:
                text += f"[{part}]"
            else:
                text += f".{part}" if text else str(part)
        return text

    # stage 1: read

    def _read(self, file: Path) -> _Doc | None:
        name = str(file)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            self._add((name, 0), (), f"cannot read the file: {exc.strerror or exc}")
            self.unloaded.append(name)
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self._add((name, line), (), "not UTF-8 text; save the file as UTF-8")
            self.unloaded.append(name)
            return None
        if _FAST_LINE_LOADER is not None:
            try:
                data, loader = _read_yaml(text, _FAST_LINE_LOADER)
            except Exception:
                pass
            else:
                return _Doc(name, data, loader.lines, loader.raw_scalars, loader.duplicates)
        try:
            data, loader = _read_yaml(text, _LineLoader)
        except LimitError as exc:
            self._add((name, exc.line), exc.path, exc.message)
            self.unloaded.append(name)
            return None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            self._add((name, line), (), f"syntax error: {_syntax_message(exc)}")
            self.unloaded.append(name)
            return None
        except yaml.YAMLError as exc:
            self._add((name, 1), (), f"syntax error: {one_line(str(exc))}")
            self.unloaded.append(name)
            return None
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            # a typed scalar YAML's own constructors fail on (`!!timestamp 2020-13-45`)
            self._add((name, 1), (), f"cannot read the YAML: {one_line(str(exc))}")
            self.unloaded.append(name)
            return None
        return _Doc(name, data, loader.lines, loader.raw_scalars, loader.duplicates)

    # stage 2: merge

    def _merge(self, doc: _Doc) -> None:
        moves = self._merge_sections(doc)
        # carry the line numbers of everything that was merged over, at its merged path
        for path, line in doc.lines.items():
            dest = moves.get(path[:2])
            if dest is not None:
                self.lines[dest + path[2:]] = (doc.file, line)
        for path, raw in doc.raw_scalars.items():
            dest = moves.get(path[:2])
            if dest is not None:
                self.raw_scalars[dest + path[2:]] = raw
        for path, first, line in doc.duplicates:
            dest = moves.get(path[:2])
            shown = path if dest is None else dest + path[2:]
            self._add((doc.file, line), shown, f"defined twice (first at {doc.file}:{first})")

    def _merge_sections(self, doc: _Doc) -> dict[KeyPath, KeyPath]:
        """Merge ``doc`` into the whole; return where its entries landed (local -> merged)."""
        moves: dict[KeyPath, KeyPath] = {}
        if doc.data is None:  # an empty file is fine
            return moves
        top = doc.lines.get((), 1)
        if not isinstance(doc.data, dict):
            self._add(
                (doc.file, top),
                (),
                f"the top level must be a mapping with keys {', '.join(SECTIONS)};"
                f" got {_describe(doc.data)}",
            )
            return moves
        self.lines.setdefault((), (doc.file, top))
        for key, value in doc.data.items():
            where = (doc.file, doc.lines.get((key,), top))
            if isinstance(key, str) and key.startswith("x-"):
                continue  # an extension key, as in docker compose: a place for &anchors
            if key not in SECTIONS:
                self._add(where, (key,), f"unknown key {key!r}{_hint(str(key), SECTIONS)}")
                continue
            self.lines.setdefault((key,), where)
            if value is None:  # `topics:` with nothing under it yet
                continue
            if key == "feeds":
                if not isinstance(value, list):
                    self._add(where, (key,), f"expected a list of feeds, got {_describe(value)}")
                    continue
                for index, item in enumerate(value):
                    moves[("feeds", index)] = ("feeds", len(self.feeds))
                    self.feed_labels[len(self.feeds)] = _feed_label(item, index)
                    self.feeds.append(item)
                continue
            if not isinstance(value, dict):
                self._add(where, (key,), f"expected a mapping (name: ...), got {_describe(value)}")
                continue
            target = self.named[key]
            for name, item in value.items():
                if name in target:
                    first_file, first_line = self.lines[(key, name)]
                    self._add(
                        (doc.file, doc.lines.get((key, name), where[1])),
                        (key, name),
                        f"defined twice (first at {first_file}:{first_line})",
                    )
                    continue
                target[name] = item
                moves[(key, name)] = (key, name)
        return moves

    def _check_feed_ids(self) -> None:
        seen: dict[str, Where] = {}
        for index, item in enumerate(self.feeds):
            feed_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(feed_id, str):
                continue
            where = self._where(("feeds", index, "id"))
            if feed_id in seen:
                first_file, first_line = seen[feed_id]
                self._add(
                    where, ("feeds", index), f"defined twice (first at {first_file}:{first_line})"
                )
            else:
                seen[feed_id] = where

    def _check_feed_sources(self, feeds: list[Any]) -> None:
        # FeedConfig checks this too, but only once all the feed's fields are valid: here it
        # is reported along with them (all errors at once); _pydantic_problem drops the repeat
        for index, item in enumerate(feeds):
            if not isinstance(item, dict):
                continue
            if (item.get("url") is None) == (item.get("path") is None):
                path = ("feeds", index)
                self._add(self._where(path), path, FEED_SOURCE_PROBLEM)

    # stage 3: ${VAR}

    def _interpolate(self, value: Any, path: KeyPath, active: set[int]) -> Any:
        if isinstance(value, str):
            return self._expand(value, path) if "${" in value else value
        if not isinstance(value, list | dict):
            return value
        if id(value) in active:
            self._add(self._where(path), path, "a YAML alias refers to itself")
            self.failed.add(path)
            return None
        active = active | {id(value)}
        if isinstance(value, list):
            return [self._interpolate(item, (*path, i), active) for i, item in enumerate(value)]
        result: dict[Any, Any] = {}
        for key, item in value.items():
            name = self._interpolate_key(key, path, result)
            result[name] = self._interpolate(item, (*path, name), active)
        return result

    def _interpolate_key(self, key: Any, path: KeyPath, done: dict[Any, Any]) -> Any:
        """``key`` with its ``${VAR}`` expanded (SPEC: "in any string"), its lines moved along."""
        if not isinstance(key, str) or "${" not in key:
            return key
        name = self._expand(key, (*path, key))
        if name == key:
            return key  # an unset variable, already reported
        old = (*path, key)
        if name in done:
            first_file, first_line = self._where((*path, name))
            self._add(self._where(old), old, f"defined twice (first at {first_file}:{first_line})")
            self.failed.add(old)  # the config is refused; its entry's own faults are noise
            return key
        for where_path, where in list(self.lines.items()):
            if where_path[: len(old)] == old:
                self.lines[(*path, name, *where_path[len(old) :])] = where
        return name

    def _expand(self, raw: str, path: KeyPath) -> str:
        faults: list[str] = []

        def substitute(found: re.Match[str]) -> str:
            if found.group(0) == "$${":
                return "${"
            name, default = found.group(1), found.group(2)
            if name is None:
                faults.append("bad ${...}: write ${NAME} or ${NAME:-default} ($${ for a literal)")
                return ""
            value = self.env.get(name)
            if value is None or (value == "" and default is not None):
                if default is None:
                    faults.append(f"environment variable {name} is not set")
                return default or ""
            if len(value) >= 3:  # shorter values would garble every message they occur in
                self.secrets[value] = "${" + name + "}"
            return value

        expanded = _VAR.sub(substitute, raw)
        if faults:
            for fault in dict.fromkeys(faults):
                self._add(self._where(path), path, fault)
            self.failed.add(path)
            return raw
        self.interpolated[path] = (raw, expanded)
        return expanded

    # stage 4: pydantic

    def _validate(self, merged: dict[str, Any]) -> Config | None:
        try:
            return Config.model_validate(merged)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                self._pydantic_problem(dict(error), merged)
            return None

    def _pydantic_problem(self, error: dict[str, Any], merged: dict[str, Any]) -> None:
        path, key_error = self._yaml_path(tuple(error["loc"]), merged)
        if any(path[:size] in self.failed for size in range(len(path) + 1)):
            return  # its ${VAR} is already reported; the empty stand-in proves nothing
        kind: str = error["type"]
        if str(error.get("msg", "")).endswith(FEED_SOURCE_PROBLEM):
            return  # _check_feed_sources reported it already
        value = error.get("input")
        context: dict[str, Any] = error.get("ctx") or {}
        if key_error:
            message = f"a name must be text, got {_describe(value)}"
        elif kind == "extra_forbidden":
            key = str(path[-1])
            message = f"unknown key {key!r}{_hint(key, self._allowed_keys(path[:-1], merged))}"
        elif kind == "missing":
            message = f"missing required key {path[-1]!r}"
            path = path[:-1]
        elif kind == "union_tag_not_found":
            message = f"missing key 'type': one of {', '.join(_CHANNEL_MODELS)}"
        elif kind == "union_tag_invalid":
            tag = str(context.get("tag", ""))
            path = (*path, "type")
            message = (
                f"unknown channel type {self._shown(path, tag)}"
                f"{_hint(tag, _CHANNEL_MODELS, list_all=True)}"
            )
        elif kind == "literal_error":
            choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
            message = f"expected {context.get('expected')}, got {self._shown(path, value)}"
            if isinstance(value, str):
                message += _hint(value, choices)
        elif kind in _TYPE_WORDS:
            got = self._shown(path, value) if isinstance(value, str) else _describe(value)
            message = f"{_TYPE_WORDS[kind]}, got {got}"
            raw = self.raw_scalars.get(path)
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
        self._add(self._where(path), path, message)

    def _yaml_path(self, loc: KeyPath, merged: dict[str, Any]) -> tuple[KeyPath, bool]:
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

    def _allowed_keys(self, parent: KeyPath, merged: dict[str, Any]) -> list[str]:
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

    def _shown(self, path: KeyPath, value: Any) -> str:
        """A value for a message: what the user wrote when it came from ``${VAR}``."""
        if path in self.interpolated:
            return repr(self.interpolated[path][0])
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "...'"

    def _redact(self, path: KeyPath, message: str) -> str:
        """``message`` with what came from the environment replaced by what the user wrote."""
        swaps = dict(self.secrets)  # belt and braces: no env value anywhere in a message
        if path in self.interpolated:
            raw, value = self.interpolated[path]
            if value:
                swaps[value] = raw
                swaps[repr(value)] = repr(raw)
        if not swaps:
            return message
        # one pass, longest first, so a replacement is never itself replaced
        pattern = "|".join(re.escape(old) for old in sorted(swaps, key=len, reverse=True))
        return re.sub(pattern, lambda found: swaps[found.group(0)], message)

    # stage 5: references and what can only fail at run time

    def _check_private_channels(self, merged: dict[str, Any]) -> None:
        """A channel on a private or loopback IP literal would be refused at every send.

        Read from the merged data, so it is reported along with every other fault."""
        settings = merged["settings"]
        if isinstance(settings, dict) and settings.get("allow_private_networks") is True:
            return
        for name, channel in merged["channels"].items():
            kind = channel.get("type") if isinstance(channel, dict) else None
            key = {"webhook": "url", "email": "smtp"}.get(str(kind))
            url = channel.get(key) if key else None
            if not isinstance(url, str) or channel.get("allow_private") is True:
                continue
            try:
                host = urlsplit(url).hostname or ""
            except ValueError:
                continue  # the URL check reports it
            address = guard.literal_address(host)
            if address is None or guard.is_public(address):
                continue
            path = ("channels", name, key)
            self._add(
                self._where(path),
                path,
                f"{address} is not a public address: sending would be refused"
                f" ({guard.CHANNELS.hint})",
            )

    def _warnings(self, config: Config) -> list[str]:
        """``FILE:LINE: key: warning: ...`` for a valid config that cannot do anything."""
        found = []
        for key, count, effect in (
            ("feeds", len(config.feeds), "nothing will be polled"),
            ("watchlists", len(config.watchlists), "nothing can alert"),
        ):
            if not count:
                file, line = self._where((key,))
                found.append(f"{file}:{line}: {key}: warning: none defined; {effect}")
        return found

    def _check_references(self, merged: dict[str, Any], config: Config | None) -> None:
        self._check_ops_channel(merged)
        feeds = [feed for feed in merged["feeds"] if isinstance(feed, dict)]
        known = {
            "topic": set(merged["topics"]),
            "speaker": set(merged["speakers"]),
            "channel": set(merged["channels"]),
            "feed": {feed["id"] for feed in feeds if isinstance(feed.get("id"), str)},
            "tag": {tag for feed in feeds for tag in _strings(feed.get("tags"))},
        }
        for name, watchlist in merged["watchlists"].items():
            if not isinstance(watchlist, dict):
                continue
            base: KeyPath = ("watchlists", name)
            for key, kind in (
                ("topics", "topic"),
                ("speakers", "speaker"),
                ("channels", "channel"),
            ):
                for ref, path in _refs(watchlist.get(key), (*base, key)):
                    self._check_ref(path, kind, ref, known[kind])
            for ref, path in _refs(watchlist.get("feeds"), (*base, "feeds")):
                if ref == "tag:":
                    self._add(self._where(path), path, "tag: needs a name, like tag:wire")
                elif ref.startswith("tag:"):
                    self._check_ref(path, "tag", ref[4:], known["tag"])
                else:
                    self._check_ref(path, "feed", ref, known["feed"])
            when = _when(name, watchlist, config)
            if isinstance(when, str):  # any | all
                if not (watchlist.get("topics") or watchlist.get("speakers")):
                    message = "a watchlist needs topics:, speakers: or a when: query"
                    self._add(self._where(base), base, message)
            elif when is not None:
                self._check_query((*base, "when"), when, known)

    def _check_ops_channel(self, merged: dict[str, Any]) -> None:
        """``settings.ops_channel`` names a defined channel (feed health alerts go there)."""
        settings = merged.get("settings")
        channel = settings.get("ops_channel") if isinstance(settings, dict) else None
        if isinstance(channel, str):
            path: KeyPath = ("settings", "ops_channel")
            self._check_ref(path, "channel", channel, set(merged["channels"]))

    def _check_ref(self, path: KeyPath, kind: str, ref: str, known: set[str]) -> None:
        if ref in known or any(path[:size] in self.failed for size in range(len(path) + 1)):
            return
        what = "no feed has tag" if kind == "tag" else f"unknown {kind}"
        message = f"{what} {ref!r}{_hint(ref, sorted(known), list_all=True)}"
        if self.unloaded:
            message += self._unloaded_note()
        elif not known:
            message += f" (no {kind}s are defined)"
        self._add(self._where(path), path, message)

    def _unloaded_note(self) -> str:
        """Why a reference may be unknown only because a file with its definition failed."""
        if not self.unloaded:
            return ""
        files = ", ".join(Path(file).name for file in self.unloaded)
        return f" ({files} failed to load and may define it)"

    def _check_query(self, path: KeyPath, query: Query, known: dict[str, set[str]]) -> None:
        """The names a query's fields give (``speaker:"…"``, ``topic:"…"``, ``feed:ID``,
        ``tag:NAME``) are defined."""
        for kind, ref, column in named_refs(query):
            if ref not in known[kind]:
                what = "no feed has tag" if kind == "tag" else f"unknown {kind}"
                hint = _hint(ref, sorted(known[kind]))
                note = self._unloaded_note()
                self._add(self._where(path), path, f"{what} {ref!r} at column {column}{hint}{note}")


# --- small helpers -----------------------------------------------------------------------


def _when(name: str, watchlist: dict[str, Any], config: Config | None) -> When | None:
    """Watchlist ``name``'s ``when:`` as the schema read it; None when it could not be
    read (the schema's error says why). References are checked even where other keys
    failed validation, so that every problem shows at once: the value is then read here
    with the same ``parse_when``."""
    if config is not None:
        return config.watchlists[name].when
    raw = watchlist.get("when", "any")
    try:
        return parse_when(raw) if isinstance(raw, str) else None
    except QuerySyntaxError:
        return None


def _feed_label(item: Any, index: int) -> str:
    feed_id = item.get("id") if isinstance(item, dict) else None
    if isinstance(feed_id, str) and _FEED_ID.match(feed_id):
        return feed_id
    return str(index)


def _lookup(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _strings(value: Any) -> list[str]:
    return [ref for ref, _ in _refs(value, ())]


def _refs(value: Any, path: KeyPath) -> Iterator[tuple[str, KeyPath]]:
    """The names in a name-or-list-of-names value, each with its own path."""
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield item, (*path, index)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _hint(word: str, options: Any, list_all: bool = False) -> str:
    choices = [str(option) for option in options]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:  # case slips (`nato` for `NATO`) fall below difflib's cutoff
        close = [choice for choice in choices if choice.casefold() == word.casefold()]
    if close:
        return f"; did you mean {close[0]!r}?"
    if list_all and choices:
        listed = ", ".join(choices[:10]) + (", ..." if len(choices) > 10 else "")
        return f"; expected one of: {listed}"
    return ""


# --- the summary `monitor check` prints ----------------------------------------------------
