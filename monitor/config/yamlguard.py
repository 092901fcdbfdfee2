"""Refuse hostile YAML before it is built: nesting depth and alias expansion are capped.

PyYAML builds a node tree recursively (5,000 nested ``[`` is a RecursionError) and an
alias is a reference, so nine levels of ``&a [*b, *b, ...]`` (about 400 bytes) expand to
hundreds of millions of nodes in anything that walks the tree. ``check_limits`` reads the
event stream once, which needs no recursion and no tree, and counts what the tree would
be once every alias is expanded: its depth and its number of nodes. A config is far below
both limits; a fault names the line and the key path where the limit was crossed.

Also picks the YAML classes: libyaml's C parser when PyYAML was built with it (about ten
times faster on a large config), else the pure-Python one; both give the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)

__all__ = ["FAST_LOADER", "MAX_DEPTH", "MAX_NODES", "LimitError", "check_limits"]

# Deeper than any config (feeds[3].tags[0] is depth 3); well inside Python's recursion
# limit for the recursive walks after loading (line numbers, ${VAR}, pydantic).
MAX_DEPTH = 100
# A 10k-term watchlist config is ~25k nodes; nine levels of a nine-alias bomb are 387M.
MAX_NODES = 250_000

FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


class LimitError(Exception):
    """The document crosses a limit: at ``line`` (1-based), under ``path``."""

    def __init__(self, line: int, path: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.line = line
        self.path = path[:2]  # where it starts; the rest is the nesting itself
        self.message = message


@dataclass
class _Frame:
    """One open mapping or sequence of the event stream."""

    mapping: bool
    depth: int
    start_count: int
    anchor: str | None
    deepest: int  # the deepest level below it, aliases expanded
    index: int = 0  # next item of a sequence, or key/value position in a mapping
    key: Any = None  # the mapping's current key, for messages
    path: tuple[Any, ...] = field(default_factory=tuple)


def check_limits(loader: Any, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Read every event of ``loader`` (a fresh SafeLoader or CSafeLoader over the text).

    Raises ``LimitError`` when the document, aliases expanded, nests deeper than
    ``max_depth`` or holds more than ``max_nodes`` nodes; YAML syntax errors propagate.
    """
    stack: list[_Frame] = []
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, height)
    count = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, CollectionEndEvent):
            frame = stack.pop()
            if stack:
                stack[-1].deepest = max(stack[-1].deepest, frame.deepest)
            if frame.anchor is not None:
                sizes[frame.anchor] = (count - frame.start_count, frame.deepest - frame.depth)
            continue
        if not isinstance(event, NodeEvent):
            continue  # stream and document start and end
        path = _child_path(stack)
        depth = len(stack) + 1
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, AliasEvent):
            nodes, height = sizes.get(event.anchor or "", (1, 0))  # unknown: the composer says so
            count += nodes
            depth += height
        else:
            count += 1
        if depth > max_depth:
            raise LimitError(line, path, f"too deeply nested (limit {max_depth})")
        if count > max_nodes:
            raise LimitError(
                line,
                path,
                f"too large once YAML aliases are expanded (limit {max_nodes} values)",
            )
        if stack:
            stack[-1].deepest = max(stack[-1].deepest, depth)
        if isinstance(event, CollectionStartEvent):
            stack.append(
                _Frame(
                    mapping=isinstance(event, MappingStartEvent),
                    depth=depth,
                    start_count=count - 1,
                    anchor=event.anchor,
                    deepest=depth,
                    path=path,
                )
            )
        elif isinstance(event, ScalarEvent) and event.anchor is not None:
            sizes[event.anchor] = (1, 0)
        if stack and (not isinstance(event, CollectionStartEvent) or len(stack) > 1):
            parent = stack[-2] if isinstance(event, CollectionStartEvent) else stack[-1]
            _advance(parent, event)


def _child_path(stack: list[_Frame]) -> tuple[Any, ...]:
    """The key path of the node the next event starts."""
    if not stack:
        return ()
    parent = stack[-1]
    if parent.mapping:
        return parent.path if parent.index % 2 == 0 else (*parent.path, parent.key)
    return (*parent.path, parent.index)


def _advance(parent: _Frame, event: NodeEvent) -> None:
    if parent.mapping and parent.index % 2 == 0:
        parent.key = event.value if isinstance(event, ScalarEvent) else "?"
    parent.index += 1
