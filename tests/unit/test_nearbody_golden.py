"""The near-duplicate body keys are stored, so they must never change: the reference
implementation (``tests/nearbody_reference.py``) and ``monitor.alerts.nearbody`` both
give exactly the keys of ``tests/data/nearbody_golden.json`` on every golden text.

Regenerate (only for a deliberate change of keys, which needs a migration of the
story index) with ``UPDATE_GOLDENS=1``: the file is written from the reference.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from monitor.alerts.nearbody import body_keys
from tests.nearbody_reference import golden_texts, reference_body_keys

GOLDEN = Path(__file__).parents[1] / "data" / "nearbody_golden.json"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@pytest.fixture(scope="module")
def golden() -> dict[str, dict[str, object]]:
    texts = golden_texts()
    if os.environ.get("UPDATE_GOLDENS"):
        data = {
            name: {"text_sha256": digest(text), "keys": list(reference_body_keys(text))}
            for name, text in texts.items()
        }
        lines = ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in data.items())
        GOLDEN.write_text("{\n" + lines + "\n}\n", encoding="utf-8")
    loaded: dict[str, dict[str, object]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(loaded) == set(texts), "the golden texts changed: regenerate and review"
    for name, text in texts.items():
        assert loaded[name]["text_sha256"] == digest(text), f"{name}: golden text changed"
    return loaded


def test_golden_covers_keyed_and_unkeyed_texts(golden: dict[str, dict[str, object]]) -> None:
    sizes = {len(entry["keys"]) for entry in golden.values()}  # type: ignore[arg-type]
    assert sizes == {0, 32}
    assert len(golden) > 300


def test_reference_gives_the_golden_keys(golden: dict[str, dict[str, object]]) -> None:
    for name, text in golden_texts().items():
        assert list(reference_body_keys(text)) == golden[name]["keys"], name


def test_nearbody_gives_the_golden_keys(golden: dict[str, dict[str, object]]) -> None:
    body_keys.cache_clear()
    for name, text in golden_texts().items():
        assert list(body_keys(text)) == golden[name]["keys"], name
