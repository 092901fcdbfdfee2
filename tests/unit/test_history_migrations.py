"""The history's migrations form one line, oldest first, ending at ``HEAD``: two
branches each adding the next revision (two heads) must fail here, not at a user's
first open of the history."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from monitor.history.database import HEAD, MIGRATIONS, migrate


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


def _automerge(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT v FROM items_fts_config WHERE k = 'automerge'")
        ).scalar()
    return int(found) if found is not None else 4  # FTS5's default, not stored


def test_0005_makes_the_index_merge_less_eagerly_and_back(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'history.db'}")
    migrate(engine, "0004")
    assert _automerge(engine) == 4
    migrate(engine)
    assert _automerge(engine) == 16
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert _automerge(engine) == 4
    engine.dispose()
