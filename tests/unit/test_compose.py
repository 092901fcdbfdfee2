"""docker-compose.yml is a valid Compose file and every service runs a command that
parses: no Docker engine here, so the file is checked as data. The schema is the
Compose Specification's own (tests/data/compose-spec.json, from compose-spec/compose-spec,
Apache-2.0); ``monitor`` commands go through monitor's argparse parser (and the Celery
options a worker passes on through Celery's), ``celery`` ones through Celery's."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from celery import Celery
from celery.bin.base import CLIContext
from celery.bin.celery import celery
from celery.bin.worker import worker
from sqlalchemy.engine import make_url

from monitor.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
# ${VAR}, ${VAR:-default}, ${VAR-default}: compose's interpolation, with its defaults
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _interpolated(value: str) -> str:
    """A string as compose sees it with no variable set: the defaults."""
    return _VARIABLE.sub(lambda found: found.group(2) or "", value).replace("$$", "$")


def test_the_file_follows_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(_compose()), key=lambda e: list(e.path)
    )
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_a_file_breaking_the_specification_is_refused() -> None:
    """The check can fail: an unknown key of a service, of a health check."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = _compose()
    broken["services"]["worker"]["comand"] = ["worker"]
    with pytest.raises(jsonschema.ValidationError, match="comand"):
        jsonschema.Draft7Validator(schema).validate(broken)
    broken = _compose()
    broken["services"]["redis"]["healthcheck"]["tset"] = ["CMD", "true"]
    with pytest.raises(jsonschema.ValidationError, match="tset"):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_the_stack_has_every_service_and_each_a_health_check() -> None:
    services = _compose()["services"]
    assert set(services) == {"redis", "postgres", "worker", "poller", "flower", "mailpit"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name in ("worker", "poller"):
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert "/healthz" in probe and ":9100/" in probe, name
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_redis_keeps_its_queue_and_the_monitor_reaches_redis_and_postgres() -> None:
    services = _compose()["services"]
    redis = " ".join(services["redis"]["command"])
    # AOF: a restart loses no queued task; noeviction: an evicted key would break Celery
    assert "--appendonly yes" in redis and "--maxmemory-policy noeviction" in redis
    postgres = services["postgres"]["environment"]
    for name in ("worker", "poller"):
        env = {key: _interpolated(value) for key, value in services[name]["environment"].items()}
        assert env["MONITOR_BROKER_URL"].startswith("redis://redis:6379/"), name
        history = make_url(env["MONITOR_HISTORY_URL"])
        assert (history.drivername, history.host) == ("postgresql", "postgres"), name
        assert history.database == _interpolated(postgres["POSTGRES_DB"]), name
        assert history.username == _interpolated(postgres["POSTGRES_USER"]), name


def _monitor_command(name: str, command: list[str]) -> None:
    args, unknown = _parser().parse_known_args(command)
    assert args.command in ("worker", "poller", "run"), name
    assert args.metrics_port == 9100, f"{name}: /healthz must be on the port the probe asks"
    # as monitor.cli does: options it does not know are a worker's Celery options
    extra = [*unknown, *getattr(args, "extra", [])]
    if args.command == "worker":
        # passed on to `celery worker`: parsed by Celery's own command
        obj = CLIContext(app=Celery(), no_color=True, workdir=None, quiet=True)
        worker.make_context("worker", extra, obj=obj)
    else:
        assert extra == [], f"{name}: monitor {args.command} does not know {extra}"


def _celery_command(name: str, command: list[str]) -> None:
    assert command[0] == "celery", name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # click's protected_args
        ctx = celery.make_context("celery", command[1:], resilient_parsing=True)
        subcommand = [*ctx.protected_args, *ctx.args][0]
    assert ctx.params["broker"] == "redis://redis:6379/0", name
    assert subcommand == "flower", name


@pytest.mark.parametrize("name", ["worker", "poller", "flower"])
def test_each_command_is_a_valid_invocation(name: str) -> None:
    service = _compose()["services"][name]
    command = [_interpolated(str(part)) for part in service["command"]]
    if service.get("build") == ".":  # the image's ENTRYPOINT is `monitor`
        _monitor_command(name, command)
    else:
        _celery_command(name, command)


def test_a_bad_command_is_refused() -> None:
    with pytest.raises(SystemExit):
        _monitor_command("worker", ["wroker", "--metrics-port", "9100"])
    with pytest.raises(AssertionError):
        _monitor_command("poller", ["poller", "--metrics-prot", "9100"])
    with pytest.raises(Exception, match="No such option"):
        _monitor_command("worker", ["worker", "--metrics-port", "9100", "--concurency", "2"])


def test_the_environment_is_documented_in_the_readme() -> None:
    """Every ${VAR} the compose file reads has a line in the README."""
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = {found.group(1) for found in _VARIABLE.finditer(text)}
    assert names, "the compose file reads no variable"
    assert sorted(name for name in names if f"`{name}`" not in readme) == []
