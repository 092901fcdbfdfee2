"""The OpenAPI 3.1 description of ``/api/``, written by hand to match ``monitor.web.api``.

Pure: a dict built once. Schemas are loose where the shapes are the commands' (an
alert is what ``monitor alerts show --json`` prints) and name their main fields.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["openapi"]

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": _STRING}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, text: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": text,
        "schema": _STRING,
    }


def _answer(schema: dict[str, Any], text: str = "OK") -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _answer(_ref("Error"), "a bad parameter, named in the message"),
    "401": _answer(_ref("Error"), "settings.web.token is set and no bearer token was sent"),
}
_FILTERS = [
    _query("watchlist", "alerts of this watchlist"),
    _query("feed", "alerts whose item came from this feed id"),
    _query("lang", "alerts whose item is in this language (ar, en, ...)"),
    _query("speaker", "alerts naming this speaker (the config's name)"),
    _query("since", "alerts of the last D (30m, 24h, 7d)"),
    _query("before", "the cursor `next` of the page before"),
]

_SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": _STRING}},
    "Item": {
        "type": "object",
        "required": ["id", "title"],
        "properties": {
            "id": _STRING,
            "title": _STRING,
            "url": _NULLABLE_STRING,
            "language": _NULLABLE_STRING,
            "published": _NULLABLE_STRING,
            "agency": _NULLABLE_STRING,
            "publisher": _NULLABLE_STRING,
        },
    },
    "Hit": {
        "type": "object",
        "required": ["field", "start", "end", "text"],
        "properties": {
            "topic": _STRING,
            "speaker": _STRING,
            "field": {"enum": ["title", "body"]},
            "start": {"type": "integer"},
            "end": {"type": "integer"},
            "text": _STRING,
            "snippet": _STRING,
        },
    },
    "Speaker": {
        "type": "object",
        "required": ["name", "role"],
        "properties": {
            "name": _STRING,
            "role": {"enum": ["quoted", "mentioned"]},
            "quote": _NULLABLE_STRING,
        },
    },
    "Match": {
        "type": "object",
        "required": ["watchlist", "topics", "speakers", "hits"],
        "properties": {
            "watchlist": _STRING,
            "topics": _STRINGS,
            "speakers": {"type": "array", "items": _ref("Speaker")},
            "hits": {"type": "array", "items": _ref("Hit")},
        },
    },
    "Delivery": {
        "type": "object",
        "properties": {
            "channel": _STRING,
            "series": {"type": "integer"},  # 0 as decided; n: the nth `alerts retry`
            "attempt": {"type": "integer"},
            "at": _STRING,
            "status": {"enum": ["sent", "retry", "dead", "held"]},
            "detail": _STRING,
        },
    },
    "Alert": {
        "type": "object",
        "required": ["id", "watchlist", "item", "topics", "speakers", "hits", "story"],
        "properties": {
            "id": _STRING,
            "watchlist": _STRING,
            "topics": _STRINGS,
            "speakers": {"type": "array", "items": _ref("Speaker")},
            "hits": {"type": "array", "items": _ref("Hit")},
            "item": _ref("Item"),
            "story": {"type": "object", "properties": {"id": _STRING, "sources": _STRINGS}},
            "created_at": _STRING,
            "update": {"type": "integer"},
            "deliveries": {"type": "array", "items": _ref("Delivery")},
            "also_carried_by": _STRINGS,
        },
    },
    "Feed": {
        "type": "object",
        "required": ["feed", "configured", "error_streak", "items", "quiet"],
        "properties": {
            "feed": _STRING,
            "configured": {"type": "boolean"},
            "last_success": _NULLABLE_STRING,
            "last_error": _NULLABLE_STRING,
            "error_streak": {"type": "integer"},
            "interval": {"type": ["number", "null"]},
            "items": {"type": "integer"},
            "items_per_day": {"type": "number"},
            "last_item": _NULLABLE_STRING,
            "usual_gap": {"type": ["number", "null"]},
            "quiet": {"type": "boolean"},
        },
    },
    "TryRequest": {
        "type": "object",
        "description": "`text` or `item_id`; `watchlist` (a configured name) or `yaml`",
        "properties": {"text": _STRING, "item_id": _STRING, "watchlist": _STRING, "yaml": _STRING},
    },
}


@cache
def openapi() -> dict[str, Any]:
    """The whole description (the same dict every call: do not change it)."""
    paths: dict[str, Any] = {
        "/api/alerts": {
            "get": {
                "summary": "alerts, newest first (50 a page)",
                "operationId": "listAlerts",
                "parameters": _FILTERS,
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "properties": {
                                "alerts": {"type": "array", "items": _ref("Alert")},
                                "next": _NULLABLE_STRING,
                            },
                        }
                    ),
                    **_ERRORS,
                },
            }
        },
        "/api/alerts/{alert_id}": {
            "get": {
                "summary": "one alert: evidence, every delivery attempt, the story's other outlets",
                "operationId": "getAlert",
                "parameters": [
                    {"name": "alert_id", "in": "path", "required": True, "schema": _STRING}
                ],
                "responses": {
                    "200": _answer(_ref("Alert")),
                    "404": _answer(_ref("Error"), "no such alert"),
                    **_ERRORS,
                },
            }
        },
        "/api/feeds": {
            "get": {
                "summary": "feed health",
                "operationId": "listFeeds",
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "properties": {"feeds": {"type": "array", "items": _ref("Feed")}},
                        }
                    ),
                    **_ERRORS,
                },
            }
        },
        "/api/search": {
            "get": {
                "summary": "the history searched with the watchlist query language",
                "operationId": "searchItems",
                "parameters": [
                    _query("q", "the query", required=True),
                    _query("since", "items seen in the last D"),
                    _query("feed", "items of this feed"),
                    _query("lang", "items in this language"),
                ],
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": {
                                        "allOf": [
                                            _ref("Match"),
                                            {
                                                "type": "object",
                                                "properties": {
                                                    "item": _ref("Item"),
                                                    "seen_at": _STRING,
                                                },
                                            },
                                        ]
                                    },
                                }
                            },
                        }
                    ),
                    **_ERRORS,
                },
            }
        },
        "/api/try": {
            "post": {
                "summary": "a watchlist tried on a text or a stored item; nothing is sent",
                "operationId": "tryWatchlist",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("TryRequest")}},
                },
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "properties": {
                                "results": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "item": _ref("Item"),
                                            "matches": {"type": "array", "items": _ref("Match")},
                                        },
                                    },
                                }
                            },
                        }
                    ),
                    "415": _answer(_ref("Error"), "the body is not application/json"),
                    **_ERRORS,
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "this description",
                "operationId": "openapi",
                "responses": {"200": _answer({"type": "object"})},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "monitor web API",
            "version": "1",
            "description": "Alerts with their evidence, feed health, the history search "
            "and watchlist trials of a news monitor (docs/web.md).",
        },
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }
