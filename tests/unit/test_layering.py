"""The import rules of docs/architecture.md, checked on the source: one outside library
enters through one module, ``monitor/`` never imports Celery or ``workers``, and
only ``monitor/config/`` reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MONITOR = ROOT / "monitor"
# every migration speaks both (SQL through SQLAlchemy, operations through Alembic)
MIGRATIONS = "monitor/history/migrations/versions/"

# library -> the only modules (relative to the repo root) allowed to import it
GATEKEEPERS = {
    "celery": None,  # never, anywhere in monitor/
    "kombu": None,
    "workers": None,
    "httpx": {
        "monitor/net/transport.py",
        "monitor/sources/fetch.py",
        "monitor/alerts/channels/webhook.py",
    },
    "httpcore": {"monitor/net/transport.py"},
    "redis": {"monitor/state/redis.py"},
    "apprise": {"monitor/alerts/channels/apprise_channel.py"},
    # feeds: the full parser; fastfeed: its lxml fast path, on feedparser's own
    # date parser, URL join and text fixes so that both give the same items.
    "feedparser": {"monitor/sources/feeds.py", "monitor/sources/fastfeed.py"},
    "sqlalchemy": {
        "monitor/history/alert_pages.py",  # the web console's pages of alerts
        "monitor/history/database.py",
        "monitor/history/readers.py",  # the operators' queries (stats, feeds, replay)
        "monitor/history/search.py",
        "monitor/history/store.py",
        "monitor/history/tables.py",
        MIGRATIONS,
    },
    "alembic": {
        "monitor/history/migrations/versions/0002_alerts_by_item.py",
        "monitor/history/database.py",
        "monitor/history/migrations/env.py",
        MIGRATIONS,
    },
}


def _within(module: str, place: str) -> bool:
    """Whether ``module`` is ``place``, or lies in it when it is a folder (ends in /)."""
    return module.startswith(place) if place.endswith("/") else module == place


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules() -> list[Path]:
    return sorted(MONITOR.rglob("*.py"))


def test_the_package_has_modules() -> None:
    assert len(_modules()) > 10


@pytest.mark.parametrize("library", sorted(GATEKEEPERS))
def test_library_enters_through_one_module(library: str) -> None:
    allowed = GATEKEEPERS[library] or set()
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules()
        if library in _imports(path)
        and not any(_within(str(path.relative_to(ROOT)), place) for place in allowed)
    ]
    assert offenders == [], f"{library} imported outside {sorted(allowed) or 'nowhere'}"


def test_environment_read_only_in_config() -> None:
    offenders = []
    for path in _modules():
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("monitor", "config"):
            continue
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "getenv(" in text:
            offenders.append(str(relative))
    assert offenders == []


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for path in [*_modules(), *sorted((ROOT / "workers").rglob("*.py"))]
        if path.stat().st_size
        and ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []


def test_the_network_edge_depends_on_no_other_part() -> None:
    """``monitor/net`` is used by config, sources and channels: it imports none of
    them (only the error classes), so that any of them can use it."""
    offenders = []
    for path in sorted((MONITOR / "net").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                top = node.module.split(".")
                if top[0] == "monitor" and top[1:2] not in (["net"], ["errors"]):
                    offenders.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert offenders == []
