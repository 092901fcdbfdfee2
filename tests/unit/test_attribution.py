"""Who said it: the quoted/mentioned role on every labelled item, per language and
per construction.

The items are the blind attribution set (``tests/data/attribution_blind.jsonl``,
written and committed before the attribution frames), two held-out sets
(``attribution_holdout.jsonl``, ``attribution_holdout2.jsonl``, each written and
committed before the engine was run on it) and the labelled set of
``tests/data/labelled``, scored by ``bench/bench_roles.py`` (which prints the
tables). The thresholds sit a small margin under what the engine measures, so a
regression fails; each attribution set is held to them per language on its own.
"""

from __future__ import annotations

import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_roles import (
    BLIND,
    HOLDOUT,
    HOLDOUT2,
    LANGUAGES,
    RoleItem,
    RoleTally,
    load_blind,
    load_labelled,
    load_matcher,
    score,
)

MIN_ITEMS = 400
MIN_PER_LANGUAGE = 60
ATTRIBUTION_SETS = {"blind": BLIND, "holdout": HOLDOUT, "holdout2": HOLDOUT2}
# Measured: role accuracy 0.986 to 1.000 per language over all items.
ROLE_ACCURACY_PER_LANGUAGE = 0.96
# Measured per attribution set: blind 1.000 (fr 0.974), holdout 1.000, holdout2
# 0.963 in each language; one more miss in a language falls under it.
SET_ROLE_ACCURACY_PER_LANGUAGE = 0.95
# Measured: 1.000 quoted precision and recall; 1.000 / 0.990 for mentioned.
ROLE_PRECISION_RECALL = 0.97
# Measured: every construction >= 0.980 role accuracy, but title_mention.
ROLE_ACCURACY_PER_CONSTRUCTION = 0.93
# An office merely named ("meet the Ukrainian President") names no speaker by
# design (docs/config.md, titles); the former holder's title ("former Ukrainian
# President Petro Poroshenko") names none either. Measured 0.500: the office
# holders are found nowhere, the former holders never.
TITLE_MENTION_ACCURACY = 0.45


@cache
def attribution_items(name: str) -> tuple[RoleItem, ...]:
    return tuple(load_blind(ATTRIBUTION_SETS[name]))


@cache
def items() -> tuple[RoleItem, ...]:
    attributed = (item for name in ATTRIBUTION_SETS for item in attribution_items(name))
    return (*attributed, *load_labelled())


@cache
def scored(by: str) -> tuple[dict[str, RoleTally], list[str]]:
    return score(load_matcher(), items(), by)


def report(by: str) -> str:
    tallies, misses = scored(by)
    lines = [f"{key}: accuracy {t.accuracy():.3f}" for key, t in tallies.items()]
    return "\n".join([*lines, "misses:", *misses])


def test_the_set_is_large_enough_and_half_blind() -> None:
    every = items()
    attributed = [item for name in ATTRIBUTION_SETS for item in attribution_items(name)]
    blind = attribution_items("blind")
    per_language = Counter(item.language for item in attributed)
    assert len(attributed) >= MIN_ITEMS
    assert 2 * len(blind) >= len(attributed)
    assert {lang: per_language[lang] >= MIN_PER_LANGUAGE for lang in LANGUAGES} == dict.fromkeys(
        LANGUAGES, True
    )
    ids = [item.id for item in every]
    assert len(ids) == len(set(ids))


def test_labels_name_configured_speakers_and_roles() -> None:
    speakers = set(load_matcher().config.speakers)
    for item in items():
        assert set(item.speakers) <= speakers, item.id
        assert set(item.speakers.values()) <= {"quoted", "mentioned"}, item.id
    constructions = Counter(item.construction for item in load_blind())
    for wanted in (
        "attribution_title",
        "reporting_frame",
        "verb_first",
        "called_statement",
        "called_phone",
        "title_only",
        "plain_mention",
    ):
        assert constructions[wanted] >= 9, wanted
    # the third holdout adds hard negatives in every language
    hard = {(i.language, i.construction) for i in attribution_items("holdout2")}
    for lang in LANGUAGES:
        for wanted in ("title_mention", "reported_object", "title_only", "called_phone"):
            assert (lang, wanted) in hard, (lang, wanted)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_role_accuracy_per_language(lang: str) -> None:
    tally = scored("language")[0][lang]
    assert tally.accuracy() >= ROLE_ACCURACY_PER_LANGUAGE, report("language")


@pytest.mark.parametrize("role", ["quoted", "mentioned"])
def test_role_precision_and_recall(role: str) -> None:
    tally = scored("language")[0]["all"]
    assert tally.precision(role) >= ROLE_PRECISION_RECALL, report("language")
    assert tally.recall(role) >= ROLE_PRECISION_RECALL, report("language")


@pytest.mark.parametrize("name", sorted(ATTRIBUTION_SETS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_role_accuracy_per_language_in_each_attribution_set(name: str, lang: str) -> None:
    tallies, misses = score(load_matcher(), attribution_items(name), "language")
    accuracy = tallies[lang].accuracy()
    assert accuracy >= SET_ROLE_ACCURACY_PER_LANGUAGE, (round(accuracy, 3), misses)


def test_role_accuracy_per_construction() -> None:
    tallies = scored("construction")[0]
    low = {key: round(t.accuracy(), 3) for key, t in tallies.items()}
    assert low.pop("title_mention") >= TITLE_MENTION_ACCURACY, low
    assert min(low.values()) >= ROLE_ACCURACY_PER_CONSTRUCTION, low
