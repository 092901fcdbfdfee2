"""Memory of ``monitor run --once`` on hostile drop folders, against a baseline.

Each case runs in its own process (peak RSS from ``getrusage`` of a wrapper's child):
the baseline is a folder with one seed story; then the same plus a sparse file far
over the size cap (refused from its size, never read), and plus one RSS document of
many more entries than one batch (read 2,000 entries at a time, every one alerting
that should). Prints peak RSS as a ratio of the baseline's and the alerts counted.

Run: ``.venv/bin/python bench/bench_drop_memory.py [--sparse-gb 3] [--items 20000]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from results import write_section

ROOT = Path(__file__).resolve().parent.parent
MONITOR = ROOT / ".venv" / "bin" / "monitor"
SEED = ROOT / "seeds" / "peskov-security-guarantees.ar.txt"
EVERY = 50  # one entry in 50 is about NATO
_WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def big_rss(items: int) -> bytes:
    entries = []
    for i in range(items):
        if i % EVERY == 0:
            title, body = f"NATO ministers meet, round {i}", f"Round {i}: NATO allies met."
        else:
            title, body = f"Weather bulletin {i}", f"Bulletin {i}: mild and dry."
        entries.append(
            f"<item><guid>b-{i}</guid><title>{title}</title><description>{body}</description></item>"
        )
    doc = '<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>'
    return (doc + "".join(entries) + "</channel></rss>").encode()


def run_case(workdir: Path, extra: dict[str, bytes | int]) -> tuple[int, int]:
    """Peak RSS (KiB) of one ``monitor run --once``, and the alerts it archived."""
    inbox = workdir / "inbox"
    inbox.mkdir(parents=True)
    shutil.copy(SEED, inbox / SEED.name)
    for name, content in extra.items():
        if isinstance(content, int):
            with open(inbox / name, "wb") as handle:
                handle.truncate(content)  # sparse
        else:
            (inbox / name).write_bytes(content)
    text = (ROOT / "config" / "monitor.yaml").read_text(encoding="utf-8")
    text = text.replace("path: ./seeds", f"path: {inbox}")
    text = text.replace(
        "path: ${MONITOR_STATE_DIR:-./.monitor}/alerts.jsonl", f"path: {workdir / 'alerts.jsonl'}"
    )
    (workdir / "config.yaml").write_text(text, encoding="utf-8")
    env = {**os.environ, "MONITOR_STATE_DIR": str(workdir / "state")}
    command = [str(MONITOR), "--config", str(workdir / "config.yaml"), "run", "--once"]
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], env=env, check=True, capture_output=True
    )
    archive = workdir / "alerts.jsonl"
    lines = archive.read_text(encoding="utf-8").splitlines() if archive.exists() else []
    return int(out.stdout.split()[-1]), len([json.loads(line) for line in lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sparse-gb", type=float, default=3.0)
    parser.add_argument("--items", type=int, default=20000)
    args = parser.parse_args()
    cases: dict[str, dict[str, bytes | int]] = {
        "baseline: one seed story": {},
        f"+ sparse file of {args.sparse_gb:g} GB": {"huge.xml": int(args.sparse_gb * 2**30)},
        f"+ RSS of {args.items} entries": {"big.xml": big_rss(args.items)},
    }
    rows = []
    base = None
    with tempfile.TemporaryDirectory(prefix="bench-drop-") as tmp:
        for i, (name, extra) in enumerate(cases.items()):
            peak, alerts = run_case(Path(tmp) / str(i), extra)
            base = base or peak
            rows.append(f"| {name} | {peak / 1024:.0f} MiB | {peak / base:.2f} | {alerts} |")
            print(rows[-1], flush=True)
    expected = 1 + len(range(0, args.items, EVERY))
    table = "\n".join(
        [
            "| case | peak RSS | x baseline | alerts |",
            "|---|---|---|---|",
            *rows,
            "",
            f"The big document should give {expected} alerts (the seed's and one in {EVERY}).",
        ]
    )
    print(table)
    write_section("bench_drop_memory", table)


if __name__ == "__main__":
    main()
