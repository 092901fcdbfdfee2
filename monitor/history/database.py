"""Opening the history database: URL checks, the engine, Alembic upgrade to head.

Does I/O. ``sqlite:///path`` (the default, under ``settings.state_dir``) or
``postgresql://user@host/db`` (read with psycopg 3). The migrations ship inside the
package and run on every open, so a new release upgrades the schema by itself. A
history already at ``HEAD`` is told by one read, without Alembic, whose import is a
good part of a process's start (``monitor run``'s history writer, every command).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from monitor.config.schema import Settings, check_history_url
from monitor.errors import HistoryError, TransientHistoryError, one_line

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

__all__ = [
    "HEAD",
    "create_history_engine",
    "default_history_url",
    "history_url",
    "migrate",
    "parse_history_url",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# the PostgreSQL advisory lock a migration holds ("hist" in ASCII)
_LOCK = 0x68697374
HEAD = "0004"


def default_history_url(state_dir: str) -> str:
    """``history.db`` under the state directory."""
    return f"sqlite:///{Path(state_dir) / 'history.db'}"


def history_url(settings: Settings) -> str:
    """``settings.history_url``, else ``history.db`` under ``settings.state_dir``."""
    return settings.history_url or default_history_url(settings.state_dir)


def parse_history_url(url: str) -> sa.URL:
    """The SQLAlchemy URL for a ``settings.history_url`` that
    ``monitor.config.schema.check_history_url`` takes (ValueError, no password shown,
    for any other); PostgreSQL is read with psycopg 3."""
    check_history_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("bad history URL: cannot be read") from None
    if parsed.drivername.startswith("postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


# NUL, which PostgreSQL text cannot hold, and lone surrogates (a badly decoded feed),
# which neither database can encode
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable_char(found: re.Match[str]) -> str:
    return "" if found.group() == "\x00" else "\ufffd"


def storable(text: str) -> str:
    """``text`` as both databases take it: NUL dropped, a lone surrogate as U+FFFD.

    Every text column of every row passes here: the usual text, with neither, is told
    by two C scans (a lone surrogate is what UTF-8 cannot encode), not a regex."""
    if "\x00" not in text:
        if text.isascii():
            return text
        try:
            text.encode()
        except UnicodeEncodeError:
            pass
        else:
            return text
    return _UNSTORABLE.sub(_storable_char, text)


def _to_json(value: Any) -> str:
    # Arabic and Cyrillic as themselves: \uXXXX escapes would triple their size. A NUL
    # comes out escaped (\u0000), which a JSON column takes.
    return storable(json.dumps(value, ensure_ascii=False))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (commands) never block the writer; a busy writer is waited for.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_history_engine(url: str) -> sa.Engine:
    """An engine for ``url`` (SQLite: its folder is created)."""
    try:
        parsed = parse_history_url(url)
    except ValueError as exc:
        raise HistoryError(f"settings.history_url: {exc}") from None
    if parsed.drivername.startswith("sqlite"):
        assert parsed.database is not None
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(
                f"settings.history_url: cannot create the folder of {parsed.database}: "
                f"{exc.strerror}"
            ) from None
        engine = sa.create_engine(parsed, json_serializer=_to_json)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(parsed, pool_pre_ping=True, json_serializer=_to_json)


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (Alembic, in one transaction: a process
    killed or failing half-way leaves the schema as it found it). Processes opening a
    new history at once (workers, a poller) upgrade it one after the other: on
    PostgreSQL under an advisory lock, on SQLite behind its write lock (``BEGIN
    IMMEDIATE``); the later finds the schema upgraded."""
    if revision in ("head", HEAD) and _stored_revision(engine) == HEAD:
        return
    from alembic.config import Config as AlembicConfig
    from alembic.util import CommandError

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    where = engine.url.render_as_string(hide_password=True)
    try:
        if engine.dialect.name == "sqlite":
            _upgrade_sqlite(engine, config, revision)
        else:  # PostgreSQL: check_history_url admits no other database
            with engine.begin() as connection:
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
                _upgrade(connection, config, revision)
    except CommandError as exc:
        stored = _stored_revision(engine)
        if stored not in _shipped(config):
            # a revision the shipped migrations do not hold: a newer monitor upgraded it
            raise HistoryError(
                f"settings.history_url: {where} has history schema {stored}, newer than "
                f"this monitor knows ({HEAD}): upgrade the monitor or use another history_url"
            ) from None
        detail = one_line(str(exc), 200)
        raise HistoryError(f"settings.history_url: cannot migrate {where}: {detail}") from None
    except SQLAlchemyError as exc:
        detail = one_line(str(getattr(exc, "orig", None) or exc), 200)
        message = f"settings.history_url: cannot open {where}: {detail}"
        if isinstance(exc, OperationalError):
            # unreachable, restarting, locked: may pass, so the runners try again
            engine.dispose()
            raise TransientHistoryError(message) from None
        raise HistoryError(message) from None


def _upgrade(connection: sa.Connection, config: AlembicConfig, revision: str) -> None:
    from alembic import command

    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _upgrade_sqlite(engine: sa.Engine, config: AlembicConfig, revision: str) -> None:
    """The upgrade in a transaction of SQLite's own. Python's sqlite3 driver, in its
    default mode, commits each DDL statement as it runs (SQLAlchemy's pysqlite notes),
    so a process killed between two ``CREATE TABLE`` left tables without the revision
    that names them, and every later open failed on "table ... already exists". With
    the driver's own transactions off (SQLAlchemy's AUTOCOMMIT, which then commits
    nothing itself), ``BEGIN IMMEDIATE`` ... ``COMMIT`` hold the whole upgrade."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        # one that raises is rolled back by the pool as it takes the connection back
        _upgrade(connection, config, revision)
        connection.exec_driver_sql("COMMIT")


def _stored_revision(engine: sa.Engine) -> str | None:
    """The revision in Alembic's version table when there is exactly one (None: none,
    several, no table, or unreadable: ``migrate`` then goes through Alembic, which
    reports it)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            found = [str(row[0]) for row in rows]
    except SQLAlchemyError:
        return None
    return found[0] if len(found) == 1 else None


def _shipped(config: AlembicConfig) -> set[str | None]:
    """The revisions the package's migrations know, and None (an empty database)."""
    from alembic.script import ScriptDirectory

    return {
        None,
        *(script.revision for script in ScriptDirectory.from_config(config).walk_revisions()),
    }
