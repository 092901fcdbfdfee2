"""What the stages of one config load share: where each key was written, and the problems.

Every stage (``yamllines``, ``merge``, ``interpolate``, ``validation``, ``references``)
adds its faults to one ``LoadState``, so each problem is placed, worded and redacted the
same way (``FILE:LINE: key.path: message``) whichever stage found it, and the user sees
them all at once, sorted by file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KeyPath = tuple[Any, ...]  # mapping keys (usually str) and list indices (int)
Where = tuple[str, int]  # (file as the user named it, 1-based line)

SECTIONS = ("feeds", "topics", "speakers", "watchlists", "channels", "settings")
NAMED = ("topics", "speakers", "watchlists", "channels", "settings")


@dataclass
class LoadState:
    """One load's bookkeeping, passed to each stage in turn."""

    file_order: list[str]
    lines: dict[KeyPath, Where] = field(default_factory=dict)
    raw_scalars: dict[KeyPath, str] = field(default_factory=dict)
    feed_labels: dict[int, str] = field(default_factory=dict)
    interpolated: dict[KeyPath, tuple[str, str]] = field(default_factory=dict)  # raw, value
    failed: set[KeyPath] = field(default_factory=set)  # already reported, skip later faults
    secrets: dict[str, str] = field(default_factory=dict)  # env value -> ${NAME}
    unloaded: list[str] = field(default_factory=list)  # files that could not be read
    problems: list[tuple[int, int, int, str]] = field(default_factory=list)

    def add(self, where: Where, path: KeyPath, message: str) -> None:
        file, line = where
        message = self.redact(path, message)
        shown = self.show_path(path)
        text = f"{file}:{line}: " if line else f"{file}: "
        text += f"{shown}: {message}" if shown else message
        rank = self.file_order.index(file) if file in self.file_order else -1
        self.problems.append((rank, line, len(self.problems), text))

    def messages(self) -> list[str]:
        """The problems by file (in reading order), line, then the order they were found."""
        return [text for *_, text in sorted(self.problems)]

    def where(self, path: KeyPath) -> Where:
        """The line of ``path``, else of its nearest parent that has one."""
        for size in range(len(path), -1, -1):
            found = self.lines.get(path[:size])
            if found is not None:
                return found
        return (self.file_order[0], 1)

    def is_failed(self, path: KeyPath) -> bool:
        """Whether ``path`` or a parent was already reported (its faults are noise)."""
        return any(path[:size] in self.failed for size in range(len(path) + 1))

    def show_path(self, path: KeyPath) -> str:
        text = ""
        for index, part in enumerate(path):
            if index == 1 and path[0] == "feeds" and isinstance(part, int):
                text += f"[{self.feed_labels.get(part, part)}]"
            elif index == 1 and path[0] in NAMED:  # a name, even one YAML read as a number
                text += f".{part}"
            elif isinstance(part, int) and not isinstance(part, bool) and index > 0:
                text += f"[{part}]"
            else:
                text += f".{part}" if text else str(part)
        return text

    def shown(self, path: KeyPath, value: Any) -> str:
        """A value for a message: what the user wrote when it came from ``${VAR}``."""
        if path in self.interpolated:
            return repr(self.interpolated[path][0])
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "...'"

    def redact(self, path: KeyPath, message: str) -> str:
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

    def unloaded_note(self) -> str:
        """Why a reference may be unknown only because a file with its definition failed."""
        if not self.unloaded:
            return ""
        files = ", ".join(Path(file).name for file in self.unloaded)
        return f" ({files} failed to load and may define it)"
