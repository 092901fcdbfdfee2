"""Alerts: decide (one alert per watchlist and story), render, and deliver them.

``decide.py`` and ``render.py`` are pure; ``channels/`` and ``deliver.py`` do the I/O.
"""

from __future__ import annotations

from monitor.alerts.decide import alert_id, decide, story_key
from monitor.alerts.deliver import deliver_each
from monitor.alerts.retry import compute_backoff

__all__ = ["alert_id", "compute_backoff", "decide", "deliver_each", "story_key"]
