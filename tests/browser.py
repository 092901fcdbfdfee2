"""A real headless Chromium for page tests: Debian's ``chromium`` driven by Playwright.

Playwright's own browser download is never used: the tests launch the system's
``chromium`` (``$CHROMIUM`` overrides the path), so nothing reaches the network. Without
it the tests are skipped locally and fail under ``CI=true`` (``.ci/run`` installs it).
Screenshots go to ``$MONITOR_ARTEFACTS`` (default ``artefacts/`` in the repository),
one PNG per page, so a person can look at what the test saw.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTEFACTS = Path(os.environ.get("MONITOR_ARTEFACTS", Path(__file__).parent.parent / "artefacts"))


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no headless Chromium for page tests: {reason}")


def chromium_path() -> str:
    """The system Chromium to launch, or skip (fail in CI) when there is none."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if path is None:
        _unavailable("no chromium on PATH (Debian: apt-get install chromium)")
    return path


@contextmanager
def chromium_page(width: int = 1100, height: int = 900) -> Iterator[Page]:
    """A fresh page in a headless system Chromium, closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a dev dependency: only a broken venv lacks it
        _unavailable(f"playwright is not installed: {exc}")
    executable = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``ARTEFACTS/name.png`` and return the path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
