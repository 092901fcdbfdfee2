"""Benchmark: making the language identifier in a fresh process, from either cache.

Run ``make bench`` or ``.venv-compiled/bin/python bench/bench_langmodel_load.py``
(``--runs N``, default 9; ``--no-write`` to leave RESULTS.md alone). The first
detection of every process (``monitor match``, each ``monitor run``, a worker before
its pool forks) makes the identifier. BEFORE, the baseline: from the ``.npz`` cache
(py3langid's identifier, then the compiled walk's tables made from it); NOW: from
the ``.walk`` cache of those tables (``monitor.text.langmodel.WalkTables``), which
the compiled build reads. Each run is a fresh interpreter that imports numpy,
py3langid and the two modules first, then times only the making; the two ways
alternate, in a cache folder of this run's own. Printed: the median seconds of each
way, and NOW's ratio to BEFORE; the pure build (no walk tables) says so and stops.
Section ``## bench_langmodel_load`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

from results import report

from monitor.text.langident import COMPILED

WAYS = {
    "before: from the .npz cache": (
        "made = Identifier.from_py3langid(langmodel.load_identifier(LANGUAGES))"
    ),
    "now: from the .walk cache": (
        "tables = langmodel.load_walk_tables(LANGUAGES)\n"
        "assert tables is not None, 'no walk tables cached'\n"
        "made = Identifier.from_tables(tables)"
    ),
}
PRELUDE = (
    "import json, sys, time\n"
    "import numpy, py3langid.langid\n"
    "from monitor.text import langmodel\n"
    "from monitor.text.langident import Identifier\n"
    "from monitor.text.language import LANGUAGES\n"
    "langmodel.cache_path(LANGUAGES)  # its imports (the cache folder's config)\n"
    "started = time.perf_counter()\n"
)
ANSWER = "print(json.dumps([time.perf_counter() - started, made.classify(sys.argv[1])[0]]))\n"
SAMPLE = "Der Kreml sieht keinen Grund für neue Verhandlungen mit der NATO"


def one_run(code: str, env: dict[str, str]) -> tuple[float, str]:
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + code + "\n" + ANSWER, SAMPLE],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    seconds, answer = json.loads(done.stdout.splitlines()[-1])
    return float(seconds), str(answer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each way (default 9)")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    if not COMPILED:
        print("pure Python build: the identifier has no walk tables to cache; nothing to time")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-langmodel-") as tmp:
        env = {**os.environ, "MONITOR_CACHE_DIR": tmp}
        # the first process writes both caches
        subprocess.run(
            [sys.executable, "-c", "from monitor.text import language; language._get_identifier()"],
            check=True,
            env=env,
        )
        times: dict[str, list[float]] = {way: [] for way in WAYS}
        answers: set[str] = set()
        for n in range(args.runs):
            order = list(WAYS) if n % 2 == 0 else list(WAYS)[::-1]
            for way in order:
                seconds, answer = one_run(WAYS[way], env)
                times[way].append(seconds)
                answers.add(answer)
    if answers != {"de"}:
        raise SystemExit(f"bench_langmodel_load: the ways answered {sorted(answers)}")
    medians = {way: statistics.median(found) for way, found in times.items()}
    before, now = medians.values()
    text = "\n".join(
        [
            f"Compiled build; {args.runs} fresh interpreters per way, interleaved, medians;"
            " numpy and py3langid imported before the clock starts.",
            "",
            "| making the identifier | seconds |",
            "|---|---|",
            *(f"| {way} | {sec:.4f} |" for way, sec in medians.items()),
            "",
            f"From the walk cache over from the .npz cache: {now / before:.2f}x"
            f" ({before - now:.3f} s less in every process's first detection).",
        ]
    )
    report("bench_langmodel_load", text, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
