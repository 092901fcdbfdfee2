"""The compiled build (setup.py, ``make unit-compiled``) really is compiled.

``make unit-compiled`` runs every unit test on the package installed with
``MONITOR_MYPYC=1``, setting ``MONITOR_EXPECT_COMPILED=1``; this test makes that
run fail if the tests imported the pure-Python sources instead (a path mix-up
would otherwise test the same code twice).
"""

from __future__ import annotations

import importlib
import os
import tomllib
from pathlib import Path

import pytest

_PROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _compiled_names() -> list[str]:
    with open(_PROJECT, "rb") as project:
        paths = tomllib.load(project)["tool"]["monitor"]["compiled"]
    return [path.removesuffix(".py").replace("/", ".") for path in paths]


def test_the_compiled_list_names_engine_modules_that_exist() -> None:
    names = _compiled_names()
    assert "monitor.match.engine" in names
    for name in names:
        assert importlib.util.find_spec(name) is not None, name


@pytest.mark.skipif(
    os.environ.get("MONITOR_EXPECT_COMPILED") != "1",
    reason="only on the compiled build (make unit-compiled)",
)
def test_the_engine_modules_are_compiled() -> None:
    for name in _compiled_names():
        module = importlib.import_module(name)
        assert str(module.__file__).endswith(".so"), f"{name} is {module.__file__}"
