"""The JSON API under ``/api/``: the pages' data for programs (docs/web.md#api).

Shapes follow the commands' ``--json`` output: an alert as ``monitor alerts show
--json``, a feed as ``monitor feeds status --json``, a search hit as ``monitor items
search``. Errors are ``{"error": "one line"}`` with 400, 401, 404 or 415.
``/api/openapi.json`` describes it all (``monitor.web.openapi``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from monitor.history.report import alert_json, feed_json
from monitor.web import data
from monitor.web.openapi import openapi
from monitor.web.params import BadParameter
from monitor.web.trial import TrialError
from monitor.web.views import match_json

if TYPE_CHECKING:
    from monitor.web.app import Console

__all__ = ["routes"]


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status)


def _json(value: Any) -> Response:
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return Response(body, media_type="application/json")


def alerts(request: Request) -> Response:
    try:
        page = data.alerts(_console(request), request.query_params)
    except BadParameter as exc:
        return _error(str(exc), 400)
    return _json({"alerts": [alert_json(s) for s in page.alerts], "next": page.next_cursor})


def alert(request: Request) -> Response:
    alert_id = request.path_params["alert_id"]
    found = data.alert_with_outlets(_console(request), alert_id)
    if found is None:
        return _error(f"no alert {alert_id!r} in the history", 404)
    stored, also = found
    return _json(alert_json(stored, also))


def feeds(request: Request) -> Response:
    return _json({"feeds": [feed_json(s) for s in data.feeds(_console(request))]})


def search(request: Request) -> Response:
    if not (request.query_params.get("q") or "").strip():
        return _error("q: a query is needed (the query language of docs/config.md)", 400)
    try:
        found = data.search_items(_console(request), request.query_params)
    except BadParameter as exc:
        return _error(str(exc), 400)
    return _json(
        {
            "items": [
                {
                    "item": {**stored.item.summary(), "feed": stored.item.feed_id},
                    "seen_at": stored.seen_at.isoformat(timespec="seconds"),
                    **match_json(match),
                }
                for stored, match in found
            ]
        }
    )


async def try_it(request: Request) -> Response:
    """POST a JSON object: ``text`` or ``item_id``, and ``watchlist`` or ``yaml``. A JSON
    body only: a cross-site form cannot send one without the browser asking first."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error("content-type: send application/json", 415)
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _error("body: not JSON", 400)
    if not isinstance(body, dict):
        return _error("body: expected a JSON object", 400)
    fields = {}
    for name in ("text", "item_id", "watchlist", "yaml"):
        value = body.get(name) or ""
        if not isinstance(value, str):
            return _error(f"{name}: expected a string", 400)
        fields[name] = value
    try:
        results = await run_in_threadpool(
            data.run_trial,
            _console(request),
            text=fields["text"],
            item_id=fields["item_id"],
            watchlist=fields["watchlist"],
            yaml_text=fields["yaml"],
        )
    except TrialError as exc:
        return _error(str(exc), 400)
    return _json(
        {
            "results": [
                {"item": r.item.summary(), "matches": [match_json(m) for m in r.matches]}
                for r in results
            ]
        }
    )


def openapi_json(request: Request) -> Response:
    return _json(openapi())


def routes() -> list[BaseRoute]:
    return [
        Route("/api/alerts", alerts),
        Route("/api/alerts/{alert_id:path}", alert),
        Route("/api/feeds", feeds),
        Route("/api/search", search),
        Route("/api/try", try_it, methods=["POST"]),
        Route("/api/openapi.json", openapi_json),
    ]
