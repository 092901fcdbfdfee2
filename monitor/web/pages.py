"""The HTML pages: alerts (with a live list), one alert, feeds, try, search, login.

Handlers read through ``monitor.web.data`` and render the templates in
``monitor/web/templates`` (autoescaped; feed text goes through ``highlight.visible``
and is never marked safe). A bad filter or form field is shown on the page, in one
line, with status 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from monitor.web import data
from monitor.web.highlight import excerpt
from monitor.web.params import BadParameter, filter_query
from monitor.web.security import CSRF_FIELD, LOGIN_AGE, LOGIN_COOKIE, safe_next
from monitor.web.trial import MAX_TRIAL_TEXT, TrialError
from monitor.web.views import alert_row, evidence, item_view, list_version

if TYPE_CHECKING:
    from monitor.web.app import Console

__all__ = ["render", "routes"]

LIVE_EVERY = 5  # seconds between the live list's polls


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """The template ``name`` with what every page shows (navigation, CSRF token)."""
    console = _console(request)
    context = {
        "csrf": request.state.csrf,
        "csrf_field": CSRF_FIELD,
        "logged_in": console.guard.token is not None,
        "page": name.removesuffix(".html"),
        **context,
    }
    response: Response = console.templates.TemplateResponse(
        request, name, context, status_code=status
    )
    return response


def home(request: Request) -> Response:
    return RedirectResponse("/alerts", 303)


def alerts(request: Request) -> Response:
    """The alerts page; ``partial=list`` answers the live list alone (204 when the
    version it holds, ``seen``, is still current)."""
    console = _console(request)
    params = request.query_params
    partial = params.get("partial") == "list"
    context: dict[str, Any] = {
        "filters": filter_query(params),
        "watchlists": sorted(console.config.watchlists),
        "feeds": [feed.id for feed in console.config.feeds],
        "speakers": sorted(console.config.speakers),
        "error": None,
        "rows": [],
        "next_cursor": None,
        "live": "before" not in params,
        "version": "",
        "live_url": "",
        "next_url": "",
        "newest_url": "/alerts",
        "every": LIVE_EVERY,
    }
    try:
        page = data.alerts(console, params)
    except BadParameter as exc:
        context.update(error=str(exc), live=False)
        return render(request, "alerts.html", context, 400)
    rows = [alert_row(stored) for stored in page.alerts]
    version = list_version(rows)
    if partial and params.get("seen") == version:
        return Response(status_code=204)
    filters = context["filters"]
    context.update(
        rows=rows,
        next_cursor=page.next_cursor,
        version=version,
        live_url="/alerts?" + urlencode({**filters, "partial": "list", "seen": version}),
        next_url="/alerts?" + urlencode({**filters, "before": page.next_cursor or ""}),
        newest_url="/alerts" + (f"?{urlencode(filters)}" if filters else ""),
    )
    return render(request, "_alert_list.html" if partial else "alerts.html", context)


def alert(request: Request) -> Response:
    found = data.alert_with_outlets(_console(request), request.path_params["alert_id"])
    if found is None:
        missing = {"error": f"no alert {request.path_params['alert_id']!r} in the history"}
        return render(request, "missing.html", missing, 404)
    stored, also = found
    view = item_view(stored.alert.item, stored.alert.hits, anchors=True)
    context: dict[str, Any] = {
        "stored": stored,
        "alert": stored.alert,
        "row": alert_row(stored),
        "view": view,
        # the marks the evidence can link to (a hit inside another has none)
        "anchors": {piece.anchor for piece in [*view.title, *view.body] if piece.anchor},
        "evidence": evidence(stored.alert.hits),
        "also": also,
    }
    return render(request, "alert.html", context)


def feeds(request: Request) -> Response:
    return render(request, "feeds.html", {"feeds": data.feeds(_console(request))})


def search(request: Request) -> Response:
    params = request.query_params
    context: dict[str, Any] = {
        "q": params.get("q", ""),
        "filters": {k: params.get(k, "") for k in ("since", "feed", "lang")},
        "results": [],
        "error": None,
        "limit": data.MAX_SEARCH,
    }
    try:
        found = data.search_items(_console(request), params)
    except BadParameter as exc:
        context["error"] = str(exc)
        return render(request, "search.html", context, 400)
    alerted = data.raised(_console(request), found)
    context["results"] = [
        {
            "stored": stored,
            "match": match,
            "alerts": alerted.get(stored.item.id, []),
            "title": item_view(stored.item, match.hits).title,
            "excerpt": excerpt(stored.item.body, match.hits, "body"),
        }
        for stored, match in found
    ]
    return render(request, "search.html", context)


def _try_context(request: Request, form: dict[str, str]) -> dict[str, Any]:
    return {
        "form": form,
        "watchlists": sorted(_console(request).config.watchlists),
        "results": None,
        "error": None,
        "max_text": MAX_TRIAL_TEXT,
    }


_TRY_FIELDS = ("text", "item_id", "watchlist", "yaml")


def try_form(request: Request) -> Response:
    form = {name: request.query_params.get(name, "") for name in _TRY_FIELDS}
    return render(request, "try.html", _try_context(request, form))


async def try_submit(request: Request) -> Response:
    console = _console(request)
    async with request.form(max_files=0, max_fields=10) as submitted:
        form = {name: str(submitted.get(name) or "") for name in _TRY_FIELDS}
        token = str(submitted.get(CSRF_FIELD) or "")
    context = _try_context(request, form)
    if not console.guard.csrf_ok(request, token):
        context["error"] = "the form expired or came from another site: submit it again"
        return render(request, "try.html", context, 403)
    try:
        results = await run_in_threadpool(
            data.run_trial,
            console,
            text=form["text"],
            item_id=form["item_id"],
            watchlist=form["watchlist"],
            yaml_text=form["yaml"],
        )
    except TrialError as exc:
        context["error"] = str(exc)
        return render(request, "try.html", context, 400)
    context["results"] = [
        {
            "item": result.item,
            "matches": [
                (match, item_view(result.item, match.hits), evidence(match.hits))
                for match in result.matches
            ],
            "plain": item_view(result.item, ()),
        }
        for result in results
    ]
    return render(request, "try.html", context)


def login_form(request: Request) -> Response:
    context = {"next": safe_next(request.query_params.get("next")), "error": None}
    return render(request, "login.html", context)


async def login(request: Request) -> Response:
    guard = _console(request).guard
    async with request.form(max_files=0, max_fields=5) as submitted:
        given = str(submitted.get("token") or "")
        target = safe_next(str(submitted.get("next") or ""))
        token = str(submitted.get(CSRF_FIELD) or "")
    context = {"next": target, "error": None}
    if not guard.csrf_ok(request, token):
        context["error"] = "the form expired or came from another site: log in again"
        return render(request, "login.html", context, 403)
    if guard.token is None:
        return RedirectResponse(target, 303)
    if not guard.token_matches(given):
        context["error"] = "that is not the token (settings.web.token)"
        return render(request, "login.html", context, 401)
    response = RedirectResponse(target, 303)
    response.set_cookie(
        LOGIN_COOKIE,
        guard.login_value(),
        max_age=LOGIN_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    guard = _console(request).guard
    async with request.form(max_files=0, max_fields=5) as submitted:
        token = str(submitted.get(CSRF_FIELD) or "")
    if not guard.csrf_ok(request, token):
        return Response("the form expired: log out again", 403)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/", home),
        Route("/alerts", alerts),
        Route("/alerts/{alert_id:path}", alert),
        Route("/feeds", feeds),
        Route("/search", search),
        Route("/try", try_form, methods=["GET"]),
        Route("/try", try_submit, methods=["POST"]),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
