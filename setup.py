"""Build hook: compiles the matching engine with mypyc when ``MONITOR_MYPYC=1``.

Everything else about the package is declared in pyproject.toml. The modules
every item goes through (normalise, tokenise, match, the language model's
feature walk) are listed in ``monitor/compiled.py``; with ``MONITOR_MYPYC=1``
they are compiled to C extensions by mypyc (part of mypy, which already checks
their types): fewer instructions per item and per compile
(``bench/instructions.py``; bench/RESULTS.md, section instructions).
Without it, or for an editable install, the package is pure Python and behaves
the same: ``make test`` runs the unit tests on both builds.

A compiled build needs a C compiler and the Python headers, and mypyc
type-checks what the engine imports: build it with
``MONITOR_MYPYC=1 pip install --no-build-isolation --no-deps .`` in an
environment that already has the package's dependencies and its ``dev`` extra
(mypy, type stubs), plus ``setuptools`` and ``wheel`` (the Makefile's
``.venv-compiled`` rule, and the Dockerfile's build stage).
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from setuptools import setup

_HERE = Path(__file__).resolve().parent


def compiled_modules() -> list[str]:
    """The source files mypyc compiles (``monitor/compiled.py``, run by path: the
    package's dependencies may not be importable while it is being built)."""
    listed = runpy.run_path(str(_HERE / "monitor" / "compiled.py"))
    return [str(_HERE / path) for path in listed["source_paths"]()]


def _extensions() -> list[object]:
    if os.environ.get("MONITOR_MYPYC") != "1":
        return []
    from mypyc.build import mypycify  # only a compiled build needs mypy

    return list(mypycify(compiled_modules(), opt_level="3"))


setup(ext_modules=_extensions())
