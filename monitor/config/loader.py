"""Load the monitor's YAML configuration (docs/config.md): files in, a validated ``Config`` out.

Runs the stages below over one shared ``LoadState`` (loadstate.py: where each key was
written, which values came from the environment, the problems so far) and turns every
fault into one line ``FILE:LINE: key.path: message``. Reading config files is the only
I/O of the config package; this module and ``paths.py`` are the only readers of
``os.environ``. ``schema.py`` owns the shape; the stages own the words.

The stages, each collecting problems instead of stopping so users see them all at once:

1. ``yamllines.py``: read each file with a ``yaml.SafeLoader`` that records the line of
   every mapping key and list item and reports duplicate keys (libyaml's ``CSafeLoader``
   when there is one; on any fault the pure reader reads again, so messages are the
   same); ``yamlguard`` refuses deep nesting and alias bombs before any tree is built;
2. ``merge.py``: merge the files (sorted by name): ``feeds`` lists concatenate, the named
   sections and ``settings`` merge by key, and a name (or feed id) defined twice is an
   error naming both places;
3. ``interpolate.py``: expand ``${VAR}`` and ``${VAR:-default}`` (the default also
   replaces an empty value, as in the shell; ``$${`` is a literal ``${``) in every string;
4. ``validation.py``: validate with pydantic and translate its errors;
5. ``references.py``: check references: watchlist topics, speakers, channels and feeds
   (an id or ``tag:NAME``) must exist, and ``when:`` queries must parse.

Problems are sorted by file (in reading order) and line, and raised as ``ConfigError``.

Top-level keys starting with ``x-`` are ignored (as in docker compose), so a file can hold
``&anchors`` to reuse with ``*aliases`` or ``<<:`` merges.

Key paths use the names users wrote: ``from``, not ``from_``; ``channels.hook.url``, not
pydantic's union tag; ``topics.NATO[2]`` for the shorthand list form. A feed is addressed
by its id when it has a valid one (``feeds[sputnik-ar].every``), else by its 0-based
position in its own file (``feeds[2].every``): the ``FILE:LINE`` prefix says which file, and
a position in the merged list would mean nothing to the person reading the file.

Secrets: a value that came from the environment never appears in a problem or in
``summary.summarize()``; a message about an interpolated string shows what the user wrote
(``'${HOOK_URL}'``) instead of what it expanded to.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.config.interpolate import interpolate
from monitor.config.loadstate import NAMED, LoadState
from monitor.config.merge import Merged, check_feed_ids, merge
from monitor.config.paths import proxy_variables
from monitor.config.references import check_private_channels, check_references
from monitor.config.schema import Config
from monitor.config.validation import check_feed_sources, validate
from monitor.config.yamlguard import FAST_LOADER as FAST_LOADER  # re-exported: tests skip on it
from monitor.config.yamllines import FAST_LINE_LOADER, LineMixin, read_file
from monitor.errors import ConfigError

__all__ = ["load_config"]

# the fast reader, when libyaml is there; a test or bench sets it to None for the pure one
_FAST_LINE_LOADER: type[LineMixin] | None = FAST_LINE_LOADER


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, merge, interpolate and validate the config at ``path`` (a file or a folder).

    ``env`` defaults to ``os.environ``. Raises ``ConfigError`` listing every problem.
    """
    files = config_files(Path(path))
    return _load(files, os.environ if env is None else env)


def config_files(path: Path) -> list[Path]:
    """The files a config at ``path`` is read from: the file itself, or a folder's
    ``*.yaml``/``*.yml`` by name, hidden files left out (what a reload watches too)."""
    if path.is_dir():
        files = sorted(
            (
                child
                for child in path.iterdir()
                if child.suffix in (".yaml", ".yml")
                and child.is_file()
                and not child.name.startswith(".")  # editor backups, not config
            ),
            key=lambda child: child.name,
        )
        if not files:
            raise ConfigError([f"{path}: no *.yaml or *.yml files in this directory"])
        return files
    if path.is_file():
        return [path]
    if not path.exists():
        raise ConfigError([f"{path}: no such file or directory"])
    raise ConfigError([f"{path}: not a file or a directory"])


def _load(files: list[Path], env: Mapping[str, str]) -> Config:
    state = LoadState([str(file) for file in files])
    whole = Merged()
    for file in files:
        doc = read_file(file, state, _FAST_LINE_LOADER)
        if doc is not None:
            merge(doc, whole, state)
    check_feed_ids(whole.feeds, state)
    merged: dict[str, Any] = {"feeds": interpolate(whole.feeds, ("feeds",), env, state)}
    for section in NAMED:
        merged[section] = interpolate(whole.named[section], (section,), env, state)
    check_feed_sources(merged["feeds"], state)
    config = validate(merged, state)
    check_references(merged, config, state)
    check_private_channels(merged, state)
    if state.problems or config is None:
        raise ConfigError(state.messages())
    warnings = _warnings(config, state)
    update: dict[str, Any] = {"source_files": tuple(files), "load_warnings": tuple(warnings)}
    if any(feed.trust_env for feed in config.feeds):
        update["environment_proxies"] = proxy_variables(env)
    return config.model_copy(update=update)


def _warnings(config: Config, state: LoadState) -> list[str]:
    """``FILE:LINE: key: warning: ...`` for a valid config that cannot do anything."""
    found = []
    for key, count, effect in (
        ("feeds", len(config.feeds), "nothing will be polled"),
        ("watchlists", len(config.watchlists), "nothing can alert"),
    ):
        if not count:
            file, line = state.where((key,))
            found.append(f"{file}:{line}: {key}: warning: none defined; {effect}")
    return found
