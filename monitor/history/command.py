"""``monitor items search``: the command's arguments in, JSON Lines out.

Does I/O: opens the history (``settings.history_url``), prints one JSON object per
item found to stdout, newest first: the item (SPEC 5's ``item`` with its feed and
when it was seen) and the evidence (topics, speakers, hits). Errors are one line on
stderr and exit 1 (2 for a malformed query or option).
"""

from __future__ import annotations

import argparse
import json
import sys

from monitor.config.schema import Config, duration_ago
from monitor.history.database import history_url
from monitor.history.find import search
from monitor.match.query import QuerySyntaxError

__all__ = ["history_url", "items_search"]


def _fail(message: str, code: int) -> int:
    print(f"monitor: items search: {message}", file=sys.stderr)
    return code


def items_search(args: argparse.Namespace, config: Config) -> int:
    from monitor.history import open_history

    if not args.query:
        return _fail("a query is needed: monitor items search QUERY", 2)
    since = None
    if args.since is not None:
        try:
            since = duration_ago(args.since)
        except ValueError as exc:
            return _fail(f"--since: {exc}", 2)
    with open_history(history_url(config.settings)) as history:
        try:
            for stored, match in search(
                history,
                config,
                args.query,
                since=since,
                feed=args.feed,
                language=args.lang,
                limit=args.limit,
            ):
                line = {
                    "item": {**stored.item.summary(), "feed": stored.item.feed_id},
                    "seen_at": stored.seen_at.isoformat(timespec="seconds"),
                    "topics": list(match.topics),
                    "speakers": [s.to_dict() for s in match.speakers],
                    "hits": [h.to_dict() for h in match.hits],
                }
                print(json.dumps(line, ensure_ascii=False))
        except QuerySyntaxError as exc:
            return _fail(f"bad query: {exc}", 2)
    return 0
