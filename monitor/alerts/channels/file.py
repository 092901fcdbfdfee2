"""The file channel: JSON Lines, one webhook body (docs/output.md) per alert. Does file I/O.

Each line goes out in one ``write`` on an ``O_APPEND`` descriptor and is fsynced, so
several processes can share the file without interleaving and a crash never leaves a
"sent" alert only in a buffer.
"""

from __future__ import annotations

import os
from pathlib import Path

from monitor.alerts.render import webhook_body
from monitor.errors import TransientDeliveryError
from monitor.model import Alert


class FileChannelSender:
    def __init__(self, name: str, path: str | Path) -> None:
        self.name = name
        self.path = Path(path)

    def send(self, alert: Alert) -> None:
        # json.dumps escapes newlines inside strings, so the body is exactly one line.
        self._append(webhook_body(alert) + b"\n")

    def send_each(self, alerts: list[Alert]) -> None:
        """Each alert's line, all in one write and one fsync."""
        self._append(b"".join(webhook_body(alert) + b"\n" for alert in alerts))

    def send_digest(self, alerts: list[Alert], digest_id: str, held: int = 0) -> None:
        """A digest in the file is its alerts, one line each, in one write (a line per
        alert has no place for ``held``: every held alert is there)."""
        self.send_each(alerts)

    def _append(self, line: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                view = memoryview(line)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise TransientDeliveryError(
                f"file channel {self.name}: could not append to {self.path}: "
                f"{exc.strerror or type(exc).__name__}"
            ) from exc
