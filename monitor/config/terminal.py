"""What the environment says about colour on a terminal: ``NO_COLOR`` (no-color.org).

Reads the environment; that is why it sits in ``config/``, the only package allowed to.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def color_refused(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``NO_COLOR`` is set to anything but the empty string."""
    return bool((os.environ if environ is None else environ).get("NO_COLOR"))
