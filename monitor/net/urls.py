"""How a URL is shown in errors, logs and summaries: never with its secrets."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["display_url"]


def display_url(url: str, *, user: bool = False, path: bool = True) -> str:
    """``url`` fit for errors, logs and summaries: no password, query or fragment.

    The one way a URL is shown (fetch and delivery errors, config errors, ``monitor
    check``): feed and webhook URLs carry API tokens in the user name, the password, the
    query and the fragment, so messages never echo them (a query shows as ``?…``).
    ``user``: keep the user name, the password as ``***`` (an SMTP or Redis login names
    the account; the summary shows it). ``path=False``: the path as ``/...`` (a webhook's
    path is often its token). The host and port are shown as written, so that a config
    error shows what is wrong with them, except a port that is not a number: with the
    ``@host`` left out, ``redis://:password`` reads as host "" and port "password".
    ``<invalid URL>`` for what ``urlsplit`` cannot read.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    _, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":") if not hostport.endswith("]") else ("", "", "")
    if colon and port and not port.isdigit():
        hostport = f"{host}:***"
    login = ""
    if user and at:
        login = (parts.username or "") + (":***" if parts.password is not None else "") + "@"
    shown = f"{parts.scheme}://{login}{hostport}" if parts.scheme else ""
    if not path:
        return shown + "/..."
    return shown + parts.path + ("?…" if parts.query else "")
