"""``monitor items search``: a SPEC 3 query over the history.

Pure but for the reads through ``History``. The query is compiled by the matcher as
the ``when:`` of a watchlist of its own (so topic and speaker names, ``NEAR/n``,
``speaker:`` roles, ``lang:``, ``feed:`` and ``tag:`` mean what they mean in the
config); the full-text index only narrows the candidates first: ``prefilter`` keeps
the words every match must contain (the literal terms of a top-level ``AND`` or
``NEAR``, an ``OR`` of single words as one group) and drops every other constraint,
so it never rules out an item the matcher would take.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from monitor.config.schema import Config, WatchlistConfig
from monitor.history.fulltext import KeyGroup, KeyQuery, term_groups
from monitor.history.records import StoredItem
from monitor.history.store import History
from monitor.match.engine import build_matcher
from monitor.match.query import And, Near, Or, Query, Term, parse_query
from monitor.model import Match

__all__ = ["SEARCH_WATCHLIST", "prefilter", "search"]

SEARCH_WATCHLIST = "search"
_PAGE = 2_000


def _required(node: Query, names: frozenset[str]) -> list[KeyGroup]:
    """Groups every item matching ``node`` satisfies (none when unsure)."""
    if isinstance(node, Term):
        if node.text.casefold() in names:
            return []  # a topic or speaker: any of its terms will do
        return term_groups(node.text, exact=node.quoted)
    if isinstance(node, And):
        return [group for item in node.items for group in _required(item, names)]
    if isinstance(node, Near):
        return _required(node.left, names) + _required(node.right, names)
    if isinstance(node, Or):
        alternatives = [_required(item, names) for item in node.items]
        if all(len(groups) == 1 for groups in alternatives):
            return [
                KeyGroup(
                    frozenset().union(*(groups[0].keys for groups in alternatives)),
                    frozenset().union(*(groups[0].prefixes for groups in alternatives)),
                )
            ]
    return []  # NOT, lang:, feed:, tag:, speaker:, an OR of phrases


def prefilter(query: Query, config: Config) -> KeyQuery:
    """The full-text part of ``query`` (see the module docstring)."""
    names = frozenset(name.casefold() for name in [*config.topics, *config.speakers])
    return KeyQuery(tuple(_required(query, names)))


def search(
    history: History,
    config: Config,
    text: str,
    *,
    since: datetime | None = None,
    feed: str | None = None,
    language: str | None = None,
    limit: int = 100,
) -> Iterator[tuple[StoredItem, Match]]:
    """Stored items matching the query ``text``, newest first, with the evidence.

    ``QuerySyntaxError`` (with its column) for a malformed query."""
    query = parse_query(text)
    watchlist = WatchlistConfig(when=query)
    searching = config.model_copy(update={"watchlists": {SEARCH_WATCHLIST: watchlist}})
    matcher = build_matcher(searching)
    keys = prefilter(query, config)
    found = offset = 0
    seen: set[str] = set()  # an item written meanwhile shifts the pages by one
    while found < limit:
        page = history.search_items(
            keys, since=since, feed=feed, language=language, limit=_PAGE, offset=offset
        )
        offset += len(page)
        for stored in page:
            if stored.item.id in seen:
                continue
            seen.add(stored.item.id)
            for match in matcher.match(stored.item):
                if match.watchlist == SEARCH_WATCHLIST:
                    yield stored, match
                    found += 1
                    break
            if found >= limit:
                return
        if len(page) < _PAGE:
            return
