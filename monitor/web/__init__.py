"""The web console and JSON API (``monitor web``): alerts with their evidence, feed
health, a watchlist tried on a text, the history's search (docs/web.md).

``create_app`` builds the Starlette application over one config and its history;
``monitor.web.serve`` runs it with uvicorn, refusing a non-loopback address without
``settings.web.token``.
"""

from __future__ import annotations

from monitor.web.app import create_app

__all__ = ["create_app"]
