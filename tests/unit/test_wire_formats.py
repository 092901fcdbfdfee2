"""Agency wire formats: NewsML (G2 and 1.x), NITF, ninjs, IPTC 7901, ANPA-1312, Ritzau.

Golden pairs live in tests/fixtures/wire/: NAME.EXT is the input, NAME.expected.json
the items it must give (``to_dict()`` without ``source`` and ``fetched_at``), read
with a fixed fetch time and compared by ``tests/golden.py``. To regenerate after a
deliberate change, run ``UPDATE_GOLDENS=1 pytest tests/unit/test_wire_formats.py``
and review the diff.
"""

from __future__ import annotations

import json
import time
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config.schema import Config
from monitor.errors import ParseError
from monitor.match.engine import build_matcher
from monitor.model import WireItem
from monitor.sources.clean import BODY_MAX
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.sources.formats import PARSERS, sniff_format
from monitor.sources.furniture import strip_furniture
from monitor.sources.ritzau import copenhagen_to_utc
from monitor.sources.takes import read_take, version_in
from monitor.sources.wirefmt import parse_datetime
from tests.golden import check_golden, inputs
from tests.helpers import with_peak_memory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wire"
FETCHED = datetime(2022, 1, 13, 12, 0, tzinfo=UTC)

# fixture file -> the format its content must be sniffed as
FORMATS = {
    "newsml_message.xml": "newsml",
    "newsml_item_ru.xml": "newsml",
    "newsml1_afp_fr.xml": "newsml",
    "nitf_ar.xml": "nitf",
    "nitf_kill.xml": "nitf",
    "ninjs1_update.json": "ninjs",
    "ninjs3_uk.json": "ninjs",
    "ninjs_withheld.json": "ninjs",
    "iptc7901_dpa_de.txt": "iptc7901",
    "anpa_original.anpa": "anpa",
    "anpa_writethru.anpa": "anpa",
    "ritzau_queued_da.xml": "ritzau",
}


def ctx(source: str = "test-input") -> SourceContext:
    return SourceContext(source=source, fetched_at=FETCHED)


def parse(name: str) -> list[WireItem]:
    data = (FIXTURES / name).read_bytes()
    fmt = sniff_format(data)
    assert fmt is not None, name
    return PARSERS[fmt](data, ctx(name))


@pytest.fixture(scope="module", autouse=True)
def _warm_language_model() -> None:
    # The language model loads on first use (~0.3 s); keep that out of timings.
    parse("ninjs1_update.json")


def test_every_fixture_has_a_golden() -> None:
    assert inputs(FIXTURES) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_sniffed_by_content(name: str) -> None:
    assert sniff_format((FIXTURES / name).read_bytes()) == FORMATS[name]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_golden(name: str) -> None:
    check_golden(parse(name), FIXTURES / name)


# --- what the goldens encode, spelled out ---------------------------------------


def test_writethru_keeps_the_story_id() -> None:
    (original,) = parse("anpa_original.anpa")
    (writethru,) = parse("anpa_writethru.anpa")
    assert original.story_id == writethru.story_id
    assert original.id != writethru.id
    assert (original.version, writethru.version) == (1, 2)


def test_newsml_versions_share_story_id_and_differ_in_id() -> None:
    data = (FIXTURES / "newsml_message.xml").read_bytes()
    first = PARSERS["newsml"](data, ctx())[0]
    newer = PARSERS["newsml"](data.replace(b'version="2"', b'version="3"', 1), ctx())[0]
    assert first.story_id == newer.story_id == "tag:example.reuters.com,2022:newsml_L8N2TT0AB"
    assert first.id != newer.id
    assert newer.version == 3


def test_kills_are_recognised() -> None:
    items = parse("newsml_message.xml")
    assert [item.kind for item in items] == ["news", "kill"]
    assert parse("nitf_kill.xml")[0].kind == "kill"
    assert parse("ninjs_withheld.json")[0].kind == "kill"


def test_dateline_gives_agency_and_publisher() -> None:
    (item,) = parse("nitf_ar.xml")
    assert (item.agency, item.publisher) == ("Sputnik", "UrduPoint")
    assert "(تستمر)" not in item.body


def test_far_future_date_is_clamped_to_fetch_time() -> None:
    item = parse("ninjs_withheld.json")[0]
    assert item.published == "2022-01-13T12:00:00Z"


def test_markup_scripts_and_undeclared_entities_never_reach_text() -> None:
    item = parse("newsml_message.xml")[0]
    assert "alert(" not in item.body and "<" not in item.body
    assert "BOOM" not in item.title and "&boom;" not in item.title
    assert "root:" not in item.body


# A second take of the ANPA story (our own text): no headline of its own.
ANPA_ADD = (
    b"\x16\x16\x01a0413\x1fwire\nr i\x13\x11 BC-EU--Ukraine-Talks 1stAdd   01-13 0120\n"
    b"\x02^BC-EU--Ukraine-Talks, 1st Add,120<\n"
    b"\t   Talks will resume in February, two diplomats said. \n\t   (end) \n"
    b"\t   \x03AP-WF-01-12-22 1607GMT<\n\n\x0c\n\x04"
)


def test_every_transmission_of_an_input_is_an_item() -> None:
    data = (FIXTURES / "iptc7901_dpa_de.txt").read_bytes()
    second = data.replace(b"Bundesregierung: Gespr", b"Kanzleramt: Gespr").replace(
        b"121045 GMT", b"121130 GMT"
    )
    items = PARSERS["iptc7901"](data + b"\x16\r\n" + second, ctx())
    assert [item.title[:11] for item in items] == ["Bundesregie", "Kanzleramt:"]
    assert [item.published for item in items] == ["2022-01-12T10:45:00Z", "2022-01-12T11:30:00Z"]
    assert "Notizblock" not in items[1].body  # each frame read on its own


def test_takes_in_one_input_share_the_story_and_stay_items() -> None:
    # Takes are not joined (see the module docstring): the add is its own item
    # of the same story, so an alert on the first take covers it.
    data = (FIXTURES / "anpa_original.anpa").read_bytes()
    first, add = PARSERS["anpa"](data + ANPA_ADD, ctx())
    assert first.title == "NATO, Russia fail to bridge gap on security guarantees"
    assert add.title == "Talks will resume in February, two diplomats said."
    assert first.story_id == add.story_id and first.id != add.id
    assert add.published == "2022-01-12T16:07:00Z"


def test_a_cut_transmission_ends_where_the_next_begins() -> None:
    data = (FIXTURES / "anpa_original.anpa").read_bytes()
    cut = data[: data.index(b"\x03")]  # no ETX, trailer or EOT
    context = ctx()
    first, add = PARSERS["anpa"](cut + b"\x01 stray, no STX \n" + ANPA_ADD, context)
    assert "AP-WF" not in first.body and "Talks will resume" not in first.body
    assert first.published == "2022-01-13T00:00:00Z"  # from the header: no trailer
    assert add.title.startswith("Talks will resume")
    assert context.warnings == ["test-input: skipped 1 transmission(s) without STX"]


def test_stray_start_of_headers_cost_little() -> None:
    data = (FIXTURES / "anpa_original.anpa").read_bytes()
    context = ctx()
    began = time.perf_counter()
    (item,) = PARSERS["anpa"](data + b"\x01" * 2_000_000, context)
    assert time.perf_counter() - began < 2.0
    assert item.title.startswith("NATO, Russia")
    assert len(context.warnings) == 2
    assert "the rest of the input was not read" in context.warnings[0]
    assert "skipped 1001 transmission(s)" in context.warnings[1]


def test_debris_before_the_first_transmission_is_skipped_too() -> None:
    data = (FIXTURES / "anpa_original.anpa").read_bytes()
    context = ctx()
    (item,) = PARSERS["anpa"](b"\x01 line noise, no STX\r\n" + data, context)
    assert item.title.startswith("NATO, Russia")
    assert context.warnings == ["test-input: skipped 1 transmission(s) without STX"]
    with pytest.raises(ParseError, match="no STX"):
        PARSERS["anpa"](b"\x01 line noise\r\n\x01 more noise\r\n", ctx())


def test_7901_drops_notebook_and_sign_off() -> None:
    (item,) = parse("iptc7901_dpa_de.txt")
    assert "Notizblock" not in item.body and "dpa abc xyz" not in item.body
    assert item.body.endswith("Mittwoch in Berlin.")
    assert item.version == 3  # "2ND LEAD"


def test_broken_xml_keeps_what_it_can_and_warns() -> None:
    data = (FIXTURES / "newsml_message.xml").read_bytes()
    cut = data.index(b"<newsItem", data.index(b"</newsItem>"))  # drop the second item's end
    context = ctx("inbox/broken.xml")
    items = PARSERS["newsml"](data[: cut + 400], context)
    assert items[0].id == "tag:example.reuters.com,2022:newsml_L8N2TT0AB:2"
    assert any("not well-formed" in w and "inbox/broken.xml" in w for w in context.warnings)


def test_ritzau_double_escaped_entities_and_char_refs_are_text() -> None:
    first, release, _ = parse("ritzau_queued_da.xml")
    assert "'alt kører normalt'" in first.body and "&apos;" not in first.body
    assert first.title == "Havnebus i Aarhus sejler igen efter strømnedbrud"
    assert "&" not in first.body + release.body and "alert(" not in first.body
    assert "£20 million" in release.body  # UTF-8 read as Latin-1, repaired
    assert not first.body.endswith("/ritzau/")


def test_ritzau_versions_kills_times_and_places() -> None:
    first, release, kill = parse("ritzau_queued_da.xml")
    assert (first.agency, first.place, first.language) == ("Ritzau", "Aarhus", "da")
    assert first.published == "2022-01-13T08:05:12Z"  # Copenhagen winter time
    # A new version keeps the story of the one it replaces, under its own id.
    assert release.story_id == "1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
    assert (release.id, release.version) == ("7a6b5c4d-3e2f-4a1b-9c8d-0e1f2a3b4c5d:2", 2)
    assert [item.kind for item in (first, release, kill)] == ["news", "news", "kill"]


def test_ritzau_press_release_disclaimer_is_furniture() -> None:
    _, release, _ = parse("ritzau_queued_da.xml")
    assert release.body.endswith("Press contact:\nJane Example, press@example.com")
    assert "tredjepart" not in release.body and "**" not in release.body
    # A watch on a word of the notice does not hit every press release; the
    # same word in a story's own text still does.
    config = Config.model_validate(
        {"topics": {"liability": ["ansvarlig"]}, "watchlists": {"pr": {"topics": ["liability"]}}}
    )
    matcher = build_matcher(config)
    assert matcher.match(release) == []
    story = replace(release, body="Ministeren er ansvarlig for sagen.")
    assert [m.watchlist for m in matcher.match(story)] == ["pr"]


@pytest.mark.parametrize(
    "notice",
    [
        "** Ovennævnte pressemeddelelse er formidlet af Ritzau på vegne af en tredjepart. "
        "Ritzau er ikke ansvarlig for indholdet **",
        # wrapped over two lines, no asterisks, upper case
        "OVENSTÅENDE PRESSEMEDDELELSE ER VIDEREFORMIDLET AF RITZAU PÅ VEGNE AF TREDJEPART.\n"
        "RITZAU ER DERFOR IKKE ANSVARLIG FOR INDHOLDET.",
        "*** Denne pressemeddelelse er udsendt via Ritzau på vegne af tredjepart ***",
    ],
)
def test_relay_notices_are_dropped_wherever_they_stand(notice: str) -> None:
    body = f"Første afsnit.\n\n{notice}\n\nKontakt: Jane Example"
    assert strip_furniture(body) == "Første afsnit.\n\nKontakt: Jane Example"
    # A line of its own inside a paragraph goes too; the rest of the paragraph stays.
    assert strip_furniture(f"WEB: example.com\n{notice}") == "WEB: example.com"


def test_text_quoting_a_relay_notice_is_kept() -> None:
    quoted = (
        "Selskabet skrev, at pressemeddelelsen er formidlet af Ritzau på vegne af en tredjepart,"
        " og at Ritzau ikke er ansvarlig for indholdet."
    )
    assert strip_furniture(quoted) == quoted


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2022, 1, 13, 9, 5), "2022-01-13T08:05:00+00:00"),
        (datetime(2022, 6, 14, 9, 5), "2022-06-14T07:05:00+00:00"),
        (datetime(2022, 3, 27, 1, 59), "2022-03-27T00:59:00+00:00"),
        (datetime(2022, 3, 27, 3, 0), "2022-03-27T01:00:00+00:00"),
        (datetime(2022, 10, 30, 4, 0), "2022-10-30T03:00:00+00:00"),
    ],
)
def test_copenhagen_time_to_utc(local: datetime, utc: str) -> None:
    moment = copenhagen_to_utc(local)
    assert moment is not None and moment.isoformat() == utc


def test_ritzau_is_read_through_parse_bytes() -> None:
    data = (FIXTURES / "ritzau_queued_da.xml").read_bytes()
    assert len(parse_bytes(data, ctx())) == 3
    soap = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        + data[data.index(b"<XMLNewsQueuedResponse") :].rstrip()
        + b"</s:Body></s:Envelope>"
    )
    assert sniff_format(soap) == "ritzau"
    assert len(parse_bytes(soap, ctx())) == 3
    wide = data.decode("utf-8").encode("utf-16")
    assert sniff_format(wide) == "ritzau"
    assert len(parse_bytes(wide, ctx())) == 3


def test_ritzau_empty_queue_and_service_error() -> None:
    empty = (
        b'<XMLNewsQueuedResponse xmlns="http://tempuri.org/"><XMLNewsQueuedResult>'
        b'<error xmlns="">0</error><ListOfRBNews xmlns=""/></XMLNewsQueuedResult>'
        b"</XMLNewsQueuedResponse>"
    )
    assert sniff_format(empty) == "ritzau"
    assert parse_bytes(empty, ctx()) == []
    failed = empty.replace(b">0</error>", b">3</error><errormsg>Ugyldig kunde</errormsg>")
    with pytest.raises(ParseError, match=r"inbox/q\.xml: Ritzau XMLNews error 3: Ugyldig kunde"):
        parse_bytes(failed, ctx("inbox/q.xml"))


def test_truncated_ritzau_is_one_parse_error_naming_the_source() -> None:
    data = (FIXTURES / "ritzau_queued_da.xml").read_bytes()
    cut = data[: data.index(b"</content>")]  # inside the first story
    with pytest.raises(ParseError) as caught:
        parse_bytes(cut, ctx("inbox/cut.xml"))
    message = str(caught.value)
    assert "inbox/cut.xml" in message and "cut off" in message and "\n" not in message


def test_truncated_ritzau_keeps_only_finished_items() -> None:
    data = (FIXTURES / "ritzau_queued_da.xml").read_bytes()
    second = data.index(b"<RBNews>", data.index(b"</RBNews>"))
    context = ctx("inbox/cut.xml")
    items = parse_bytes(data[: second + 300], context)
    assert [item.title for item in items] == ["Havnebus i Aarhus sejler igen efter strømnedbrud"]
    assert any("cut off" in w and "inbox/cut.xml" in w for w in context.warnings)


def test_every_cut_of_a_ritzau_response_is_items_or_parse_error() -> None:
    data = (FIXTURES / "ritzau_queued_da.xml").read_bytes()
    for end in range(0, len(data), 97):
        try:
            items = parse_bytes(data[:end], ctx("inbox/cut.xml"))
        except ParseError as exc:
            assert "inbox/cut.xml" in str(exc)
            continue
        assert all(isinstance(item, WireItem) for item in items)


# --- small pieces ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rest", "version", "correction"),
    [
        ("UPDATE 2-Kremlin says", "Kremlin says", 3, False),
        ("CORRECTED-UPDATE 1-Kremlin says", "Kremlin says", 2, True),
        ("1stLd-Writethru: Heat beat Hawks", "Heat beat Hawks", 2, False),
        ("3 lead climbers die on Everest", "3 lead climbers die on Everest", 1, False),
        ("Update on talks", "Update on talks", 1, False),
    ],
)
def test_read_take(text: str, rest: str, version: int, correction: bool) -> None:
    take = read_take(text)
    assert (take.text, take.version, take.correction) == (rest, version, correction)


def test_version_in_slug() -> None:
    assert version_in("BC-EU--Ukraine-Talks 2ndLd-Writethru") == 3
    assert version_in("BC-EU--Ukraine-Talks") == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20151210T191044Z", "2015-12-10T19:10:44+00:00"),
        ("2017-10-11T10:41:00+0100", "2017-10-11T09:41:00+00:00"),
        ("2018-11-21T16:25:32-05:00", "2018-11-21T21:25:32+00:00"),
        ("20240710", "2024-07-10T00:00:00+00:00"),
        ("2016-01-04T16:34:45.000Z", "2016-01-04T16:34:45+00:00"),
    ],
)
def test_parse_datetime(value: str, expected: str) -> None:
    moment = parse_datetime(value)
    assert moment is not None and moment.isoformat() == expected


@pytest.mark.parametrize("value", ["", "yesterday", "2022-13-45", "20220101T999999Z"])
def test_parse_datetime_rejects(value: str) -> None:
    assert parse_datetime(value) is None


def test_text_is_nfc_without_controls_and_capped() -> None:
    decomposed = unicodedata.normalize("NFD", "Sécurité")
    doc = {
        "uri": "urn:x:1",
        "versioncreated": "2022-01-12T10:00:00Z",
        "headline": f"{decomposed}\u0007 alert",
        "body_text": "word " * (BODY_MAX // 2),
    }
    (item,) = PARSERS["ninjs"](json.dumps(doc).encode(), ctx())
    assert item.title == "Sécurité alert"
    assert unicodedata.is_normalized("NFC", item.title)
    assert len(item.body) <= BODY_MAX


# --- not ours, not readable, hostile --------------------------------------------

NOT_WIRE = [
    b'<?xml version="1.0"?><XMLNewsArchive><RBNews/></XMLNewsArchive>',
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [{"id": "1"}]}',
    b"Headline\n\nMOSCOW, Jan 13 (Reuters) - Body text.",
    b"<!DOCTYPE html><html><body>Error 502</body></html>",
    b"",
    b"\x01just a header, no start of text",
]


@pytest.mark.parametrize("data", NOT_WIRE)
def test_sniff_leaves_other_inputs_alone(data: bytes) -> None:
    assert sniff_format(data) is None


@pytest.mark.parametrize("fmt", sorted(PARSERS))
@pytest.mark.parametrize("data", [b"", b"garbage", b"<", b"{", b"\x00\xff" * 10, b"[1, 2]"])
def test_unreadable_input_is_one_line_parse_error(fmt: str, data: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        PARSERS[fmt](data, ctx("inbox/bad.bin"))
    message = str(caught.value)
    assert "inbox/bad.bin" in message and "\n" not in message


def _entity_bomb(root: str) -> bytes:
    entity = "B" * 50_000
    refs = "&big;" * 20_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY big "{entity}">]>'
        f"<{root}><body><body.content><p>{refs}</p></body.content></body></{root}>"
    ).encode()


@pytest.mark.parametrize(("fmt", "root"), [("nitf", "nitf"), ("newsml", "newsItem")])
def test_entity_bomb_is_not_expanded(fmt: str, root: str) -> None:
    def parse() -> list[WireItem]:
        try:
            return PARSERS[fmt](_entity_bomb(root), ctx())
        except ParseError:
            return []

    items, peak = with_peak_memory(parse)
    assert peak < 40_000_000  # expanded, it is gigabytes
    assert all("BBBB" not in item.body for item in items)


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        "<nitf><body><body.head><hedline><hl1>Title &x;</hl1></hedline></body.head>"
        "<body.content><p>Text &x;</p></body.content></body></nitf>"
    ).encode()
    (item,) = PARSERS["nitf"](data, ctx())
    assert "TOP-SECRET" not in item.title + item.body


# --- fuzz -------------------------------------------------------------------------

FUZZ = settings(
    max_examples=60,
    deadline=1000,  # milliseconds: no input may take a parser a second
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SEEDS = [(FIXTURES / name).read_bytes() for name in sorted(FORMATS)]


def _only_parse_error(data: bytes) -> None:
    for parser in PARSERS.values():
        try:
            items = parser(data, ctx())
        except ParseError:
            continue
        assert all(isinstance(item, WireItem) for item in items)
    sniff_format(data)


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes_raise_only_parse_error(data: bytes) -> None:
    _only_parse_error(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif action == "insert":
            data[pos:pos] = draw(
                st.sampled_from([b"\x00", b"\x01", b"\x02", b"\x03", b"<", b"&", b"{", b"]]>"])
            )
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        else:
            del data[pos:]
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_fixtures_raise_only_parse_error(data: bytes) -> None:
    _only_parse_error(data)
