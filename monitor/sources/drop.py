"""Drop folders: which files are waiting to be read.

Owns the listing rule: regular files only, hidden files and partial uploads
(``*.tmp``, ``*.part``, ``*.partial``, ``*.crdownload``, ``~`` backups) skipped,
sorted by name. A file's ``key`` (name, size, mtime) changes when it is
rewritten, so the caller's seen-set notices a replaced file. Does I/O: reads
directory entries, never file contents.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", ".lock", "~")


@dataclass(frozen=True)
class DropFile:
    path: Path
    key: str  # f"{relative name}:{size}:{mtime_ns}"
    size: int
    mtime: float


def scan_folder(path: Path) -> list[DropFile]:
    """The complete-looking regular files directly in ``path``, sorted by name.

    A missing folder lists as empty (it may be created later); other OS errors
    propagate so the caller can report them.
    """
    folder = Path(path)
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    files: list[DropFile] = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name.lower().endswith(_PARTIAL_SUFFIXES):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed while we listed
        # Regular files only: symlinks could point anywhere on the machine.
        if not stat.S_ISREG(info.st_mode):
            continue
        files.append(
            DropFile(
                path=folder / name,
                key=f"{name}:{info.st_size}:{info.st_mtime_ns}",
                size=info.st_size,
                mtime=info.st_mtime,
            )
        )
    files.sort(key=lambda f: f.path.name)
    return files
