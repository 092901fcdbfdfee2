"""The Starlette application: routes, templates, static files, the security layer.

Does I/O through the ``History`` it is given (or opens at ``settings.history_url``)
and, for the feeds view, the state store. Handlers are plain functions, so Starlette
runs their SQL in its thread pool and the event loop stays free.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from monitor.config.schema import Config
from monitor.errors import MonitorError, one_line
from monitor.history.report import duration_text
from monitor.history.store import History
from monitor.logs import get_logger
from monitor.match.engine import Matcher
from monitor.web import api, pages
from monitor.web.security import LOOPBACK_HOSTS, MAX_BODY, Guard, SecurityMiddleware
from monitor.web.trial import trial_matcher
from monitor.web.views import when

__all__ = ["Console", "create_app"]

HERE = Path(__file__).resolve().parent
log = get_logger(__name__)


@dataclass
class Console:
    """What every handler reads: the config, its history, the guard, the templates,
    and the config's matchers (built on the first try, then kept)."""

    config: Config
    history: History
    guard: Guard
    templates: Jinja2Templates
    _matchers: dict[bool, Matcher] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def matcher(self, *, feedless_pass: bool) -> Matcher:
        """The config's matcher (``feedless_pass``: for items of no feed, pasted ones)."""
        with self._lock:
            if feedless_pass not in self._matchers:
                self._matchers[feedless_pass] = trial_matcher(
                    self.config, feedless_pass=feedless_pass
                )
            return self._matchers[feedless_pass]


def _templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["duration"] = duration_text
    return Jinja2Templates(env=environment)


def _error_page(request: Request, message: str, status: int) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status)
    return pages.render(request, "missing.html", {"error": message}, status)


async def _unavailable(request: Request, exc: Exception) -> Response:
    """The history or the state store failed (down, locked): one line, 503, and the
    console goes on serving."""
    log.warning("web_unavailable", path=request.url.path, error=one_line(str(exc), 300))
    return _error_page(request, one_line(str(exc), 300), 503)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error_page(request, f"nothing at {one_line(request.url.path, 200)}", 404)


def create_app(config: Config, *, history: History | None = None) -> Starlette:
    """The console over ``config``'s history (``history``: one already open). Without
    a token only loopback Host names are answered; with one, any (a public name)."""
    owned = history is None
    if history is None:
        from monitor.history import open_history
        from monitor.history.database import history_url

        history = open_history(history_url(config.settings))
    opened = history

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            opened.close()

    guard = Guard(config.settings.web.token)
    hosts = None if guard.token else LOOPBACK_HOSTS
    console = Console(config, history, guard, _templates())
    routes = [
        *pages.routes(),
        *api.routes(),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={MonitorError: _unavailable, 404: _not_found},
        middleware=[Middleware(SecurityMiddleware, guard=guard, hosts=hosts)],
        lifespan=lifespan,
        max_body_size=MAX_BODY,
    )
    app.state.console = console
    return app
