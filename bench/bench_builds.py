"""Benchmark: matching throughput of this source tree against another one.

Run ``.venv/bin/python bench/bench_builds.py --against /path/to/other/tree`` (a
worktree of the commit before a change, say). Each round runs one subprocess per
tree, alternating, with that tree first on ``sys.path``; each measures CPU time
(``time.process_time``, so other processes on a shared machine count less) of
``Matcher.match`` over warm caches, best of five passes, on:

- ``corpus@10k``: the bench_match corpus (``bench/corpus.py``) under 10,000 terms;
- ``speaker-dense``: the blind attribution items (every one names a speaker) under
  the baseline's ``tests/data/labelled/watchlists.yaml`` (the same config for both:
  the cost of the code) and under each tree's own (with its new keys, e.g. titles).

It prints items/s per tree and round and the ratio of this tree's median to the
other's, and writes its section of bench/RESULTS.md (``--no-write`` to leave it
alone). Each tree's engine is what imports from it: its sources, or the compiled
modules of a tree built in place (``MONITOR_MYPYC=1 python setup.py build_ext
--inplace``); each round says which it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
BLIND = HERE / "tests" / "data" / "attribution_blind.jsonl"


def build_of(tree: Path) -> str:
    """Which build of the engine imports from ``tree``: compiled, pure or mixed."""
    from monitor.compiled import imported_files

    files = list(imported_files().values())
    if any(not Path(file).is_relative_to(tree) for file in files):
        raise SystemExit(f"the engine was not imported from {tree}: {files}")
    compiled = sum(file.endswith(".so") for file in files)
    return "compiled" if compiled == len(files) else "pure" if not compiled else "mixed"


def measure(tree: Path, baseline: Path) -> dict[str, float]:
    """Runs in the child: items/s of the ``monitor`` found first on sys.path."""
    sys.path.insert(0, str(tree / "bench"))
    import yaml
    from bench_match import _config
    from corpus import make_corpus

    from monitor.config.schema import Config
    from monitor.match.engine import Matcher, build_matcher
    from monitor.model import WireItem

    def best(matcher: Matcher, items: list[WireItem], passes: int) -> float:
        for item in items:
            matcher.match(item)
        rates = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(passes):
                for item in items:
                    matcher.match(item)
            rates.append(passes * len(items) / (time.process_time() - started))
        return max(rates)

    corpus = make_corpus(1, items=600, mentions=1.0)
    _, config = _config(corpus, 10_000, 1)
    generated = [WireItem(**data) for data in corpus.items]
    rates = {"corpus@10k": best(build_matcher(config), generated, 1)}
    texts = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines()]
    dense = [
        WireItem(id=t["id"], title="", body=t["text"], source="bench", language=t["language"])
        for t in texts
    ]
    for name, folder in (("baseline", baseline), ("own", tree)):
        path = folder / "tests" / "data" / "labelled" / "watchlists.yaml"
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        matcher = build_matcher(Config.model_validate(raw))
        rates[f"speaker-dense, {name} config"] = best(matcher, dense, 5)
    return rates


def child(tree: Path, baseline: Path) -> tuple[str, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", str(tree), "--against", str(baseline)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    )
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    return measured["build"], measured["rates"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--against", type=Path, help="the other source tree (the baseline)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.against is None:
        parser.error("--against PATH is required")
    if args.measure:
        rates = measure(args.measure, args.against.resolve())
        print(json.dumps({"build": build_of(args.measure), "rates": rates}))
        return 0
    trees = {"baseline": args.against.resolve(), "this": HERE}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    builds: dict[str, set[str]] = {name: set() for name in trees}
    for round_number in range(1, args.rounds + 1):
        for name, tree in trees.items():
            build, rates = child(tree, trees["baseline"])
            runs[name].append(rates)
            builds[name].add(build)
            shown = ", ".join(f"{k} {v:,.0f}" for k, v in rates.items())
            print(f"round {round_number} {name:<8} ({build}) {shown} items/s (CPU)")
    measured = {name: "/".join(sorted(found)) for name, found in builds.items()}
    lines = [
        f"baseline: `{trees['baseline']}` ({measured['baseline']} engine), this tree "
        f"({measured['this']} engine); {args.rounds} alternating rounds, median "
        "of each tree's best-of-five CPU items/s.",
        "",
        "| workload | baseline items/s | this items/s | this / baseline |",
        "|---|---:|---:|---:|",
    ]
    for key in runs["this"][0]:
        base = statistics.median(r[key] for r in runs["baseline"])
        ours = statistics.median(r[key] for r in runs["this"])
        lines.append(f"| {key} | {base:,.0f} | {ours:,.0f} | {ours / base:.3f} |")
    markdown = "\n".join(lines)
    print(markdown)
    sys.path.insert(0, str(HERE / "bench"))
    from results import write_section

    if not args.no_write:
        write_section("bench_builds", markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
