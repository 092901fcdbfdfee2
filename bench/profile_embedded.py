"""Profile: where an embedded ``run --once`` spends its time, by cProfile.

Run ``.venv/bin/python bench/profile_embedded.py [--all-matching] [--top N]``: the
items of ``bench_pipeline.py`` (20 feeds x 100 ~3 KB items on loopback, 1 in 50
matching, or every item with ``--all-matching``) through one ``EmbeddedRunner`` run
under cProfile, after a warm-up run; prints the functions by cumulative and by own
time. Shares, not rates: cProfile slows Python code more than C, so compare the
shares within one profile. Writes nothing to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_pipeline as bp

from monitor.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all-matching", action="store_true", help="every item alerts")
    parser.add_argument("--top", type=int, default=40, help="functions listed (default 40)")
    args = parser.parse_args(argv)
    configure_logging("error")
    if args.all_matching:
        items = [bp.variant(i, "all", matching=True) for i in bp.make_items(2000, 1, "w")]
    else:
        items = bp.make_items(2000, 50, "it")
    with tempfile.TemporaryDirectory(prefix="profile-embedded-") as tmp:
        work = Path(tmp)
        warm = bp.FeedServer(bp.split_feeds(bp.make_items(10, 5, "warm", seed=3), 1))
        try:
            bp.embedded(bp.write_config(work / "warm", warm.urls))
        finally:
            warm.close()
        server = bp.FeedServer(bp.split_feeds(items, 20))
        try:
            profile = cProfile.Profile()
            profile.enable()
            result = bp.embedded(bp.write_config(work / "run", server.urls))
            profile.disable()
            profile.dump_stats(str(Path(tempfile.gettempdir()) / "profile_embedded.out"))
        finally:
            server.close()
    print(result)
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top // 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
