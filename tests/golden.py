"""Golden pairs: an input file next to ``NAME.expected.json``, the items it must give.

Shared by the wire-format and feed golden tests so that both compare the same
way: each item's ``to_dict()`` without the fields that depend on where and when
it was read (``source``, ``fetched_at``), in order, as JSON. To regenerate after
a deliberate change, run the tests with ``UPDATE_GOLDENS=1`` (the older
``WIRE_UPDATE_GOLDENS=1`` works too) and review the diff before committing.
Does I/O: reads (and on request writes) the golden files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from monitor.model import WireItem

VOLATILE = ("source", "fetched_at")
SUFFIX = ".expected.json"


def stable(item: WireItem) -> dict[str, Any]:
    """``item.to_dict()`` without the volatile fields."""
    data = item.to_dict()
    for key in VOLATILE:
        data.pop(key, None)
    return data


def golden_path(input_path: Path) -> Path:
    return input_path.with_name(input_path.stem + SUFFIX)


def inputs(folder: Path) -> set[str]:
    """Names of the input files in ``folder`` (everything but the goldens)."""
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.endswith(SUFFIX)}


def _updating() -> bool:
    return bool(os.environ.get("UPDATE_GOLDENS") or os.environ.get("WIRE_UPDATE_GOLDENS"))


def check_golden(items: Iterable[WireItem], input_path: Path) -> list[dict[str, Any]]:
    """Assert that ``items`` are what the golden file beside ``input_path`` says.

    Returns the stable dicts, for further checks by the caller.
    """
    got = [stable(item) for item in items]
    golden = golden_path(input_path)
    if _updating():
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert len(got) == len(expected), (
        f"{input_path.name}: {len(got)} items, golden has {len(expected)}"
    )
    for index, (item, want) in enumerate(zip(got, expected, strict=True)):
        assert item == want, f"{input_path.name}: item {index} differs from {golden.name}"
    return got
