"""A synthetic multilingual news corpus and term dictionary for the benchmarks.

No I/O, no network: everything is generated from word lists in this file and a
seeded ``random.Random``, so two runs with the same seed see the same items and
the same terms. Six languages (ar, en, ru, uk, fr, de) in three scripts.

- Items are ~3 KB news stories (a title and a body of sentences): mostly common
  words of their language, plus *content words* (generated name-like words whose
  frequencies follow Zipf's law, see ``ZIPF``), inflected the way the language does it (Russian and
  Ukrainian case endings, Arabic clitics and article, English plurals), with the
  odd tashkeel, tatweel, typographic apostrophe or hyphenated compound, and now
  and then a phrase or a name from another language.
- Dictionaries are 1-3 token terms over the content words (none that would
  match a common word through its stems or endings, as a curated dictionary
  would not), grouped into topics
  (about 20 terms each) and speakers (about 4 aliases each), and a few hundred
  watchlists over those (``when: any`` mostly, some ``all`` and queries with
  ``AND``/``NOT``/``NEAR``, some with ``languages:``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

LANGS: tuple[str, ...] = ("ar", "en", "ru", "uk", "fr", "de")
COMMON_NOUNS = 200  # the top content words of each language, never terms
# Zipf exponent of content-word ranks. 1.5 puts the growth of new word forms
# near Heaps' law for news text (types ~ tokens**0.5-0.65): after 1,000 items
# about 2-3% of an item's tokens are forms the stream has not met before,
# which is what the per-word caches of the matcher see in steady state.
ZIPF = 1.5


def _words(text: str) -> list[str]:
    return text.split()


COMMON: dict[str, list[str]] = {
    "en": _words(
        """the of and to in a is that for on was with he it as at by from his has have said
        they this be not are an but had were which their been who will would more after its
        also there about over two new year government officials week people minister state
        country talks meeting told reporters on Monday Tuesday statement against between
        while since under during where report agency president army security forces border
        city region capital council military economic plan"""
    ),
    "fr": _words(
        """le la les de des du un une et à en pour que qui dans sur par avec est a été pas plus
        ne se au aux il elle ils ont son sa ses mais ou comme cette ce être selon après
        avant lors entre contre sans sous vers pendant depuis ministre gouvernement
        président pays réunion semaine année déclaration armée sécurité frontière ville
        région capitale conseil accord négociations économique"""
    ),
    "de": _words(
        """der die das und in den von zu mit sich des auf für ist im dem nicht ein eine als
        auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem
        über einen so zum war haben nur oder aber vor zur bis mehr durch Regierung Minister
        Präsident Land Treffen Woche Jahr Erklärung Armee Grenze Stadt Region Hauptstadt Rat
        Verhandlungen wirtschaftlich Sicherheit"""
    ),
    "ru": _words(
        """и в не на что с по как это он из за от к о для же но все так его только был она бы
        уже или при год было они до вы если нет ещё мы чем также после перед между против
        без под над через во время министр правительство президент страна встреча неделя
        заявление армия граница город регион столица совет переговоры экономика безопасность"""
    ),
    "uk": _words(
        """і в не на що з по як це він із за від до про для же але все так його тільки був вона
        б вже або при рік було вони ми якщо немає ще також після перед між проти без під над
        через під час міністр уряд президент країна зустріч тиждень заява армія кордон місто
        регіон столиця рада переговори економіка безпека їхній її є"""
    ),
    "ar": _words(
        """في من على إلى أن عن مع هذا هذه التي الذي كان قد لا ما بين بعد قبل كما وقد حيث أو ثم
        لم لن إن أنه عند خلال منذ حتى ضد دون تحت فوق وزير الحكومة الرئيس البلاد اجتماع
        الأسبوع العام بيان الجيش الحدود المدينة المنطقة العاصمة المجلس المفاوضات الاقتصاد
        الأمن اليوم أمس مصادر وكالة"""
    ),
}

# Syllables for the generated content words (names, places, rare nouns).
_SYLLABLES: dict[str, list[str]] = {
    "lat": _words(
        """ba be bi bo ka ke ki ko ra re ri ro ta te ti to na ne ni no ma me mi mo la le li lo
        sa se si so va ve vi vo da de di do gar ber lin mar tin ston ford ley ham berg burg
        ville mont ser vin dor kel man son sen rick"""
    ),
    "fr": _words("""é è ê ç çois ève ère ées eau eux oir"""),
    "de": _words("""ü ö ä ß über hof stadt mann schaft"""),
    "cyr": _words(
        """ба бе би бо ка ке ки ко ра ре ри ро та те ти то на не ни но ма ме ми мо ла ле ли ло
        са се си со ва ве ви во да де ди до гор бер лин мар тин ов ев ин ский ская град ко
        вич"""
    ),
    "uk": _words("""і ї є ін ів ія"""),
    "ar": _words(
        """ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ظ ع غ ف ق ك ل م ن ه و ي ا ى ة أ إ ؤ ئ با تي رو كو ني
        سي مي لي دو فا زا شا"""
    ),
}
_TASHKEEL = "\u064e\u064f\u0650\u0651\u0652"
_RU_ENDINGS = ("", "", "", "а", "у", "ом", "е", "ы", "ой", "ами", "ах")
_UK_ENDINGS = ("", "", "", "а", "у", "ом", "і", "ів", "ою", "ами")
_AR_PREFIXES = ("", "", "", "ال", "وال", "بال", "لل", "و", "ب", "فال")


@dataclass(frozen=True)
class Corpus:
    """Generated vocabulary, phrases and items (dicts shaped like ``WireItem``)."""

    vocab: dict[str, list[str]]  # content words per language, most frequent first
    phrases: dict[str, list[tuple[str, ...]]]  # 2-3 word phrases per language
    items: list[dict[str, Any]]


def _script(lang: str) -> str:
    return {"ar": "ar", "ru": "cyr", "uk": "cyr"}.get(lang, "lat")


def _word(rng: random.Random, lang: str) -> str:
    script = _script(lang)
    parts = rng.randint(2, 4) if script != "ar" else rng.randint(3, 5)
    word = "".join(rng.choice(_SYLLABLES[script]) for _ in range(parts))
    extra = _SYLLABLES.get(lang)
    if extra and rng.random() < 0.3:
        word += rng.choice(extra)
    if script == "ar":
        word = word.replace("ى", "") or "بر"
        return word
    return word.capitalize() if rng.random() < 0.6 else word


def make_vocab(rng: random.Random, size: int) -> dict[str, list[str]]:
    """``size`` distinct content words per language."""
    vocab: dict[str, list[str]] = {}
    # Content words are not function words in disguise (a term ``Lor`` would take
    # ``lors`` through its German plural): at least five letters, and no common
    # word of any language plus an ending.
    common = {word.lower() for words in COMMON.values() for word in words}
    stems = {word[:-cut] for word in common for cut in (1, 2) if len(word) > cut + 2}
    for lang in LANGS:
        seen: dict[str, None] = {}
        while len(seen) < size:
            word = _word(rng, lang)
            folded = word.lower()
            if len(word) < 5 or folded in common or folded[:-1] in common or folded in stems:
                continue
            seen.setdefault(word, None)
        vocab[lang] = list(seen)
    return vocab


def _inflect(rng: random.Random, word: str, lang: str) -> str:
    """The word as running text would carry it: endings, clitics, marks."""
    if lang == "ru":
        return word + rng.choice(_RU_ENDINGS)
    if lang == "uk":
        return word + rng.choice(_UK_ENDINGS)
    if lang == "ar":
        word = rng.choice(_AR_PREFIXES) + word
        if rng.random() < 0.1:
            pos = rng.randrange(1, len(word))
            word = word[:pos] + rng.choice(_TASHKEEL) + word[pos:]
        if rng.random() < 0.03:
            word = word[:1] + "\u0640" + word[1:]
        return word
    if lang == "en" and rng.random() < 0.2:
        return word + "s"
    if lang == "de" and rng.random() < 0.1:
        return word + "-" + rng.choice(COMMON["de"][-10:])
    if lang == "fr" and rng.random() < 0.1:
        return rng.choice(("l'", "l’", "d'")) + word
    return word


def _zipf_index(rng: random.Random, size: int, exponent: float = ZIPF) -> int:
    """A rank in ``0..size-1`` with P(rank r) ~ 1/(r+1)**exponent (inverse CDF of
    the continuous power law, truncated at ``size``)."""
    a = 1.0 - exponent
    return min(size - 1, int(((size**a - 1.0) * rng.random() + 1.0) ** (1.0 / a)) - 1)


def _sentence(
    rng: random.Random, corpus: Corpus, lang: str, words: int, mentions: float = 1.0
) -> str:
    out: list[str] = []
    common = COMMON[lang]
    vocab = corpus.vocab[lang]
    # A sentence that mentions nothing tracked: common words and the top content
    # words (the common nouns no dictionary term is made of) only.
    plain = mentions < 1.0 and rng.random() >= mentions
    while len(out) < words:
        roll = rng.random()
        if plain:
            out.append(
                rng.choice(common)
                if roll < 0.72
                else _inflect(rng, vocab[_zipf_index(rng, COMMON_NOUNS)], lang)
            )
            continue
        if roll < 0.72:
            out.append(rng.choice(common))
        elif roll < 0.98:
            out.append(_inflect(rng, vocab[_zipf_index(rng, len(vocab))], lang))
        elif roll < 0.99:
            out.extend(rng.choice(corpus.phrases[lang][:2000]))
        else:  # a foreign name or phrase, as news copy carries them
            other = rng.choice(LANGS)
            out.append(corpus.vocab[other][_zipf_index(rng, len(corpus.vocab[other]))])
    text = " ".join(out)
    end = "." if lang != "ar" else rng.choice((".", ".", "،", "؟"))
    if rng.random() < 0.15:
        text = "«" + text + "»" if lang in ("fr", "ru", "uk", "ar") else '"' + text + '"'
    return text[:1].upper() + text[1:] + end


def make_items(
    rng: random.Random, corpus: Corpus, count: int, size: int = 3000, mentions: float = 1.0
) -> None:
    """Append ``count`` items of about ``size`` characters to ``corpus.items``;
    ``mentions`` is the share of sentences that may mention rarer content words
    (and so tracked terms); the others use common words only."""
    for number in range(count):
        lang = LANGS[number % len(LANGS)]
        title = _sentence(rng, corpus, lang, rng.randint(6, 12)).rstrip(".")
        paragraphs: list[str] = []
        length = 0
        while length < size:
            para = " ".join(
                _sentence(rng, corpus, lang, rng.randint(8, 24), mentions)
                for _ in range(rng.randint(2, 4))
            )
            paragraphs.append(para)
            length += len(para) + 2
        corpus.items.append(
            {
                "id": f"bench-{number}",
                "title": title,
                "body": "\n\n".join(paragraphs),
                "source": "bench",
                "language": lang,
                "feed_id": f"feed-{lang}",
                "tags": ("wire",) if number % 3 == 0 else ("web",),
            }
        )


def make_corpus(
    seed: int = 1, items: int = 1000, vocab_size: int = 50_000, mentions: float = 1.0
) -> Corpus:
    """The corpus for one benchmark run (``mentions``: see ``make_items``)."""
    rng = random.Random(seed)
    vocab = make_vocab(rng, vocab_size)
    phrases = {
        lang: [
            tuple(vocab[lang][rng.randrange(vocab_size)] for _ in range(rng.randint(2, 3)))
            for _ in range(20_000)
        ]
        for lang in LANGS
    }
    corpus = Corpus(vocab, phrases, [])
    make_items(rng, corpus, items, mentions=mentions)
    return corpus


def _stop_keys() -> frozenset[str]:
    """The keys of every common word: a curated dictionary has no term that
    matches a function word (a generated name ``Sesen`` stems to ``ses``)."""
    from monitor.text.morph import text_keys
    from monitor.text.normalize import normalize_token

    words = {w for ws in COMMON.values() for w in ws}
    return frozenset(k for w in words for k in text_keys(normalize_token(w)))


def _clean(term: str, stop: frozenset[str]) -> bool:
    from monitor.text.morph import term_keys

    words = term.strip('"*').split()
    return bool(words) and all(stop.isdisjoint(term_keys(word)) for word in words)


def _term(rng: random.Random, corpus: Corpus, lang: str, stop: frozenset[str]) -> str:
    while True:
        term = _raw_term(rng, corpus, lang)
        if _clean(term, stop):
            return term


def _raw_term(rng: random.Random, corpus: Corpus, lang: str) -> str:
    roll = rng.random()
    if roll < 0.25:  # a phrase the text carries now and then
        return " ".join(rng.choice(corpus.phrases[lang][:2000]))
    vocab = corpus.vocab[lang]
    tokens = 1 if roll < 0.6 else rng.randint(2, 3)
    # Not the most frequent content words: in real copy those are common nouns
    # ("government", "talks"), not the names a watchlist is made of.
    words = [vocab[rng.randrange(COMMON_NOUNS, len(vocab))] for _ in range(tokens)]
    term = " ".join(words)
    if rng.random() < 0.03:
        return f'"{term}"'
    if rng.random() < 0.02 and lang != "ar" and len(words[-1]) > 5:
        return term[:-2] + "*"
    return term


def make_config_data(
    rng: random.Random, corpus: Corpus, terms: int, watchlists: int = 300
) -> dict[str, Any]:
    """A config dict (``Config.model_validate`` input) with ``terms`` terms and aliases."""
    topics: dict[str, Any] = {}
    speakers: dict[str, Any] = {}
    stop = _stop_keys()
    made = 0
    number = 0
    while made < terms:
        number += 1
        if number % 10 == 0:  # a speaker: a handful of aliases in a few scripts
            aliases = [_term(rng, corpus, rng.choice(LANGS), stop) for _ in range(4)]
            speakers[f"s{number:05d}"] = [a.strip('"*') or "x" for a in aliases]
            made += len(aliases)
        else:
            count = min(20, terms - made)
            terms_ = [_term(rng, corpus, rng.choice(LANGS), stop) for _ in range(count)]
            entry: dict[str, Any] = {"terms": terms_}
            if rng.random() < 0.1:
                entry["exclude"] = [_term(rng, corpus, rng.choice(LANGS), stop)]
            topics[f"t{number:05d}"] = entry
            made += count
    topic_names = list(topics)
    speaker_names = list(speakers)
    lists: dict[str, Any] = {}
    for number in range(watchlists):
        # Every topic and speaker belongs to some watchlist (round robin), plus extras.
        mine = topic_names[number::watchlists] + rng.sample(topic_names, 3)
        theirs = speaker_names[number::watchlists][:3]
        wl: dict[str, Any] = {"topics": mine, "speakers": theirs, "channels": ["out"]}
        roll = rng.random()
        if roll < 0.1:
            wl["when"] = "all"
            wl["topics"] = mine[:2]
        elif roll < 0.25:
            a, b, c = rng.sample(topic_names, 3)
            wl["when"] = f"({a} OR {b}) AND NOT {c}"
        elif roll < 0.3 and theirs:
            wl["when"] = f'speaker:"{theirs[0]}" NEAR/8 {mine[0]}'
        if rng.random() < 0.1:
            wl["languages"] = rng.sample(LANGS, 2)
        if rng.random() < 0.1:
            wl["role"] = "quoted"
        lists[f"w{number:03d}"] = wl
    return {
        "topics": topics,
        "speakers": speakers,
        "watchlists": lists,
        "channels": {"out": {"type": "console"}},
    }


def all_terms(data: dict[str, Any]) -> list[str]:
    """Every topic term and speaker alias of a config dict (for the regex baseline)."""
    terms = [t for topic in data["topics"].values() for t in topic["terms"]]
    return terms + [a for aliases in data["speakers"].values() for a in aliases]
