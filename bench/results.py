"""bench/RESULTS.md, one section per benchmark, each written by its own benchmark.

A benchmark calls ``write_section("bench_x", markdown)`` at the end of a run; only the
``## bench_x`` section is replaced, so benchmarks run separately never erase each
other's figures, and the figures live here rather than in docstrings.
"""

from __future__ import annotations

import datetime
import platform
import re
import sys
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Written by the benchmarks in bench/ (`make bench`); each owns one section and\n"
    "replaces only that one. Figures are ratios against a baseline measured in the same\n"
    "run: the machines are shared and noisy, so absolute figures vary between runs.\n"
)


def stamp() -> str:
    """One line saying when, on what and with which Python a run was made."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(sys.argv)
    return f"_{now}, Python {platform.python_version()}, {platform.machine()}, `{command}`_"


def write_section(name: str, markdown: str, path: Path = RESULTS) -> None:
    """Replace (or append) the ``## name`` section of the results file."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    section = f"## {name}\n\n{stamp()}\n\n{markdown.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def report(name: str, markdown: str, *, write: bool = True, path: Path = RESULTS) -> None:
    """Print a benchmark's ``markdown``, and unless not ``write`` make it the ``## name``
    section of the results file."""
    print(markdown)
    if write:
        write_section(name, markdown, path)
        print(f"written: {path} ## {name}")
