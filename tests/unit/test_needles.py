"""The new-word needle screen (monitor/match/needles.py): sound needles, anchors
held, and matches identical to deriving every new word's keys."""

from __future__ import annotations

import random
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config.schema import Config
from monitor.match.engine import Matcher
from monitor.match.needles import (
    ANY,
    END,
    START,
    WHOLE,
    Needle,
    NeedleScreen,
    _needles,
    token_needles,
)
from monitor.model import WireItem
from monitor.text.morph import _CYR_ENDINGS, text_keys
from monitor.text.normalize import fold_text, normalize_token
from monitor.text.tokenize import split_words

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "labelled"
SEEDS = ROOT / "seeds"

# Endings that make the Snowball stemmers rewrite, not just strip (plus common
# inflections), on real and generated bases: the words the soundness test adds.


def _words(text: str) -> list[str]:
    return text.split()


EN_SUFFIXES = _words(
    """ational tional enci anci abli entli izer ization ation ator alism aliti alli
    fulness ousli ousness iveness iviti biliti bli ogi fulli lessli li alize icate iciti
    ical ful ness ative ed edly ing ingly ies ied s y ly ement ment ent ism able ible ant
    ence ance er ic ate iti ous ive ize ion sses us ss eed eedly at bl iz"""
)
FR_SUFFIXES = _words(
    """amment emment ence ences ité ités icité abilité ive ives if ifs icatif icative
    atif ative euse euses eux eus aux eaux logie logies usion ution ement ements ivement
    eusement ier ière iers issement issements ment ments y ance ique isme able iste
    atrice ateur ation ications er ez ant ante ions é ée ées ait aient ira erait e es s
    enne onne ette elle eille"""
)
DE_SUFFIXES = _words(
    """em ern er e en es s est st end ung ig ik isch lich heit keit ungen igkeit
    lichkeit isches"""
)
EN_WORDS = _words(
    """happy happiness skies dying lying tying idly gently ugly early only singly news
    howe atlas cosmos bias andes possibility capability mobility sensibility hoping
    hopping relational operator sensitivity fluency valency capably generously generate
    communism arsenal inning outing canning herring earring proceed exceed succeed"""
)
FR_WORDS = _words(
    """couramment évidemment chevaux heureuse heureux électricité sensibilité logique
    technologie conclusion révolution fréquence naturellement qualificative première
    dernier établissement rapidement"""
)
DE_WORDS = _words(
    """Mueller Müller Schoenheit Schönheit Aeusserung Äußerung Quelle Bauer Feuer neue
    blaue Goethe Straße Strasse Sicherheitsgarantien Verhandlungen Osterweiterung
    Natodraht Quaeler Bluete"""
)
AR_CLITICS = ("", "و", "ف", "ب", "ك", "ل", "ال", "وال", "بال", "فال", "لل", "وب", "فب", "ولل")


@cache
def _bench() -> Any:
    sys.path.insert(0, str(ROOT / "bench"))
    import corpus

    return corpus


@cache
def vocabulary() -> frozenset[str]:
    """Every word of the bench corpus (vocabulary and items), the labelled set,
    the seeds, and the affix words above."""
    corpus = _bench().make_corpus(3, items=120, vocab_size=4000)
    texts: list[str] = [w for words in corpus.vocab.values() for w in words]
    texts += [item[f] for item in corpus.items for f in ("title", "body")]
    texts += [p.read_text(encoding="utf-8") for p in sorted(LABELLED.glob("*.yaml"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir()) if p.is_file()]
    words = {w for text in texts for w in split_words(text).words}
    latin = [w for w in words if w.isascii() and w.isalpha() and len(w) >= 4][:3000]
    latin += EN_WORDS + FR_WORDS + DE_WORDS
    bases = [*latin[:600], "cap", "mob", "possib", "relat", "natur", "schoen", "muell"]
    for suffixes in (EN_SUFFIXES, FR_SUFFIXES, DE_SUFFIXES):
        words.update(base + suffix for base in bases for suffix in suffixes)
    for word in latin[:800]:  # German ae/oe/ue spellings of umlauts
        for vowel in "aou":
            words.add(word.replace(vowel, vowel + "e", 1))
    cyrillic = [w for w in words if "\u0400" <= w[:1] <= "\u04ff"][:1500]
    words.update(w + e for w in cyrillic[:400] for e in _CYR_ENDINGS)
    arabic = [w for w in words if "\u0600" <= w[:1] <= "\u06ff"][:800]
    words.update(c + w for w in arabic for c in AR_CLITICS)
    return frozenset(words)


def holds(folded: str, needle: Needle) -> bool:
    if needle.anchor == WHOLE:
        return folded == needle.text
    if needle.anchor == START:
        return folded.startswith(needle.text)
    if needle.anchor == END:
        return folded.endswith(needle.text)
    return needle.text in folded


def test_every_key_of_every_word_leaves_one_of_its_needles_in_the_folded_word() -> None:
    words = vocabulary()
    assert len(words) > 50_000
    failures = []
    for word in words:
        folded = fold_text(word)
        for key in text_keys(normalize_token(word)):
            if not any(holds(folded, needle) for needle in _needles(key)):
                failures.append((word, key, _needles(key)))
    assert failures == []


def test_a_token_keeps_the_weaker_of_two_needles() -> None:
    # The whole word "barinson" implies its start "barinso": only that is kept.
    kept = token_needles(["barinson", "fr:barinsox", "en:barinsons"])
    assert kept == {Needle("barinso", START)}
    # Arabic: anywhere (a pronoun may follow); a final ه may be written ت there.
    assert token_needles(["ar:ناتو", "ar:الناتو"]) == {Needle("ناتو", ANY)}
    assert token_needles(["ar:حكومه"]) == {Needle("حكوم", ANY)}
    assert token_needles([], "sicherheits") == {Needle("sicherheits", START)}
    assert token_needles(["en:e"]) == {Needle("", ANY)}


def test_german_stems_allow_the_e_of_an_umlaut_spelled_out() -> None:
    needles = {n.text for n in _needles("de:mull")}
    assert {"mull", "muell"} <= needles
    assert any(fold_text("Mueller").startswith(n) for n in needles)


def test_screen_anchors() -> None:
    screen = NeedleScreen()
    screen.add(frozenset({"ru:путин", "путин"}))  # a start: Путиным, not Распутин
    screen.add(frozenset({"ar:ناتو"}))  # anywhere: clitics before, a pronoun after
    screen.add(frozenset({"brent"}))  # an exact form: the whole word
    screen.add(frozenset(), "sicherheits")  # a wildcard's prefix: a start
    for word in ("Путиным", "للناتو", "Brent", "Sicherheitsrat"):
        assert screen.word(normalize_token(word)), word
    for word in ("Распутин", "Brents", "abrent", "Nothing", "Rat"):
        assert not screen.word(normalize_token(word)), word
    assert screen.needles == 4


def test_an_empty_needle_lets_every_word_through() -> None:
    screen = NeedleScreen()
    screen.add(frozenset({"en:e"}))
    assert screen.word("anything")


# -- identity ----------------------------------------------------------------------


def _labelled() -> tuple[Config, list[WireItem]]:
    raw = yaml.safe_load((LABELLED / "watchlists.yaml").read_text(encoding="utf-8"))
    raw["watchlists"]["near-probe"] = {
        "when": "NATO NEAR/12 Ukraine OR sanctions NEAR/5 NATO",
    }
    config = Config.model_validate(raw)
    items: list[WireItem] = []
    for path in sorted(LABELLED.glob("*.yaml")):
        if path.name == "watchlists.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = data["items"]
        for entry in entries:
            items.append(
                WireItem(
                    id=entry["id"],
                    title=entry["title"],
                    body=entry["body"],
                    source="labelled",
                    language=data["language"],
                )
            )
        # Several items as paragraphs of one: NEAR across them.
        rng = random.Random(path.name)
        for number in range(30):
            picked = rng.sample(entries, 4)
            items.append(
                WireItem(
                    id=f"{path.stem}-joined-{number}",
                    title=picked[0]["title"],
                    body="\n\n".join(e["body"] for e in picked),
                    source="labelled",
                )
            )
    for path in sorted(SEEDS.iterdir()):
        lines = path.read_text(encoding="utf-8").strip().splitlines()
        items.append(
            WireItem(
                id=path.name,
                title=lines[0],
                body="\n".join(lines[1:]).strip(),
                source="seeds",
            )
        )
    return config, items


def reference(config: Config) -> Matcher:
    """Every new word's keys derived, none screened out."""
    matcher = Matcher(config)
    matcher.index.screen_new_words = False
    return matcher


def test_the_screen_changes_no_match_on_the_labelled_set_and_seeds() -> None:
    config, items = _labelled()
    whole = reference(config)
    screened = Matcher(config)
    matched = 0
    for item in items:
        expected = whole.match(item)
        assert screened.match(item) == expected, item.id
        matched += bool(expected)
    assert matched > len(items) // 2


@pytest.mark.parametrize("terms", [3000])
def test_the_screen_changes_no_match_on_the_bench_corpus(terms: int) -> None:
    bench = _bench()
    corpus = bench.make_corpus(2, items=150, vocab_size=6000)
    data = bench.make_config_data(random.Random(terms), corpus, terms, watchlists=60)
    config = Config.model_validate(data)
    whole = reference(config)
    screened = Matcher(config)
    items = [WireItem(**item) for item in corpus.items]
    expected = [whole.match(item) for item in items]
    assert sum(map(bool, expected)) > len(items) // 2
    assert [screened.match(item) for item in items] == expected
