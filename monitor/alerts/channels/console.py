"""The console channel: readable alerts on a text stream (stdout by default). Does I/O.

Matched terms are bold yellow and the headline bold when the stream is a terminal and
``NO_COLOR`` is unset or empty (https://no-color.org); piped or redirected output is
plain text.
"""

from __future__ import annotations

import sys
from typing import TextIO

from monitor.alerts.render import render_console, render_digest_text
from monitor.config.terminal import color_refused
from monitor.errors import TransientDeliveryError
from monitor.model import Alert


def wants_color(stream: TextIO) -> bool:
    """Colour for ``stream``: a TTY, and ``NO_COLOR`` unset or empty."""
    if color_refused():
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


class ConsoleChannelSender:
    def __init__(
        self, name: str, stream: TextIO | None = None, *, public_url: str | None = None
    ) -> None:
        self.name = name
        self._stream = stream
        self._public_url = public_url

    def _target(self) -> TextIO:
        # Resolve sys.stdout at send time so pytest's capture and redirections apply.
        return self._stream if self._stream is not None else sys.stdout

    def send(self, alert: Alert) -> None:
        stream = self._target()
        color = wants_color(stream)
        self._write(stream, render_console(alert, color=color, public_url=self._public_url))

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        stream = self._target()
        color = wants_color(stream)
        text = render_digest_text(alerts, held, color=color, public_url=self._public_url)
        self._write(stream, text)

    def _write(self, stream: TextIO, text: str) -> None:
        try:
            stream.write(text + "\n\n")
            stream.flush()
        except OSError as exc:  # a closed pipe may come back (e.g. a restarted pager)
            raise TransientDeliveryError(
                f"console channel {self.name}: could not write ({type(exc).__name__})"
            ) from exc
