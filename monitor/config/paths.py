"""Where the configuration lives when the command line does not say.

Reads the environment (``MONITOR_CONFIG``); that is why it sits in ``config/``,
the only package allowed to.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG = Path("config")


def default_config_path() -> Path:
    """``$MONITOR_CONFIG`` when set, else ``./config`` (SPEC section 1)."""
    return Path(os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def cache_dir() -> Path:
    """Where derived files are kept between runs (the uncompressed language model):
    ``$MONITOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/monitor``, else ``~/.cache/monitor``."""
    if os.environ.get("MONITOR_CACHE_DIR"):
        return Path(os.environ["MONITOR_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "monitor"
