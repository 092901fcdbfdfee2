"""Stage 2 of a config load: merge the files of a config folder into one whole.

A folder lets users keep feeds, topics and channels apart (docs/config.md); reading them
as one must not hide a slip. ``feeds`` lists concatenate in file order, the named sections
and ``settings`` merge by key, and a name (or feed id) defined twice is an error naming
both places. Each entry's lines move with it, so later stages still point at the file
and line the user wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from monitor.config.loadstate import NAMED, SECTIONS, KeyPath, LoadState, Where
from monitor.config.words import describe, hint
from monitor.config.yamllines import Doc

_FEED_ID = re.compile(r"^[a-z0-9_-]+$")


@dataclass
class Merged:
    """The sections merged so far: feeds in reading order, the named sections by name."""

    feeds: list[Any] = field(default_factory=list)
    named: dict[str, dict[Any, Any]] = field(
        default_factory=lambda: {section: {} for section in NAMED}
    )


def merge(doc: Doc, merged: Merged, state: LoadState) -> None:
    """Add ``doc`` to ``merged``, its lines (and faults) to ``state`` at their merged paths."""
    moves = _merge_sections(doc, merged, state)
    # carry the line numbers of everything that was merged over, at its merged path
    for path, line in doc.lines.items():
        dest = moves.get(path[:2])
        if dest is not None:
            state.lines[dest + path[2:]] = (doc.file, line)
    for path, raw in doc.raw_scalars.items():
        dest = moves.get(path[:2])
        if dest is not None:
            state.raw_scalars[dest + path[2:]] = raw
    for path, first, line in doc.duplicates:
        dest = moves.get(path[:2])
        shown = path if dest is None else dest + path[2:]
        state.add((doc.file, line), shown, f"defined twice (first at {doc.file}:{first})")


def _merge_sections(doc: Doc, merged: Merged, state: LoadState) -> dict[KeyPath, KeyPath]:
    """Merge ``doc`` into the whole; return where its entries landed (local -> merged)."""
    moves: dict[KeyPath, KeyPath] = {}
    if doc.data is None:  # an empty file is fine
        return moves
    top = doc.lines.get((), 1)
    if not isinstance(doc.data, dict):
        state.add(
            (doc.file, top),
            (),
            f"the top level must be a mapping with keys {', '.join(SECTIONS)};"
            f" got {describe(doc.data)}",
        )
        return moves
    state.lines.setdefault((), (doc.file, top))
    for key, value in doc.data.items():
        where = (doc.file, doc.lines.get((key,), top))
        if isinstance(key, str) and key.startswith("x-"):
            continue  # an extension key, as in docker compose: a place for &anchors
        if key not in SECTIONS:
            state.add(where, (key,), f"unknown key {key!r}{hint(str(key), SECTIONS)}")
            continue
        state.lines.setdefault((key,), where)
        if value is None:  # `topics:` with nothing under it yet
            continue
        if key == "feeds":
            if not isinstance(value, list):
                state.add(where, (key,), f"expected a list of feeds, got {describe(value)}")
                continue
            for index, item in enumerate(value):
                moves[("feeds", index)] = ("feeds", len(merged.feeds))
                state.feed_labels[len(merged.feeds)] = _feed_label(item, index)
                merged.feeds.append(item)
            continue
        if not isinstance(value, dict):
            state.add(where, (key,), f"expected a mapping (name: ...), got {describe(value)}")
            continue
        target = merged.named[key]
        for name, item in value.items():
            if name in target:
                first_file, first_line = state.lines[(key, name)]
                state.add(
                    (doc.file, doc.lines.get((key, name), where[1])),
                    (key, name),
                    f"defined twice (first at {first_file}:{first_line})",
                )
                continue
            target[name] = item
            moves[(key, name)] = (key, name)
    return moves


def check_feed_ids(feeds: list[Any], state: LoadState) -> None:
    """A feed id defined twice, in any files, is an error naming both places."""
    seen: dict[str, Where] = {}
    for index, item in enumerate(feeds):
        feed_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(feed_id, str):
            continue
        where = state.where(("feeds", index, "id"))
        if feed_id in seen:
            first_file, first_line = seen[feed_id]
            state.add(
                where, ("feeds", index), f"defined twice (first at {first_file}:{first_line})"
            )
        else:
            seen[feed_id] = where


def _feed_label(item: Any, index: int) -> str:
    feed_id = item.get("id") if isinstance(item, dict) else None
    if isinstance(feed_id, str) and _FEED_ID.match(feed_id):
        return feed_id
    return str(index)
