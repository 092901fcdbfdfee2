"""Stored records keep their JSON text: ``codec.to_json`` writes exactly what the
``dataclasses.asdict`` encoding it replaced wrote (state files and Redis keys written by
either read back the same), and it round-trips."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from monitor.state.codec import entry_from_json, story_from_json, to_json
from tests.store_contract import make_entry, make_story


def test_to_json_is_the_asdict_text_and_round_trips() -> None:
    story = replace(make_story(), sources=("wïre-a", "feed \ud800"), story_key="body:3:ab")
    entry = make_entry("alrt_1", "email", "held", payload='{"t": "ü"}', due=1.5, detail="x\ny")
    for record in (story, entry, make_story(), make_entry("alrt_2", "stdout")):
        old = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":"))
        assert to_json(record) == old
    assert story_from_json(to_json(story)) == story
    assert entry_from_json(to_json(entry)) == entry
