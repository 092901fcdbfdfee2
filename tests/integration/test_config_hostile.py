"""A running ``monitor run`` that reloads a hostile config (deep nesting, a YAML alias
bomb) refuses it with one error each and keeps alerting on the last good config."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SEED_AR, example_config, monitor_env, wait_for
from tests.integration.test_config_reload import _archive, _events

FIXTURES = Path(__file__).parent.parent / "fixtures" / "config"


@pytest.mark.integration
def test_run_survives_deep_and_alias_bomb_configs_and_still_alerts(tmp_path: Path) -> None:
    config = example_config(tmp_path)
    file = config / "monitor.yaml"
    good = file.read_text(encoding="utf-8")
    log = tmp_path / "run.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(config)],
            cwd=tmp_path,
            env=monitor_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        try:
            assert wait_for(lambda: _events(log, "poll"), timeout=30), log.read_text()
            deep = (FIXTURES / "deep_list.yaml").read_text(encoding="utf-8").split("\n")[0]
            file.write_text(good + deep + "\n", encoding="utf-8")
            assert wait_for(lambda: _events(log, "config_rejected"), timeout=30), log.read_text()
            bomb = (FIXTURES / "alias_bomb.yaml").read_text(encoding="utf-8")
            file.write_text(bomb.split("feeds:")[0] + good, encoding="utf-8")
            rejected = lambda: len(_events(log, "config_rejected")) == 2  # noqa: E731
            assert wait_for(rejected, timeout=30), log.read_text()
            first, second = (event["errors"] for event in _events(log, "config_rejected"))
            assert "too deeply nested (limit 100)" in str(first), first
            assert "aliases are expanded" in str(second), second
            (tmp_path / "inbox" / SEED_AR.name).write_bytes(SEED_AR.read_bytes())
            assert wait_for(lambda: len(_archive(tmp_path)) == 1, timeout=30), log.read_text()
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
    assert proc.returncode == 0, log.read_text()
