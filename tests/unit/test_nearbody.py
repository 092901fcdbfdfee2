"""Near-duplicate bodies (``monitor.alerts.nearbody``): the same wire text as another
outlet carries it (an intro line added, the last paragraph cut) shares a body key; other
stories of the same day and topic, even quoting the same spokesman and sharing a
background paragraph, share none. The Jaccard figures are measured on these fixtures and
pinned, so a change of normalisation or shingling shows here first."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.alerts import nearbody
from monitor.alerts.nearbody import body_keys, jaccard, legacy_body_keys

STORIES = Path(__file__).parents[1] / "fixtures" / "stories"
SEED_AR = Path(__file__).parents[2] / "seeds" / "peskov-security-guarantees.ar.txt"


def body(path: Path, skip: int = 1) -> str:
    """The text after the headline (and, for the seed, its repeated headline)."""
    return path.read_text(encoding="utf-8").split("\n\n", skip)[skip]


TALKS = body(STORIES / "peskov-talks.en.txt")
GAS = body(STORIES / "peskov-gas.en.txt")  # same day, same spokesman, shared background
ZAKHAROVA = body(STORIES / "zakharova-reply.en.txt")  # same talks, another spokesman
ARABIC = body(SEED_AR, skip=2)

INTRO = (
    "Russia's position on the talks in Brussels and Geneva is unchanged, the Kremlin said "
    "on Wednesday, according to a report by Reuters carried by our partner.\n\n"
)
INTRO_AR = (
    "أفادت وكالة سبوتنيك بأن الكرملين أكد موقفه من المفاوضات الجارية مع الولايات المتحدة "
    "وحلف الناتو حول الضمانات الأمنية.\n\n"
)


def cut(text: str, paragraphs: int = 1) -> str:
    return "\n\n".join(text.split("\n\n")[:-paragraphs])


def shared(a: str, b: str) -> int:
    return len(set(body_keys(a)) & set(body_keys(b)))


# (name, original, copy, measured Jaccard, grouped)
CASES = [
    ("intro line added", TALKS, INTRO + TALKS, 0.840, True),
    ("last paragraph cut", TALKS, cut(TALKS), 0.884, True),
    ("intro added and last paragraph cut", TALKS, INTRO + cut(TALKS), 0.811, True),
    (
        "dateline rewritten",
        TALKS,
        TALKS.replace("MOSCOW, Jan 12 (Reuters) -", "(UrduPoint / Reuters - 12th Jan, 2022)"),
        0.970,
        True,
    ),
    ("arabic: intro line added", ARABIC, INTRO_AR + ARABIC, 0.891, True),
    (
        "arabic: intro added, tail past 300 words cut",
        ARABIC,
        INTRO_AR + cut(ARABIC, 2),
        0.891,
        True,
    ),
    ("two Peskov stories of one day", TALKS, GAS, 0.116, False),
    ("another spokesman on the same talks", TALKS, ZAKHAROVA, 0.049, False),
    ("two other stories of the topic", GAS, ZAKHAROVA, 0.053, False),
]


@pytest.mark.parametrize(
    ("original", "copy", "similarity", "grouped"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_copies_group_and_other_stories_do_not(
    original: str, copy: str, similarity: float, grouped: bool
) -> None:
    assert jaccard(original, copy) == pytest.approx(similarity, abs=0.0005)
    assert (shared(original, copy) > 0) is grouped


def test_band_parameters_split_0_8_from_0_5() -> None:
    """The LSH S-curve ``1 - (1 - J**ROWS)**BANDS``: near-sure at J >= 0.8, unlikely at
    0.5, negligible at the 0.05-0.12 of different stories on one topic."""

    def chance(j: float) -> float:
        return float(1 - (1 - j**nearbody.ROWS) ** nearbody.BANDS)

    assert chance(0.8) > 0.99
    assert chance(0.5) < 0.15
    assert chance(0.15) < 1e-5


def test_short_bodies_have_no_body_keys() -> None:
    short = " ".join(TALKS.split()[: nearbody.MIN_WORDS - 1])
    assert body_keys(short) == ()
    assert body_keys("") == ()
    assert len(body_keys(TALKS)) == nearbody.BANDS


def test_keys_are_stable_and_ignore_case_and_furniture() -> None:
    keys = body_keys(TALKS)
    assert all(key.startswith(f"body2:{band}:") for band, key in enumerate(keys))
    # Stored keys must not change between processes or releases: pinned.
    assert keys[0] == "body2:0:1f923c4d76b894153866049b"
    assert body_keys(TALKS.upper() + "\n\n(more)\n\nRead more: https://example.com") == keys
    # the keys of earlier releases, still looked up while a story index may hold them
    legacy = legacy_body_keys(TALKS)
    assert legacy[0] == "body:0:9666392eb3d40177edd27478"
    assert not set(legacy) & set(keys)
