"""Who may use the console, and what every answer carries (docs/web.md#security).

Without ``settings.web.token`` the console serves loopback only (``monitor.web.serve``
refuses another address) and answers only requests naming a loopback host, so a web
page elsewhere cannot reach it through DNS rebinding. With a token: ``/api/`` wants
``Authorization: Bearer TOKEN``; pages want a login cookie, signed with a key derived
from the token (itsdangerous), that the login form sets. Forms that POST carry a CSRF
token: a signed random value, also in a cookie (SameSite=Strict), compared on POST.
Every answer carries a strict Content-Security-Policy (``default-src 'self'``: no
inline script or style, no other origin) and the usual hardening headers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import URL
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "LOGIN_AGE",
    "LOGIN_COOKIE",
    "LOOPBACK_HOSTS",
    "MAX_BODY",
    "Guard",
    "SecurityMiddleware",
    "safe_next",
]

LOGIN_COOKIE = "monitor_login"
CSRF_COOKIE = "monitor_csrf"
CSRF_FIELD = "csrf"
LOGIN_AGE = 7 * 86400  # seconds a login lasts
MAX_BODY = 1024 * 1024  # bytes of a POST body
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
PUBLIC_PATHS = ("/static/", "/login")

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Guard:
    """The token check, the login cookie and CSRF tokens of one app."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        # with a token, logins outlive a restart; without one, nothing needs to
        key = token.encode() if token else secrets.token_bytes(32)
        secret = hmac.new(key, b"monitor web cookies", hashlib.sha256).hexdigest()
        self._login = URLSafeTimedSerializer(secret, salt="login")
        self._csrf = URLSafeTimedSerializer(secret, salt="csrf")

    def token_matches(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(
            given.encode("utf-8", "replace"), self.token.encode()
        )

    def bearer_ok(self, request: Request) -> bool:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(given.strip())

    def login_value(self) -> str:
        return self._login.dumps("in")

    def logged_in(self, request: Request) -> bool:
        if self.token is None:
            return True
        value = request.cookies.get(LOGIN_COOKIE, "")
        try:
            return bool(value) and self._login.loads(value, max_age=LOGIN_AGE) == "in"
        except BadSignature:
            return False

    def new_csrf(self) -> str:
        return self._csrf.dumps(secrets.token_urlsafe(16))

    def csrf_ok(self, request: Request, given: str) -> bool:
        """The form's token is the cookie's, and one this app signed."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie.encode(), given.encode("utf-8", "replace")):
            return False
        try:
            self._csrf.loads(cookie)
        except BadSignature:
            return False
        return True


def safe_next(target: str | None) -> str:
    """Where the login form may send the browser back to: a path of this site only.
    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so a
    path holding any of them could lead to another site."""
    if (
        not target
        or not target.startswith("/")
        or any(ch in target for ch in "\\\t\r\n")
        or target.startswith("//")
    ):
        return "/alerts"
    return target


def _host(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


class SecurityMiddleware(BaseHTTPMiddleware):
    """Host check, authentication, body size cap, CSRF cookie and response headers."""

    def __init__(self, app: ASGIApp, guard: Guard, hosts: Sequence[str] | None) -> None:
        super().__init__(app)
        self.guard = guard
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await self._answer(request, call_next)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if request.state.new_csrf:
            response.set_cookie(
                CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict", path="/"
            )
        return response

    async def _answer(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        cookie = request.cookies.get(CSRF_COOKIE)
        request.state.new_csrf = cookie is None
        request.state.csrf = cookie or self.guard.new_csrf()
        path = request.url.path
        if self.hosts is not None and _host(request).lower() not in self.hosts:
            return PlainTextResponse("unknown host: use the address monitor web serves", 400)
        length = request.headers.get("content-length")
        if request.method == "POST" and length is None:
            return PlainTextResponse("a POST needs a Content-Length", 411)
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse(f"request body over {MAX_BODY} bytes", 413)
        if path.startswith("/api/"):
            if self.guard.token is not None and not self.guard.bearer_ok(request):
                return JSONResponse(
                    {"error": "authorization: Bearer TOKEN (settings.web.token) is needed"},
                    401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        elif not path.startswith(PUBLIC_PATHS) and not self.guard.logged_in(request):
            # the live list's poll after the login expired: htmx leaves a 401 unswapped
            if request.method in ("GET", "HEAD") and "hx-request" not in request.headers:
                target = URL(path=path, query=request.url.query)
                login = URL("/login").include_query_params(next=str(target))
                return RedirectResponse(str(login), 303)
            return PlainTextResponse("log in first", 401)
        return await call_next(request)
