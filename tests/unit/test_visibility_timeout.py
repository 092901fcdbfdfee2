"""``settings.visibility_timeout`` reaches the Celery app (and the countdowns capped by it)
from the config every worker and poller reads; ``--visibility-timeout`` still wins."""

from __future__ import annotations

from pathlib import Path

import pytest
from celery import Celery

from monitor.config.loader import load_config
from monitor.config.schema import (
    DEFAULT_VISIBILITY_TIMEOUT,
    MIN_VISIBILITY_TIMEOUT,
    Config,
    Settings,
)
from workers import app as app_module
from workers import schedule
from workers.tasks import FETCH_SHARE, max_countdown

CONFIG = """\
settings:
  broker_url: redis://127.0.0.1:1/0
  visibility_timeout: 2h
"""


def _config(tmp_path: Path, text: str = CONFIG) -> tuple[Path, Config]:
    path = tmp_path / "monitor.yaml"
    path.write_text(text, encoding="utf-8")
    return path, load_config(path, env={})


@pytest.fixture
def fresh_app(monkeypatch: pytest.MonkeyPatch) -> Celery:
    """A Celery app configured lazily like ``workers.app.app``, not yet configured, so the
    test sees what a worker started with ``celery -A workers.app worker`` would."""
    app = Celery("monitor-test")
    app.add_defaults(app_module._lazy_settings)
    monkeypatch.setattr(app_module, "app", app)
    # nothing set or built yet: the config is read from the path given (use_config)
    monkeypatch.setattr(app_module, "process", app_module.ProcessState())
    return app


def transport_timeout(settings: dict[str, object]) -> object:
    options = settings["broker_transport_options"]
    assert isinstance(options, dict)
    return options["visibility_timeout"]


def test_celery_settings_take_the_visibility_timeout_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module.process, "visibility_timeout", None)
    _, config = _config(tmp_path)
    assert transport_timeout(app_module.celery_settings(config)) == 7200.0
    _, default = _config(tmp_path, "settings:\n  broker_url: redis://127.0.0.1:1/0\n")
    assert transport_timeout(app_module.celery_settings(default)) == 90.0


def test_the_command_line_option_wins_over_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module.process, "visibility_timeout", None)
    _, config = _config(tmp_path)
    app_module.set_visibility_timeout(5)
    assert transport_timeout(app_module.celery_settings(config)) == 5
    assert app_module.visibility_timeout() == 5
    app_module.set_visibility_timeout(None)
    assert transport_timeout(app_module.celery_settings(config)) == 7200.0
    with pytest.raises(ValueError, match="positive"):
        app_module.set_visibility_timeout(0)


def test_a_lazily_configured_worker_uses_the_configs_timeout_for_its_countdowns(
    tmp_path: Path, fresh_app: Celery
) -> None:
    path, _ = _config(tmp_path)
    app_module.use_config(path)
    # the first read configures the app from the config, as Celery does in a worker
    assert app_module.visibility_timeout() == 7200.0
    assert fresh_app.conf.broker_transport_options["visibility_timeout"] == 7200.0
    assert max_countdown() == 1800.0
    # the poller's staleness bound follows: a delivery waiting for a 30m retry is not lost
    assert schedule.stale_after(300) == 1800.0 + 2 * schedule.TICK


def test_the_poller_configured_explicitly_derives_its_bounds_from_the_config(
    tmp_path: Path, fresh_app: Celery
) -> None:
    path, config = _config(tmp_path, CONFIG.replace("2h", "1d"))
    app_module.use_config(path)  # what ``python -m workers poller`` does
    app_module.configure(config)
    assert max_countdown() == 86400.0 / 4
    assert schedule.stale_after(300) == 86400.0 / 4 + 2 * schedule.TICK


def test_every_task_is_killed_well_before_its_message_is_redelivered() -> None:
    for visibility in (MIN_VISIBILITY_TIMEOUT, DEFAULT_VISIBILITY_TIMEOUT, 3600.0):
        soft, hard = app_module.task_time_limits(visibility)
        assert soft < hard <= visibility * 2 / 3
        # a batch's fetches end before the soft limit, each fetch within its deadline
        assert soft * FETCH_SHARE < soft
    assert app_module.task_time_limits(MIN_VISIBILITY_TIMEOUT) == (30.0, 40.0)
    assert app_module.task_time_limits(DEFAULT_VISIBILITY_TIMEOUT) == (45.0, 60.0)
    # the floor: a test's 5 s visibility timeout still gives a task 20 s
    assert app_module.task_time_limits(5) == (15.0, 20.0)


def test_with_default_settings_a_dead_workers_items_alert_within_two_minutes(
    tmp_path: Path, fresh_app: Celery
) -> None:
    """The arithmetic behind the bound (issue 12.9), on a config without settings: a killed
    worker's reserved message is restored once unacked for the visibility timeout (kombu
    scans every UNACKED_RESTORE_INTERVAL), and a message the broker lost outright is found
    by the poller's sweep once its record is older than ``stale_after``, swept every
    quarter of that. The integration test proves the mechanism on a short timeout."""
    path, config = _config(tmp_path, "settings:\n  broker_url: redis://127.0.0.1:1/0\n")
    assert config.settings.visibility_timeout == Settings().visibility_timeout == 90.0
    app_module.use_config(path)
    redelivered = app_module.visibility_timeout() + app_module.UNACKED_RESTORE_INTERVAL
    assert redelivered < 120
    # the send lease a killed sender held (the hard limit) has lapsed by then
    _, lease = app_module.time_limits()
    assert lease < app_module.visibility_timeout()
    lost = schedule.stale_after(None)
    assert lost == 90.0
    assert lost + min(schedule.PENDING_SWEEP_EVERY, lost / 4) < 120
    # a pending delivery waiting for its longest retry countdown is not taken for lost
    assert lost > max_countdown() + schedule.TICK
