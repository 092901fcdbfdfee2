"""Drop folders: which files are waiting to be read.

Owns the listing rule: regular files only, hidden files and partial uploads
(``*.tmp``, ``*.part``, ``*.partial``, ``*.crdownload``, ``~`` backups) skipped,
sorted by name. A file's ``key`` (name, size, mtime) changes when it is
rewritten, so the caller's seen-set notices a replaced file. Also owns the read
rule: a file over the size cap is refused from its size alone, and no read takes
more than the cap plus one byte, so a huge (or growing, or sparse) file costs no
memory. Does I/O: directory entries, and file contents in ``read_drop_file``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ParseError

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


def read_drop_file(dropped: DropFile, max_bytes: int) -> bytes:
    """The contents of ``dropped``; ParseError naming it if it is over ``max_bytes``.

    The listed size decides first (nothing is read); the read itself stops at
    ``max_bytes + 1`` bytes in case the file grew since. OSError propagates.
    """
    too_big = f"{dropped.path}: file is larger than {max_bytes} bytes; not read"
    if dropped.size > max_bytes:
        raise ParseError(too_big)
    with open(dropped.path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ParseError(too_big)
    return data
