"""``monitor run --once`` killed (``os._exit``: no rollback, no cleanup) inside a poll's
store batch, after its alerts went but before its items were marked seen, or between
two deliveries, then run again on the same SQLite state file: every alert is archived
once, none lost, none doubled, and the history holds every item once. Real processes
(the runner and its history writer process), real SQLite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.history import default_history_url, open_history
from tests.helpers import SEEDS, archived_ids, example_config

pytestmark = pytest.mark.integration

ALL_SEEDS = sorted(SEEDS.glob("*.txt"))


CHILD = """
import os, sys
from pathlib import Path
from monitor import runner
from monitor.config.loader import load_config
from monitor.match.engine import build_matcher
from monitor.pipeline import Runtime, build_channels
from monitor.state.sqlite import SqliteStore

config_dir, state, where = sys.argv[1], sys.argv[2], sys.argv[3]
config = load_config(Path(config_dir), env={})
runtime = Runtime(config, SqliteStore(state), build_matcher(config), build_channels(config))
if where == "in-batch":
    decide = runner.decide_item
    calls = []
    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os._exit(9)  # killed inside the poll's batch of decisions
        return decide(*args, **kwargs)
    runner.decide_item = dying
elif where == "before-seen":
    runner.commit_poll = lambda *args: os._exit(9)  # sent and written, not marked seen
elif where == "mid-delivery":
    archive = runtime.channels["archive"]
    sent = []
    class Dying:
        name = "archive"
        def send(self, alert):
            if len(sent) == 2:
                os._exit(9)  # killed before the third alert goes to the archive
            sent.append(alert.id)
            archive.send(alert)
    runtime.channels["archive"] = Dying()
runner.EmbeddedRunner(runtime, history_process=True).run(once=True)
"""


SENT_BEFORE_KILL = {"in-batch": 0, "before-seen": 5, "mid-delivery": 2}


@pytest.mark.parametrize("where", list(SENT_BEFORE_KILL))
def test_a_killed_run_loses_nothing_and_doubles_nothing(tmp_path: Path, where: str) -> None:
    config_dir = example_config(tmp_path, seeds=ALL_SEEDS)
    state = tmp_path / "state.db"

    def run(mode: str) -> int:
        command = [sys.executable, "-c", CHILD, str(config_dir), str(state), mode]
        # cwd: the config's state_dir (./.monitor: the history) under tmp_path
        done = subprocess.run(command, capture_output=True, check=False, cwd=tmp_path)
        return done.returncode

    assert run(where) == 9
    assert len(archived_ids(tmp_path)) == SENT_BEFORE_KILL[where]
    assert run("normal") == 0
    sent = archived_ids(tmp_path)
    assert len(sent) == len(set(sent)) == 5
    assert run("normal") == 0
    assert len(archived_ids(tmp_path)) == 5
    with open_history(default_history_url(str(tmp_path / ".monitor"))) as history:
        assert history.count_items() == 6
        assert sorted(stored.alert.id for stored in history.alerts()) == sorted(sent)
