"""``ConfigReloader`` (README, Configuration): a changed good config is swapped in, a bad one is
refused with its FILE:LINE lines and the last good one stays, unchanged files are not
read again, restart-only settings keep their old value with a warning; plus the
embedded runner's side of a swap (new feeds polled, removed ones not)."""

from __future__ import annotations

import os
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from monitor.config.loader import load_config
from monitor.config.reload import ConfigReloader
from monitor.config.schema import Config
from monitor.match.engine import Matcher, build_matcher
from monitor.model import WireItem
from monitor.pipeline import Runtime, build_channels, deliver_alerts, process_item, utcnow
from monitor.runner import EmbeddedRunner
from monitor.state.memory import MemoryStore

BASE = """\
feeds:
  - id: desk
    path: {inbox}
    every: 1s
topics:
  NATO: [NATO]
watchlists:
  nato:
    topics: [NATO]
    channels: [out]
channels:
  out:
    type: console
settings:
  state_dir: {state}
"""


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _write(path: Path, text: str) -> None:
    """Write ``text`` with an mtime one second later than before, as a later edit has
    (some file systems keep whole seconds)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    later = max(path.stat().st_mtime_ns, before + 1_000_000_000)
    os.utime(path, ns=(later, later))


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    _write(folder / "monitor.yaml", BASE.format(inbox=tmp_path / "inbox", state=tmp_path / "s"))
    return folder


def _reloader(path: Path, **options: Any) -> ConfigReloader:
    options.setdefault("interval", 0.0)
    options.setdefault("settle", 0.0)
    return ConfigReloader.start(path, **options)


def _events(logs: Sequence[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


def test_a_valid_change_is_swapped_in_and_counted(cfg: Path, tmp_path: Path) -> None:
    reloader = _reloader(cfg)
    assert reloader.check() is None  # nothing changed since the start
    extra = "  - id: second\n    path: {inbox}2\n    every: 5s\n".format(inbox=tmp_path / "inbox")
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    text = text.replace("topics:\n", extra + "topics:\n", 1)
    text = text.replace(
        "channels:\n  out:", "  more:\n    topics: [NATO]\n    channels: [out]\nchannels:\n  out:"
    )
    _write(cfg / "monitor.yaml", text)
    with capture_logs() as logs:
        new = reloader.check()
    assert new is not None and reloader.config is new
    assert [feed.id for feed in new.feeds] == ["desk", "second"]
    assert set(new.watchlists) == {"nato", "more"}
    [line] = _events(logs, "config_reloaded")
    assert (line["feeds"], line["feeds_added"], line["feeds_removed"]) == (2, 1, 0)
    assert (line["watchlists"], line["watchlists_added"]) == (2, 1)


def test_a_new_file_in_the_folder_is_picked_up(cfg: Path, tmp_path: Path) -> None:
    reloader = _reloader(cfg)
    _write(cfg / "more.yaml", "topics:\n  Ukraine: [Ukraine]\n")
    new = reloader.check()
    assert new is not None and set(new.topics) == {"NATO", "Ukraine"}


def test_an_invalid_change_keeps_the_last_good_config_and_logs_every_error(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_URL", "ftp://user:s3cret@example.net/hook")
    reloader = _reloader(cfg)
    good = reloader.config
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    bad = text.replace("every: 1s", "every: soon").replace(
        "    type: console\n", "    type: webhook\n    url: ${HOOK_URL}\n"
    )
    _write(cfg / "monitor.yaml", bad)
    with capture_logs() as logs:
        assert reloader.check() is None
    assert reloader.config is good
    [line] = _events(logs, "config_rejected")
    errors = line["errors"]
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"{cfg / 'monitor.yaml'}:4: feeds[desk].every: "), errors
    assert errors[1].startswith(f"{cfg / 'monitor.yaml'}:14: channels.out.url: "), errors
    assert "s3cret" not in repr(logs)

    # the same bad files are not read again, however often it looks
    with capture_logs() as logs:
        for _ in range(3):
            assert reloader.check() is None
    assert logs == []

    # fixed: swapped in
    _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: 2s"))
    new = reloader.check()
    assert new is not None and new.feeds[0].every == 2.0


def test_a_folder_emptied_or_gone_is_refused_too(cfg: Path) -> None:
    reloader = _reloader(cfg)
    good = reloader.config
    (cfg / "monitor.yaml").rename(cfg / "monitor.yaml.bak")
    with capture_logs() as logs:
        assert reloader.check() is None
    assert reloader.config is good
    assert [entry["errors"] for entry in _events(logs, "config_rejected")] == [
        [f"{cfg}: no *.yaml or *.yml files in this directory"]
    ]


def test_unchanged_files_are_not_read_again(cfg: Path) -> None:
    loads: list[Path] = []

    def counting_load(path: Path) -> Config:
        loads.append(path)
        return load_config(path)

    reloader = _reloader(cfg, load=counting_load)
    for _ in range(5):
        assert reloader.check() is None
    assert len(loads) == 1  # the start
    # touched but the same content: read, not swapped
    _write(cfg / "monitor.yaml", (cfg / "monitor.yaml").read_text(encoding="utf-8"))
    with capture_logs() as logs:
        assert reloader.check() is None
    assert len(loads) == 2
    assert [entry["event"] for entry in logs] == ["config_unchanged"]


def test_a_request_reads_the_files_even_unchanged(cfg: Path) -> None:
    loads: list[Path] = []

    def counting_load(path: Path) -> Config:
        loads.append(path)
        return load_config(path)

    clock = _Clock()
    reloader = _reloader(cfg, load=counting_load, interval=60.0, clock=clock)
    reloader.check()
    reloader.request()  # SIGHUP: not held back by the interval either
    reloader.check()
    assert len(loads) == 2


def test_checks_are_throttled_and_wait_for_a_file_to_settle(cfg: Path) -> None:
    clock, wall = _Clock(), _Clock()
    reloader = _reloader(cfg, interval=5.0, settle=2.0, clock=clock, wall_clock=wall)
    assert reloader.check() is None  # the first check stats, finds nothing new
    _write(cfg / "monitor.yaml", (cfg / "monitor.yaml").read_text().replace("1s", "3s"))
    wall.now = (cfg / "monitor.yaml").stat().st_mtime + 0.5  # still being written, maybe
    clock.now += 1.0
    assert reloader.check() is None  # within the interval: not even a stat
    clock.now += 5.0
    assert reloader.check() is None  # stat'ed: changed half a second ago, not settled
    wall.now += 2.0
    clock.now += 5.0
    new = reloader.check()
    assert new is not None and new.feeds[0].every == 3.0


def test_a_restart_only_setting_keeps_its_value_with_one_warning(cfg: Path, tmp_path: Path) -> None:
    reloader = _reloader(cfg)
    old_state = reloader.config.settings.state_dir
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    text = text.replace(str(tmp_path / "s"), str(tmp_path / "elsewhere"))
    text = text.replace("every: 1s", "every: 7s")
    _write(cfg / "monitor.yaml", text + "  fetch_timeout: 5s\n")
    with capture_logs() as logs:
        new = reloader.check()
    assert new is not None
    assert new.settings.state_dir == old_state
    assert new.settings.fetch_timeout == 5.0  # the rest of the change is taken
    assert new.feeds[0].every == 7.0
    warnings = _events(logs, "config_restart_needed")
    assert [entry["key"] for entry in warnings] == ["settings.state_dir"]
    assert "elsewhere" not in repr(logs)


def test_only_a_restart_only_change_swaps_nothing(cfg: Path, tmp_path: Path) -> None:
    reloader = _reloader(cfg)
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    _write(cfg / "monitor.yaml", text.replace(str(tmp_path / "s"), str(tmp_path / "t")))
    with capture_logs() as logs:
        assert reloader.check() is None
    assert [entry["event"] for entry in logs] == ["config_restart_needed", "config_unchanged"]


def test_the_runner_polls_new_feeds_and_drops_removed_ones(cfg: Path, tmp_path: Path) -> None:
    reloader = _reloader(cfg)
    config = reloader.config
    runtime = Runtime(config, MemoryStore(), build_matcher(config), build_channels(config))
    runner = EmbeddedRunner(runtime, reloader=reloader)
    runner._next_due = {"desk": 123.0}
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  - id: desk\n", "  - id: other\n    path: /nowhere\n    every: 1s\n  - id: desk\n"
    )
    _write(cfg / "monitor.yaml", text)
    runner._reload()
    assert runner.runtime.config is reloader.config and runner.runtime.store is runtime.store
    assert runner._next_due["desk"] == 123.0 and "other" in runner._next_due
    _write(cfg / "monitor.yaml", text.replace("  - id: desk\n    path", "  - id: gone\n    path"))
    runner._reload()
    assert set(runner._next_due) == {"other", "gone"}


def test_a_worker_process_checks_before_building_and_before_each_task(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import app

    def build(
        config: Config, *, distributed: bool = False, matcher: Matcher | None = None
    ) -> Runtime:
        matcher = matcher or build_matcher(config)
        return Runtime(config, MemoryStore(), matcher, build_channels(config))

    monkeypatch.setattr(Runtime, "build", build)
    monkeypatch.setattr(app.process, "runtime", None)
    monkeypatch.setattr(app.process, "reloader", _reloader(cfg))  # as made before the pool forked
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: 2s"))  # since the fork
    first = app.runtime()
    assert first.config.feeds[0].every == 2.0
    assert app.runtime() is first  # nothing changed: the same runtime
    _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: soon"))
    with capture_logs() as logs:
        assert app.runtime() is first  # refused: the last good one
    assert _events(logs, "config_rejected")
    _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: 3s"))
    second = app.runtime()
    assert second.config.feeds[0].every == 3.0 and second.store is first.store


def test_a_quiet_reloader_swaps_and_refuses_alike_and_logs_nothing(cfg: Path) -> None:
    reloader = _reloader(cfg)
    reloader.quiet = True
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    with capture_logs() as logs:
        _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: 2s"))
        good = reloader.check()
        assert good is not None and reloader.config is good
        _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: soon"))
        assert reloader.check() is None and reloader.config is good
    assert logs == []


def test_a_new_pool_child_inherits_a_quiet_reloader_and_logs_again(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import app

    reloader = _reloader(cfg)
    reloader.quiet = True  # as the main process left it
    monkeypatch.setattr(app.process, "reloader", reloader)
    monkeypatch.setattr(app.process, "runtime", None)
    app._reset_runtime()
    assert reloader.quiet is False
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: soon"))
    with capture_logs() as logs:
        assert reloader.check() is None
    assert _events(logs, "config_rejected")


def test_a_new_pool_child_is_not_held_back_by_its_parents_last_look(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main process looked at the files just before a change settled and kept its
    config; a child forked a moment later must look for itself at its first task, not
    wait out the interval its parent started, running the old config meanwhile."""
    from workers import app

    clock, wall = _Clock(), _Clock()
    reloader = _reloader(cfg, interval=5.0, settle=1.0, clock=clock, wall_clock=wall)
    text = (cfg / "monitor.yaml").read_text(encoding="utf-8")
    _write(cfg / "monitor.yaml", text.replace("every: 1s", "every: 3s"))
    wall.now = (cfg / "monitor.yaml").stat().st_mtime + 0.5
    assert reloader.check() is None  # the parent's look: changed, not settled yet
    wall.now += 1.0  # settled now; the interval the parent started still runs
    monkeypatch.setattr(app.process, "reloader", reloader)
    monkeypatch.setattr(app.process, "runtime", None)
    app._reset_runtime()  # the child's start
    new = reloader.check()
    assert new is not None and new.feeds[0].every == 3.0


def test_a_retry_for_a_channel_a_reload_removed_is_skipped(cfg: Path) -> None:
    config = load_config(cfg)
    runtime = Runtime(config, MemoryStore(), build_matcher(config), build_channels(config))
    item = WireItem(id="x1", title="NATO summit", body="NATO met.", source="t")
    [alert] = process_item(item, runtime.matcher, runtime.store, config, now=utcnow())
    assert alert.channels == ("out",)
    with capture_logs() as logs:  # the config of the retry has no channel "out" any more
        results = deliver_alerts([alert], {}, runtime.store, config, now=utcnow(), only="out")
    assert results == []
    assert [entry["channel"] for entry in _events(logs, "delivery_skipped")] == ["out"]
