"""Failures are visible (issue #12 item 5): one delivery log line whose level says how it
went, the same in both runners, and run statistics that say when ``run --once`` failed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor import cli
from monitor.alerts.deliver import log_delivery
from monitor.config.loader import load_config
from monitor.errors import DeliveryError, TransientDeliveryError
from monitor.match.engine import build_matcher
from monitor.model import Alert, DeliveryResult, WireItem
from monitor.pipeline import Runtime, build_channels, deliver_alerts, process_item, utcnow
from monitor.runner import EmbeddedRunner, RunStats
from monitor.state.base import LedgerEntry
from monitor.state.memory import MemoryStore
from tests.helpers import SEED_AR, example_config


@pytest.mark.parametrize(
    ("status", "level"), [("sent", "info"), ("retry", "warning"), ("dead", "error")]
)
def test_the_level_of_a_delivery_line_follows_its_outcome(status: str, level: str) -> None:
    result = DeliveryResult("alrt_1", "desk-email", status, 2, "SMTP 554 refused", 3.0)  # type: ignore[arg-type]
    with capture_logs() as logs:
        log_delivery(result)
    [line] = logs
    assert (line["event"], line["log_level"]) == ("delivery", level)
    assert (line["alert"], line["channel"], line["status"]) == ("alrt_1", "desk-email", status)
    if status != "sent":
        assert line["reason"] == "SMTP 554 refused"


def test_run_stats_fail_on_a_dead_letter_or_when_every_poll_failed() -> None:
    assert not RunStats().failed  # no feed at all is no failure
    assert not RunStats(polls=3, poll_failures=2).failed
    assert RunStats(polls=2, poll_failures=2).failed
    assert RunStats(polls=2, deliveries=5, failures=1).failed
    summary = RunStats(polls=2, poll_failures=1, items=4, alerts=2, deliveries=1, failures=1)
    assert summary.summary() == (
        "run finished: feed polls 2, failed 1; items 4; alerts 2; "
        "deliveries sent 1, dead 1, pending 0"
    )


class _Refusing:
    """A channel whose server refuses every alert (permanent) or answers 'later'."""

    def __init__(self, error: Exception) -> None:
        self.name = "archive"
        self.error = error

    def send(self, alert: Alert) -> None:
        raise self.error


def _runtime(tmp_path: Path) -> Runtime:
    config = load_config(example_config(tmp_path, seeds=[SEED_AR]), env={})
    return Runtime(config, MemoryStore(), build_matcher(config), build_channels(config))


def test_the_embedded_runner_counts_and_logs_a_dead_letter(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    runtime.channels["archive"] = _Refusing(DeliveryError("HTTP 400 from the receiver"))
    with capture_logs() as logs:
        stats = EmbeddedRunner(runtime).run(once=True)
    assert (stats.alerts, stats.deliveries, stats.failures) == (1, 1, 1)  # stdout went
    assert stats.failed
    [dead] = [line for line in logs if line["event"] == "delivery" and line["status"] == "dead"]
    assert dead["log_level"] == "error" and dead["channel"] == "archive"
    assert "HTTP 400" in dead["reason"]


def test_the_celery_deliver_tasks_call_logs_a_dead_letter_at_error(tmp_path: Path) -> None:
    """``workers.tasks.deliver`` calls ``pipeline.deliver_alerts``: the same line."""
    runtime = _runtime(tmp_path)
    item = WireItem(id="x1", title="NATO summit", body="NATO met.", source="t")
    [alert] = process_item(item, runtime.matcher, runtime.store, runtime.config, now=utcnow())
    channels = {"archive": _Refusing(DeliveryError("HTTP 410 gone"))}
    with capture_logs() as logs:
        [result] = deliver_alerts(
            [alert],
            channels,
            runtime.store,
            runtime.config,
            now=utcnow(),
            only="archive",
        )
    assert result.status == "dead"
    [line] = [line for line in logs if line["event"] == "delivery"]
    assert (line["log_level"], line["alert"], line["channel"]) == ("error", alert.id, "archive")
    assert "HTTP 410" in line["reason"]


def test_a_retry_left_for_the_next_run_is_pending_not_failed(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    # due long after --once stops waiting for retries
    later = TransientDeliveryError("try later", retry_after=3600)
    runtime.channels["archive"] = _Refusing(later)
    with capture_logs() as logs:
        stats = EmbeddedRunner(runtime).run(once=True)
    assert (stats.failures, stats.pending) == (0, 1) and not stats.failed
    [retry] = [line for line in logs if line["event"] == "delivery" and line["status"] == "retry"]
    assert retry["log_level"] == "warning" and retry["retry_in"] == 3600


@pytest.fixture(autouse=True)
def _no_logging_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cli.main`` configures logging for the process: not in this one, shared by tests."""
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)


def _listed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, tty: bool) -> list[str]:
    tmp_path.mkdir()
    path = tmp_path / "state.db"
    config = tmp_path / "monitor.yaml"
    config.write_text(f"settings:\n  store: sqlite:///{path}\n", encoding="utf-8")
    from monitor.state.sqlite import SqliteStore

    store = SqliteStore(path)
    payload = '{"not": "an alert"}'
    store.put_delivery(LedgerEntry("alrt_9", "stdout", "dead", 1, "HTTP 500", 1e9, payload))
    store.close()
    out = io.StringIO()
    monkeypatch.setattr(out, "isatty", lambda: tty)
    monkeypatch.setattr("sys.stdout", out)
    assert cli.main(["alerts", "list", "--config", str(config)]) == 0
    return out.getvalue().splitlines()


def test_alerts_list_header_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _listed(monkeypatch, tmp_path / "a", tty=False)[0].startswith("alrt_9\t")
    header, row = _listed(monkeypatch, tmp_path / "b", tty=True)
    assert header == "\t".join(cli.LIST_HEADER) and row.startswith("alrt_9\t")


def test_ids_after_an_option_are_ids(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``alerts retry --embedded ID``: argparse leaves ID unrecognized; it is an id."""
    config = tmp_path / "monitor.yaml"
    config.write_text(f"settings:\n  store: sqlite:///{tmp_path / 'db'}\n", encoding="utf-8")
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    code = cli.main(["alerts", "retry", "--embedded", "alrt_x", "--config", str(config)])
    assert code == 1 and "'alrt_x'" in err.getvalue()
