"""Our identifier (``monitor.text.langident`` over ``monitor.text.langwalk``) answers
exactly as py3langid does with the same model.

Over every text we have in many languages (the shared corpus's items, the labelled
sets) and a few edge cases: the feature counts equal py3langid's ``visit_counts``,
in the same order (the order of the summation, so of the floats), and ``classify``
and ``rank`` return the same labels and the same floats. A walk with one count off
must change the answers (the comparison can fail).
"""

from __future__ import annotations

import json
import os
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from py3langid.langid import visit_counts

from monitor.text import langident, language
from monitor.text.langident import Identifier, feature_walk
from monitor.text.langmodel import load_identifier
from monitor.text.language import LANGUAGES, sample_text
from monitor.text.langwalk import FeatureWalk
from tests.helpers import corpus_items

DATA = Path(__file__).resolve().parents[1] / "data"

EDGE_CASES = (
    "",
    " ",
    "12345 67890",
    "BREAKING: KREMLIN REJECTS TALKS",  # upper case: lowered first
    "Cafe\u0301 de\u0301ja\u0300 vu",  # decomposed accents: NFC first
    "\ud800 lone surrogate",  # encoded with surrogatepass
    "Српски: Београд је главни град",  # sr, an aliased label
    "srpski: Beograd je glavni grad Srbije",
    "東京で会議が開かれた",
    "😀" * 50,
)


@cache
def texts() -> list[str]:
    """The labelled sets' texts, the corpus items' titles, bodies and samples."""
    found: list[str] = list(EDGE_CASES)
    for path in sorted((DATA / "labelled").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("items") or []:
            found += [str(item.get("title") or ""), str(item["body"])]
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(str(json.loads(line)["text"]))
    for item in corpus_items():
        title, body = item.title or "", item.body or ""
        found += [title, body[:3000], sample_text(f"{title}\n{body}")]
    return found


@cache
def reference() -> Any:
    return load_identifier(LANGUAGES)


@cache
def ours() -> Identifier:
    return Identifier.from_py3langid(reference())


def _bytes(text: str) -> bytes:
    """What py3langid walks for ``text`` (its ``_encode``)."""
    lowered = text.lower() if text.isupper() else text
    return unicodedata.normalize("NFC", lowered).encode("utf8", errors="surrogatepass")


def test_the_texts_are_many_and_varied() -> None:
    assert len(texts()) >= 800
    assert {reference().classify(text)[0] for text in texts()} >= {"ar", "en", "ru", "uk", "de"}


def test_feature_counts_equal_py3langid_in_order() -> None:
    ref = reference()
    walk = feature_walk(ref)
    differ = []
    for text in texts():
        data = _bytes(text)
        expected = visit_counts(ref.tk_nextmove, ref._rowbase, ref.tk_output, data) or {}
        if list(walk.counts(data).items()) != list(expected.items()):
            differ.append(text[:60])
    assert differ == []


def test_walks_in_threads_at_once_count_as_one_at_a_time() -> None:
    """Each walk tallies in a list of its own (the fetch threads detect languages at
    once): walks running together count what each would alone."""
    walk = feature_walk(reference())
    data = [_bytes(text) for text in texts()[:400]]
    alone = [list(walk.counts(one).items()) for one in data]
    start = threading.Barrier(4)

    def walk_all(offset: int) -> list[list[tuple[int, int]]]:
        start.wait()
        turned = data[offset:] + data[:offset]  # each thread in another order
        counted = [list(walk.counts(one).items()) for one in turned]
        return counted[len(data) - offset :] + counted[: len(data) - offset]

    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(walk_all, (0, 100, 200, 300)))
    assert len(walk._spare) >= 1  # tallies came back to be used again
    assert all(counted == alone for counted in together)
    assert [list(walk.counts(one).items()) for one in data] == alone  # all left zeroed


def test_the_compiled_build_walks_with_ours() -> None:
    if os.environ.get("MONITOR_EXPECT_COMPILED") == "1":
        assert langident.COMPILED
    walker = getattr(ours().walk, "__self__", None)  # py3langid's walk: a partial
    assert isinstance(walker, FeatureWalk) == langident.COMPILED


def test_classify_and_rank_equal_py3langid() -> None:
    ref = reference()
    differ = []
    for text in texts():
        if ours().classify(text) != ref.classify(text) or ours().rank(text) != ref.rank(text):
            differ.append(text[:60])
    assert differ == []


def test_item_language_answers_as_with_py3langid(monkeypatch: pytest.MonkeyPatch) -> None:
    """``monitor.text.language`` end to end: our identifier, then py3langid's."""
    items = [(item.title or "", item.body or "") for item in corpus_items()]
    items += [(text[:80], text) for text in texts()]
    ours_said = [language.item_language(title, body) for title, body in items]
    monkeypatch.setattr(language, "_identifier", reference())
    assert [language.item_language(title, body) for title, body in items] == ours_said


def test_one_count_off_changes_the_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    walk = ours().walk

    def one_off(data: bytes) -> dict[int, int]:
        """The walk with its first feature counted once more."""
        found = dict(walk(data) or {})
        for feature in list(found)[:1]:
            found[feature] += 1
        return found

    real = texts()[len(EDGE_CASES) :]  # an emoji string's features barely score
    sample = [text for text in real if len(text) > 20][:300]
    monkeypatch.setattr(ours(), "walk", one_off)
    same = [text[:20] for text in sample if ours().rank(text) == reference().rank(text)]
    assert same == []


def test_language_uses_our_identifier() -> None:
    assert isinstance(language._get_identifier(), Identifier)
    assert language._get_identifier().classes == list(reference().nb_classes)


def test_a_confidence_floor_is_refused() -> None:
    ident = load_identifier(LANGUAGES)
    ident.min_confidence = 0.5
    with pytest.raises(ValueError, match="confidence"):
        Identifier.from_py3langid(ident)
