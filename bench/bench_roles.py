"""Benchmark: who said it -- the quoted/mentioned role against labelled items.

Run ``.venv/bin/python bench/bench_roles.py`` (``--label before`` / ``--label
after`` names the section it writes). Scores the speaker role the engine gives on
two sets under the watchlists of ``tests/data/labelled/watchlists.yaml``:

- *blind*: ``tests/data/attribution_blind.jsonl``, written before the attribution
  frames and committed on its own (each item names its construction);
- *holdout*: ``tests/data/attribution_holdout.jsonl``, the same kind of items,
  written after the frames were built and before they were run on it;
- *holdout2*: ``tests/data/attribution_holdout2.jsonl``, a third set written and
  committed before the engine was first run on it, with hard negatives (title-only
  mentions, a former office holder, the name as object, another speaker quoted);
- *rest*: the labelled set ``tests/data/labelled/*.yaml`` (construction
  ``labelled``).

For each language and each construction it prints precision and recall of the
``quoted`` and ``mentioned`` roles over (item, speaker) pairs, and the role
accuracy: speakers given the expected role over speakers expected (a speaker the
engine does not find counts as wrong). It writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

from results import write_section

from monitor.config.schema import Config
from monitor.match.engine import Matcher, build_matcher
from monitor.model import WireItem

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "labelled"
BLIND = ROOT / "tests" / "data" / "attribution_blind.jsonl"
HOLDOUT = ROOT / "tests" / "data" / "attribution_holdout.jsonl"
HOLDOUT2 = ROOT / "tests" / "data" / "attribution_holdout2.jsonl"
LANGUAGES = ("ar", "en", "ru", "uk", "fr", "de")
ROLES = ("quoted", "mentioned")


@dataclass(frozen=True)
class RoleItem:
    """One labelled text with the speakers a desk editor would flag."""

    id: str
    language: str
    construction: str
    title: str
    body: str
    speakers: dict[str, str]  # name -> "quoted" | "mentioned"


def load_blind(path: Path = BLIND) -> list[RoleItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(
                RoleItem(
                    id=raw["id"],
                    language=raw["language"],
                    construction=raw["construction"],
                    title="",
                    body=raw["text"],
                    speakers=dict(raw["speakers"]),
                )
            )
        except (ValueError, KeyError) as error:
            raise SystemExit(f"{path}:{number}: bad item: {error}") from error
    return items


def load_labelled(folder: Path = LABELLED) -> list[RoleItem]:
    items = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "watchlists.yaml":
            continue
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in raw["items"]:
            items.append(
                RoleItem(
                    id=str(entry["id"]),
                    language=raw["language"],
                    construction="labelled",
                    title=str(entry.get("title") or ""),
                    body=str(entry.get("body") or ""),
                    speakers=dict(entry.get("speakers") or {}),
                )
            )
    return items


def load_matcher(folder: Path = LABELLED) -> Matcher:
    raw = yaml.safe_load((folder / "watchlists.yaml").read_text(encoding="utf-8"))
    return build_matcher(Config.model_validate(raw))


def roles_found(matcher: Matcher, item: RoleItem) -> dict[str, str]:
    wire = WireItem(
        id=item.id, title=item.title, body=item.body, source="labelled", language=item.language
    )
    return {s.name: s.role for match in matcher.match(wire) for s in match.speakers}


@dataclass
class RoleTally:
    """Counts over (item, speaker) pairs for one group of items."""

    counts: Counter[str]

    def precision(self, role: str) -> float:
        tp, fp = self.counts[f"{role}-tp"], self.counts[f"{role}-fp"]
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, role: str) -> float:
        tp, fn = self.counts[f"{role}-tp"], self.counts[f"{role}-fn"]
        return tp / (tp + fn) if tp + fn else 1.0

    def accuracy(self) -> float:
        right, expected = self.counts["right"], self.counts["expected"]
        return right / expected if expected else 1.0


def tally_item(expected: dict[str, str], got: dict[str, str], counts: Counter[str]) -> None:
    counts["items"] += 1
    for role in ROLES:
        want = {name for name, r in expected.items() if r == role}
        have = {name for name, r in got.items() if r == role}
        counts[f"{role}-tp"] += len(want & have)
        counts[f"{role}-fp"] += len(have - want)
        counts[f"{role}-fn"] += len(want - have)
    counts["expected"] += len(expected)
    counts["right"] += sum(1 for name, role in expected.items() if got.get(name) == role)


def score(
    matcher: Matcher, items: Iterable[RoleItem], by: str
) -> tuple[dict[str, RoleTally], list[str]]:
    """Tallies per value of ``by`` (``language`` or ``construction``) plus ``all``,
    and one line per item whose roles differ from the labels."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    misses = []
    for item in items:
        got = roles_found(matcher, item)
        tally_item(item.speakers, got, groups[getattr(item, by)])
        tally_item(item.speakers, got, groups["all"])
        if got != item.speakers:
            misses.append(f"{item.id} [{item.construction}]: got {got}, expected {item.speakers}")
    return {key: RoleTally(counts) for key, counts in sorted(groups.items())}, misses


def table(title: str, tallies: dict[str, RoleTally]) -> str:
    lines = [
        f"**{title}**",
        "",
        "| group | items | role accuracy | quoted P | quoted R | mentioned P | mentioned R |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, t in tallies.items():
        lines.append(
            f"| {key} | {t.counts['items']} | {t.accuracy():.3f} "
            f"| {t.precision('quoted'):.3f} | {t.recall('quoted'):.3f} "
            f"| {t.precision('mentioned'):.3f} | {t.recall('mentioned'):.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="", help="section suffix: before, after")
    parser.add_argument("--misses", action="store_true", help="print every item that differs")
    args = parser.parse_args()
    matcher = load_matcher()
    sets = {
        "blind": load_blind(),
        "holdout": load_blind(HOLDOUT),
        "holdout2": load_blind(HOLDOUT2),
        "rest": load_labelled(),
    }
    parts = []
    all_misses = []
    for name, items in sets.items():
        for by in ("language", "construction"):
            tallies, misses = score(matcher, items, by)
            parts.append(table(f"{name} set, by {by}", tallies))
            if by == "language":
                all_misses += misses
    markdown = (
        "Role accuracy = speakers given the labelled role / speakers labelled (an unfound "
        "speaker counts as wrong); P/R over (item, speaker) pairs.\n\n" + "\n\n".join(parts)
    )
    if args.misses:
        markdown += "\n\nItems whose roles differ from the labels:\n\n" + "\n".join(
            f"- {miss}" for miss in all_misses
        )
    print(markdown)
    write_section("bench_roles" + (f" {args.label}" if args.label else ""), markdown)


if __name__ == "__main__":
    main()
