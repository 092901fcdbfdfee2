"""The parse path of two source trees timed in one run: this checkout and a git revision.

Two packages named ``monitor`` cannot live in one process, so each tree gets a child
Python with that tree first on ``sys.path`` (``python -c``; it checks where its
``monitor`` came from). A child loads the document sets once, parses each once to warm
up and to give a digest of its items (so the two trees are seen to agree), then times
one document per line it reads. The parent alternates the children document by
document, one at a time and in turns, so that machine noise falls on both alike. No
network; a temp folder holds the revision's ``monitor`` package (``git archive``) and
the pickled documents.
"""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
Documents = dict[str, list[tuple[str, bytes]]]  # set label -> (name, bytes)

_CHILD = r"""
import hashlib, json, pickle, sys, time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

tree = Path(sys.argv[1])
sys.path.insert(0, str(tree))
import monitor
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes

assert Path(monitor.__file__).resolve().is_relative_to(tree.resolve()), monitor.__file__
sets = pickle.loads(Path(sys.argv[2]).read_bytes())
fetched = datetime.fromisoformat(sys.argv[3])

def parse(documents):
    outcomes = []
    for name, data in documents:
        ctx = SourceContext(source=name, fetched_at=fetched)
        try:
            outcomes.append([asdict(item) for item in parse_bytes(data, ctx)])
        except Exception as exc:
            outcomes.append(type(exc).__name__ + ": " + str(exc))
    return outcomes

summary = {}
for label, documents in sets.items():
    outcomes = parse(documents)
    items = sum(len(o) for o in outcomes if isinstance(o, list))
    digest = hashlib.sha256(repr(outcomes).encode()).hexdigest()
    summary[label] = [items, digest]
print(json.dumps(summary), flush=True)
for line in sys.stdin:
    label, _, index = line.rstrip("\n").rpartition(" ")
    document = sets[label][int(index)]
    started = time.perf_counter()
    parse([document])
    print(time.perf_counter() - started, flush=True)
"""


def checkout(revision: str, folder: Path) -> Path:
    """``revision``'s ``monitor`` package extracted under ``folder``; its tree's root."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "monitor"],
        capture_output=True,
        check=True,
    ).stdout
    tree = folder / "tree"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


class Tree:
    """A child process parsing the document sets with one tree's ``monitor``."""

    def __init__(self, tree: Path, documents: Path, fetched: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(tree), str(documents), fetched],
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.summary: dict[str, list[Any]] = json.loads(self._line())

    def _line(self) -> str:
        stdout: IO[str] | None = self._process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise RuntimeError(f"child exited with {self._process.wait()}")
        return line

    def parse(self, label: str, index: int) -> float:
        """Seconds the child took to parse document ``index`` of the set ``label``."""
        assert self._process.stdin is not None
        self._process.stdin.write(f"{label} {index}\n")
        self._process.stdin.flush()
        return float(self._line())

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)


def interleaved_round(
    old: Tree, new: Tree, label: str, documents: int, turn: int
) -> tuple[float, float]:
    """Seconds (old, new) to parse the set ``label`` once, the two trees taking each
    document in turn (which goes first alternates with ``turn`` and the document)."""
    spent = {"old": 0.0, "new": 0.0}
    for index in range(documents):
        order = ((old, "old"), (new, "new"))
        for tree, which in order if (turn + index) % 2 == 0 else order[::-1]:
            spent[which] += tree.parse(label, index)
    return spent["old"], spent["new"]


def start_trees(revision: str, sets: Documents, fetched: str, folder: Path) -> tuple[Tree, Tree]:
    """(``revision``'s tree, this checkout's tree), each in its child process."""
    documents = folder / "documents.pickle"
    documents.write_bytes(pickle.dumps(sets))
    return Tree(checkout(revision, folder), documents, fetched), Tree(ROOT, documents, fetched)


def temp_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="bench-revision-")
