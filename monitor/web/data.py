"""The console's questions, answered for both the pages and the API.

Does I/O: the history (through the ``Console``'s ``History``) and, for feed health,
the state store. Bad input is a ``BadParameter`` or a ``TrialError``, one line each.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.datastructures import QueryParams

from monitor.history.alert_pages import AlertPage, alert_page, alerts_of_items
from monitor.history.find import search
from monitor.history.readers import story_outlets
from monitor.history.records import StoredAlert, StoredItem
from monitor.history.report import FeedStatus, also_carried_by
from monitor.match.query import QuerySyntaxError
from monitor.model import Match
from monitor.web.params import BadParameter, alert_filters, since, text_param
from monitor.web.trial import (
    TrialError,
    TrialResult,
    check_watchlist,
    match_items,
    pasted_items,
    trial_config,
    trial_matcher,
)

if TYPE_CHECKING:
    from monitor.web.app import Console

__all__ = [
    "MAX_SEARCH",
    "alert_with_outlets",
    "alerts",
    "feeds",
    "raised",
    "run_trial",
    "search_items",
]

MAX_SEARCH = 50


def alerts(console: Console, params: QueryParams) -> AlertPage:
    filters = alert_filters(params)
    if filters.speaker is not None:
        # the config's spelling of the name, whatever the case it was typed in
        names = {name.casefold(): name for name in console.config.speakers}
        filters = replace(filters, speaker=names.get(filters.speaker.casefold(), filters.speaker))
    return alert_page(console.history, filters)


def alert_with_outlets(console: Console, alert_id: str) -> tuple[StoredAlert, list[str]] | None:
    """The alert with its deliveries, and the story's other outlets; None if unknown."""
    stored = console.history.alert(alert_id)
    if stored is None:
        return None
    outlets = story_outlets(console.history, stored.alert.story_id)
    return stored, also_carried_by(stored.alert, outlets)


def feeds(console: Console, now: datetime | None = None) -> list[FeedStatus]:
    from monitor.history.ops import feed_statuses

    return feed_statuses(console.config, console.history, now or datetime.now(UTC))


def search_items(console: Console, params: QueryParams) -> list[tuple[StoredItem, Match]]:
    """The history search (``monitor items search``): empty without a query."""
    query = text_param(params, "q")
    if query is None:
        return []
    try:
        return list(
            search(
                console.history,
                console.config,
                query,
                since=since(params),
                feed=text_param(params, "feed"),
                language=text_param(params, "lang"),
                limit=MAX_SEARCH,
            )
        )
    except QuerySyntaxError as exc:
        raise BadParameter(f"q: {exc}") from None


def raised(
    console: Console, found: list[tuple[StoredItem, Match]]
) -> dict[str, list[tuple[str, str]]]:
    """The alerts the items found raised (``(alert id, watchlist)`` by item id)."""
    return alerts_of_items(console.history, [stored.item.id for stored, _ in found])


def run_trial(
    console: Console, *, text: str, item_id: str, watchlist: str, yaml_text: str
) -> list[TrialResult]:
    """A pasted text or a stored item, tried on a watchlist of the config (its matcher
    built once) or on those of a YAML text (a matcher of their own)."""
    if item_id.strip():
        if text.strip():
            raise TrialError("give a text or a stored item id, not both")
        stored = console.history.item(item_id.strip())
        if stored is None:
            raise TrialError(f"no item {item_id.strip()!r} in the history")
        items, feedless = [stored.item], False
    else:
        items, feedless = pasted_items(text), True
    if watchlist:
        check_watchlist(console.config, watchlist)
        return match_items(console.matcher(feedless_pass=feedless), items, only=watchlist)
    if not yaml_text.strip():
        raise TrialError("pick a watchlist or write one in YAML")
    trial = trial_config(console.config, yaml_text)
    return match_items(trial_matcher(trial, feedless_pass=feedless), items)
