"""A drop file over the size cap is refused from its size, without being read, and
named once; no read takes more than the cap plus one byte."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from monitor.config.loader import load_config
from monitor.errors import ParseError
from monitor.pipeline import commit_poll, poll_feed, utcnow
from monitor.sources.detect import MAX_INPUT
from monitor.sources.drop import DropFile, read_drop_file, scan_folder
from monitor.state.memory import MemoryStore
from tests.helpers import SEED_AR, example_config


def test_an_oversized_sparse_file_is_refused_unread_and_named_once(tmp_path: Path) -> None:
    config = load_config(example_config(tmp_path, seeds=[SEED_AR]), env={})
    store, feed = MemoryStore(), config.feeds[0]
    # warm up first (the language models load on first use), then drop the big file
    warm = poll_feed(feed, config, store, now=utcnow())
    assert len(warm.items) == 1
    commit_poll(warm, store)
    big = tmp_path / "inbox" / "huge.xml"
    with open(big, "wb") as handle:
        handle.truncate(3 * MAX_INPUT)  # sparse: no disk, all zeros when read
    (tmp_path / "inbox" / "small.txt").write_text("NATO allies met in Brussels.\n")
    tracemalloc.start()
    try:
        first = poll_feed(feed, config, store, now=utcnow())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_INPUT // 4  # the 60 MiB file was never read
    assert len(first.items) == 1  # the other file is read
    assert [w for w in first.warnings if str(big) in w] == [
        f"{big}: file is larger than {MAX_INPUT} bytes; not read"
    ]
    commit_poll(first, store)
    second = poll_feed(feed, config, store, now=utcnow())
    assert second.warnings == [] and second.items == []


def test_a_file_that_grew_since_it_was_listed_is_read_to_the_cap_only(tmp_path: Path) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"x" * 100)
    (listed,) = scan_folder(tmp_path)
    assert read_drop_file(listed, 100) == b"x" * 100
    with open(path, "ab") as handle:
        handle.truncate(10 * 1024 * 1024)
    with pytest.raises(ParseError, match=r"growing\.txt: file is larger than 100 bytes"):
        read_drop_file(listed, 100)
    assert os.path.getsize(path) == 10 * 1024 * 1024
    small = DropFile(path=path, key="k", size=10, mtime=0.0)
    with pytest.raises(ParseError):
        read_drop_file(small, 1024)
