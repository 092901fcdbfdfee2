"""Stored records keep their JSON text: ``codec.to_json`` writes exactly what the
``dataclasses.asdict`` encoding it replaced wrote (state files and Redis keys written by
either read back the same), and it round-trips."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from monitor.state.base import StoryRecord
from monitor.state.codec import entry_from_json, stories_json, story_from_json, to_json
from tests.store_contract import make_entry, make_story


def test_to_json_is_the_asdict_text_and_round_trips() -> None:
    story = replace(make_story(), sources=("wïre-a", "feed \ud800"), story_key="body:3:ab")
    entry = make_entry("alrt_1", "email", "held", payload='{"t": "ü"}', due=1.5, detail="x\ny")
    for record in (story, entry, make_story(), make_entry("alrt_2", "stdout")):
        old = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":"))
        assert to_json(record) == old
    assert story_from_json(to_json(story)) == story
    assert entry_from_json(to_json(entry)) == entry


def test_a_story_filed_under_many_names_encodes_as_each_record_alone() -> None:
    story = StoryRecord(
        alert_id="alrt_1",
        watchlist='say "hi" \\ الناتو',
        story_key="title:x",
        first_seen=1.25,
        sources=("a", "ü"),
        primary="title:x",
    )
    names = ["title:x", "story:1", 'body2:0:"q"\\', "\x00", "", "\u2028НАТО\n"]
    records = [replace(story, story_key=name) for name in names]
    records += [replace(story, updates=3, story_key="story:1"), replace(story, alert_id="b")]
    texts = stories_json(records)
    assert texts == [to_json(record) for record in records]
    assert [story_from_json(text) for text in texts] == records
