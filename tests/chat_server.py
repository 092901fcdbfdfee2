"""A fake Slack / Teams / Discord / Mattermost / ntfy endpoint on 127.0.0.1 for tests.

Each path checks the payload shape its service documents for incoming messages and
answers 400 with the reason when it is wrong (as the services do), else the status the
test set (200 by default, 500 to make a send fail). Every request is kept.

Does I/O: binds a 127.0.0.1 port, serves it from a thread.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.helpers import http_server


@dataclass
class ChatPost:
    service: str
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


def _slack(payload: dict[str, Any]) -> str | None:
    # api.slack.com/messaging/webhooks: "text" (the fallback) and/or "blocks"
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        return "missing_text"
    for block in payload.get("blocks", []):
        if block.get("type") != "section" or block["text"].get("type") != "mrkdwn":
            return "invalid_blocks"
        if len(block["text"]["text"]) > 3000:
            return "invalid_blocks: text over 3000"
    return None


def _teams(payload: dict[str, Any]) -> str | None:
    # Teams Workflows: {"type": "message", "attachments": [{adaptive card}]}
    if payload.get("type") != "message" or not payload.get("attachments"):
        return "not a message with attachments"
    for attachment in payload["attachments"]:
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            return "not an adaptive card"
        card = attachment["content"]
        if card.get("type") != "AdaptiveCard" or not card.get("version"):
            return "bad card"
        if not all(b.get("type") == "TextBlock" and b.get("text") for b in card["body"]):
            return "bad card body"
    return None


def _discord(payload: dict[str, Any]) -> str | None:
    # discord.com/developers/docs/resources/webhook#execute-webhook
    embeds = payload.get("embeds", [])
    if not payload.get("content") and not embeds:
        return "Cannot send an empty message"
    if len(payload.get("content") or "") > 2000 or len(embeds) > 10:
        return "content or embeds too long"
    for embed in embeds:
        if len(embed.get("title", "")) > 256 or len(embed.get("description", "")) > 4096:
            return "embed too long"
    return None


def _mattermost(payload: dict[str, Any]) -> str | None:
    # Mattermost incoming webhooks take Slack's shape: "text" (Markdown)
    return None if isinstance(payload.get("text"), str) and payload["text"] else "no text"


def _ntfy(payload: dict[str, Any]) -> str | None:
    # docs.ntfy.sh/publish/#publish-as-json: POST / with "topic" and "message"
    if not isinstance(payload.get("topic"), str) or not payload["topic"]:
        return "topic missing"
    return None if isinstance(payload.get("message"), str) else "message missing"


CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "slack": _slack,
    "teams": _teams,
    "discord": _discord,
    "hooks": _mattermost,  # Mattermost posts to /hooks/TOKEN
    "": _ntfy,  # ntfy publishes JSON to the server's root
}


@dataclass
class ChatServer:
    port: int = 0
    posts: list[ChatPost] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    status: int = 200

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port}/{service}/T0KEN-s3cret"

    def of(self, service: str) -> list[ChatPost]:
        return [post for post in self.posts if post.service == service]


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    state = ChatServer()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            service = self.path.strip("/").split("/", 1)[0].split("?", 1)[0]
            check = CHECKS.get(service)
            try:
                payload = json.loads(raw)
                problem = check(payload) if check else f"no such service {service!r}"
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                payload, problem = {}, f"bad payload: {exc}"
            with lock:
                if problem:
                    state.refused.append(f"{service}: {problem}")
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    state.posts.append(ChatPost(service, self.path, headers, payload))
            status = 400 if problem else state.status
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as port:
        state.port = port
        yield state
