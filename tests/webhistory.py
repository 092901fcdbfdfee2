"""A history for the web console's tests, filled the way the monitor fills it: the
seed stories read by the project's parsers, matched by its matcher against the shipped
config, alerts decided on by its story logic, all written by ``History.write`` with
delivery attempts; plus a hostile item whose headline carries markup and a bidi
override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.alerts.decide import decide
from monitor.config.loader import load_config
from monitor.config.schema import Config, WebSettings
from monitor.history import DeliveryAttempt, History, HistoryBatch
from monitor.match.engine import build_matcher
from monitor.model import Alert, Match, WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.state.memory import MemoryStore
from tests.helpers import ROOT, SEEDS

HOSTILE_TITLE = (
    '<script>window.pwned=1</script> NATO \u202eevil\u202c <img src=x onerror="window.pwned=2">'
)
HOSTILE = WireItem(
    id="hostile-1",
    title=HOSTILE_TITLE,
    body="NATO talks <b>bold</b> \u202e reversed",
    source="http://127.0.0.1/hostile",
    language="en",
    feed_id="desk-drop",
)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "a-web-token-of-32-characters-xyz"


def shipped_config(state: Path, token: str | None = None) -> Config:
    config = load_config(ROOT / "config" / "monitor.yaml", env={"MONITOR_STATE_DIR": str(state)})
    if token is None:
        return config
    settings = config.settings.model_copy(update={"web": WebSettings(token=token)})
    return config.model_copy(update={"settings": settings})


def seed_items() -> list[WireItem]:
    found = []
    for path in sorted(SEEDS.glob("*.txt")):
        context = SourceContext(source=str(path), feed_id="desk-drop")
        found.extend(parse_bytes(path.read_bytes(), context))
    return found


def fill(history: History, config: Config) -> dict[str, Alert]:
    """Write the seeds and the hostile item, each matched and decided on as the runner
    does, a minute apart (the first item the oldest); the alerts by item id."""
    matcher = build_matcher(config)
    store = MemoryStore()
    items = [*seed_items(), HOSTILE]
    alerts: dict[str, Alert] = {}
    matches: list[tuple[str, Match]] = []
    attempts: list[DeliveryAttempt] = []
    for index, item in enumerate(items):
        at = NOW + timedelta(minutes=index)
        for match in matcher.match(item):
            matches.append((item.id, match))
            window = config.settings.story_window
            alert = decide(match, item, store, window=window, now=at.timestamp())
            if alert is None:
                continue
            alerts[item.id] = alert
            attempts.append(DeliveryAttempt(alert.id, "stdout", 1, "sent", at))
            attempts.append(DeliveryAttempt(alert.id, "archive", 1, "retry", at, "disk full"))
            attempts.append(
                DeliveryAttempt(alert.id, "archive", 2, "sent", at + timedelta(seconds=30))
            )
    history.write(
        HistoryBatch(
            items=tuple(items),
            matches=tuple(matches),
            alerts=tuple(alerts.values()),
            deliveries=tuple(attempts),
        ),
        now=NOW,
    )
    return alerts
