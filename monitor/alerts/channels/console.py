"""The console channel: readable alerts on a text stream (stdout by default). Does I/O."""

from __future__ import annotations

import sys
from typing import TextIO

from monitor.alerts.render import render_console, render_digest_text
from monitor.errors import TransientDeliveryError
from monitor.model import Alert


class ConsoleChannelSender:
    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    def send(self, alert: Alert) -> None:
        self._write(render_console(alert))

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        self._write(render_digest_text(alerts, held))

    def _write(self, text: str) -> None:
        # Resolve sys.stdout at send time so pytest's capture and redirections apply.
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(text + "\n\n")
            stream.flush()
        except OSError as exc:  # a closed pipe may come back (e.g. a restarted pager)
            raise TransientDeliveryError(
                f"console channel {self.name}: could not write ({type(exc).__name__})"
            ) from exc
