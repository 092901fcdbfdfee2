"""A ``KeyQuery`` as a SQL condition on ``items``: SQLite FTS5 or PostgreSQL tsquery.

No I/O: builds SQLAlchemy expressions. Keys are passed as bound parameters inside
one query string (FTS5's MATCH syntax, or a ``tsquery`` literal cast verbatim,
without a text search configuration, so nothing re-folds or stems them).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from monitor.history.fulltext import KeyQuery
from monitor.history.tables import items, items_fts


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _boolean(
    query: KeyQuery, quote: Callable[[str], str], prefix: str, any_of: str, all_of: str
) -> str:
    """Groups joined by ``all_of``, each group's keys and prefixes by ``any_of``."""
    groups = []
    for group in query.groups:
        alternatives = [quote(key) for key in sorted(group.keys)]
        alternatives += [quote(start) + prefix for start in sorted(group.prefixes)]
        groups.append("(" + any_of.join(alternatives) + ")")
    return all_of.join(groups)


def fts5_match(query: KeyQuery) -> str:
    """The FTS5 MATCH expression: groups joined by AND, alternatives by OR."""
    return _boolean(query, _fts5_string, " *", " OR ", " AND ")


def tsquery(query: KeyQuery) -> str:
    """The ``tsquery`` literal: groups joined by ``&``, alternatives by ``|``."""
    return _boolean(query, _lexeme, ":*", " | ", " & ")


def key_condition(query: KeyQuery, dialect: str) -> sa.ColumnElement[bool]:
    """``items`` rows whose keys satisfy ``query`` (every row for an empty query)."""
    if not query.groups:
        return sa.true()
    if dialect == "sqlite":
        matching = sa.select(items_fts.c.rowid).where(
            sa.text("items_fts MATCH :fts_query").bindparams(fts_query=fts5_match(query))
        )
        return items.c.pk.in_(matching)
    vector = sa.func.array_to_tsvector(
        sa.func.string_to_array(items.c["keys"], sa.literal_column("' '"))
    )
    return vector.bool_op("@@")(sa.cast(sa.literal(tsquery(query)), postgresql.TSQUERY))
