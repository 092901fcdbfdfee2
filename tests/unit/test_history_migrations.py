"""The history's migrations form one line, oldest first, ending at ``HEAD``: two
branches each adding the next revision (two heads) must fail here, not at a user's
first open of the history."""

from __future__ import annotations

from itertools import pairwise

from alembic.config import Config
from alembic.script import ScriptDirectory

from monitor.history.database import HEAD, MIGRATIONS


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
