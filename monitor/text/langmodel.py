"""py3langid's model restricted to our languages, kept uncompressed in a cache folder.

py3langid ships its model LZMA-compressed: decompressing it is most of the first
detection in every process, and of a `monitor match` start-up. The first process
to load it writes the restricted model uncompressed (numpy's ``.npz``) to
``monitor.config.paths.cache_dir()`` ($MONITOR_CACHE_DIR, else ~/.cache/monitor),
under a name made of py3langid's version, the model file's size and time and the
languages; later processes read that, far faster. A cache that cannot be written or
read (read-only home, a half-written file) costs only the time: the packaged model
is loaded as before and the answers are the same (tests/unit/test_langmodel.py).
Each read marks a cache file used (its time set to now); writing a new one removes the
caches of other keys (another install, a model since replaced) unused for
``STALE_AFTER``, so upgrades do not pile up ~90 MB each.

The compiled build walks the model with its own tables (``monitor.text.langident``),
made from py3langid's once per process. Those tables, with the scores the identifier
keeps, are cached too (``WalkTables``, a ``.walk`` file beside the ``.npz``): raw
sections after a JSON header, each read into the object the identifier keeps, where the
``.npz`` is CRC-checked as it is read, converted for py3langid's identifier and then
converted again into the walk's tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

STALE_AFTER = 30 * 86400.0  # seconds unused after which another key's cache goes
_CACHE_FILES = ("py3langid-*.npz", "py3langid-*.walk")


def cache_path(languages: tuple[str, ...]) -> Path:
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from monitor.config.paths import cache_dir

    stat = (MODEL_DIR / MODEL_FILE).stat()
    # the package's own attribute: the same string, without a search of the installed ones
    release = getattr(py3langid, "__version__", None) or version("py3langid")
    key = f"{release}:{stat.st_size}:{stat.st_mtime_ns}:{','.join(languages)}"
    digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return cache_dir() / f"py3langid-{digest}.npz"


@dataclass(frozen=True)
class WalkTables:
    """What the compiled identifier is made of: the walk's two tables and the scores."""

    moves: bytes
    states: bytes
    ptc: NDArray[np.float32]
    pc: NDArray[Any]
    classes: list[str]


_HEAD = struct.Struct("<Q")  # the JSON header's length


def walk_cache_path(languages: tuple[str, ...]) -> Path:
    return cache_path(languages).with_suffix(".walk")


def load_walk_tables(languages: tuple[str, ...]) -> WalkTables | None:
    """The cached ``WalkTables`` for ``languages``, or None (none yet, or unreadable).
    Each section is read into an object of its own, which the identifier then keeps:
    nothing is read twice or held beside it."""
    try:
        path = walk_cache_path(languages)
        with path.open("rb") as file:
            (size,) = _HEAD.unpack(file.read(_HEAD.size))
            head = json.loads(file.read(size))
            parts: dict[str, Any] = {}
            for name, dtype, count in head["sections"]:
                length = np.dtype(dtype).itemsize * count
                raw = file.read(length)
                if len(raw) != length:
                    return None
                parts[name] = raw if dtype == "u1" else np.frombuffer(raw, dtype=dtype)
            if file.read(1):
                return None
        ptc = parts["ptc"].reshape(-1, len(head["classes"]))
        tables = WalkTables(parts["moves"], parts["states"], ptc, parts["pc"], head["classes"])
    except Exception:  # a cache is never worth a failure: build the tables again
        return None
    _mark_used(path)
    return tables


def write_walk_tables(languages: tuple[str, ...], tables: WalkTables) -> None:
    """Cache ``tables`` (atomically, or not at all)."""
    sections = [
        ("moves", "u1", tables.moves),
        ("states", "u1", tables.states),
        ("ptc", tables.ptc.dtype.str, np.ascontiguousarray(tables.ptc).tobytes()),
        ("pc", tables.pc.dtype.str, np.ascontiguousarray(tables.pc).tobytes()),
    ]
    head = json.dumps(
        {
            "sections": [
                [name, dtype, len(raw) // np.dtype(dtype).itemsize] for name, dtype, raw in sections
            ],
            "classes": tables.classes,
        }
    ).encode()

    def write(out: IO[bytes]) -> None:
        out.write(_HEAD.pack(len(head)) + head)
        for _name, _dtype, raw in sections:
            out.write(raw)

    _write_atomically(walk_cache_path(languages), write)


def load_identifier(languages: tuple[str, ...]) -> Any:
    """A py3langid ``LanguageIdentifier`` (normalised probabilities) answering only
    ``languages``: from the cache when it is there, else from the packaged model."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    path: Path | None = None
    ident: Any = None
    try:
        path = cache_path(languages)
        ident = _from_cache(path, LanguageIdentifier)
    except Exception:  # a cache is never worth a failure: load the packaged model
        ident = None
    if ident is None:
        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(list(languages))
        if path is not None:
            _write_cache(path, ident)  # the restricted model: read back as it is
    return ident


def _from_cache(path: Path, identifier_class: Any) -> Any:
    from py3langid.modelio import _to_array

    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        ident = identifier_class(
            np.asarray(data["ptc"]),
            np.asarray(data["pc"]),
            data["classes"].tolist(),
            _to_array(data["nextmove"]),
            data["out_feat"].tolist(),
            norm_probs=True,
            tk_row=_to_array(data["nextmove_row"]),
        )
    _mark_used(path)
    return ident


def _write_cache(path: Path, ident: Any) -> None:
    """Write atomically (a temporary file renamed), or not at all."""
    arrays: dict[str, Any] = {
        "ptc": np.asarray(ident.nb_ptc),
        "pc": np.asarray(ident.nb_pc),
        "classes": np.array(ident.nb_classes),
        "nextmove": np.frombuffer(ident.tk_nextmove, dtype=_dtype(ident.tk_nextmove)),
        "nextmove_row": np.frombuffer(ident.tk_row, dtype=_dtype(ident.tk_row)),
        "out_feat": np.asarray(ident.tk_output, dtype=np.int32),
    }
    _write_atomically(path, lambda out: np.savez(out, **arrays))


def _write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """``write`` into a temporary file renamed to ``path``; nothing when that fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return
    prune_stale(path)


def _mark_used(path: Path) -> None:
    """Set ``path``'s time to now (``prune_stale`` keeps what is in use)."""
    with contextlib.suppress(OSError):  # a read-only cache: nobody prunes it either
        os.utime(path)


def prune_stale(kept: Path) -> list[Path]:
    """Remove the model caches beside ``kept`` of other keys none of whose files was used
    for ``STALE_AFTER``; the files removed. A key in use is marked at each start (its
    ``.walk`` on the compiled build, its ``.npz`` else), so two installs side by side do
    not remove each other's."""
    newest: dict[str, float] = {}
    files: list[Path] = []
    for pattern in _CACHE_FILES:
        for path in kept.parent.glob(pattern):
            with contextlib.suppress(OSError):  # gone meanwhile
                mtime = path.stat().st_mtime
                newest[path.stem] = max(newest.get(path.stem, mtime), mtime)
                files.append(path)
    removed = []
    for path in files:
        if path.stem != kept.stem and time.time() - newest[path.stem] > STALE_AFTER:
            with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
                path.unlink()
                removed.append(path)
    return removed


def _dtype(values: Any) -> str:
    """numpy's name for a stdlib ``array``'s unsigned type."""
    return {2: "uint16", 4: "uint32", 8: "uint64"}[values.itemsize]
