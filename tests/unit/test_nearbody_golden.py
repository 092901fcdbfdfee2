"""The near-duplicate body keys are stored, so they must never change.

``tests/data/nearbody2_golden.json`` pins the keys ``body_keys`` gives on every golden
text. ``tests/data/nearbody_golden.json`` pins those of earlier releases, which the
reference implementation (``tests/nearbody_reference.py``) and ``legacy_body_keys``
must both give: a story index written by those releases holds them.

Regenerate (only for a deliberate change of keys, which needs a migration of the story
index: ``monitor.alerts.keyversion``) with ``UPDATE_GOLDENS=1``: the files are written
from the reference and from ``body_keys``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.alerts.nearbody import body_keys, legacy_body_keys
from tests.nearbody_reference import golden_texts, reference_body_keys

GOLDEN = Path(__file__).parents[1] / "data" / "nearbody_golden.json"
GOLDEN2 = Path(__file__).parents[1] / "data" / "nearbody2_golden.json"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _load(path: Path, keys: Callable[[str], tuple[str, ...]]) -> dict[str, dict[str, object]]:
    texts = golden_texts()
    if os.environ.get("UPDATE_GOLDENS"):
        data = {
            name: {"text_sha256": digest(text), "keys": list(keys(text))}
            for name, text in texts.items()
        }
        lines = ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in data.items())
        path.write_text("{\n" + lines + "\n}\n", encoding="utf-8")
    loaded: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    assert set(loaded) == set(texts), "the golden texts changed: regenerate and review"
    for name, text in texts.items():
        assert loaded[name]["text_sha256"] == digest(text), f"{name}: golden text changed"
    return loaded


@pytest.fixture(scope="module")
def golden() -> dict[str, dict[str, object]]:
    return _load(GOLDEN, reference_body_keys)


@pytest.fixture(scope="module")
def golden2() -> dict[str, dict[str, object]]:
    return _load(GOLDEN2, body_keys)


def test_golden_covers_keyed_and_unkeyed_texts(
    golden: dict[str, dict[str, object]], golden2: dict[str, dict[str, object]]
) -> None:
    for pinned in (golden, golden2):
        sizes = {len(entry["keys"]) for entry in pinned.values()}  # type: ignore[arg-type]
        assert sizes == {0, 32}
        assert len(pinned) > 300


def test_reference_gives_the_golden_keys(golden: dict[str, dict[str, object]]) -> None:
    for name, text in golden_texts().items():
        assert list(reference_body_keys(text)) == golden[name]["keys"], name


def test_legacy_keys_are_the_golden_keys_of_earlier_releases(
    golden: dict[str, dict[str, object]],
) -> None:
    legacy_body_keys.cache_clear()
    for name, text in golden_texts().items():
        assert list(legacy_body_keys(text)) == golden[name]["keys"], name


def test_nearbody_gives_the_golden_keys(golden2: dict[str, dict[str, object]]) -> None:
    body_keys.cache_clear()
    for name, text in golden_texts().items():
        assert list(body_keys(text)) == golden2[name]["keys"], name
