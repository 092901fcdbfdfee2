"""The Try page and ``POST /api/try``: a watchlist tried on a text, nothing sent.

Pure but for the history read of a stored item (done by the caller). The text is read
as ``monitor match -`` reads stdin (a plain wire story: first line the headline; or a
feed, NewsML, ninjs), and as a story when it looks like markup but is none. The
watchlist is one of the config's, or YAML: either one watchlist (``topics: [NATO]``,
``when: …``: the config's topics and speakers by name) or a fragment with
``topics:``/``speakers:`` definitions and ``watchlists:``, tried in place of the
config's watchlists. A YAML watchlist gets a matcher of its own, dropped after the
trial (a configured one uses the console's); no alert is made, nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from monitor.config.schema import Config, SpeakerConfig, TopicConfig, WatchlistConfig
from monitor.config.yamlguard import FAST_LOADER, LimitError, check_limits
from monitor.errors import ParseError, one_line
from monitor.match.engine import Matcher
from monitor.match.query import QuerySyntaxError
from monitor.model import Match, WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.sources.wire import parse_wire_text

__all__ = [
    "MAX_TRIAL_ITEMS",
    "MAX_TRIAL_TEXT",
    "TRIAL_WATCHLIST",
    "TrialError",
    "TrialResult",
    "check_watchlist",
    "match_items",
    "pasted_items",
    "trial_config",
    "trial_matcher",
]

TRIAL_WATCHLIST = "try"
MAX_TRIAL_TEXT = 512 * 1024  # characters of text or YAML
MAX_TRIAL_ITEMS = 20
_PASTED = "pasted text"
_YAML = FAST_LOADER or yaml.SafeLoader
_M = TypeVar("_M", bound=BaseModel)


class TrialError(ValueError):
    """A one-line reason the trial cannot run (bad YAML, unknown name, empty text)."""


@dataclass(frozen=True)
class TrialResult:
    item: WireItem
    matches: tuple[Match, ...]


def pasted_items(text: str) -> list[WireItem]:
    """The items of a pasted text (at most ``MAX_TRIAL_ITEMS``)."""
    if not text.strip():
        raise TrialError("the text is empty")
    if len(text) > MAX_TRIAL_TEXT:
        raise TrialError(f"the text is longer than {MAX_TRIAL_TEXT} characters")
    data = text.encode("utf-8", "replace")
    try:
        found = parse_bytes(data, SourceContext(source=_PASTED))
    except ParseError as exc:
        try:  # not a feed after all: a story whose headline starts with "<" or "{"
            found = parse_wire_text(data, SourceContext(source=_PASTED))
        except ParseError:
            raise TrialError(one_line(str(exc))) from None
    if not found:
        raise TrialError("no item in the text")
    return found[:MAX_TRIAL_ITEMS]


def _read_yaml(text: str) -> Any:
    if len(text) > MAX_TRIAL_TEXT:
        raise TrialError(f"the YAML is longer than {MAX_TRIAL_TEXT} characters")
    scanner = _YAML(text)
    try:
        check_limits(scanner)
        loader = _YAML(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except LimitError as exc:
        raise TrialError(f"YAML line {exc.line}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TrialError(f"YAML{where}: {one_line(str(problem), 200)}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise TrialError(f"YAML: cannot be read: {one_line(str(exc), 200)}") from None
    finally:
        scanner.dispose()


def _model(cls: type[_M], data: Any, where: str) -> _M:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(part) for part in (where, *error["loc"]))
        raise TrialError(f"{path}: {one_line(error['msg'], 200)}") from None


def _named(data: Any, section: str, cls: type[TopicConfig] | type[SpeakerConfig]) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TrialError(f"{section}: expected a mapping of names to definitions")
    return {str(name): _model(cls, value, f"{section}.{name}") for name, value in data.items()}


def _check_names(config: Config) -> None:
    for name, watchlist in config.watchlists.items():
        for section, known, wanted in (
            ("topics", config.topics, watchlist.topics),
            ("speakers", config.speakers, watchlist.speakers),
        ):
            for entry in wanted:
                if entry not in known:
                    listed = ", ".join(sorted(known)) or "none"
                    raise TrialError(
                        f"watchlists.{name}.{section}: no {section[:-1]} {entry!r} "
                        f"(known: {one_line(listed, 200)})"
                    )


def check_watchlist(config: Config, watchlist: str) -> None:
    if watchlist not in config.watchlists:
        known = ", ".join(sorted(config.watchlists)) or "none"
        raise TrialError(f"no watchlist {watchlist!r} in the config (known: {known})")


def trial_config(config: Config, yaml_text: str) -> Config:
    """``config`` with the watchlist(s) of the YAML in place of its own."""
    if not yaml_text.strip():
        raise TrialError("pick a watchlist or write one in YAML")
    data = _read_yaml(yaml_text)
    if not isinstance(data, dict):
        raise TrialError("the YAML must be a mapping: a watchlist, or topics/speakers/watchlists")
    update: dict[str, Any]
    if "watchlists" in data:
        extra = sorted(str(k) for k in data if k not in ("topics", "speakers", "watchlists"))
        if extra:
            raise TrialError(f"{extra[0]}: not taken here (topics, speakers, watchlists)")
        watchlists = data["watchlists"]
        if not isinstance(watchlists, dict) or not watchlists:
            raise TrialError("watchlists: expected a mapping of names to watchlists")
        update = {
            "topics": {**config.topics, **_named(data.get("topics"), "topics", TopicConfig)},
            "speakers": {
                **config.speakers,
                **_named(data.get("speakers"), "speakers", SpeakerConfig),
            },
            "watchlists": {
                str(name): _model(WatchlistConfig, value, f"watchlists.{name}")
                for name, value in watchlists.items()
            },
        }
    else:
        update = {"watchlists": {TRIAL_WATCHLIST: _model(WatchlistConfig, data, "watchlist")}}
    trial = config.model_copy(update=update)
    _check_names(trial)
    return trial


def trial_matcher(config: Config, *, feedless_pass: bool) -> Matcher:
    """A matcher for ``config`` (``trial_config``'s); a bad ``when:`` is a TrialError.
    ``feedless_pass``: a pasted text comes from no feed, so ``feeds:`` filters pass it."""
    try:
        return Matcher(config, feedless_items_pass_feed_filters=feedless_pass)
    except QuerySyntaxError as exc:
        raise TrialError(f"when: {one_line(str(exc), 200)}") from None


def match_items(
    matcher: Matcher, items: list[WireItem], only: str | None = None
) -> list[TrialResult]:
    """Each item with its matches (``only``: of that watchlist alone)."""
    return [
        TrialResult(item, tuple(m for m in matcher.match(item) if only in (None, m.watchlist)))
        for item in items
    ]
