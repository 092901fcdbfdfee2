"""One story across its versions, in feeds and plain-text wires: updates,
corrections, refiles, write-throughs and urgents share the original's story id
(the headline stays as carried); kills and withdrawals are recognised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.sources.identity import title_story_id
from monitor.sources.takes import editorial_note, read_take, starts_with_kill

FETCHED = datetime(2022, 1, 13, 12, 0, tzinfo=UTC)
HEADLINE = "Kremlin says talks with NATO were unsuccessful"
BODY = "MOSCOW, Jan 13 (Reuters) - The Kremlin said on Thursday that talks had failed."


def ctx(
    source: str = "https://feeds.example.com/world", feed_id: str | None = "world"
) -> SourceContext:
    return SourceContext(source=source, feed_id=feed_id, fetched_at=FETCHED)


def rss(entries: list[tuple[str, str]], channel: str = "Reuters World News") -> bytes:
    items = "".join(
        f"<item><title>{title}</title><guid>g{n}</guid>"
        f"<link>https://example.com/a/{n}</link><description>{body}</description></item>"
        for n, (title, body) in enumerate(entries)
    )
    return (f'<rss version="2.0"><channel><title>{channel}</title>{items}</channel></rss>').encode()


def one_feed_item(title: str, body: str = BODY) -> WireItem:
    (item,) = parse_bytes(rss([(title, body)]), ctx())
    return item


VERSIONS = [
    # headline as carried -> version
    (f"UPDATE 2-{HEADLINE}", 3),
    (f"UPDATE 1: {HEADLINE}", 2),
    (f"CORRECTED-{HEADLINE}", 1),
    (f"CORRECTED-UPDATE 1-{HEADLINE}", 2),
    (f"REFILE-{HEADLINE}", 1),
    (f"REFILE-UPDATE 3-{HEADLINE}", 4),
    (f"1stLd-Writethru: {HEADLINE}", 2),
    (f"2ndLd-Writethru {HEADLINE}", 3),
    (f"URGENT - {HEADLINE}", 1),
    (f"URGENT: {HEADLINE}", 1),
    (f"{HEADLINE} (Updates with Peskov quotes)", 2),
    (f"(Adds details, paragraphs 4-6) {HEADLINE}", 2),
    (f"{HEADLINE.upper()}", 1),
    (f"  {HEADLINE}!", 1),
]


@pytest.mark.parametrize(("title", "version"), VERSIONS)
def test_feed_versions_share_the_original_story_id(title: str, version: int) -> None:
    original = one_feed_item(HEADLINE)
    update = one_feed_item(title)
    assert original.story_id is not None and original.story_id.startswith("story:")
    assert update.story_id == original.story_id
    assert update.title == " ".join(title.split())  # kept as carried
    assert update.version == version
    assert update.kind == "news"


def test_feed_versions_in_one_feed_keep_their_own_ids() -> None:
    entries = [
        (HEADLINE, BODY),
        (f"UPDATE 1-{HEADLINE}", BODY + " More."),
        ("Other news today", "x"),
    ]
    first, update, other = parse_bytes(rss(entries), ctx())
    assert first.story_id == update.story_id != other.story_id
    assert len({first.id, update.id, other.id}) == 3
    assert (first.version, update.version) == (1, 2)


def test_editorial_note_above_the_text_is_dropped_and_counts_as_update() -> None:
    item = one_feed_item(
        f"UPDATE 1-{HEADLINE}", f"<p>(Updates with Peskov quotes)</p><p>{BODY}</p>"
    )
    assert item.body == BODY
    assert (item.agency, item.place) == ("Reuters", "MOSCOW")  # the dateline is found again
    plain = one_feed_item(
        HEADLINE, f"<p>(Corrects spelling of name in paragraph 2)</p><p>{BODY}</p>"
    )
    assert plain.version == 2 and plain.body == BODY


def test_story_id_is_scoped_to_the_outlet() -> None:
    (reuters,) = parse_bytes(rss([(HEADLINE, BODY)]), ctx())
    (other,) = parse_bytes(rss([(HEADLINE, BODY)], channel="Daily Example"), ctx())
    assert reuters.story_id != other.story_id


def test_different_stories_and_short_headlines_do_not_merge() -> None:
    assert (
        one_feed_item(HEADLINE).story_id != one_feed_item("Kremlin says talks went well").story_id
    )
    short = one_feed_item("Update", "Short text.")
    assert short.story_id == short.id  # too short to name a story


KILLS = [
    f"KILL - {HEADLINE}",
    f"KILL-KILL-KILL {HEADLINE}",
    f"WITHDRAWN-{HEADLINE}",
    f"ELIMINATE - {HEADLINE}",
    f"MANDATORY KILL: {HEADLINE}",
    "Kill this story",
    "Editors: please withdraw this story",
]


@pytest.mark.parametrize("title", KILLS)
def test_kill_headlines(title: str) -> None:
    item = one_feed_item(title, "The story was sent in error.")
    assert item.kind == "kill"


@pytest.mark.parametrize("title", [f"KILL - {HEADLINE}", f"WITHDRAWN-{HEADLINE}"])
def test_kill_shares_the_story_id_of_what_it_kills(title: str) -> None:
    assert one_feed_item(title).story_id == one_feed_item(HEADLINE).story_id


def test_kill_instruction_in_the_body() -> None:
    item = one_feed_item(HEADLINE, "Kill this story. It was transmitted in error.")
    assert item.kind == "kill"


@pytest.mark.parametrize(
    "title",
    [
        "Police kill three suspects in raid",
        "Killing of journalist condemned",
        "Update on talks",
        "Urgent talks needed, says UN chief",
        "Withdrawn troops return home",
    ],
)
def test_news_that_only_looks_like_a_marker(title: str) -> None:
    item = one_feed_item(title, "Text of the story.")
    assert item.kind == "news"
    assert item.version == 1
    assert read_take(title).text == title


# --- plain-text wires ---------------------------------------------------------


def wire(text: str, feed_id: str | None = "inbox") -> WireItem:
    (item,) = parse_bytes(text.encode(), ctx("inbox/story.txt", feed_id))
    return item


def test_plain_text_update_shares_story_id() -> None:
    original = wire(f"{HEADLINE}\n\n{BODY}\n")
    update = wire(
        f"UPDATE 2-{HEADLINE}\n\n(Updates with Peskov quotes)\n\n{BODY}\n\n"
        "Peskov said there were no grounds for optimism.\n"
    )
    assert update.story_id == original.story_id
    assert update.id != original.id
    assert (original.version, update.version) == (1, 3)
    assert update.title == f"UPDATE 2-{HEADLINE}"
    assert update.body.startswith("MOSCOW, Jan 13 (Reuters) -")
    assert (update.agency, update.place) == ("Reuters", "MOSCOW")


@pytest.mark.parametrize(
    "headline",
    [
        f"CORRECTED-{HEADLINE}",
        f"REFILE-{HEADLINE}",
        f"1stLd-Writethru: {HEADLINE}",
        f"URGENT {HEADLINE}",
    ],
)
def test_plain_text_versions(headline: str) -> None:
    assert wire(f"{headline}\n\n{BODY}\n").story_id == wire(f"{HEADLINE}\n\n{BODY}\n").story_id


def test_plain_text_kill() -> None:
    kill = wire(f"KILL - {HEADLINE}\n\nKill this story. It was sent in error.\n")
    assert kill.kind == "kill"
    assert kill.story_id == wire(f"{HEADLINE}\n\n{BODY}\n").story_id
    notice = wire("Advisory\n\nEditors: kill this story, it was moved in error.\n")
    assert notice.kind == "kill"
    assert wire(f"{HEADLINE}\n\n{BODY}\n").kind == "news"


# --- the pieces ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rest", "version", "kill"),
    [
        (f"KILL - UPDATE 1-{HEADLINE}", HEADLINE, 2, True),
        (f"ELIMINATE: {HEADLINE}", HEADLINE, 1, True),
        (f"{HEADLINE} (Updates with details)", HEADLINE, 2, False),
        ("(Updates with details)", "(Updates with details)", 1, False),
        (f"URGENT {HEADLINE}", HEADLINE, 1, False),
    ],
)
def test_read_take_markers(text: str, rest: str, version: int, kill: bool) -> None:
    take = read_take(text)
    assert (take.text, take.version, take.kill) == (rest, version, kill)


def test_editorial_note() -> None:
    note = editorial_note("(Corrects paragraph 3 to say Thursday)")
    assert note is not None and note.correction and note.version == 2
    assert editorial_note("(Reuters) - text") is None
    assert editorial_note("Updates with details") is None


def test_starts_with_kill_is_upper_case_for_markers() -> None:
    assert starts_with_kill("KILL: story")
    assert not starts_with_kill("Kill switch for cars debated")


def test_title_story_id() -> None:
    a = title_story_id("Reuters", "Kremlin says “no deal”")
    assert a == title_story_id("reuters", "kremlin SAYS no deal")
    assert a != title_story_id("AP", "Kremlin says no deal")
    assert title_story_id("Reuters", "Breaking news") is None
