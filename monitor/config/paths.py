"""Where the configuration lives when the command line does not say.

Reads the environment (``MONITOR_CONFIG``); that is why it sits in ``config/``,
the only package allowed to.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_CONFIG = Path("config")


def default_config_path() -> Path:
    """``$MONITOR_CONFIG`` when set, else ``./config`` (docs/config.md)."""
    return Path(os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def cache_dir() -> Path:
    """Where derived files are kept between runs (the uncompressed language model):
    ``$MONITOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/monitor``, else ``~/.cache/monitor``."""
    if os.environ.get("MONITOR_CACHE_DIR"):
        return Path(os.environ["MONITOR_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "monitor"


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def proxy_variables(env: Mapping[str, str]) -> dict[str, str]:
    """The proxy variables feeds with ``trust_env: true`` honour, by lower-case name: the
    lower-case spelling wins over the upper-case one, as curl and urllib read them."""
    found: dict[str, str] = {}
    for name in PROXY_VARIABLES:
        value = env.get(name) or env.get(name.upper())
        if value:
            found[name] = value
    return found
