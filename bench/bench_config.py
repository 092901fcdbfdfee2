"""Config load time: libyaml's CSafeLoader against the pure-Python SafeLoader (issue #11).

Loads one generated 10k-term config (1,000 topics of 10 terms, 100 watchlists) with each
reader, best of three, and prints the ratio; both readers go through the same loader
(limits check, line numbers, validation), so the ratio is what a user sees at start-up.
Run: ``.venv/bin/python bench/bench_config.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from results import write_section

from monitor.config import loader


def _config_text(topics: int = 1000, terms: int = 10) -> str:
    lines = ["feeds:", "  - id: wire", "    path: ./inbox", "topics:"]
    for topic in range(topics):
        words = ", ".join(f"term{topic}x{term} word{term}" for term in range(terms))
        lines.append(f"  topic{topic}: [{words}]")
    lines += ["channels:", "  out:", "    type: console", "watchlists:"]
    for watchlist in range(100):
        names = ", ".join(f"topic{watchlist * 10 + k}" for k in range(10))
        lines += [f"  w{watchlist}:", f"    topics: [{names}]", "    channels: [out]"]
    return "\n".join(lines) + "\n"


def _best(path: Path, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        loader.load_config(path, env={})
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    if loader._FAST_LINE_LOADER is None:
        print("PyYAML has no libyaml here: nothing to compare")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "monitor.yaml"
        path.write_text(_config_text(), encoding="utf-8")
        fast = _best(path)
        saved = loader._FAST_LINE_LOADER
        loader._FAST_LINE_LOADER = None
        try:
            pure = _best(path)
        finally:
            loader._FAST_LINE_LOADER = saved
    table = (
        "| reader | load of a 10k-term config (s) |\n|---|---|\n"
        f"| pure SafeLoader (baseline) | {pure:.3f} |\n| CSafeLoader | {fast:.3f} |\n\n"
        f"CSafeLoader is {pure / fast:.1f}x faster."
    )
    print(table)
    write_section("config load", table)


if __name__ == "__main__":
    main()
