"""The history store on real SQLite and real PostgreSQL: one suite, both databases.

PostgreSQL is ``$HISTORY_PG_URL`` (default: trust auth on 127.0.0.1:5432, database
``test``); each test gets a schema of its own, dropped afterwards, so parallel runs do
not meet. Without a server the PostgreSQL cases skip locally and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from monitor.config import load_config
from monitor.errors import HistoryError, TransientHistoryError
from monitor.history import (
    DeliveryAttempt,
    History,
    HistoryBatch,
    open_history,
    tables,
)
from monitor.history.database import HEAD, create_history_engine, migrate
from monitor.history.find import search
from monitor.model import Alert, Hit, Match, SpeakerMatch, WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from tests.helpers import (
    CORPUS,
    ROOT,
    SEEDS,
    corpus_items,
    example_config,
    free_port,
    monitor_env,
    run_monitor,
)

pytestmark = pytest.mark.integration

PG_URL = os.environ.get("HISTORY_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL for the history tests: {reason}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the test server; the URL puts it first on the search path."""
    schema = f"history_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as exc:
        _pg_unavailable(str(exc).strip().splitlines()[0])
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'history.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def history(url: str) -> Iterator[History]:
    with open_history(url) as opened:
        yield opened


def item(ident: str, title: str, body: str = "", **extra: object) -> WireItem:
    values: dict[str, object] = {"source": f"https://example.org/{ident}", "feed_id": "wire"}
    values.update(extra)
    return WireItem(id=ident, title=title, body=body, **values)  # type: ignore[arg-type]


def alert(ident: str, of: WireItem, update: int = 0, sources: tuple[str, ...] = ()) -> Alert:
    return Alert(
        id=ident,
        watchlist="russia-nato",
        item=of,
        topics=("NATO",),
        speakers=(SpeakerMatch("Dmitry Peskov", "quoted", "we are not negotiating"),),
        hits=(Hit("body", 4, 10, "NATO", topic="NATO", snippet="on NATO today"),),
        story_id=of.story,
        sources=sources or ("UrduPoint",),
        channels=("console",),
        created_at=NOW.isoformat(),
        update=update,
    )


def counts(history: History) -> dict[str, int]:
    with history.engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("items", "matches", "alerts", "deliveries")
        }


def ids(found: list[object]) -> list[str]:
    return [entry.item.id for entry in found]  # type: ignore[attr-defined]


def assert_index_whole(engine: sa.Engine) -> None:
    """SQLite: the full-text index holds the keys of every item, once (FTS5 checks it
    against its content table, ``items``, and fails as malformed); PostgreSQL's GIN
    index is kept by the database itself."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
            )


ARABIC = item(
    "ar1", "بيسكوف: روسيا لا تتفاوض", "وقال إن والناتو لن يحصل على ضماناتها", language="ar"
)
RUSSIAN = item("ru1", "Заявление Пескова", "Песков сказал, что НАТО расширяется", language="ru")
ENGLISH = item(
    "en1", "Senator speaks", "The senator spoke on trade.", language="en", feed_id="agency"
)


def test_opening_creates_the_schema_at_head_and_reopening_keeps_it(url: str) -> None:
    with open_history(url) as first:
        first.write(HistoryBatch(items=(ARABIC,)), now=NOW)
    with open_history(url) as second:
        assert version(second.engine) == HEAD
        assert second.count_items() == 1


# deliveries as revisions 0001 and 0002 made them: keyed by (alert, channel, attempt)
DELIVERIES_0001 = sa.Table(
    "deliveries",
    sa.MetaData(),
    *(sa.Column(name, sa.String, primary_key=True) for name in ("alert_id", "channel")),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("status", sa.String),
    sa.Column("detail", sa.Text),
    sa.Column("at", sa.DateTime()),
)


def attempts_of(history: History, alert_id: str) -> list[tuple[int | None, str, int, str]]:
    stored = history.alert(alert_id)
    assert stored is not None
    return [(d.series, d.channel, d.attempt, d.status) for d in stored.deliveries]


@pytest.mark.parametrize("previous", ["0001", "0002"])
def test_an_upgrade_from_a_previous_revision_keeps_every_row(url: str, previous: str) -> None:
    engine = create_history_engine(url)
    try:
        migrate(engine, previous)
        assert version(engine) == previous
        # what a monitor at that revision wrote: an item, its match, its alert dead-lettered
        sent = alert("al1", ARABIC)
        with engine.begin() as conn:
            conn.execute(tables.items.insert(), [History._item_row(ARABIC, NOW)])
            conn.execute(
                tables.matches.insert(),
                [{"item_id": "ar1", "watchlist": "russia-nato", "seen_at": NOW, "topics": ["NATO"],
                  "speakers": [], "hits": [h.to_dict() for h in sent.hits]}],
            )  # fmt: skip
            conn.execute(
                tables.alerts.insert(),
                [{"id": "al1", "watchlist": "russia-nato", "story_id": sent.story_id,
                  "item_id": "ar1", "created_at": NOW, "update": 0, "sources": ["UrduPoint"],
                  "message": sent.to_message()}],
            )  # fmt: skip
            conn.execute(
                DELIVERIES_0001.insert(),
                [
                    {"alert_id": "al1", "channel": "webhook", "attempt": 1, "status": "retry",
                     "detail": "HTTP 503", "at": NOW},
                    {"alert_id": "al1", "channel": "webhook", "attempt": 2, "status": "dead",
                     "detail": "HTTP 503", "at": NOW + timedelta(minutes=1)},
                ],
            )  # fmt: skip
        migrate(engine)
        assert version(engine) == HEAD
        history = History(engine)
        stored = history.alert("al1")
        assert stored is not None and stored.alert == sent and stored.created_at == NOW
        assert [d.detail for d in stored.deliveries] == ["HTTP 503", "HTTP 503"]
        assert attempts_of(history, "al1") == [
            (0, "webhook", 1, "retry"),
            (0, "webhook", 2, "dead"),
        ]
        assert ids(history.search_items("الناتو")) == ["ar1"]  # the full-text index still works
        assert counts(history) == {"items": 1, "matches": 1, "alerts": 1, "deliveries": 2}
        indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("items")}
        assert "ix_items_story_id" in indexes

        # What 0003 is for: `alerts retry` starts a new series at attempt 1, kept beside
        # the first; a runner's later attempt goes on in it; a batch written again
        # changes nothing.
        retried = DeliveryAttempt("al1", "webhook", 1, "retry", NOW + DAY, "HTTP 502", retried=True)
        later = DeliveryAttempt("al1", "webhook", 2, "sent", NOW + DAY + timedelta(minutes=1))
        for _ in range(2):
            history.write(HistoryBatch(deliveries=(retried,)), now=NOW + DAY)
            history.write(HistoryBatch(deliveries=(later,)), now=NOW + DAY)
        assert attempts_of(history, "al1") == [
            (0, "webhook", 1, "retry"),
            (0, "webhook", 2, "dead"),
            (1, "webhook", 1, "retry"),
            (1, "webhook", 2, "sent"),
        ]

        # Down again: of attempts numbered alike, the newest series' stays.
        downgrade(engine, previous)
        assert version(engine) == previous
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(DELIVERIES_0001.c.attempt, DELIVERIES_0001.c.status).order_by("attempt")
            ).all()
        assert [tuple(row) for row in rows] == [(1, "retry"), (2, "sent")]
        migrate(engine)
        assert attempts_of(history, "al1") == [
            (0, "webhook", 1, "retry"),
            (0, "webhook", 2, "sent"),
        ]
        assert ids(history.search_items("الناتو")) == ["ar1"]
    finally:
        engine.dispose()


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Alembic's downgrade, on the migrations the package ships."""
    from alembic import command
    from alembic.config import Config

    from monitor.history.database import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def version(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar())


def test_migrations_go_down_to_empty_and_up_again(url: str) -> None:
    engine = create_history_engine(url)
    try:
        migrate(engine)
        downgrade(engine, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        history = History(engine)
        history.write(HistoryBatch(items=(ARABIC,)), now=NOW)
        assert ids(history.search_items("الناتو")) == ["ar1"]
    finally:
        engine.dispose()


def test_items_indexed_before_and_after_0004_are_found_alike(url: str) -> None:
    """0004 (SQLite) moved the indexing of new items from a trigger per row into
    ``History.write``: items indexed either way are found, each once, up and down."""
    engine = create_history_engine(url)
    try:
        migrate(engine, "0003")
        with engine.begin() as conn:  # as a monitor at 0003 wrote it: its trigger indexed it
            conn.execute(tables.items.insert(), [History._item_row(ARABIC, NOW)])
        migrate(engine)
        history = History(engine)
        history.write(HistoryBatch(items=(item("ar2", "الناتو يرد"), RUSSIAN)), now=NOW + DAY)
        assert ids(history.search_items("الناتو")) == ["ar2", "ar1"]
        assert ids(history.search_items("Песков")) == ["ru1"]
        # the item from before written again beside a new one: found by its new words
        again = replace(ARABIC, body="Kremlin statement")
        history.write(HistoryBatch(items=(again, ENGLISH)), now=NOW + 2 * DAY)
        assert ids(history.search_items("الناتو")) == ["ar2"]
        assert ids(history.search_items("Kremlin")) == ["ar1"]
        assert ids(history.search_items("senat*")) == ["en1"]
        assert_index_whole(engine)
        # down to 0003, whose trigger indexes what a monitor at 0003 inserts, and up again
        downgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(tables.items.insert(), [History._item_row(item("ar3", "والناتو"), NOW)])
        assert ids(history.search_items("الناتو")) == ["ar2", "ar3"]
        assert_index_whole(engine)
        migrate(engine)
        history.write(HistoryBatch(items=(item("ar4", "رسالة للناتو"),)), now=NOW + 3 * DAY)
        assert ids(history.search_items("الناتو")) == ["ar4", "ar2", "ar3"]
        assert counts(history)["items"] == 6
        assert_index_whole(engine)
    finally:
        engine.dispose()


def test_a_history_a_newer_monitor_upgraded_is_one_clear_error(url: str, tmp_path: Path) -> None:
    with open_history(url) as history:
        history.write(HistoryBatch(items=(ARABIC,)), now=NOW)
        with history.engine.begin() as conn:  # as a release with a revision 0099 leaves it
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    message = f"has history schema 0099, newer than this monitor knows ({HEAD})"
    with pytest.raises(HistoryError, match=re.escape(message)):
        open_history(url)
    config = example_config(tmp_path)
    text = (config / "monitor.yaml").read_text(encoding="utf-8")
    (config / "monitor.yaml").write_text(
        re.sub(r"^  history_url: .*$", f"  history_url: '{url}'", text, flags=re.M), "utf-8"
    )
    done = run_monitor(["items", "search", "NATO", "--config", str(config)], tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("monitor: settings.history_url: ") and message in line


def test_each_attempt_joins_the_series_of_its_time(history: History) -> None:
    """A runner does not know the series: an attempt written late (the database was
    away while `alerts retry` ran) still joins the series it was made in."""
    history.write(HistoryBatch(items=(ARABIC,), alerts=(alert("al1", ARABIC),)), now=NOW)

    def attempt(n: int, minutes: int, **extra: object) -> DeliveryAttempt:
        at = NOW + timedelta(minutes=minutes)
        return DeliveryAttempt("al1", "hook", n, "retry", at, **extra)  # type: ignore[arg-type]

    history.write(HistoryBatch(deliveries=(attempt(1, 0),)))
    history.write(HistoryBatch(deliveries=(attempt(1, 60, retried=True),)))  # series 1
    history.write(HistoryBatch(deliveries=(attempt(2, 1),)))  # made before the retry
    history.write(HistoryBatch(deliveries=(attempt(2, 61), attempt(1, 120, retried=True))))
    history.write(HistoryBatch(deliveries=(attempt(2, 121), attempt(3, 2))))
    assert [(series, n) for series, _, n, _ in attempts_of(history, "al1")] == [
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
    ]
    # a series given is kept as given
    history.write(HistoryBatch(deliveries=(attempt(9, 0, series=5),)))
    assert (5, "hook", 9, "retry") in attempts_of(history, "al1")


def test_the_same_batch_written_twice_is_stored_once(history: History) -> None:
    sent = alert("al1", ARABIC)
    batch = HistoryBatch(
        items=(ARABIC, RUSSIAN, ARABIC),
        matches=(("ar1", Match("russia-nato", ("NATO",), sent.speakers, sent.hits)),),
        alerts=(sent,),
        deliveries=(DeliveryAttempt("al1", "console", 1, "sent", NOW),),
    )
    history.write(batch, now=NOW)
    history.write(batch, now=NOW + DAY)
    assert counts(history) == {"items": 2, "matches": 1, "alerts": 1, "deliveries": 1}
    assert_index_whole(history.engine)
    # an item seen again keeps the time it was first seen
    assert [s.seen_at for s in history.search_items("الناتو")] == [NOW]


def test_a_failing_batch_writes_nothing_of_itself(history: History) -> None:
    history.write(HistoryBatch(items=(ARABIC,)), now=NOW)
    broken = DeliveryAttempt("al1", "console", 1, None, NOW)  # type: ignore[arg-type]
    with pytest.raises(HistoryError, match="writing a batch failed"):
        history.write(HistoryBatch(items=(RUSSIAN,), deliveries=(broken,)), now=NOW)
    assert counts(history)["items"] == 1
    assert history.search_items("Песков") == []
    assert_index_whole(history.engine)


def test_an_alert_update_replaces_an_older_one_never_the_reverse(history: History) -> None:
    first = alert("al1", ARABIC)
    second = alert("al1", ARABIC, update=1, sources=("UrduPoint", "Reuters"))
    history.write(HistoryBatch(items=(ARABIC,), alerts=(first,)), now=NOW)
    history.write(HistoryBatch(alerts=(second,)), now=NOW)
    history.write(HistoryBatch(alerts=(first,)), now=NOW)  # a late retry of the first
    stored = history.alert("al1")
    assert stored is not None
    assert stored.alert.sources == ("UrduPoint", "Reuters") and stored.alert.update == 1


def test_alert_shows_its_evidence_and_every_delivery_attempt(history: History) -> None:
    sent = alert("al1", ARABIC)
    attempts = (
        DeliveryAttempt("al1", "webhook", 1, "retry", NOW, "HTTP 503"),
        DeliveryAttempt("al1", "webhook", 2, "sent", NOW + timedelta(seconds=30)),
        DeliveryAttempt("al1", "console", 1, "sent", NOW),
    )
    history.write(HistoryBatch(items=(ARABIC,), alerts=(sent,), deliveries=attempts), now=NOW)
    stored = history.alert("al1")
    assert stored is not None
    assert stored.alert == sent
    assert stored.created_at == NOW
    assert [(d.channel, d.attempt, d.status, d.detail) for d in stored.deliveries] == [
        ("console", 1, "sent", ""),
        ("webhook", 1, "retry", "HTTP 503"),
        ("webhook", 2, "sent", ""),
    ]
    assert history.alert("nope") is None


def test_alerts_list_by_watchlist_and_since(history: History) -> None:
    old = replace(alert("old", ENGLISH), created_at=(NOW - 3 * DAY).isoformat())
    other = replace(alert("other", RUSSIAN), watchlist="ukraine")
    history.write(HistoryBatch(alerts=(old, alert("new", ARABIC), other)), now=NOW)
    assert [a.alert.id for a in history.alerts()] == ["new", "other", "old"]
    assert [a.alert.id for a in history.alerts(watchlist="russia-nato")] == ["new", "old"]
    assert [a.alert.id for a in history.alerts(since=NOW - DAY)] == ["new", "other"]
    assert [a.alert.id for a in history.alerts(watchlist="ukraine", since=NOW - DAY)] == ["other"]


def test_search_folds_and_keys_words_as_the_matcher_does(history: History) -> None:
    history.write(HistoryBatch(items=(ARABIC, RUSSIAN, ENGLISH)), now=NOW)
    assert ids(history.search_items("الناتو")) == ["ar1"]  # والناتو
    assert ids(history.search_items("ضمانات")) == ["ar1"]  # ضماناتها
    assert ids(history.search_items("Песков")) == ["ru1"]  # Пескова
    assert ids(history.search_items("НАТО Песков")) == ["ru1"]
    assert ids(history.search_items("NATO")) == []  # not "Senator"
    assert ids(history.search_items("senat*")) == ["en1"]
    assert ids(history.search_items("Песков trade")) == []


def test_search_filters_by_time_feed_and_language(history: History) -> None:
    late = item("ar2", "الناتو", "", language="ar", feed_id="agency")
    history.write(HistoryBatch(items=(ARABIC,)), now=NOW - 10 * DAY)
    history.write(HistoryBatch(items=(late,)), now=NOW)
    assert ids(history.search_items("الناتو")) == ["ar2", "ar1"]
    assert ids(history.search_items("الناتو", since=NOW - DAY)) == ["ar2"]
    assert ids(history.search_items("الناتو", feed="wire")) == ["ar1"]
    assert ids(history.search_items("الناتو", language="ru")) == []
    assert ids(history.search_items("", language="ar", limit=1)) == ["ar2"]


def test_an_updated_item_is_found_by_its_new_words_only(history: History) -> None:
    history.write(HistoryBatch(items=(ARABIC,)), now=NOW)
    history.write(HistoryBatch(items=(replace(ARABIC, body="Kremlin statement"),)), now=NOW)
    assert ids(history.search_items("الناتو")) == []
    assert ids(history.search_items("Kremlin")) == ["ar1"]
    assert_index_whole(history.engine)


def test_prune_forgets_what_is_older_than_the_retention(history: History) -> None:
    old = alert("old", ENGLISH)
    history.write(
        HistoryBatch(
            items=(ENGLISH,),
            matches=(("en1", Match("w", (), (), ())),),
            alerts=(replace(old, created_at=(NOW - 40 * DAY).isoformat()),),
            deliveries=(DeliveryAttempt("old", "console", 1, "sent", NOW - 40 * DAY),),
        ),
        now=NOW - 40 * DAY,
    )
    history.write(HistoryBatch(items=(ARABIC,), alerts=(alert("new", ARABIC),)), now=NOW)
    assert history.prune(30 * 86400.0, now=NOW) == 4
    assert counts(history) == {"items": 1, "matches": 0, "alerts": 1, "deliveries": 0}
    assert ids(history.search_items("senat*")) == []
    assert ids(history.search_items("الناتو")) == ["ar1"]
    assert_index_whole(history.engine)


def test_feed_stats_count_items_matches_and_alerts(history: History) -> None:
    match = Match("russia-nato", ("NATO",), (), ())
    history.write(
        HistoryBatch(
            items=(ARABIC, RUSSIAN, ENGLISH),
            matches=(("ar1", match), ("ar1", replace(match, watchlist="other")), ("ru1", match)),
            alerts=(alert("a1", ARABIC), replace(alert("a2", ARABIC), watchlist="other")),
        ),
        now=NOW,
    )
    stats = {s.feed_id: s for s in history.feed_stats()}
    assert (stats["wire"].items, stats["wire"].matched, stats["wire"].alerts) == (2, 2, 2)
    assert (stats["agency"].items, stats["agency"].matched, stats["agency"].alerts) == (1, 0, 0)
    assert stats["wire"].last_seen == NOW
    assert history.feed_stats(since=NOW + DAY) == []


def test_nul_characters_in_an_item_do_not_poison_the_batch(history: History) -> None:
    history.write(HistoryBatch(items=(item("nul", "NATO\x00 talks", "body\x00"),)), now=NOW)
    [found] = history.search_items("NATO talks")
    assert (found.item.title, found.item.body) == ("NATO talks", "body")


def test_lone_surrogates_do_not_poison_the_batch(history: History) -> None:
    # a badly decoded feed: a lone surrogate in the id, the text and the alert's evidence
    bad = item("sur\ud800", "NATO \udfff talks", "body \ud83d")
    history.write(HistoryBatch(items=(bad,), alerts=(alert("a-sur\ud800", bad),)), now=NOW)
    [found] = history.search_items("NATO talks")
    assert (found.item.title, found.item.body) == ("NATO \ufffd talks", "body \ufffd")
    stored = history.alert("a-sur\ufffd")
    assert stored is not None and stored.alert.item.title == "NATO \ufffd talks"
    # ids told apart only by their lone surrogates are one stored item, indexed once
    other = item("sur\udfff", "Kremlin \udfff talks")
    history.write(HistoryBatch(items=(bad, other)), now=NOW)
    assert ids(history.search_items("talks")) == ["sur\ufffd"]
    assert ids(history.search_items("Kremlin")) == ["sur\ufffd"]
    assert_index_whole(history.engine)


def test_every_item_of_the_corpus_is_stored_and_found(history: History) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"no shared corpus at {CORPUS}")
    unique = {entry.id: entry for entry in corpus_items()}
    assert len(unique) > 100
    history.write(HistoryBatch(items=tuple(unique.values())), now=NOW)
    assert history.count_items() == len(unique)
    assert_index_whole(history.engine)
    for entry in list(unique.values())[::25]:
        words = [w for w in entry.title.split() if w.isalpha() and len(w) > 3][:2]
        if words:
            assert entry.id in ids(history.search_items(" ".join(words), limit=10_000)), words


def test_a_bad_or_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match=r"^settings.history_url: the 'mysql'"):
        open_history("mysql://h/db")
    port = free_port()
    # unreachable may pass: the runners try again
    with pytest.raises(TransientHistoryError) as caught:
        open_history(f"postgresql://monitor:sekrit@127.0.0.1:{port}/test?connect_timeout=5")
    message = str(caught.value)
    assert message.startswith("settings.history_url: cannot open") and "\n" not in message
    assert "sekrit" not in message
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HistoryError, match="cannot create the folder"):
        open_history(f"sqlite:///{blocker / 'sub' / 'history.db'}")


def test_a_lost_server_is_a_transient_fault_that_can_be_retried(pg_url: str) -> None:
    with open_history(pg_url) as history:
        history.write(HistoryBatch(items=(ARABIC,)), now=NOW)
        with history.engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        dead = create_history_engine(pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{free_port()}"))
        with pytest.raises(TransientHistoryError, match="writing a batch failed"):
            History(dead).write(HistoryBatch(items=(RUSSIAN,)), now=NOW)
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # the pooled connection was killed; pre-ping replaces it and the write goes in
        history.write(HistoryBatch(items=(RUSSIAN,)), now=NOW)
        assert history.count_items() == 2


def seed_items() -> list[WireItem]:
    found: list[WireItem] = []
    for path in sorted(SEEDS.iterdir()):
        found += parse_bytes(path.read_bytes(), SourceContext(source=path.name))
    return found


def test_items_search_runs_the_query_language_over_the_history(history: History) -> None:
    seeds = seed_items()
    history.write(HistoryBatch(items=tuple(seeds)), now=NOW)
    config = load_config(ROOT / "config", env={})
    language = {entry.id: entry.language for entry in seeds}

    def langs(query: str, **options: object) -> list[str | None]:
        found = search(history, config, query, **options)  # type: ignore[arg-type]
        return sorted(language[stored.item.id] for stored, _match in found)

    # a topic name stands for all its terms, in every script
    assert langs("NATO AND NOT lang:en") == ["ar", "de", "fr", "ru"]
    assert langs('speaker:"Dmitry Peskov" AND "security guarantees"') == ["ar", "de"]
    assert langs("الناتو") == ["ar"]
    assert langs("NATO", language="fr") == ["fr"]
    assert len(langs("NATO", limit=2)) == 2
    [(stored, match)] = search(history, config, 'speaker:"Dmitry Peskov" AND lang:ar')
    assert [s.role for s in match.speakers if s.name == "Dmitry Peskov"] == ["quoted"]
    assert stored.item.fetched_at  # seen when it was fetched, not when it was written
    assert stored.seen_at == datetime.fromisoformat(stored.item.fetched_at)


def test_the_items_search_command_prints_json_lines(tmp_path: Path) -> None:
    env = monitor_env(tmp_path)
    with open_history(f"sqlite:///{tmp_path / 'state' / 'history.db'}") as history:
        history.write(HistoryBatch(items=tuple(seed_items())))
    config = str(example_config(tmp_path))
    done = run_monitor(["items", "search", "الناتو", "--config", config], tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    [line] = [json.loads(text) for text in done.stdout.splitlines()]
    assert line["item"]["language"] == "ar" and line["item"]["agency"] == "Sputnik"
    assert any(hit["text"] == "الناتو" or "ناتو" in hit["text"] for hit in line["hits"])
    done = run_monitor(["items", "search", "NATO", "--since", "1h", "--config", config], tmp_path)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 5, done.stderr
    done = run_monitor(["items", "search", "NATO AND (", "--config", config], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "bad query: column 11: the query ends where a term was expected"
    )


def test_processes_opening_a_new_history_at_once_upgrade_it_in_turn(pg_url: str) -> None:
    # workers and a poller starting together: each runs the migrations on open
    from concurrent.futures import ThreadPoolExecutor

    def opened(_n: int) -> int:
        with open_history(pg_url) as history:
            return history.count_items()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(opened, range(4))) == [0, 0, 0, 0]
