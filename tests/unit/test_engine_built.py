"""The engine builds Hits and Matches without their dataclass ``__init__``
(``engine._built``): the objects must be the ones the constructor makes."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from monitor.match import engine
from monitor.model import Hit, Match, SpeakerMatch


def _pair() -> tuple[Hit, Hit]:
    values = {
        "field": "body",
        "start": 3,
        "end": 8,
        "text": "Peskov",
        "topic": None,
        "speaker": "Peskov",
        "snippet": "…said Peskov…",
    }
    return engine._built(Hit, dict(values)), Hit(**values)


def test_built_classes_are_plain_dataclasses() -> None:
    # If Hit or Match gains slots or a __post_init__, _built falls back to the
    # constructor; this test says so, so the speed note can be revisited.
    assert set(engine._PLAIN) == {Hit, Match}


def test_built_hit_is_the_constructed_one() -> None:
    built, made = _pair()
    assert type(built) is Hit
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert built.to_dict() == made.to_dict()
    assert Hit.from_dict(built.to_dict()) == made
    assert dataclasses.asdict(built) == dataclasses.asdict(made)
    assert pickle.loads(pickle.dumps(built)) == made
    assert copy.copy(built) == made
    assert dataclasses.replace(built, start=4) == dataclasses.replace(made, start=4)


def test_built_objects_stay_frozen() -> None:
    built, _ = _pair()
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.start = 1  # type: ignore[misc]


def test_built_match_is_the_constructed_one() -> None:
    hit, _ = _pair()
    values = {
        "watchlist": "w",
        "topics": ("t",),
        "speakers": (SpeakerMatch("Peskov", "quoted", "no"),),
        "hits": (hit,),
        "channels": ("file",),
    }
    built, made = engine._built(Match, dict(values)), Match(**values)
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert Match.from_dict(built.to_dict()) == made
