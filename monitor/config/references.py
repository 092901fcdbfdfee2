"""Stage 5 of a config load: the cross-references pydantic cannot check.

A watchlist names topics, speakers, channels and feeds (an id or ``tag:NAME``) defined
elsewhere, perhaps in another file; ``when:`` queries name them too, and
``settings.ops_channel`` names a channel. A name that does not exist would silently
match or send nothing, so each is reported with a "did you mean". Also here: a channel
on a private or loopback address, which the network guard would refuse at every send.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from monitor.config.loadstate import KeyPath, LoadState
from monitor.config.schema import Config
from monitor.config.words import hint
from monitor.match.query import Query, QuerySyntaxError, When, named_refs, parse_when
from monitor.net import guard


def check_references(merged: dict[str, Any], config: Config | None, state: LoadState) -> None:
    """Every name a watchlist or ``settings.ops_channel`` gives is defined."""
    _check_ops_channel(merged, state)
    feeds = [feed for feed in merged["feeds"] if isinstance(feed, dict)]
    known = {
        "topic": set(merged["topics"]),
        "speaker": set(merged["speakers"]),
        "channel": set(merged["channels"]),
        "feed": {feed["id"] for feed in feeds if isinstance(feed.get("id"), str)},
        "tag": {tag for feed in feeds for tag in _strings(feed.get("tags"))},
    }
    for name, watchlist in merged["watchlists"].items():
        if not isinstance(watchlist, dict):
            continue
        base: KeyPath = ("watchlists", name)
        if not str(name).strip():  # alert ids and the story index are keyed by the name
            state.add(state.where(base), base, "a watchlist needs a name")
        for key, kind in (
            ("topics", "topic"),
            ("speakers", "speaker"),
            ("channels", "channel"),
        ):
            for ref, path in _refs(watchlist.get(key), (*base, key)):
                _check_ref(path, kind, ref, known[kind], state)
        for ref, path in _refs(watchlist.get("feeds"), (*base, "feeds")):
            if ref == "tag:":
                state.add(state.where(path), path, "tag: needs a name, like tag:wire")
            elif ref.startswith("tag:"):
                _check_ref(path, "tag", ref[4:], known["tag"], state)
            else:
                _check_ref(path, "feed", ref, known["feed"], state)
        when = _when(name, watchlist, config)
        if isinstance(when, str):  # any | all
            if not (watchlist.get("topics") or watchlist.get("speakers")):
                message = "a watchlist needs topics:, speakers: or a when: query"
                state.add(state.where(base), base, message)
        elif when is not None:
            _check_query((*base, "when"), when, known, state)


def _check_ops_channel(merged: dict[str, Any], state: LoadState) -> None:
    """``settings.ops_channel`` names a defined channel (feed health alerts go there)."""
    settings = merged.get("settings")
    channel = settings.get("ops_channel") if isinstance(settings, dict) else None
    if isinstance(channel, str):
        path: KeyPath = ("settings", "ops_channel")
        _check_ref(path, "channel", channel, set(merged["channels"]), state)


def _check_ref(path: KeyPath, kind: str, ref: str, known: set[str], state: LoadState) -> None:
    if ref in known or state.is_failed(path):
        return
    what = "no feed has tag" if kind == "tag" else f"unknown {kind}"
    message = f"{what} {ref!r}{hint(ref, sorted(known), list_all=True)}"
    if state.unloaded:
        message += state.unloaded_note()
    elif not known:
        message += f" (no {kind}s are defined)"
    state.add(state.where(path), path, message)


def _check_query(path: KeyPath, query: Query, known: dict[str, set[str]], state: LoadState) -> None:
    """The names a query's fields give (``speaker:"…"``, ``topic:"…"``, ``feed:ID``,
    ``tag:NAME``) are defined."""
    for kind, ref, column in named_refs(query):
        if ref not in known[kind]:
            what = "no feed has tag" if kind == "tag" else f"unknown {kind}"
            suggestion = hint(ref, sorted(known[kind]))
            note = state.unloaded_note()
            state.add(
                state.where(path), path, f"{what} {ref!r} at column {column}{suggestion}{note}"
            )


def check_private_channels(merged: dict[str, Any], state: LoadState) -> None:
    """A channel on a private or loopback IP literal would be refused at every send.

    Read from the merged data, so it is reported along with every other fault."""
    settings = merged["settings"]
    if isinstance(settings, dict) and settings.get("allow_private_networks") is True:
        return
    for name, channel in merged["channels"].items():
        kind = channel.get("type") if isinstance(channel, dict) else None
        key = {"webhook": "url", "email": "smtp"}.get(str(kind))
        url = channel.get(key) if key else None
        if not isinstance(url, str) or channel.get("allow_private") is True:
            continue
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            continue  # the URL check reports it
        address = guard.literal_address(host)
        if address is None or guard.is_public(address):
            continue
        path = ("channels", name, key)
        state.add(
            state.where(path),
            path,
            f"{address} is not a public address: sending would be refused ({guard.CHANNELS.hint})",
        )


def _when(name: str, watchlist: dict[str, Any], config: Config | None) -> When | None:
    """Watchlist ``name``'s ``when:`` as the schema read it; None when it could not be
    read (the schema's error says why). References are checked even where other keys
    failed validation, so that every problem shows at once: the value is then read here
    with the same ``parse_when``."""
    if config is not None:
        return config.watchlists[name].when
    raw = watchlist.get("when", "any")
    try:
        return parse_when(raw) if isinstance(raw, str) else None
    except QuerySyntaxError:
        return None


def _strings(value: Any) -> list[str]:
    return [ref for ref, _ in _refs(value, ())]


def _refs(value: Any, path: KeyPath) -> Iterator[tuple[str, KeyPath]]:
    """The names in a name-or-list-of-names value, each with its own path."""
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield item, (*path, index)
