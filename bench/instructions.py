"""Instructions per item, pure-Python engine against the compiled one (callgrind).

Run ``python bench/instructions.py`` (``--terms 100000`` for the larger config;
~3 min at 10k terms, ~10 at 100k). Needs valgrind, ``.venv`` (``make run``) and
``.venv-compiled`` (``make unit-compiled``). Not one of ``make bench``'s: the
counts take minutes under valgrind.

Wall-clock items/s (``bench/bench_match.py``) move by up to ~2x within an hour on
these shared machines, which hides a 1.2x difference between the two builds;
callgrind's instruction counts do not move with the load. The workload is
``bench_match``'s corpus and config (seed 1): build the matcher, match 1,000
items to warm the caches, then match N unseen items; each build runs with N = 0
and N = 500 (``PYTHONHASHSEED=0``, so dict probes repeat), and the difference
divided by 500 is the instructions per steady item. The N = 0 run alone gives
the compile (plus the 1,000 items) figure.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILDS = {
    "pure": ROOT / ".venv" / "bin" / "python",
    "compiled": ROOT / ".venv-compiled" / "bin" / "python",
}
WARM, MEASURED = 1000, 500


def _workload(data: Path, measured: int) -> None:
    """In the child under valgrind: compile, warm up, match ``measured`` more."""
    from monitor.config.schema import Config
    from monitor.match.engine import build_matcher
    from monitor.model import WireItem

    with open(data, "rb") as stored:
        items_data, config_data = pickle.load(stored)
    items = [WireItem(**item) for item in items_data]
    matcher = build_matcher(Config.model_validate(config_data))
    for item in items[:WARM]:
        matcher.match(item)
    for item in items[WARM : WARM + measured]:
        matcher.match(item)


def _count(python: Path, data: Path, measured: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={scratch}/out",
                str(python),
                __file__,
                "--child",
                str(data),
                str(measured),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            cwd=scratch,  # the installed monitor of that venv, never the sources by accident
            check=True,
        )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"no callgrind total for {python}:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _workload(Path(args.child[0]), int(args.child[1]))
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import make_config_data, make_corpus

    for python in BUILDS.values():
        if not python.exists():
            raise SystemExit(f"{python} is missing: make .venv/.installed-stamp unit-compiled")
    corpus = make_corpus(1, items=WARM + MEASURED)
    config = make_config_data(random.Random(7919 + args.terms), corpus, args.terms)
    with tempfile.NamedTemporaryFile(suffix=".pickle") as data:
        pickle.dump((corpus.items, config), data)
        data.flush()
        path = Path(data.name)
        jobs = [(b, n) for b in BUILDS for n in (0, MEASURED)]
        with ThreadPoolExecutor(max_workers=2) as pool:  # two cores: two valgrinds
            found = pool.map(lambda job: _count(BUILDS[job[0]], path, job[1]), jobs)
            counts = dict(zip(jobs, found, strict=True))
    print(f"{args.terms:,} terms; instructions (callgrind, PYTHONHASHSEED=0):")
    steady = {b: (counts[(b, MEASURED)] - counts[(b, 0)]) / MEASURED for b in BUILDS}
    for build in BUILDS:
        print(
            f"  {build:9} compile + {WARM:,} items: {counts[(build, 0)] / 1e9:6.2f} G;"
            f" per steady item: {steady[build] / 1e6:5.2f} M"
        )
    print(
        f"  pure / compiled: {counts[('pure', 0)] / counts[('compiled', 0)]:.2f}x"
        " (compile + warm-up),"
        f" {steady['pure'] / steady['compiled']:.2f}x (per steady item)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
