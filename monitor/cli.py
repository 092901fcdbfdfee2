"""The ``monitor`` command (the README's Commands): argument parsing and exit codes.

Results go to stdout, logs to stderr. Every command takes ``--config``. User
faults (bad config, unreadable input) end as one line each and exit 1, never a
traceback. The distributed commands (``worker``, ``poller``) hand over to
``python -m workers`` so that this package never imports Celery.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from monitor.config.loader import load_config
from monitor.config.paths import default_config_path
from monitor.config.schema import Config
from monitor.config.summary import summarize
from monitor.errors import ConfigError, MonitorError, ParseError
from monitor.logs import configure_logging, get_logger
from monitor.match.engine import Matcher, build_matcher
from monitor.model import Alert, Match, WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes

if TYPE_CHECKING:  # at run time imported where needed: start-up (tests/unit/test_startup.py)
    from monitor.state.base import Store

log = get_logger(__name__)


# What a command exits with when whoever reads its output goes away (`monitor match | head`):
# 128 + SIGPIPE, what the shell reports for a tool the signal killed, so `set -o pipefail`
# still sees that the output was cut short.
EXIT_BROKEN_PIPE = 141
# `monitor run --once` when a delivery was dead-lettered or every feed poll failed: the run
# itself went through (1 is for faults that stop a command), but cron should hear of it.
EXIT_RUN_FAILURES = 3
# `alerts retry`: tries of its history write (0.5 s, then 1 s between) before it logs
# `history_attempts_lost` and exits as its sends went
RETRY_HISTORY_TRIES = 3


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
    except BrokenPipeError:
        # The reader is gone: nothing more to say to it and no traceback to show. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    return code


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command == "alerts":
        # argparse hands out the positionals before an option, so the ids after one
        # (`alerts retry --embedded ID`) come back unrecognized: they are ids too
        args.ids = [*args.ids, *(arg for arg in unknown if not arg.startswith("-"))]
        unknown = [arg for arg in unknown if arg.startswith("-")]
    if unknown:
        if args.command not in ("worker", "poller"):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.extra = [*unknown, *args.extra]  # options for Celery
    configure_logging(args.log_level)
    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        # `check` prints problems as its result; elsewhere they are an error.
        out = sys.stdout if args.command == "check" else sys.stderr
        for problem in exc.problems:
            print(problem, file=out)
        return 1
    except MonitorError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description="A multilingual news monitor.")
    # --config and --log-level go before or after the command. The top-level parser holds
    # the defaults; the commands' copies default to SUPPRESS, so a command without the
    # option leaves what was given before it (argparse copies a subparser's defaults over).
    common = argparse.ArgumentParser(add_help=False)
    for holder, config_default, level_default in (
        (parser, None, "info"),
        (common, argparse.SUPPRESS, argparse.SUPPRESS),
    ):
        holder.add_argument(
            "--config",
            type=Path,
            default=config_default,
            help="a YAML file or a directory of them (default: $MONITOR_CONFIG or ./config)",
        )
        holder.add_argument(
            "--log-level", default=level_default, help="debug, info, warning, error"
        )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", parents=[common], help="validate the config")
    check.set_defaults(handler=cmd_check)

    match = sub.add_parser("match", parents=[common], help="match local files, print JSON Lines")
    match.add_argument("inputs", nargs="+", help="files or folders to read, or - for stdin")
    match.add_argument("--all", action="store_true", help="also print items that match nothing")
    match.add_argument(
        "--feed",
        metavar="ID",
        help="read the inputs as items of this feed (its id, tags and language hint), so "
        "watchlists' feeds: filters and feed:/tag: queries apply; without it they do not",
    )
    match.set_defaults(handler=cmd_match)

    run = sub.add_parser("run", parents=[common], help="the whole pipeline in one process")
    run.add_argument("--once", action="store_true", help="one pass over every feed, then exit")
    _metrics_port_option(run)
    run.set_defaults(handler=cmd_run)

    for name, text in (("worker", "a Celery worker (Redis)"), ("poller", "the poll scheduler")):
        distributed = sub.add_parser(name, parents=[common], help=text)
        _metrics_port_option(distributed)
        distributed.add_argument("extra", nargs=argparse.REMAINDER, help="passed to Celery")
        distributed.set_defaults(handler=cmd_distributed)

    send_test = sub.add_parser("send-test", parents=[common], help="send a sample alert")
    send_test.add_argument("channel")
    send_test.set_defaults(handler=cmd_send_test)

    alerts = sub.add_parser("alerts", parents=[common], help="the delivery log")
    alerts.add_argument("action", choices=["list", "retry", "dead", "show"])
    alerts.add_argument("ids", nargs="*", help="alert ids (retry: default all dead ones)")
    alerts.add_argument(
        "--embedded",
        action="store_true",
        help="the delivery log of `monitor run` (its state_dir or settings.store), even "
        "when settings.broker_url is set (default then: the workers' log in Redis)",
    )
    alerts.add_argument("--watchlist", metavar="W", help="list: the history's alerts of W")
    alerts.add_argument("--since", metavar="D", help="list: the history's alerts of the last D")
    alerts.add_argument("--json", action="store_true", help="list, show: JSON, one per line")
    alerts.add_argument("--limit", type=int, default=100, help="list --json/--since: at most N")
    alerts.set_defaults(handler=cmd_alerts)

    items = sub.add_parser(
        "items",
        parents=[common],
        help="items queued and not yet processed (distributed mode); search the history",
    )
    items.add_argument("action", choices=["list", "dead", "search"])
    items.add_argument("query", nargs="?", help="search: a when: query over the history")
    items.add_argument("--since", metavar="D", help="search: seen in the last D (7d, 12h)")
    items.add_argument("--feed", metavar="F", help="search: items of feed F only")
    items.add_argument("--lang", metavar="L", help="search: items in language L only")
    items.add_argument("--limit", type=int, default=100, help="search: at most N (100)")
    items.set_defaults(handler=cmd_items)

    _history_commands(sub, common)

    web = sub.add_parser("web", parents=[common], help="the web console and JSON API")
    web.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="H",
        help="address to listen on (default 127.0.0.1; another needs settings.web.token)",
    )
    web.add_argument("--port", type=int, default=8080, metavar="P", help="port (default 8080)")
    web.set_defaults(handler=cmd_web)
    return parser


def _history_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """``backtest``, ``feeds`` and ``stats``: the history's readers (docs/history.md)."""
    # backtest's --config is the NEW config (the README's Commands); the current one is given before
    # the command (`monitor --config CURRENT backtest --config NEW`) or is the default
    backtest = sub.add_parser("backtest", help="what a watchlist or new config would alert")
    backtest.add_argument("--log-level", default=argparse.SUPPRESS, help="debug, info, ...")
    backtest.add_argument("--watchlist", metavar="W", help="this watchlist only")
    backtest.add_argument("--config", dest="new_config", metavar="NEW", help="a new config to try")
    backtest.add_argument("--since", metavar="D", help="items seen in the last D (7d)")
    backtest.add_argument("--json", action="store_true", help="one JSON object")
    backtest.set_defaults(handler=cmd_history, run="backtest")

    # `feeds` takes an action so that siblings (import, export) sit beside `status`
    feeds = sub.add_parser("feeds", parents=[common], help="feed health; OPML in and out")
    feeds_actions = feeds.add_subparsers(dest="feeds_action", required=True, metavar="ACTION")
    feeds_status = feeds_actions.add_parser(
        "status", parents=[common], help="per feed: polls, items, quiet"
    )
    feeds_status.add_argument("--json", action="store_true", help="one JSON object per feed")
    feeds_status.set_defaults(handler=cmd_history, run="feeds_status")
    feeds_import = feeds_actions.add_parser(
        "import", parents=[common], help="OPML feeds as YAML for the config"
    )
    feeds_import.add_argument("file", metavar="FILE.opml")
    feeds_import.add_argument("--output", metavar="FILE", help="write here (a new file)")
    feeds_import.set_defaults(handler=cmd_feeds_import)
    feeds_export = feeds_actions.add_parser(
        "export", parents=[common], help="the config's feeds as OPML 2.0"
    )
    feeds_export.set_defaults(handler=cmd_feeds_export)

    stats = sub.add_parser("stats", parents=[common], help="items, matches, alerts")
    stats.add_argument("--since", metavar="D", default="24h", help="the last D (24h)")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.set_defaults(handler=cmd_history, run="stats")


def _metrics_port_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="P",
        default=None,
        help="serve Prometheus metrics at /metrics and a health check at /healthz on port P",
    )


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config or default_config_path())


# --- backtest / feeds status / stats ------------------------------------------------------
def cmd_history(args: argparse.Namespace) -> int:
    from monitor.history import ops

    return ops.run(args.run, args, _config(args))


# --- web -----------------------------------------------------------------------------
def cmd_web(args: argparse.Namespace) -> int:
    from monitor.web.serve import serve

    return serve(_config(args), host=args.host, port=args.port)


# --- check ---------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args)
    print(summarize(config))
    for warning in config.load_warnings:
        print(warning)
    return 0


# --- feeds import / export ---------------------------------------------------------------
def cmd_feeds_import(args: argparse.Namespace) -> int:
    """YAML on stdout (or a new ``--output`` file) for the user to put in their config."""
    from monitor.config.opml import import_opml

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"monitor: {args.file}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 1
    path = args.config or default_config_path()
    # the current feeds, so no id is taken twice and no URL polled twice
    existing = load_config(path) if args.config or Path(path).exists() else None
    imported = import_opml(data, args.file, existing)
    for note in imported.notes:
        print(f"monitor: feeds import: {note}", file=sys.stderr)
    text = imported.to_yaml(args.file)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "x", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        print(f"monitor: {args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"monitor: feeds import: {len(imported.feeds)} feeds in {args.output}", file=sys.stderr)
    return 0


def cmd_feeds_export(args: argparse.Namespace) -> int:
    from monitor.config.opml import export_opml

    document, notes = export_opml(_config(args))
    for note in notes:
        print(f"monitor: feeds export: {note}", file=sys.stderr)
    sys.stdout.write(document)
    return 0


# --- match ---------------------------------------------------------------------------
def cmd_match(args: argparse.Namespace) -> int:
    config = _config(args)
    feed = None
    if args.feed is not None:
        feed = next((f for f in config.feeds if f.id == args.feed), None)
        if feed is None:
            known = ", ".join(f.id for f in config.feeds) or "none"
            print(f"monitor: --feed {args.feed}: no such feed (known: {known})", file=sys.stderr)
            return 1
    # files read as no feed's items pass feeds: filters (README, Commands; --feed: strict)
    matcher = build_matcher(config, feedless_items_pass_feed_filters=feed is None)
    failures = 0
    for source, data in _read_inputs(args.inputs):
        if data is None:
            failures += 1
            continue
        context = SourceContext(source=source)
        if feed is not None:
            context = SourceContext(
                source=source, feed_id=feed.id, language=feed.language, tags=tuple(feed.tags)
            )
        try:
            # a document of many entries, a batch at a time (``SourceContext.batch``)
            while True:
                for item in parse_bytes(data, context):
                    write_match_lines(sys.stdout, source, item, matcher, include_unmatched=args.all)
                if not context.batch.more:
                    break
                context.batch.start = context.batch.end
        except ParseError as exc:
            print(f"monitor: {exc}", file=sys.stderr)
            failures += 1
        for warning in dict.fromkeys(context.warnings):
            print(f"monitor: warning: {warning}", file=sys.stderr)
    return 1 if failures else 0


def _read_inputs(inputs: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
    for name in inputs:
        if name == "-":
            yield "-", sys.stdin.buffer.read()
            continue
        path = Path(name)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                yield str(file), file.read_bytes()
            except OSError as exc:
                print(f"monitor: {file}: cannot read: {exc.strerror}", file=sys.stderr)
                yield str(file), None


def match_lines(
    source: str, item: WireItem, matches: list[Match], *, include_unmatched: bool
) -> list[dict[str, object]]:
    """The JSON objects of docs/output.md for one item."""
    lines: list[dict[str, object]] = []
    for match in matches:
        lines.append(
            {
                "source": source,
                "item": item.summary(),
                "watchlist": match.watchlist,
                "topics": list(match.topics),
                "speakers": [speaker.to_dict() for speaker in match.speakers],
                "hits": [_hit_fields(hit.to_dict()) for hit in match.hits],
            }
        )
    if not matches and include_unmatched:
        lines.append(
            {
                "source": source,
                "item": item.summary(),
                "watchlist": None,
                "topics": [],
                "speakers": [],
                "hits": [],
            }
        )
    return lines


def _hit_fields(hit: dict[str, object]) -> dict[str, object]:
    # docs/output.md names exactly these fields; snippets belong to alerts.
    return {key: value for key, value in hit.items() if key != "snippet"}


def write_match_lines(
    out: TextIO, source: str, item: WireItem, matcher: Matcher, *, include_unmatched: bool
) -> None:
    for line in match_lines(source, item, matcher.match(item), include_unmatched=include_unmatched):
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()


# --- run -------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from monitor import metrics
    from monitor.config.reload import ConfigReloader
    from monitor.pipeline import Runtime
    from monitor.runner import EmbeddedRunner
    from monitor.state import store_faults

    reloader = ConfigReloader.start(args.config or default_config_path())
    with store_faults(reloader.config.settings):
        runtime = Runtime.build(reloader.config, distributed=False)
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            log.info("stopping", signal=signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGHUP, lambda signum, frame: reloader.request())
        server = None
        try:
            runner = EmbeddedRunner(
                runtime,
                stop=stop,
                reloader=None if args.once else reloader,
                history_process=True,
            )
            # before the metrics server's thread: a writer started by a single thread
            # is forked (``monitor.history.writer``)
            runner.history.start()
            server = metrics.serve(args.metrics_port, runner.heartbeat)
            stats = runner.run(once=args.once)
        finally:
            if server is not None:
                server.close()
            runtime.close()
    # on stderr whatever --log-level says: stdout is the console channel's alerts
    print(f"monitor: {stats.summary()}", file=sys.stderr)
    return EXIT_RUN_FAILURES if args.once and stats.failed else 0


# --- worker / poller ---------------------------------------------------------------
def cmd_distributed(args: argparse.Namespace) -> int:
    config_path = str(args.config or default_config_path())
    _config(args)  # refuse a bad config here, with its errors, before Celery starts
    # The level goes first: a --loglevel among the extra arguments comes later and wins.
    argv = [
        *(sys.executable, "-m", "workers", args.command, "--config", config_path),
        *("--log-level", args.log_level),
        *(() if args.metrics_port is None else ("--metrics-port", str(args.metrics_port))),
        *args.extra,
    ]
    os.execv(sys.executable, argv)
    return 0  # not reached


# --- send-test -------------------------------------------------------------------------
def cmd_send_test(args: argparse.Namespace) -> int:
    from monitor.alerts.channels import build_channel

    config = _config(args)
    if args.channel not in config.channels:
        known = ", ".join(sorted(config.channels)) or "none"
        print(f"monitor: no channel named {args.channel!r} (defined: {known})", file=sys.stderr)
        return 1
    channel = build_channel(args.channel, config.channels[args.channel], config.settings)
    alert = sample_alert(args.channel)
    try:
        channel.send(alert)
    except MonitorError as exc:
        print(f"{args.channel}: failed: {exc}")
        return 1
    print(f"{args.channel}: sent test alert {alert.id}")
    return 0


def sample_alert(channel: str) -> Alert:
    now = datetime.now(UTC).isoformat()
    item = WireItem(
        id="test-item",
        title="Test alert from the monitor",
        body="This is a test alert sent by `monitor send-test`. NATO appears here.",
        source="monitor send-test",
        language="en",
        published=now[:10],
    )
    return Alert(
        id=f"alrt_test_{int(datetime.now(UTC).timestamp())}",
        watchlist="send-test",
        item=item,
        topics=("NATO",),
        speakers=(),
        hits=(),
        story_id=item.id,
        sources=("monitor send-test",),
        channels=(channel,),
        created_at=now,
    )


# --- alerts list|retry|dead --------------------------------------------------------------
# the columns of `alerts list` and `alerts dead`, named in a header row on a terminal
LIST_HEADER = ("ALERT", "CHANNEL", "STATUS", "ATTEMPTS", "UPDATED", "DETAIL", "OUTLETS")


def cmd_alerts(args: argparse.Namespace) -> int:
    from monitor.state import store_faults

    config = _config(args)
    if args.action == "show" or (
        args.action == "list" and (args.watchlist or args.since or args.json)
    ):
        from monitor.history import ops

        return (
            ops.alerts_show(args, config)
            if args.action == "show"
            else ops.alerts_list(args, config)
        )
    # --embedded: the state file of `monitor run`, even with a broker set; a fault in it
    # must name that setting, not settings.broker_url
    distributed = bool(config.settings.broker_url) and not args.embedded
    with store_faults(config.settings, distributed=distributed):
        return _alerts(args, config, distributed=distributed)


def _alerts(args: argparse.Namespace, config: Config, *, distributed: bool) -> int:
    from monitor.alerts.digest import digest_periods
    from monitor.history.recorder import HistoryRecorder
    from monitor.pipeline import build_channels, deliver_alerts, flush_digests
    from monitor.state import open_store

    # The delivery log only: no matcher to compile, channels only for a retry.
    store = open_store(config.settings, distributed=distributed)
    # a retry's attempts go to the history as a runner's do (docs/history.md); opened
    # only when there are some to write
    history = HistoryRecorder(config.settings, tries=RETRY_HISTORY_TRIES)
    try:
        if args.action in ("list", "dead"):
            listed = 0
            # payload -> outlets: the channels of one alert share it, so one story read each
            carried: dict[str, str] = {}
            if sys.stdout.isatty():  # for a reader; a pipe gets the rows alone
                print("\t".join(LIST_HEADER))
            for entry in store.list_deliveries("dead" if args.action == "dead" else None):
                if args.ids and entry.alert_id not in args.ids:
                    continue
                when = datetime.fromtimestamp(entry.updated, UTC).isoformat(timespec="seconds")
                if entry.payload not in carried:
                    carried[entry.payload] = _carried_by(entry.payload, store)
                print(
                    f"{entry.alert_id}\t{entry.channel}\t{entry.status}\t{entry.attempts}\t{when}\t{entry.detail}"
                    f"\t{carried[entry.payload]}"
                )
                listed += 1
            if not listed and distributed:
                # `monitor run` keeps its own log even with broker_url set: say where.
                print(
                    "monitor: nothing in the workers' delivery log (Redis at "
                    "settings.broker_url); `monitor run` keeps its own: add --embedded",
                    file=sys.stderr,
                )
            return 0
        entries = store.list_deliveries(None)
        if args.ids:
            known = {entry.alert_id for entry in entries}
            unknown_ids = [alert_id for alert_id in args.ids if alert_id not in known]
            where = "the workers' delivery log (Redis)" if distributed else "the delivery log"
            hint = "; `monitor run` keeps its own: add --embedded" if distributed else ""
            for alert_id in unknown_ids:
                print(
                    f"monitor: alerts retry: no alert {alert_id!r} in {where}{hint}",
                    file=sys.stderr,
                )
            if unknown_ids:
                return 1
            for alert_id in args.ids:
                if all(entry.status == "sent" for entry in entries if entry.alert_id == alert_id):
                    print(
                        f"monitor: alerts retry: {alert_id}: sent on every channel", file=sys.stderr
                    )
        channels = build_channels(config)
        digests = digest_periods(config)
        now = datetime.now(UTC)
        regrouped: set[str] = set()
        reheld: set[tuple[str, str]] = set()  # (alert, channel) held again for a digest
        failed = 0
        for entry in entries:
            if entry.status == "sent" or (args.ids and entry.alert_id not in args.ids):
                continue
            if not args.ids and entry.status != "dead":
                continue
            if entry.channel not in channels:
                print(f"{entry.alert_id}\t{entry.channel}\tskipped\tno such channel in the config")
                failed += 1
                continue
            if entry.channel in digests:
                # held again, due now: sent below in one digest with the channel's others
                store.put_delivery(
                    dataclasses.replace(
                        entry,
                        status="held",
                        attempts=0,
                        detail="retry requested",
                        updated=now.timestamp(),
                        due=now.timestamp(),
                    )
                )
                regrouped.add(entry.channel)
                reheld.add((entry.alert_id, entry.channel))
                continue
            alert = Alert.from_message(json.loads(entry.payload))
            # A retry starts a fresh series of attempts on that one channel.
            sent_at = datetime.now(UTC)
            results = deliver_alerts(
                [alert], channels, store, config, now=sent_at, only=entry.channel
            )
            history.add_attempts(results, sent_at, retried=True)
            for result in results:
                print(f"{result.alert_id}\t{result.channel}\t{result.status}\t{result.detail}")
                failed += result.status != "sent"
        for name in sorted(regrouped):
            results = flush_digests(channels, store, config, now=now, only=name)
            # the digest may carry alerts held as usual, not retried: those go on as they were
            for was_retried in (True, False):
                history.add_attempts(
                    [r for r in results if ((r.alert_id, r.channel) in reheld) == was_retried],
                    now,
                    retried=was_retried,
                )
            for result in results:
                print(f"{result.alert_id}\t{result.channel}\t{result.status}\t{result.detail}")
                failed += result.status != "sent"
        return 1 if failed else 0
    finally:
        history.flush_attempts(final=True)
        history.close()
        store.close()


# --- items list|dead ---------------------------------------------------------------------
def cmd_items(args: argparse.Namespace) -> int:
    """The distributed runner's queued items: ``list`` those in flight, ``dead`` those the
    poller gave up on after requeueing them (kept ``settings.seen_retention``). One line
    each, oldest first: feed, item id, requeues, when queued (or given up on), title.
    The embedded runner queues nothing, so with it both lists are empty."""
    from monitor.state import store_faults

    if args.action == "search":
        from monitor.history.command import items_search

        return items_search(args, _config(args))
    config = _config(args)
    distributed = bool(config.settings.broker_url)
    with store_faults(config.settings, distributed=distributed):
        return _items(args, config, distributed=distributed)


def _items(args: argparse.Namespace, config: Config, *, distributed: bool) -> int:
    from monitor.alerts.render import clean_line
    from monitor.state import open_store

    store = open_store(config.settings, distributed=distributed)
    try:
        for record in store.list_queued(dead=args.action == "dead"):
            when = datetime.fromtimestamp(record.queued_at, UTC).isoformat(timespec="seconds")
            fields = [record.feed_id, record.item_id, str(record.requeues), when]
            # feed text (ids, titles) bound for a terminal: no tab, line break, escape or bidi
            print("\t".join(map(clean_line, [*fields, _title(record.payload)])))
        return 0
    finally:
        store.close()


def _carried_by(payload: str, store: Store) -> str:
    """The outlets of a ledger entry's alert, ``"A; also carried by B, C"`` (docs/delivery.md), with
    those its story record gathered since (a delivery not sent yet takes them when it
    goes); "" when the payload cannot tell."""
    from monitor.alerts.decide import current_story
    from monitor.alerts.render import outlets

    try:
        alert = current_story(Alert.from_message(json.loads(payload)), store)
    except (ValueError, KeyError, TypeError):
        return ""
    first, also = outlets(alert)
    return first + ("; also carried by " + ", ".join(also) if also else "")


def _title(payload: str) -> str:
    """The item's title from its queued JSON; "" when the payload cannot tell it."""
    try:
        data = json.loads(payload)
    except ValueError:
        return ""
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else ""
