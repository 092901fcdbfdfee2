"""The history's migrations form one line, oldest first, ending at ``HEAD``: two
branches each adding the next revision (two heads) must fail here, not at a user's
first open of the history."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from monitor.history import database
from monitor.history.database import HEAD, MIGRATIONS, create_history_engine, migrate


def test_the_revisions_are_one_line_ending_at_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_heads() == [HEAD]
    chain = list(reversed(list(scripts.walk_revisions())))
    assert chain[0].down_revision is None
    for older, newer in pairwise(chain):
        assert newer.down_revision == older.revision, newer.path
    # each file is named after its revision: NNNN_what.py
    assert all(script.path.rsplit("/", 1)[1].startswith(f"{script.revision}_") for script in chain)
    assert [s.revision for s in chain] == sorted(s.revision for s in chain)


def test_a_history_at_head_opens_without_alembic(tmp_path: Path) -> None:
    """Alembic is imported only when there is something to migrate: a process opening
    an up-to-date history (``monitor run``'s writer, a command) starts without it."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    script = (
        "import sys; from monitor.history import open_history; "
        f"open_history({url!r}).close(); print('alembic' in sys.modules)"
    )

    def imported() -> str:
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    engine = create_history_engine(url)
    migrate(engine, "0003")  # an older release's history
    engine.dispose()
    assert imported() == "True"  # upgraded
    assert imported() == "False"  # at head since
    with sqlite3.connect(tmp_path / "history.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


KILLED_MID_UPGRADE = """
import os, sys
import sqlalchemy as sa
from monitor.history.database import create_history_engine, migrate

engine = create_history_engine(sys.argv[1])
made = []

@sa.event.listens_for(engine, "after_cursor_execute")
def die(conn, cursor, statement, *args):
    if statement.lstrip().upper().startswith("CREATE TABLE"):
        made.append(statement)
        if len(made) == 3:
            os._exit(9)  # killed with two tables made and a third under way

migrate(engine)
"""


def test_a_process_killed_mid_upgrade_leaves_the_history_as_it_was(tmp_path: Path) -> None:
    """SQLite's upgrade is one transaction: a process killed between two ``CREATE
    TABLE`` leaves no table behind, and the next open upgrades it whole (a table left
    made without its revision failed every later open: "table items already exists")."""
    path = tmp_path / "history.db"
    url = f"sqlite:///{path}"
    run = subprocess.run([sys.executable, "-c", KILLED_MID_UPGRADE, url], capture_output=True)
    assert run.returncode == 9, run.stderr
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == []
    engine = create_history_engine(url)
    migrate(engine)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    engine.dispose()
    assert [row[0] for row in stored] == [HEAD]


def test_an_upgrade_that_fails_half_way_leaves_the_history_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same in a process that lives on: an upgrade raising after its statements ran
    is rolled back whole, and the engine opens the history afterwards."""
    path = tmp_path / "history.db"
    engine = create_history_engine(f"sqlite:///{path}")
    upgrade = database._upgrade

    def failing(*args: object) -> None:
        upgrade(*args)  # type: ignore[arg-type]
        raise RuntimeError("failed after the last statement")

    monkeypatch.setattr(database, "_upgrade", failing)
    with pytest.raises(RuntimeError):
        migrate(engine)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == []
    monkeypatch.setattr(database, "_upgrade", upgrade)
    migrate(engine)
    engine.dispose()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
