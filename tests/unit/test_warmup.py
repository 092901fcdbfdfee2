"""A worker's main process loads, before its pool forks, what the first items would
(``monitor.warmup``); its children take the matcher it built for the config they run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.match.engine import build_matcher
from monitor.model import WireItem
from monitor.warmup import warm_up
from tests.helpers import SEED_AR, example_config
from workers import app as app_module


def _seed_item() -> WireItem:
    from monitor.sources.context import SourceContext
    from monitor.sources.detect import parse_bytes

    [item] = parse_bytes(SEED_AR.read_bytes(), SourceContext(source=SEED_AR.name))
    return item


def test_the_warmed_matcher_matches_as_one_built_anew(tmp_path: Path) -> None:
    from monitor.config.loader import load_config

    config = load_config(example_config(tmp_path))
    item = _seed_item()
    warmed = warm_up(config).match(item)
    assert warmed, "the first customer's story raises its alert"
    assert warmed == build_matcher(config).match(item)


def test_warming_up_loads_the_parsers_the_language_model_and_the_tls_context() -> None:
    """In a fresh interpreter: the lazy imports happen in ``warm_up``, not on a first item."""
    script = (
        "import sys\n"
        "from monitor.config.loader import load_config\n"
        "from monitor.warmup import warm_up\n"
        "from pathlib import Path\n"
        "from monitor.net.transport import tls_context\n"
        "lazy = ('selectolax.lexbor', 'py3langid.langid')\n"
        "before = [m for m in lazy if m in sys.modules], tls_context.cache_info().currsize\n"
        "warm_up(load_config(Path(sys.argv[1])))\n"
        "print(before, [m for m in lazy if m in sys.modules], tls_context.cache_info().currsize)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script, str(root / "config")],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout
    # and the fetches' TLS context: made there, not by each child's first fetch
    assert out.strip() == "([], 0) ['selectolax.lexbor', 'py3langid.langid'] 1", out


def test_a_child_takes_the_warmed_matcher_for_the_config_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = example_config(tmp_path)
    monkeypatch.setenv("MONITOR_BROKER_URL", "redis://127.0.0.1:1/0")  # never connected
    monkeypatch.setenv("MONITOR_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(app_module, "process", app_module.ProcessState(config_path=config_dir))
    app_module.warm_up()
    assert app_module.process.warmed is not None
    warmed_config, warmed_matcher = app_module.process.warmed
    app_module.process.runtime = None  # what a pool child starts with (_reset_runtime)
    runtime = app_module.runtime()
    assert runtime.config is warmed_config and runtime.matcher is warmed_matcher

    # a child forked after the main process read another config builds its own
    app_module.process.warmed = (warmed_config.model_copy(), warmed_matcher)
    app_module.process.runtime = None
    assert app_module.runtime().matcher is not warmed_matcher
