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

_CHUNK = 1024 * 1024  # a file that grew after it was listed is read on this much at a time
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
    # read(n) reserves n bytes up front: ask for the listed size, then more only if the
    # file grew, a chunk at a time, never past the cap.
    parts: list[bytes] = []
    total = 0
    want = min(dropped.size, max_bytes) + 1
    with open(dropped.path, "rb") as handle:
        while total <= max_bytes:
            part = handle.read(min(want, max_bytes + 1 - total))
            if not part:
                break
            parts.append(part)
            total += len(part)
            want = _CHUNK
    if total > max_bytes:
        raise ParseError(too_big)
    return parts[0] if len(parts) == 1 else b"".join(parts)
