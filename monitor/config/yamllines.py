"""Stage 1 of a config load: read YAML and remember the line of every key and list item.

Messages name ``FILE:LINE``, and pydantic knows nothing of lines: ``LineMixin`` walks the
node tree before it is built into data and records each key path's line, the keys defined
twice in one mapping and the source text of scalars YAML typed as non-strings (``no``). It
mixes into PyYAML's ``SafeLoader`` (the reference for every message) or libyaml's
``CSafeLoader`` when there is one (faster; on any fault the pure reader reads again, so
messages are the same); ``yamlguard`` refuses deep nesting and alias bombs before any tree
is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.config.loadstate import KeyPath, LoadState
from monitor.config.yamlguard import FAST_LOADER, LimitError, check_limits
from monitor.errors import one_line

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class LineMixin:
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


class LineLoader(LineMixin, yaml.SafeLoader):
    """The pure-Python reader: the reference for every message."""


FAST_LINE_LOADER: type[LineMixin] | None = (
    type("_CLineLoader", (LineMixin, FAST_LOADER), {}) if FAST_LOADER is not None else None
)


def read_yaml(text: str, cls: type[LineMixin]) -> tuple[Any, LineMixin]:
    """The data in ``text`` and the loader that read it (its lines); YAML errors and
    ``LimitError`` propagate. The limits are checked on the events, before any tree."""
    if cls is not LineLoader:
        yaml.reader.Reader(text)  # libyaml lets through characters YAML forbids
    scanner: Any = (yaml.SafeLoader if cls is LineLoader or FAST_LOADER is None else FAST_LOADER)(
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
class Doc:
    """One file as read: its data and where each key path of it stands."""

    file: str
    data: Any
    lines: dict[KeyPath, int]
    raw_scalars: dict[KeyPath, str]
    duplicates: list[tuple[KeyPath, int, int]]  # (path, first line, second line)


def syntax_message(exc: yaml.MarkedYAMLError) -> str:
    message = exc.problem or "not valid YAML"
    if exc.context:
        message += f" ({exc.context}"
        start, end = exc.context_mark, exc.problem_mark
        if start is not None and end is not None and start.line != end.line:
            message += f" started at line {start.line + 1}"
        message += ")"
    return one_line(message)


def read_file(file: Path, state: LoadState, fast: type[LineMixin] | None) -> Doc | None:
    """The data and lines of ``file``, or None with its fault in ``state``.

    ``fast`` (the libyaml reader, or None) reads first; on any fault the pure reader reads
    again, so the message is always the pure reader's."""
    found = _read(file, fast)
    if isinstance(found, Doc):
        return found
    line, path, message = found
    state.add((str(file), line), path, message)
    state.unloaded.append(str(file))
    return None


_Fault = tuple[int, KeyPath, str]  # why a file cannot be read: line (0: none), path, message


def _read(file: Path, fast: type[LineMixin] | None) -> Doc | _Fault:
    name = str(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        return (0, (), f"cannot read the file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return (raw[: exc.start].count(b"\n") + 1, (), "not UTF-8 text; save the file as UTF-8")
    if fast is not None:
        try:
            data, loader = read_yaml(text, fast)
        except Exception:
            pass
        else:
            return Doc(name, data, loader.lines, loader.raw_scalars, loader.duplicates)
    try:
        data, loader = read_yaml(text, LineLoader)
    except LimitError as exc:
        return (exc.line, exc.path, exc.message)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return (
            mark.line + 1 if mark is not None else 1,
            (),
            f"syntax error: {syntax_message(exc)}",
        )
    except yaml.YAMLError as exc:
        return (1, (), f"syntax error: {one_line(str(exc))}")
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # a typed scalar YAML's own constructors fail on (`!!timestamp 2020-13-45`)
        return (1, (), f"cannot read the YAML: {one_line(str(exc))}")
    return Doc(name, data, loader.lines, loader.raw_scalars, loader.duplicates)
