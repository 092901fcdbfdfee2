"""A rate-limited channel under a burst, in ``monitor run`` as users run it.

Twenty directory feeds, a chat webhook (``format: slack``) with ``rate_limit: 20/m`` and a
file channel without a limit, to a fake Slack endpoint on 127.0.0.1
(``tests/chat_server.py``). 200 copies of one story give one alert per channel (story
grouping); 200 distinct stories give 20 chat messages at once and, one period later, one
digest of the others that says how many were held; the file channel gets all 200 at once.

Does I/O: binds a 127.0.0.1 port, starts processes, writes under tmp_path.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat_server import ChatServer, chat_server
from tests.helpers import ROOT, monitor_env, run_monitor

pytestmark = pytest.mark.integration

FEEDS = 20
PER_FEED = 10
PERIOD = 60.0  # rate_limit: 20/m


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as state:
        yield state


def write_config(tmp_path: Path, server: ChatServer) -> Path:
    feeds = "\n".join(
        f"  - {{id: wire-{n}, path: {tmp_path / f'inbox-{n}'}, every: 0.3s}}" for n in range(FEEDS)
    )
    for n in range(FEEDS):
        (tmp_path / f"inbox-{n}").mkdir()
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"""
feeds:
{feeds}
topics:
  NATO: [NATO]
watchlists:
  desk:
    topics: [NATO]
    channels: [chat, archive]
channels:
  chat:
    type: webhook
    url: {server.url("slack")}
    format: slack
    allow_private: true
    rate_limit: 20/m
  archive:
    type: file
    path: {tmp_path / "alerts.jsonl"}
settings:
  state_dir: {tmp_path / "state"}
""",
        encoding="utf-8",
    )
    return config


def drop(tmp_path: Path, feed: int, name: str, text: str) -> None:
    (tmp_path / f"inbox-{feed}" / f"{name}.txt").write_text(text, encoding="utf-8")


def distinct_story(number: int) -> str:
    """A story no other shares a sentence with: its own random words around NATO."""
    rng = random.Random(number)
    words = ["".join(rng.choice("abcdefghijklmnoprstuvw") for _ in range(7)) for _ in range(60)]
    title = f"Story {number}: {' '.join(words[:4])} NATO {words[4]}"
    return f"{title}\n\nBRUSSELS - {' '.join(words[5:])} NATO said.\n"


def run(tmp_path: Path, config: Path) -> None:
    env = monitor_env(tmp_path, PYTHONPATH=str(ROOT))
    done = run_monitor(["run", "--once", "--config", str(config)], tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def archived(tmp_path: Path) -> list[str]:
    lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["alert"]["item"]["title"] for line in lines]


def ledger(tmp_path: Path, config: Path) -> dict[tuple[str, str], int]:
    env = monitor_env(tmp_path, PYTHONPATH=str(ROOT))
    listed = run_monitor(["alerts", "list", "--config", str(config)], tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    counts: dict[tuple[str, str], int] = {}
    for line in listed.stdout.splitlines():
        channel, status = line.split("\t")[1:3]
        counts[(channel, status)] = counts.get((channel, status), 0) + 1
    return counts


def test_200_copies_of_one_story_from_20_feeds_give_one_alert_per_channel(
    server: ChatServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, server)
    story = distinct_story(7)
    for feed in range(FEEDS):
        for copy in range(PER_FEED):
            drop(tmp_path, feed, f"copy-{copy}", story)
    run(tmp_path, config)
    assert server.refused == []
    assert len(server.of("slack")) == 1
    assert archived(tmp_path) == [story.splitlines()[0]]
    assert ledger(tmp_path, config) == {("archive", "sent"): 1, ("chat", "sent"): 1}


def test_200_distinct_stories_give_20_alerts_then_one_digest_of_the_rest(
    server: ChatServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, server)
    for number in range(FEEDS * PER_FEED):
        drop(tmp_path, number % FEEDS, f"story-{number}", distinct_story(number))
    started = time.monotonic()
    run(tmp_path, config)
    held_by = time.monotonic()  # every hold happened by now
    assert server.refused == []
    # the bucket's capacity, and at most the tokens it gained while the run went on
    # (one every PERIOD / 20 s: a slow machine lets one or two more through)
    sent = len(server.of("slack"))
    assert 20 <= sent <= 20 + int((held_by - started) * 20 / PERIOD) + 1
    held = 200 - sent
    assert len(archived(tmp_path)) == 200  # the file channel has no limit
    assert ledger(tmp_path, config) == {
        ("archive", "sent"): 200,
        ("chat", "sent"): sent,
        ("chat", "held"): held,
    }

    # one period after they were held: the held ones go out in one digest
    time.sleep(max(0.0, PERIOD + 1 - (time.monotonic() - held_by)))
    run(tmp_path, config)
    posts = server.of("slack")
    assert len(posts) == sent + 1
    digest = posts[-1].payload["blocks"][0]["text"]["text"]
    assert f"Digest: {held} alerts" in digest and f"{held} alerts held back" in digest
    assert ledger(tmp_path, config) == {("archive", "sent"): 200, ("chat", "sent"): 200}
    # every story is in a chat message: some alone, the rest in the digest
    sent_alone = {post.payload["text"] for post in posts[:-1]}
    assert len(sent_alone) == sent
