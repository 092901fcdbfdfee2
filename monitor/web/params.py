"""Query-string parameters of the alerts and search views, read the same way by the
pages and the API: a bad one is a ``BadParameter`` naming it, in one line."""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import QueryParams

from monitor.config.schema import duration_ago
from monitor.history.alert_pages import AlertFilters, parse_cursor

__all__ = ["FILTER_NAMES", "BadParameter", "alert_filters", "filter_query", "since", "text_param"]

FILTER_NAMES = ("watchlist", "feed", "lang", "speaker", "since")
MAX_PARAM = 500


class BadParameter(ValueError):
    pass


def text_param(params: QueryParams, name: str) -> str | None:
    """The parameter, stripped; None when absent or empty."""
    value = (params.get(name) or "").strip()
    if len(value) > MAX_PARAM:
        raise BadParameter(f"{name}: longer than {MAX_PARAM} characters")
    return value or None


def since(params: QueryParams) -> datetime | None:
    """``since=24h`` (a duration back from now) as an aware UTC time."""
    value = text_param(params, "since")
    if value is None:
        return None
    try:
        return duration_ago(value)
    except ValueError as exc:
        raise BadParameter(f"since: {exc}") from None


def alert_filters(params: QueryParams) -> AlertFilters:
    before = text_param(params, "before")
    try:
        cursor = None if before is None else parse_cursor(before)
    except ValueError as exc:
        raise BadParameter(f"before: {exc}") from None
    return AlertFilters(
        watchlist=text_param(params, "watchlist"),
        feed=text_param(params, "feed"),
        language=text_param(params, "lang"),
        speaker=text_param(params, "speaker"),
        since=since(params),
        before=cursor,
    )


def filter_query(params: QueryParams) -> dict[str, str]:
    """The filters given (not the cursor), to carry into links and the live list."""
    return {name: params[name] for name in FILTER_NAMES if params.get(name)}
