"""The history store: batched, idempotent writes; retention; the commands' readers.

Does I/O (SQL through SQLAlchemy Core). A batch is one transaction: all of it is
written or none. Every write is an upsert keyed by the thing's own id, so writing
the same batch again (a retried task, a re-run) changes nothing: items by id,
matches by (item, watchlist), alerts by id (the highest ``update`` wins), delivery
attempts by (alert, channel, series, attempt). A connection fault raises
``TransientHistoryError``: the caller retries the whole batch; any other database
error is a ``HistoryError``. NUL characters, which PostgreSQL text cannot hold, are
dropped from every text column, and lone surrogates (a badly decoded feed), which
neither database encodes, become U+FFFD there and in JSON. An item counts as seen
when it was fetched (``fetched_at``), else when it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from monitor.config.schema import DEFAULT_HISTORY_RETENTION
from monitor.errors import HistoryError, MonitorError, TransientHistoryError, one_line
from monitor.history.database import storable
from monitor.history.fulltext import KeyQuery, item_keys, parse_search
from monitor.history.records import (
    DeliveryAttempt,
    FeedStats,
    HistoryBatch,
    StoredAlert,
    StoredItem,
    StoryAddition,
)
from monitor.history.search import key_condition
from monitor.history.tables import alerts, deliveries, items, items_fts, matches
from monitor.model import Alert, WireItem

__all__ = ["DEFAULT_RETENTION", "History"]

DEFAULT_RETENTION = DEFAULT_HISTORY_RETENTION
# ids per IN (...) list: SQLite caps bound parameters per statement
_IN_CHUNK = 500


def utc_naive(moment: datetime) -> datetime:
    """``moment`` as naive UTC, the way the tables keep times."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _parse_time(text: str | None, default: datetime) -> datetime:
    if text:
        try:
            return utc_naive(datetime.fromisoformat(text))
        except ValueError:
            pass
    return default


_ITEM_COLUMNS = (items.c.data, items.c.title, items.c.body, items.c.seen_at)


def _stored_item(row: sa.Row[Any]) -> StoredItem:
    item = WireItem.from_dict({**row.data, "title": row.title, "body": row.body})
    return StoredItem(item, _aware(row.seen_at))


def _storable_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: storable(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]


def _last_by(rows: Iterable[dict[str, Any]], *key: str) -> list[dict[str, Any]]:
    """One row per key, the last given (PostgreSQL refuses an upsert touching the same
    row twice), in key order: two writers locking rows in one order cannot deadlock."""
    latest = {tuple(row[k] for k in key): row for row in rows}
    return [latest[k] for k in sorted(latest)]


class History:
    """The history on one engine (see ``monitor.history.open_history``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._insert = sqlite.insert if self.dialect == "sqlite" else postgresql.insert

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _fault(self, exc: SQLAlchemyError, doing: str) -> MonitorError:
        """Connection faults (server down, restarting, locked) may pass; anything else
        (a constraint, bad data) would fail again, so it is not worth a retry."""
        where = self.engine.url.render_as_string(hide_password=True)
        detail = one_line(str(getattr(exc, "orig", None) or exc), 200)
        message = f"history {where}: {doing} failed: {detail}"
        if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)):
            return TransientHistoryError(message)
        return HistoryError(message)

    # -- writing ---------------------------------------------------------------

    def write(self, batch: HistoryBatch, now: datetime | None = None) -> None:
        """Write ``batch`` in one transaction (see the module docstring)."""
        moment = utc_naive(now or datetime.now(UTC))
        try:
            with self.engine.begin() as connection:
                self._write(connection, batch, moment)
        except SQLAlchemyError as exc:
            raise self._fault(exc, "writing a batch") from None

    def _upsert(
        self,
        connection: sa.Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        key: Sequence[str],
        keep: Sequence[str] = (),
        newer: str | None = None,
    ) -> None:
        """Insert ``rows``, or update those whose ``key`` is there (all columns but
        ``key`` and ``keep``; with ``newer``, only where the new value is not lower)."""
        if rows:
            rows = _last_by(_storable_rows(rows), *key)
            connection.execute(self._upsert_statement(table, rows[0], key, keep, newer), rows)

    def _upsert_statement(
        self,
        table: sa.Table,
        row: dict[str, Any],
        key: Sequence[str],
        keep: Sequence[str] = (),
        newer: str | None = None,
    ) -> sa.Executable:
        statement = self._insert(table)
        where = None if newer is None else statement.excluded[newer] >= table.c[newer]
        updated = {
            column: statement.excluded[column]
            for column in row
            if column not in key and column not in keep
        }
        return statement.on_conflict_do_update(index_elements=list(key), set_=updated, where=where)

    def _write_items(self, connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
        """Upsert the items' ``rows``; an item seen again keeps when it was first seen
        (retention counts from it). SQLite: the new items are inserted first, and their
        keys go into the full-text index in one statement for the batch (one trigger
        per row cost several times more: revision 0004); an item written again is
        updated, and re-indexed by the update trigger."""
        if self.dialect != "sqlite":
            self._upsert(connection, items, rows, ["id"], keep=["seen_at"])
            return
        if not rows:
            return
        rows = _last_by(_storable_rows(rows), "id")
        # RETURNING (SQLite 3.35) names the rows this very statement inserted, in the
        # transaction it begins: a row another writer inserted meanwhile is never
        # taken for new, so no item is indexed twice.
        inserted = connection.execute(
            sqlite.insert(items).on_conflict_do_nothing().returning(items.c.pk, items.c.id), rows
        ).all()
        new = {row.id for row in inserted}
        again = [row for row in rows if row["id"] not in new]
        if again:
            connection.execute(self._upsert_statement(items, again[0], ["id"], ["seen_at"]), again)
        pks = sorted(row.pk for row in inserted)
        for start in range(0, len(pks), _IN_CHUNK):
            indexed = sa.select(items.c.pk, items.c["keys"]).where(
                items.c.pk.in_(pks[start : start + _IN_CHUNK])
            )
            connection.execute(sa.insert(items_fts).from_select(["rowid", "keys"], indexed))

    def _write(self, connection: sa.Connection, batch: HistoryBatch, now: datetime) -> None:
        self._write_items(connection, [self._item_row(item, now) for item in batch.items])
        match_rows = [
            {
                "item_id": item_id,
                "watchlist": match.watchlist,
                "seen_at": now,
                "topics": list(match.topics),
                "speakers": [s.to_dict() for s in match.speakers],
                "hits": [h.to_dict() for h in match.hits],
            }
            for item_id, match in batch.matches
        ]
        self._upsert(connection, matches, match_rows, ["item_id", "watchlist"], keep=["seen_at"])
        alert_rows = [
            {
                "id": alert.id,
                "watchlist": alert.watchlist,
                "story_id": alert.story_id,
                "item_id": alert.item.id,
                "created_at": _parse_time(alert.created_at, now),
                "update": alert.update,
                "sources": list(alert.sources),
                "message": alert.to_message(),
            }
            for alert in sorted(batch.alerts, key=lambda a: a.update)
        ]
        self._upsert(
            connection, alerts, alert_rows, ["id"], keep=["created_at", "item_id"], newer="update"
        )
        self._add_sources(connection, batch.additions)
        delivery_rows = self._delivery_rows(connection, batch.deliveries)
        self._upsert(
            connection, deliveries, delivery_rows, ["alert_id", "channel", "series", "attempt"]
        )

    @staticmethod
    def _delivery_rows(
        connection: sa.Connection, attempts: Sequence[DeliveryAttempt]
    ) -> list[dict[str, Any]]:
        """The rows of ``attempts``, each in its series (``DeliveryAttempt``): the one
        given; for one ``retried``, the next after the newest stored for its alert and
        channel (unless that very attempt is stored: a batch written again); else the
        newest series begun by the attempt's time (0 when none was), so an attempt
        written late (the database was away) still joins the series it belongs to."""
        # per (alert, channel): series -> when its first attempt was made
        begun: dict[tuple[str, str], dict[int, datetime]] = {}
        stored: dict[tuple[str, str, int, datetime], int] = {}  # an attempt -> its series
        undecided = sorted({d.alert_id for d in attempts if d.series is None})
        for start in range(0, len(undecided), _IN_CHUNK):
            rows = connection.execute(
                sa.select(
                    deliveries.c.alert_id,
                    deliveries.c.channel,
                    deliveries.c.series,
                    deliveries.c.attempt,
                    deliveries.c.at,
                ).where(deliveries.c.alert_id.in_(undecided[start : start + _IN_CHUNK]))
            )
            for row in rows:
                series_of = begun.setdefault((row.alert_id, row.channel), {})
                series_of[row.series] = min(series_of.get(row.series, row.at), row.at)
                stored[(row.alert_id, row.channel, row.attempt, row.at)] = row.series
        found = []
        for d in attempts:
            at = utc_naive(d.at)
            series = d.series
            if series is None:
                series_of = begun.setdefault((d.alert_id, d.channel), {})
                series = stored.get((d.alert_id, d.channel, d.attempt, at))
                if series is None and d.retried:
                    series = max(series_of, default=0) + 1
                    series_of[series] = at
                elif series is None:
                    series = max((n for n, first in series_of.items() if first <= at), default=0)
            found.append(
                {
                    "alert_id": d.alert_id,
                    "channel": d.channel,
                    "series": series,
                    "attempt": d.attempt,
                    "status": d.status,
                    "detail": d.detail,
                    "at": at,
                }
            )
        return found

    def _add_sources(self, connection: sa.Connection, additions: Iterable[StoryAddition]) -> None:
        """Give stored alerts the outlets their story gathered since ("also carried
        by"), where the addition's update is newer than the alert's."""
        latest: dict[str, StoryAddition] = {}
        for addition in additions:
            if addition.update > getattr(latest.get(addition.alert_id), "update", -1):
                latest[addition.alert_id] = addition
        if not latest:
            return
        rows = connection.execute(
            sa.select(alerts.c.id, alerts.c.message, alerts.c.update)
            .where(alerts.c.id.in_(sorted(latest)))
            .order_by(alerts.c.id)
        )
        for row in rows.all():
            addition = latest[row.id]
            if addition.update <= row.update:
                continue  # known already (a batch written again, a later alert)
            alert = Alert.from_message(row.message)
            sources = tuple(dict.fromkeys((*alert.sources, *addition.sources)))
            message = replace(alert, sources=sources, update=addition.update).to_message()
            connection.execute(
                sa.update(alerts)
                .where(alerts.c.id == row.id)
                .values(sources=list(sources), update=addition.update, message=message)
            )

    @staticmethod
    def _item_row(item: WireItem, now: datetime) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": item.id,
            "story_id": item.story,
            "feed_id": item.feed_id,
            "source": item.source,
            "url": item.url,
            "agency": item.agency,
            "publisher": item.publisher,
            "language": item.language,
            "published": item.published,
            "seen_at": _parse_time(item.fetched_at, now),
            "title": item.title,
            "body": item.body,
            "keys": item_keys(item.title, item.body),
        }
        # the rest of the item, to rebuild it; title and body are columns already
        row["data"] = {k: v for k, v in item.to_dict().items() if k not in ("title", "body")}
        return row

    def prune(self, retention: float = DEFAULT_RETENTION, now: datetime | None = None) -> int:
        """Forget what is older than ``retention`` seconds; the number of rows removed."""
        cutoff = utc_naive(now or datetime.now(UTC)) - timedelta(seconds=retention)
        statements = [
            sa.delete(items).where(items.c.seen_at < cutoff),
            sa.delete(matches).where(matches.c.seen_at < cutoff),
            sa.delete(alerts).where(alerts.c.created_at < cutoff),
            sa.delete(deliveries).where(deliveries.c.at < cutoff),
        ]
        try:
            with self.engine.begin() as connection:
                return sum(connection.execute(s).rowcount for s in statements)
        except SQLAlchemyError as exc:
            raise self._fault(exc, "pruning") from None

    # -- reading ---------------------------------------------------------------

    def _read(self, statement: sa.Executable) -> list[sa.Row[Any]]:
        try:
            with self.engine.connect() as connection:
                return list(connection.execute(statement))
        except SQLAlchemyError as exc:
            raise self._fault(exc, "reading") from None

    def search_items(
        self,
        query: str | KeyQuery,
        *,
        since: datetime | None = None,
        feed: str | None = None,
        language: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[StoredItem]:
        """Items whose words meet every word of ``query`` (``parse_search``), newest
        first, seen since ``since``; ``offset`` pages on. The keys only select
        candidates: ``monitor.history.find`` runs the matcher over them."""
        keys = parse_search(query) if isinstance(query, str) else query
        statement = sa.select(*_ITEM_COLUMNS).where(key_condition(keys, self.dialect))
        if since is not None:
            statement = statement.where(items.c.seen_at >= utc_naive(since))
        if feed is not None:
            statement = statement.where(items.c.feed_id == feed)
        if language is not None:
            statement = statement.where(items.c.language == language)
        statement = statement.order_by(items.c.seen_at.desc(), items.c.pk.desc())
        statement = statement.limit(limit).offset(offset)
        return [_stored_item(row) for row in self._read(statement)]

    def count_items(self) -> int:
        return int(self._read(sa.select(sa.func.count()).select_from(items))[0][0])

    def item(self, item_id: str) -> StoredItem | None:
        rows = self._read(sa.select(*_ITEM_COLUMNS).where(items.c.id == item_id))
        return _stored_item(rows[0]) if rows else None

    def _deliveries(self, alert_ids: list[str]) -> dict[str, list[DeliveryAttempt]]:
        found: dict[str, list[DeliveryAttempt]] = {alert_id: [] for alert_id in alert_ids}
        if not alert_ids:
            return found
        statement = (
            sa.select(deliveries)
            .where(deliveries.c.alert_id.in_(alert_ids))
            .order_by(
                deliveries.c.at, deliveries.c.channel, deliveries.c.series, deliveries.c.attempt
            )
        )
        for row in self._read(statement):
            found[row.alert_id].append(
                DeliveryAttempt(
                    row.alert_id,
                    row.channel,
                    row.attempt,
                    row.status,
                    _aware(row.at),
                    row.detail,
                    series=row.series,
                )
            )
        return found

    def alert(self, alert_id: str) -> StoredAlert | None:
        """One alert with its evidence and every delivery attempt; None if unknown."""
        rows = self._read(
            sa.select(alerts.c.message, alerts.c.created_at).where(alerts.c.id == alert_id)
        )
        if not rows:
            return None
        attempts = self._deliveries([alert_id])[alert_id]
        return StoredAlert(
            Alert.from_message(rows[0].message), _aware(rows[0].created_at), tuple(attempts)
        )

    def alerts(
        self,
        *,
        watchlist: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        with_deliveries: bool = False,
    ) -> list[StoredAlert]:
        """Alerts, newest first, of one watchlist and/or created since a time."""
        statement = sa.select(alerts.c.id, alerts.c.message, alerts.c.created_at)
        if watchlist is not None:
            statement = statement.where(alerts.c.watchlist == watchlist)
        if since is not None:
            statement = statement.where(alerts.c.created_at >= utc_naive(since))
        statement = statement.order_by(alerts.c.created_at.desc(), alerts.c.id).limit(limit)
        rows = self._read(statement)
        attempts = self._deliveries([row.id for row in rows]) if with_deliveries else {}
        return [
            StoredAlert(
                Alert.from_message(row.message),
                _aware(row.created_at),
                tuple(attempts.get(row.id, ())),
            )
            for row in rows
        ]

    def feed_stats(self, *, since: datetime | None = None) -> list[FeedStats]:
        """Per feed: items seen, items matched, alerts, first and last seen."""
        window = [] if since is None else [items.c.seen_at >= utc_naive(since)]
        matched = sa.select(matches.c.item_id).distinct().subquery()
        alerted = (
            sa.select(alerts.c.item_id, sa.func.count().label("n"))
            .group_by(alerts.c.item_id)
            .subquery()
        )
        statement = (
            sa.select(
                items.c.feed_id,
                sa.func.count().label("items"),
                sa.func.count(matched.c.item_id).label("matched"),
                sa.func.coalesce(sa.func.sum(alerted.c.n), 0).label("alerts"),
                sa.func.min(items.c.seen_at).label("first_seen"),
                sa.func.max(items.c.seen_at).label("last_seen"),
            )
            .select_from(
                items.outerjoin(matched, matched.c.item_id == items.c.id).outerjoin(
                    alerted, alerted.c.item_id == items.c.id
                )
            )
            .where(*window)
            .group_by(items.c.feed_id)
            .order_by(items.c.feed_id)
        )
        return [
            FeedStats(
                row.feed_id,
                int(row.items),
                int(row.matched),
                int(row.alerts),
                _aware(row.first_seen),
                _aware(row.last_seen),
            )
            for row in self._read(statement)
        ]
