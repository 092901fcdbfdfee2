"""Instructions per item, pure-Python engine against the compiled one (callgrind).

Run ``python bench/instructions.py`` (``--terms 100000`` for the larger config;
~3 min at 10k terms, ~10 at 100k). Needs valgrind, ``.venv`` (``make run``) and
``.venv-compiled`` (``make unit-compiled``). Not one of ``make bench``'s: the
counts take minutes under valgrind.

Wall-clock items/s (``bench/bench_match.py``) move too much within an hour on
these shared machines to show the difference between the two builds; callgrind's
instruction counts do not move with the load. The workload is
``bench_match``'s corpus and config (seed 1): build the matcher, match 1,000
items to warm the caches, then match N unseen items; each build runs with N = 0
and N = 500 (``PYTHONHASHSEED=0``, so dict probes repeat), and the difference
divided by 500 is the instructions per steady item. The N = 0 run alone gives
the compile (plus the 1,000 items) figure.

``--functions N`` also prints where a steady item's instructions go in the
compiled build (``callgrind_annotate``, the same difference of two runs): the N
engine functions with the most instructions including their callees, and the N
functions of any library with the most of their own. (The pure build's Python
functions are all inside the interpreter's loop: callgrind cannot tell them apart.)

Writes its section of bench/RESULTS.md (``instructions``, or ``instructions
(N terms)`` for another ``--terms``); ``--no-write`` leaves it alone.
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
from typing import NamedTuple

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


class _Run(NamedTuple):
    total: int
    inclusive: dict[str, int]  # per function, with its callees (empty unless asked)
    own: dict[str, int]  # per function, its own instructions


# "  1,234,567 ( 0.52%)  file.c:function [object]" in callgrind_annotate's listing
_LINE = re.compile(r"^\s*([\d,]+) \([ \d.]+%\)\s+\S*?:(\S+)(?: \[.*\])?$")


def _annotated(out: Path, inclusive: bool) -> dict[str, int]:
    listing = subprocess.run(
        # every function (the default lists only those above 1%: a function listed in
        # one run and not in the other would count whole)
        [
            "callgrind_annotate",
            "--threshold=100",
            f"--inclusive={'yes' if inclusive else 'no'}",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, int] = {}
    for line in listing.splitlines():
        if line.startswith("-- Auto-annotated source"):
            break  # the per-line listings follow
        match = _LINE.match(line)
        if match and "PROGRAM TOTALS" not in line:
            # A compiled function can be listed twice, under the C file's relative and
            # absolute paths: its own instructions are split between the two entries,
            # while each inclusive figure already counts all of its calls.
            name, count = match.group(2), int(match.group(1).replace(",", ""))
            before = found.get(name, 0)
            found[name] = max(before, count) if inclusive else before + count
    return found


def _count(python: Path, data: Path, measured: int, functions: bool) -> _Run:
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
        if not functions:
            return _Run(int(found.group(1)), {}, {})
        path = Path(scratch) / "out"
        return _Run(int(found.group(1)), _annotated(path, True), _annotated(path, False))


def _engine_name(function: str) -> str | None:
    """``CPyDef_compile___TermIndex____chunk`` -> ``compile.TermIndex._chunk``
    (mypyc's C name of a compiled function); None for any other function."""
    if not function.startswith("CPyDef_"):
        return None
    return ".".join(function.removeprefix("CPyDef_").split("___"))


def _print_functions(before: _Run, after: _Run, top: int) -> None:
    item = (after.total - before.total) / MEASURED

    def per_item(name: str, runs: tuple[dict[str, int], dict[str, int]]) -> float:
        return (runs[1].get(name, 0) - runs[0].get(name, 0)) / MEASURED

    inclusive = (before.inclusive, after.inclusive)
    engine = {n: per_item(n, inclusive) for n in after.inclusive if _engine_name(n)}
    print(f"  compiled, per steady item ({item / 1e6:.2f} M), engine functions with callees:")
    for name, count in sorted(engine.items(), key=lambda pair: -pair[1])[:top]:
        print(f"    {count / 1e3:8,.0f} k  {count / item:4.0%}  {_engine_name(name)}")
    own = {n: per_item(n, (before.own, after.own)) for n in after.own}
    print("  compiled, per steady item, functions by their own instructions:")
    for name, count in sorted(own.items(), key=lambda pair: -pair[1])[:top]:
        print(f"    {count / 1e3:8,.0f} k  {count / item:4.0%}  {_engine_name(name) or name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument(
        "--functions",
        type=int,
        default=0,
        metavar="N",
        help="also print the N costliest functions per steady item (compiled build)",
    )
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _workload(Path(args.child[0]), int(args.child[1]))
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import make_config_data, make_corpus
    from results import write_section

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
            found = pool.map(
                lambda job: _count(
                    BUILDS[job[0]], path, job[1], args.functions > 0 and job[0] == "compiled"
                ),
                jobs,
            )
            runs = dict(zip(jobs, found, strict=True))
    counts = {job: run.total for job, run in runs.items()}
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
    if args.functions:
        _print_functions(runs[("compiled", 0)], runs[("compiled", MEASURED)], args.functions)
    if not args.no_write:
        name = "instructions" if args.terms == 10_000 else f"instructions ({args.terms:,} terms)"
        write_section(name, _markdown(args.terms, counts, steady))
    return 0


def _markdown(terms: int, counts: dict[tuple[str, int], int], steady: dict[str, float]) -> str:
    """The RESULTS.md section: both builds' counts and the pure / compiled ratios."""
    lines = [
        f"{terms:,} terms, bench_match's corpus and config (seed 1); instructions counted",
        f"by callgrind (`PYTHONHASHSEED=0`): compile plus {WARM:,} warm-up items, and per",
        f"steady item (the difference of runs matching 0 and {MEASURED} more unseen items).",
        "",
        "| build | compile + warm-up | per steady item |",
        "|---|---:|---:|",
    ]
    for build in BUILDS:
        lines.append(
            f"| {build} | {counts[(build, 0)] / 1e9:.2f} G | {steady[build] / 1e6:.2f} M |"
        )
    compile_ratio = counts[("pure", 0)] / counts[("compiled", 0)]
    item_ratio = steady["pure"] / steady["compiled"]
    lines.append(f"| pure / compiled | {compile_ratio:.2f}x | {item_ratio:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
