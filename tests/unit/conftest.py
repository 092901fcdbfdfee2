"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.history import database
from monitor.state.base import Store
from monitor.state.memory import MemoryStore
from monitor.state.sqlite import SqliteStore


@pytest.fixture(params=["memory", "sqlite"])
def local_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store the embedded runner can use (Redis has its own integration tests)."""
    made: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield made
    made.close()


@pytest.fixture(autouse=True)
def _default_history_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config without ``history_url`` keeps its history under ``state_dir``, by default
    ``./.monitor`` of the checkout: unit tests that run the runner on such a config write
    it under their own tmp_path instead (a stale copy there failed later runs)."""
    real = database.default_history_url

    def under_tmp(state_dir: str) -> str:
        if Path(state_dir).is_absolute():
            return real(state_dir)
        return real(str(tmp_path / "default-state"))

    monkeypatch.setattr(database, "default_history_url", under_tmp)
