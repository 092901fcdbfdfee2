"""Feed health judged from a feed's own rhythm (``monitor.feedhealth.assess``): quiet
only against its usual gap between new items, failing after a streak; each episode
alerted once; news or a success ends it."""

from __future__ import annotations

from monitor.feedhealth import QUIET_FACTOR, Episode, assess, episode_alert

QUIET_AFTER = 600.0
FAILING_AFTER = 7200.0


def _poll(
    state: dict[str, str], now: float, *, ok: bool = True, new: int = 0, error: str = ""
) -> tuple[dict[str, str], list[Episode]]:
    return assess(
        "wire",
        state,
        now=now,
        ok=ok,
        new_items=new,
        error=error,
        quiet_after=QUIET_AFTER,
        failing_after=FAILING_AFTER,
    )


def _rhythm(gap: float, arrivals: int = 5) -> tuple[dict[str, str], float]:
    state: dict[str, str] = {}
    now = 1_000_000.0
    for _ in range(arrivals):
        state, episodes = _poll(state, now, new=1)
        assert episodes == []
        now += gap
    return state, now - gap


def test_an_hourly_feed_is_quiet_after_four_of_its_gaps_once() -> None:
    state, last = _rhythm(3600.0)
    state, episodes = _poll(state, last + 3 * 3600)
    assert episodes == []  # within its rhythm
    state, episodes = _poll(state, last + QUIET_FACTOR * 3600 + 1)
    assert [(e.kind, e.since) for e in episodes] == [("quiet", last)]
    state, episodes = _poll(state, last + 6 * 3600)
    assert episodes == []  # the same episode: no second alert
    # news ends it; the next silence is a new episode
    state, episodes = _poll(state, last + 7 * 3600, new=2)
    assert episodes == []
    # (the 7h gap stretched its usual gap: 3600 + 0.3 * (7h - 3600) = 10,080 s)
    state, episodes = _poll(state, last + 7 * 3600 + QUIET_FACTOR * 10_080 - 60)
    assert episodes == []
    state, episodes = _poll(state, last + 7 * 3600 + QUIET_FACTOR * 10_080 + 60)
    assert [(e.kind, e.since) for e in episodes] == [("quiet", last + 7 * 3600)]


def test_a_busy_feed_is_quiet_only_after_feed_quiet_after() -> None:
    state, last = _rhythm(10.0)
    assert _poll(state, last + QUIET_AFTER - 1)[1] == []
    assert [e.kind for e in _poll(state, last + QUIET_AFTER + 1)[1]] == ["quiet"]


def test_no_rhythm_no_quiet_alert() -> None:
    state, last = _rhythm(60.0, arrivals=2)
    assert _poll(state, last + 100 * 3600)[1] == []


def test_failing_after_a_streak_once_and_a_success_ends_it() -> None:
    now = 5_000_000.0
    state, episodes = _poll({}, now, ok=False, error="HTTP 500")
    assert episodes == []
    state, episodes = _poll(state, now + FAILING_AFTER - 1, ok=False, error="HTTP 500")
    assert episodes == []
    state, episodes = _poll(state, now + FAILING_AFTER, ok=False, error="HTTP 503")
    assert [(e.kind, e.since) for e in episodes] == [("failing", now)]
    assert "HTTP 503" in episodes[0].detail
    state, episodes = _poll(state, now + 2 * FAILING_AFTER, ok=False, error="HTTP 500")
    assert episodes == []
    state, episodes = _poll(state, now + 2 * FAILING_AFTER + 1)
    assert episodes == [] and "ops_fail_since" not in state
    later = now + 3 * FAILING_AFTER
    state, _ = _poll(state, later, ok=False)
    state, episodes = _poll(state, later + FAILING_AFTER, ok=False)
    assert [(e.kind, e.since) for e in episodes] == [("failing", later)]


def test_the_alert_of_an_episode_has_a_stable_id_and_goes_to_the_ops_channel() -> None:
    episode = Episode("failing", "wire", 1234.5, "every poll failed")
    first = episode_alert(episode, "ops", now=2000.0)
    again = episode_alert(episode, "ops", now=3000.0)
    assert first.id == again.id == "ops_failing_wire_1234"
    assert first.channels == ("ops",) and first.watchlist == "ops"
    assert first.item.title == "Feed wire keeps failing"
