"""A history for the web console's tests, filled the way the monitor fills it: the
seed stories read by the project's parsers, matched by its matcher against the shipped
config, their alerts and delivery attempts written by ``History.write``; plus a
hostile item whose headline carries markup and a bidi override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config.loader import load_config
from monitor.config.schema import Config, WebSettings
from monitor.history import DeliveryAttempt, History, HistoryBatch
from monitor.match.engine import build_matcher
from monitor.model import Alert, Match, WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
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


def alert_of(item: WireItem, match: Match, ident: str, at: datetime) -> Alert:
    return Alert(
        id=ident,
        watchlist=match.watchlist,
        item=item,
        topics=match.topics,
        speakers=match.speakers,
        hits=match.hits,
        story_id=item.story,
        sources=(item.publisher or item.source,),
        channels=("stdout", "archive"),
        created_at=at.isoformat(),
    )


def fill(history: History, config: Config) -> dict[str, Alert]:
    """Write the seeds and the hostile item; the alerts by item id (a minute apart,
    the first item the oldest)."""
    matcher = build_matcher(config)
    items = [*seed_items(), HOSTILE]
    alerts: dict[str, Alert] = {}
    matches: list[tuple[str, Match]] = []
    attempts: list[DeliveryAttempt] = []
    for index, item in enumerate(items):
        for match in matcher.match(item):
            at = NOW + timedelta(minutes=index)
            alert = alert_of(item, match, f"alrt_{index:03d}", at)
            alerts[item.id] = alert
            matches.append((item.id, match))
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
