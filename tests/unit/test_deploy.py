"""docker-compose.yml and the Dockerfile describe the distributed mode of the
README: Redis with persistence, a worker and a poller from one image that runs
the `monitor` command. (No Docker daemon here: checked as data.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_redis_keeps_its_queue_across_restarts() -> None:
    redis = _compose()["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_worker_and_poller_share_one_image_running_the_monitor_command() -> None:
    services = _compose()["services"]
    worker, poller = services["worker"], services["poller"]
    assert worker["image"] == poller["image"]
    assert worker["build"] == poller["build"] == "."
    assert worker["command"][0] == "worker" and poller["command"][0] == "poller"
    for service in (worker, poller):
        assert service["environment"]["MONITOR_BROKER_URL"].startswith("redis://redis:")
        assert "redis" in service["depends_on"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["monitor"]' in dockerfile


def test_the_example_config_takes_the_broker_from_the_environment() -> None:
    text = (ROOT / "config" / "monitor.yaml").read_text(encoding="utf-8")
    assert "broker_url: ${MONITOR_BROKER_URL:-}" in text
