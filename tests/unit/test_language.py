"""Language detection on a bounded sample answers as the whole-text detector did.

``language_whole_text`` is the detector before issue 11 (whole fields, the model
for every script). Over every labelled item, every fixture and seed, and long
texts made by joining a language's labelled items (so that the sample is cut)
and such bodies under a title in another language,
``detect_language`` and ``item_language`` must give the same answer as it, with
and without a declared language. Each kind of shortcut is also checked to fire.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from monitor.errors import ParseError
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.text import language
from tests.helpers import corpus_items
from tests.unit import language_whole_text as old

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "labelled"
FIXTURE_DIRS = (ROOT / "tests" / "fixtures", ROOT / "seeds")


@cache
def labelled() -> list[tuple[str, str, str]]:
    """(id, title, body) of every labelled item."""
    found: list[tuple[str, str, str]] = []
    for path in sorted(LABELLED.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in doc.get("items") or []:
            found.append((str(item["id"]), str(item.get("title") or ""), str(item["body"])))
    return found


@cache
def fixture_items() -> list[tuple[str, str, str]]:
    """(name, title, body) of every item the fixtures and seeds parse into."""
    found: list[tuple[str, str, str]] = []
    for folder in FIXTURE_DIRS:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.name.endswith(".expected.json"):
                continue
            if "config" in path.relative_to(folder).parts:
                continue  # config files, not stories
            try:
                items = parse_bytes(path.read_bytes(), SourceContext(source=str(path)))
            except ParseError:
                continue  # hostile fixtures: nothing to detect
            for n, item in enumerate(items):
                found.append((f"{path.name}#{n}", item.title or "", item.body or ""))
    return found


@cache
def joined() -> list[tuple[str, str, str]]:
    """Long texts: each labelled file's bodies joined, so the sample is a cut."""
    found: list[tuple[str, str, str]] = []
    for path in sorted(LABELLED.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        bodies = [str(item["body"]) for item in doc.get("items") or []]
        for start in range(0, len(bodies), 10):
            body = " ".join(bodies[start : start + 30])
            found.append((f"{path.stem}-joined-{start}", bodies[start], body))
    return found


@cache
def mixed() -> list[tuple[str, str, str]]:
    """A title in one language over a long body in another (bilingual feeds,
    an English headline on a French story): the sample must reach the body."""
    long = joined()
    return [
        (f"{a[0]}+{b[0]}", a[1], b[2])
        for a in long[::3]
        for b in long[1::3]
        if a[0][:2] != b[0][:2]
    ]


def cases() -> Iterator[tuple[str, str, str]]:
    yield from labelled()
    yield from fixture_items()
    yield from joined()
    yield from mixed()


def test_cases_cover_long_texts_and_fixtures() -> None:
    assert len(labelled()) >= 150
    assert len(fixture_items()) >= 20
    assert sum(len(body) > 2 * language.SAMPLE_CHARS for _, _, body in joined()) >= 10


def test_detect_language_answers_as_on_the_whole_text() -> None:
    differ = []
    for name, title, body in cases():
        for text in (title, body, f"{title}\n{body}"):
            if language.detect_language(text) != old.detect_language(text):
                differ.append((name, text[:60], old.detect_language(text)))
    assert differ == []


@pytest.mark.parametrize("declared", [None, "en", "ar", "ru-RU", "fr"])
def test_item_language_answers_as_on_the_whole_text(declared: str | None) -> None:
    differ = []
    for name, title, body in cases():
        new = language.item_language(title, body, declared)
        if new != old.item_language(title, body, declared):
            differ.append((name, declared, new))
    assert differ == []


def test_counted_characters_equal_findall() -> None:
    """The script rules count a class's characters by runs (``_count``)."""
    patterns = [
        language._LETTER,
        language._CYRILLIC,
        language._ARABIC_SCRIPT,
        *(p for _, p in language._SOLE_SCRIPTS),
        *(p for _, p in language._SCRIPTS),
    ]
    texts = [text for _, title, body in cases() for text in (title, body)]
    texts += [item.body or "" for item in corpus_items()]
    differ = [
        (p.pattern, text[:40])
        for text in texts
        for p in patterns
        if language._count(p, text) != len(p.findall(text))
    ]
    assert differ == []
    assert sum(language._count(language._CYRILLIC, text) for text in texts) > 1000


def test_sample_is_cut_at_a_word_boundary() -> None:
    text = "word " * 200
    sample = language.sample_text(text)
    assert len(sample) <= language.SAMPLE_CHARS
    assert sample.endswith("word")
    assert language.sample_text("short text") == "short text"
    unspaced = "語" * 1000  # no spaces: cut at the limit
    assert language.sample_text(unspaced) == "語" * language.SAMPLE_CHARS


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("قال المتحدث باسم الكرملين إن موسكو لا ترى أي أساس للمحادثات", "ar"),
        ("وزیر خارجہ نے کہا ہے کہ پاکستان مذاکرات کے لیے تیار ہے", "ur"),
        ("ראש הממשלה אמר כי הממשלה תדון בהצעה בשבוע הבא", "he"),
        ("Ο πρωθυπουργός δήλωσε ότι η κυβέρνηση θα συζητήσει την πρόταση", "el"),
        ("대통령은 정부가 다음 주에 제안을 논의할 것이라고 말했다", "ko"),
    ],
)
def test_a_sole_script_answers_without_the_model(
    text: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_model() -> None:
        raise AssertionError("the model was asked")

    assert old.detect_language(text) == code  # the model's answer (it shares the model)
    monkeypatch.setattr(language, "_get_identifier", no_model)
    assert language.detect_language(text) == code


def test_persian_letters_still_go_to_the_model() -> None:
    text = "وزیر امور خارجه گفت که ایران آماده گفتگو است"
    assert language.detect_language(text) == old.detect_language(text) == "fa"
