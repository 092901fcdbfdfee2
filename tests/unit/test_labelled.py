"""The labelled multilingual set: precision and recall of the whole engine.

Runs ``build_matcher`` over every item of ``tests/data/labelled/*.yaml`` (our own
short news items in ar, en, ru, uk, fr, de, each with the topics and speakers a
careful reader would flag and each speaker's role) under the watchlist config
``tests/data/labelled/watchlists.yaml``, and scores:

- topics: precision/recall per language over (item, topic) pairs;
- speakers: precision/recall per language over (item, speaker) pairs;
- roles: accuracy of quoted/mentioned over speakers both expected and found,
  overall (and shown per language).

``pytest tests/unit/test_labelled.py -s`` prints the table. The thresholds below
sit a small margin under what the engine scores, so a regression fails.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config.schema import Config
from monitor.match.engine import Matcher, build_matcher
from monitor.model import WireItem

DATA = Path(__file__).resolve().parents[1] / "data" / "labelled"
LANGUAGES = ("ar", "en", "ru", "uk", "fr", "de")

MIN_ITEMS = 150
MIN_PER_LANGUAGE = 20
TOPIC_PRECISION = 0.95  # per language; 1.000 measured in every language
TOPIC_RECALL = 0.95
SPEAKER_PRECISION = 0.95
SPEAKER_RECALL = 0.95
# Role thresholds come in two sets: pronoun follow-ups ("He added", "добавил он")
# need the engine to pass the other speakers' places to classify_speaker; until it
# does, those items score as mentioned (measured 0.913 overall, 0.875 worst language).
# With follow-ups the engine measures 0.994 overall and 0.970 worst language.
ROLE_THRESHOLDS = {
    False: {
        "accuracy": 0.88,
        "per_language": 0.83,
        "quoted": (0.95, 0.80),  # (precision, recall)
        "mentioned": (0.80, 0.95),
    },
    True: {
        "accuracy": 0.97,
        "per_language": 0.93,
        "quoted": (0.95, 0.95),
        "mentioned": (0.95, 0.95),
    },
}


@dataclass(frozen=True)
class Labelled:
    """One item of the set with what a careful reader would flag."""

    id: str
    language: str
    title: str
    body: str
    topics: frozenset[str]
    speakers: dict[str, str]  # name -> "quoted" | "mentioned"


@dataclass
class Tally:
    """Counts for one language (or all)."""

    topics: Counter[str] = field(default_factory=Counter)  # tp / fp / fn
    speakers: Counter[str] = field(default_factory=Counter)
    roles: Counter[str] = field(default_factory=Counter)  # right / wrong
    quoted: Counter[str] = field(default_factory=Counter)  # tp / fp / fn per role
    mentioned: Counter[str] = field(default_factory=Counter)
    items: int = 0

    def add(self, other: Tally) -> None:
        self.topics.update(other.topics)
        self.speakers.update(other.speakers)
        self.roles.update(other.roles)
        self.quoted.update(other.quoted)
        self.mentioned.update(other.mentioned)
        self.items += other.items


def _ratio(good: int, total: int) -> float:
    return good / total if total else 1.0


def precision(counts: Counter[str]) -> float:
    return _ratio(counts["tp"], counts["tp"] + counts["fp"])


def recall(counts: Counter[str]) -> float:
    return _ratio(counts["tp"], counts["tp"] + counts["fn"])


def role_accuracy(counts: Counter[str]) -> float:
    return _ratio(counts["right"], counts["right"] + counts["wrong"])


@cache
def config() -> Config:
    raw = yaml.safe_load((DATA / "watchlists.yaml").read_text(encoding="utf-8"))
    return Config.model_validate(raw)


@cache
def matcher() -> Matcher:
    return build_matcher(config())


@cache
def follows_pronouns() -> bool:
    """Whether the engine attributes "He told reporters ..." to the speaker named before."""
    probe = WireItem(
        id="probe",
        title="",
        body="Putin arrived in Minsk. He told reporters that the talks had failed.",
        source="probe",
    )
    return any(
        s.name == "Vladimir Putin" and s.role == "quoted"
        for match in matcher().match(probe)
        for s in match.speakers
    )


def role_threshold(name: str) -> Any:
    return ROLE_THRESHOLDS[follows_pronouns()][name]


@cache
def load_items() -> tuple[Labelled, ...]:
    items: list[Labelled] = []
    for path in sorted(DATA.glob("*.yaml")):
        if path.name == "watchlists.yaml":
            continue
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        language = raw["language"]
        for entry in raw["items"]:
            items.append(
                Labelled(
                    id=str(entry["id"]),
                    language=language,
                    title=str(entry.get("title") or ""),
                    body=str(entry.get("body") or ""),
                    topics=frozenset(entry.get("topics") or ()),
                    speakers=dict(entry.get("speakers") or {}),
                )
            )
    return tuple(items)


def found(item: Labelled) -> tuple[set[str], dict[str, str]]:
    """Topics and speaker roles the engine reports for one item."""
    wire = WireItem(
        id=item.id, title=item.title, body=item.body, source="labelled", language=item.language
    )
    topics: set[str] = set()
    speakers: dict[str, str] = {}
    for match in matcher().match(wire):
        topics.update(match.topics)
        for speaker in match.speakers:
            speakers[speaker.name] = speaker.role
    return topics, speakers


def _count(expected: set[str], got: set[str], counts: Counter[str]) -> None:
    counts["tp"] += len(expected & got)
    counts["fp"] += len(got - expected)
    counts["fn"] += len(expected - got)


@cache
def score() -> tuple[dict[str, Tally], list[str]]:
    """Per-language tallies (plus ``"all"``) and a line per miss, for the table."""
    tallies = {lang: Tally() for lang in LANGUAGES}
    misses: list[str] = []
    for item in load_items():
        tally = tallies[item.language]
        tally.items += 1
        topics, speakers = found(item)
        _count(set(item.topics), topics, tally.topics)
        _count(set(item.speakers), set(speakers), tally.speakers)
        for wanted, counts in (("quoted", tally.quoted), ("mentioned", tally.mentioned)):
            _count(
                {n for n, r in item.speakers.items() if r == wanted},
                {n for n, r in speakers.items() if r == wanted},
                counts,
            )
        for name in set(item.speakers) & set(speakers):
            right = item.speakers[name] == speakers[name]
            tally.roles["right" if right else "wrong"] += 1
            if not right:
                misses.append(f"{item.id}: {name} {speakers[name]}, expected {item.speakers[name]}")
        if topics != item.topics:
            misses.append(f"{item.id}: topics {sorted(topics)}, expected {sorted(item.topics)}")
        if set(speakers) != set(item.speakers):
            misses.append(
                f"{item.id}: speakers {sorted(speakers)}, expected {sorted(item.speakers)}"
            )
    total = Tally()
    for tally in tallies.values():
        total.add(tally)
    tallies["all"] = total
    return tallies, misses


def table() -> str:
    tallies, misses = score()
    follow = "with" if follows_pronouns() else "without"
    lines = [
        f"engine {follow} pronoun follow-ups",
        "lang items  topic-P topic-R  spk-P  spk-R  role-acc",
    ]
    for lang, t in tallies.items():
        lines.append(
            f"{lang:<4} {t.items:>5}  {precision(t.topics):7.3f} {recall(t.topics):7.3f}"
            f"  {precision(t.speakers):5.3f}  {recall(t.speakers):5.3f}"
            f"  {role_accuracy(t.roles):8.3f}"
        )
    total = tallies["all"]
    for wanted, counts in (("quoted", total.quoted), ("mentioned", total.mentioned)):
        lines.append(
            f"role {wanted:<9} precision {precision(counts):.3f}  recall {recall(counts):.3f}"
        )
    lines += ["misses:" if misses else "misses: none", *("  " + m for m in misses)]
    return "\n".join(lines)


# -- the set itself ----------------------------------------------------------------


def test_set_is_large_enough_in_every_language() -> None:
    items = load_items()
    per_language = Counter(item.language for item in items)
    assert len(items) >= MIN_ITEMS
    for lang in LANGUAGES:
        assert per_language[lang] >= MIN_PER_LANGUAGE, lang
    assert set(per_language) == set(LANGUAGES)


def test_labels_name_defined_topics_and_speakers() -> None:
    cfg = config()
    ids = [item.id for item in load_items()]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for item in load_items():
        assert item.title or item.body, item.id
        assert item.topics <= set(cfg.topics), item.id
        assert set(item.speakers) <= set(cfg.speakers), item.id
        assert set(item.speakers.values()) <= {"quoted", "mentioned"}, item.id


def test_set_has_negatives_and_both_roles() -> None:
    # A set where every item matches could not measure precision.
    items = load_items()
    assert sum(1 for i in items if not i.topics and not i.speakers) >= 12
    roles = Counter(role for i in items for role in i.speakers.values())
    assert roles["quoted"] >= 40 and roles["mentioned"] >= 30


# -- the scores --------------------------------------------------------------------


def test_the_score_table_has_a_row_per_language_and_one_for_all() -> None:
    """The table every threshold below shows when it fails (and ``-s`` prints): a row
    per language with its item count, and the whole set's row adding them up."""
    shown = table()
    print("\n" + shown)
    rows = [line.split() for line in shown.splitlines()[2 : 3 + len(LANGUAGES)]]
    counts = {row[0]: int(row[1]) for row in rows}
    assert list(counts) == [*LANGUAGES, "all"]
    per_language = Counter(item.language for item in load_items())
    assert counts == {**per_language, "all": len(load_items())}
    assert all(len(row) == 7 for row in rows)  # the five scores, each a figure


@pytest.mark.parametrize("lang", LANGUAGES)
def test_topics_per_language(lang: str) -> None:
    tally = score()[0][lang]
    assert precision(tally.topics) >= TOPIC_PRECISION, table()
    assert recall(tally.topics) >= TOPIC_RECALL, table()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_speakers_per_language(lang: str) -> None:
    tally = score()[0][lang]
    assert precision(tally.speakers) >= SPEAKER_PRECISION, table()
    assert recall(tally.speakers) >= SPEAKER_RECALL, table()
    assert role_accuracy(tally.roles) >= role_threshold("per_language"), table()


def test_role_accuracy_overall() -> None:
    assert role_accuracy(score()[0]["all"].roles) >= role_threshold("accuracy"), table()


@pytest.mark.parametrize("wanted", ["quoted", "mentioned"])
def test_precision_and_recall_per_role(wanted: str) -> None:
    counts = getattr(score()[0]["all"], wanted)
    wanted_precision, wanted_recall = role_threshold(wanted)
    assert precision(counts) >= wanted_precision, table()
    assert recall(counts) >= wanted_recall, table()
