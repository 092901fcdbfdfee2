"""The compiled build (setup.py, ``make unit-compiled``) really is compiled.

``make unit-compiled`` runs every unit test on the package installed with
``MONITOR_MYPYC=1``, setting ``MONITOR_EXPECT_COMPILED=1``; this test makes that
run fail if the tests imported the pure-Python sources instead (a path mix-up
would otherwise test the same code twice).
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

from monitor.compiled import MODULES, imported_files

_ROOT = Path(__file__).resolve().parents[2]


def test_setup_compiles_the_listed_engine_modules_from_their_sources() -> None:
    assert "monitor.match.engine" in MODULES
    listed = runpy.run_path(str(_ROOT / "monitor" / "compiled.py"))["source_paths"]()
    assert len(listed) == len(MODULES)
    for path in listed:
        assert (_ROOT / path).is_file(), path


@pytest.mark.skipif(
    os.environ.get("MONITOR_EXPECT_COMPILED") != "1",
    reason="only on the compiled build (make unit-compiled)",
)
def test_the_engine_modules_are_compiled() -> None:
    for name, file in imported_files().items():
        assert file.endswith(".so"), f"{name} is {file}"
