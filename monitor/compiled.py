"""The modules the compiled build turns into C with mypyc, and what is imported here.

The modules every item goes through (normalise, tokenise, match, the language
model's feature walk). ``setup.py`` compiles them when the package is built with
``MONITOR_MYPYC=1`` (it reads this file by path: a build environment cannot
import the package). The compiled-build test and ``bench/bench_match.py`` ask
``imported_files`` which build they run on.
No I/O beyond importing the listed modules.
"""

from __future__ import annotations

import importlib

MODULES: tuple[str, ...] = (
    "monitor.text.normalize",
    "monitor.text.tokenize",
    "monitor.text.morph",
    "monitor.text.langwalk",
    "monitor.match.needles",
    "monitor.match.compile",
    "monitor.match.query",
    "monitor.match.speakers",
    "monitor.match.engine",
)


def source_paths() -> list[str]:
    """The listed modules' source files, relative to the project root (for mypyc)."""
    return [name.replace(".", "/") + ".py" for name in MODULES]


def imported_files() -> dict[str, str]:
    """Each listed module's file as imported here: a ``.so`` when it is compiled."""
    return {name: str(importlib.import_module(name).__file__) for name in MODULES}
