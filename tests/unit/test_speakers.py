"""Speaker roles (monitor.match.speakers): one test group per rule, in every language.

``role(text, name, others=...)`` tokenises ``text``, finds the alias ``name`` (its
exact tokens, or its first token starting with the name's first word, so that
inflected forms are found), and asks ``classify_speaker`` for its role, passing
the places of the ``others`` names as the engine does.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match.compile import TermIndex
from monitor.match.speakers import classify_speaker, is_follow_up
from monitor.model import Role
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import Token, TokenView, tokenize


def _span(tokens: list[Token], name: str) -> tuple[int, int]:
    words = [normalize_token(t.text) for t in tokenize(name)]
    for first in range(len(tokens)):
        norms = [t.norm for t in tokens[first : first + len(words)]]
        if len(norms) == len(words) and all(
            got == want or (i == len(words) - 1 and got.startswith(want[:4]))
            for i, (got, want) in enumerate(zip(norms, words, strict=True))
        ):
            return first, first + len(words) - 1
    raise AssertionError(f"{name!r} not in text")


def classify(
    text: str, name: str, others: tuple[str, ...] | None = None, alias: str | None = None
) -> tuple[Role, str | None]:
    tokens = tokenize(text)
    first, last = _span(tokens, name)
    spans = None if others is None else [_span(tokens, other) for other in others]
    got = classify_speaker(text, tokens, first, last, alias=alias, others=spans)
    # The matcher's tokens (read from the chunk scan, sentences numbered by
    # breaks) give the same answer.
    view = TokenView(TermIndex().locate(text)[0])
    assert classify_speaker(text, view, first, last, alias=alias, others=spans) == got
    return got


def role(
    text: str, name: str, others: tuple[str, ...] | None = (), alias: str | None = None
) -> Role:
    return classify(text, name, others, alias)[0]


# -- headline "Name: ..." ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "quote"),
    [
        (
            "Песков: НАТО не учитывает интересы России",
            "Песков",
            "НАТО не учитывает интересы России",
        ),
        ("بيسكوف: روسيا لا تتفاوض", "بيسكوف", "روسيا لا تتفاوض"),
        ("Peskov : l'OTAN ignore Moscou", "Peskov", "l'OTAN ignore Moscou"),
        ("Kremlin spokesman Peskov: talks are over", "Peskov", "talks are over"),
        ("In Moscow, Peskow: „Das ist falsch“ und mehr", "Peskow", "Das ist falsch"),
    ],
)
def test_headline_colon_quotes(text: str, name: str, quote: str) -> None:
    assert classify(text, name) == ("quoted", quote)


def test_colon_after_a_mentioned_name_later_in_a_long_line() -> None:
    assert role("Talks between the ministers and Lavrov: no date yet", "Lavrov") == "mentioned"


# -- subject + verb of saying --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Peskov told reporters the talks were over.", "Peskov"),
        ("Zakharova told a briefing that the talks were a sham.", "Zakharova"),
        ("Peskov, the Kremlin spokesman, said talks were over.", "Peskov"),
        ("Захарова заявила, что Москва ждёт ответа.", "Захарова"),
        ("Лавров пригрозил ответными мерами.", "Лавров"),
        ("Зеленський заявив, що Київ не поступиться.", "Зеленський"),
        ("Захарова заявила, що Київ затягує час.", "Захарова"),
        ("Vladimir Poutine a dit que la Russie ne renoncerait pas.", "Poutine"),
        ("Zelensky a souligné l'importance des garanties.", "Zelensky"),
        ("Sacharowa erklärte, Moskau werde reagieren.", "Sacharowa"),
        ("Blinken hat gesagt, die Ukraine könne zählen.", "Blinken"),
        ("Selenskyj zufolge braucht die Ukraine mehr Flugabwehr.", "Selenskyj"),
        ("TASS quoted Lavrov as saying that the proposal was unacceptable.", "Lavrov"),
        ("نقلت وكالة تاس عن زاخاروفا قولها إن الناتو يصعد التوتر.", "زاخاروفا"),
    ],
)
def test_subject_of_a_verb_of_saying(text: str, name: str) -> None:
    assert role(text, name) == "quoted"


@pytest.mark.parametrize(
    ("text", "name", "alias"),
    [
        ("Putin's spokesman said the report was false.", "Putin", None),
        ("Офис Зеленского заявил о новых ударах.", "Зеленского", None),
        ("Офис Зеленского заявил о новых ударах.", "Зеленского", "Зеленский"),
        ("Ein Sprecher Putins sagte nichts.", "Putins", "Putin"),
        ("Журналисты спросили Пескова, он ответил.", "Пескова", "Песков"),
        ("Лавров встретится с Блинкеном и скажет речь.", "Блинкеном", None),
        ("Reporters waited for Peskov who was late.", "Peskov", None),
    ],
)
def test_possessive_oblique_or_governed_names_are_not_subjects(
    text: str, name: str, alias: str | None
) -> None:
    assert role(text, name, alias=alias) == "mentioned"


def test_a_spelling_variant_of_the_alias_is_not_oblique() -> None:
    text = "Le président de la Douma, Viatcheslav Volodine, a estimé que les sanctions aidaient."
    assert role(text, "Volodine", alias="Volodin") == "quoted"


# -- a verb before the name -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("وقال بيسكوف للصحفيين إن الوضع حرج.", "بيسكوف"),
        ("وأكدت زاخاروفا أن موسكو سترد.", "زاخاروفا"),
        ("أكد المتحدث الرسمي باسم الرئاسة، دميتري بيسكوف، أن الحوار مستمر.", "بيسكوف"),
        ("أعلن فولودين أن البرلمان سيناقش القانون.", "فولودين"),
        ('"We are ready," said Peskov.', "Peskov"),
        ('"No progress," said Kremlin spokesman Dmitry Peskov.', "Peskov"),
        ("«Мы готовы к диалогу», — сказал Лавров.", "Лавров"),
        ("Об этом заявил Дмитрий Песков.", "Дмитрий Песков"),
        ("Переговоры зашли в тупик, сообщил Песков.", "Песков"),
        ("« Nous ne céderons rien », a déclaré Zelensky.", "Zelensky"),
        ("« Kiev ne veut pas la paix », a lancé Sergueï Lavrov.", "Lavrov"),
        ("Am Montag sagte Peskow, der Kreml sehe keinen Grund.", "Peskow"),
        ("„Russland ist bereit“, sagte Putin in Moskau.", "Putin"),
    ],
)
def test_verb_before_the_name(text: str, name: str) -> None:
    assert role(text, name) == "quoted"


def test_titles_between_verb_and_name_need_the_alias() -> None:
    # With the alias the engine knows Песков is nominative, so a title may stand
    # between; without it, an oblique name after an object would look the same.
    text = "Об этом заявил пресс-секретарь Кремля Дмитрий Песков."
    assert role(text, "Дмитрий Песков", alias="Дмитрий Песков") == "quoted"
    text = "Кремль прокомментировал заявления Блинкена."
    assert role(text, "Блинкена", alias="Блинкен") == "mentioned"
    assert role(text, "Блинкена") == "mentioned"


@pytest.mark.parametrize(
    ("text", "speaker", "other"),
    [
        ("Zelensky said Putin had no right to do it.", "Zelensky", "Putin"),
        ("Officials said Blinken would travel to Kyiv.", "Officials", "Blinken"),
        ("قال زيلينسكي إن بوتين لا يريد السلام.", "زيلينسكي", "بوتين"),
        ("صرح بيسكوف بأن الرئيس بوتين سيشارك في القمة.", "بيسكوف", "بوتين"),
        ("ذكرت وسائل إعلام أن بوتين سيزور تركيا.", "ذكرت", "بوتين"),
        ("Зеленский заявил, что Путин не хочет мира.", "Зеленский", "Путин"),
        ("Selenskyj sagte, Putin habe kein Recht dazu.", "Selenskyj", "Putin"),
        ("Zelensky a déclaré que Poutine n'avait aucun droit.", "Zelensky", "Poutine"),
    ],
)
def test_the_object_of_someone_elses_words_is_mentioned(
    text: str, speaker: str, other: str
) -> None:
    assert role(text, other) == "mentioned"


# -- attributions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("According to Lavrov, the talks have stalled.", "Lavrov"),
        ("По словам Лаврова, Россия не будет обсуждать санкции.", "Лаврова"),
        ("За словами Пєскова, Кремль не бачить підстав.", "Пєскова"),
        ("Selon Lavrov, les sanctions ont échoué.", "Lavrov"),
        ("D'après Peskov, aucune rencontre n'est prévue.", "Peskov"),
        ("Laut Lawrow sind die Sanktionen gescheitert.", "Lawrow"),
        ("بحسب لافروف، فإن العقوبات فشلت.", "لافروف"),
        ("وفقا لبيسكوف فإن الحوار مستمر.", "لبيسكوف"),
        ("Новость сообщили со ссылкой на Пескова.", "Пескова"),
    ],
)
def test_attributions(text: str, name: str) -> None:
    assert role(text, name) == "quoted"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Foreign ministers held a meeting with Blinken in Riga.", "Blinken"),
        ("Встреча Путина и Лукашенко прошла в Сочи.", "Путина"),
        ("استقبل بوتين الرئيس الإيراني في الكرملين.", "بوتين"),
        ("Les alliés attendent la visite de Zelensky à Paris.", "Zelensky"),
        ("Baerbock traf Blinken am Rande des Treffens.", "Blinken"),
        ("Кулеба провів телефонну розмову з Блінкеном.", "Блінкеном"),
    ],
)
def test_mentions(text: str, name: str) -> None:
    assert role(text, name) == "mentioned"


# -- pronoun follow-ups --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "quote"),
    [
        (
            "Putin arrived in Minsk on Friday. He told reporters that sanctions had failed.",
            "Putin",
            "He told reporters that sanctions had failed.",
        ),
        ("Zakharova briefed reporters. She said NATO was a threat.", "Zakharova", None),
        ("Песков провёл брифинг. «Это неправда», — добавил он.", "Песков", None),
        ("Зеленский встретился с военными. По его словам, нужна ПВО.", "Зеленский", None),
        ("Пєсков провів брифінг. «Санкції нас не зупинять», — додав він.", "Пєсков", None),
        ("Пєсков не виключив контактів. За його словами, питання відкрите.", "Пєсков", None),
        ("Blinken est arrivé à Kiev. « Nous restons », a-t-il ajouté.", "Blinken", None),
        ("Zakharova a tenu un point de presse. Selon elle, rien ne change.", "Zakharova", None),
        ("Lawrow traf seinen Kollegen. Die Waffenruhe müsse halten, sagte er.", "Lawrow", None),
        ("Sacharowa trat vor die Presse. Die Nato provoziere, fügte sie hinzu.", "Sacharowa", None),
        ("التقى لافروف نظيره التركي. وأضاف أن العقوبات لن تغير شيئا.", "لافروف", None),
        ("استقبل بوتين الوفد. وتابع قائلا إن الحوار مستمر.", "بوتين", None),
    ],
)
def test_pronoun_follow_up_attaches_to_the_last_named(
    text: str, name: str, quote: str | None
) -> None:
    got_role, got_quote = classify(text, name, others=())
    assert got_role == "quoted"
    if quote is not None:
        assert got_quote == quote


@pytest.mark.parametrize(
    ("text", "name", "others"),
    [
        # two speakers in the sentence before: "he" is ambiguous
        ("Putin met envoys together with Lavrov. He said Russia was open.", "Putin", ("Lavrov",)),
        ("Putin met envoys together with Lavrov. He said Russia was open.", "Lavrov", ("Putin",)),
        (
            "Лавров провёл переговоры с Блинкеном. Он сказал, что санкции не помогут.",
            "Лавров",
            ("Блинкеном",),
        ),
        ("Zelensky said Putin had no right. He added more.", "Putin", ("Zelensky",)),
        # another speaker named since
        ("Putin arrived. Lavrov was there too. He said nothing new.", "Putin", ("Lavrov",)),
        # too far away
        ("Putin arrived. One. Two. Three. Four. He said it was fine.", "Putin", ()),
    ],
)
def test_pronoun_follow_up_not_attached_when_ambiguous(
    text: str, name: str, others: tuple[str, ...]
) -> None:
    assert role(text, name, others=others) == "mentioned"


def test_follow_ups_need_the_other_speakers_places() -> None:
    text = "Putin arrived in Minsk. He told reporters that sanctions had failed."
    assert role(text, "Putin", others=None) == "mentioned"
    assert role(text, "Putin", others=()) == "quoted"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("He added that talks would go on.", True),
        ("Добавил он.", True),
        ("Il a estimé que rien ne change.", True),
        ("Das sei falsch, sagte er.", True),
        ("وأضاف أن الحوار مستمر.", True),
        ("وأضافت: لا جديد.", True),
        ("The weather was fine.", False),
        ("He arrived late.", False),
        ("وأضاف بيسكوف أن الحوار مستمر.", False),
    ],
)
def test_is_follow_up(sentence: str, expected: bool) -> None:
    tokens = tokenize(sentence)
    assert is_follow_up(sentence, tokens, 0, len(tokens) - 1) is expected
    view = TokenView(TermIndex().locate(sentence)[0])
    assert is_follow_up(sentence, view, 0, len(view) - 1) is expected


# -- quotes ---------------------------------------------------------------------------


def test_quote_is_the_reported_sentence_in_its_script() -> None:
    text = "Вступление. Захарова заявила, что Москва ждёт ответа. Конец."
    assert classify(text, "Захарова") == ("quoted", "Захарова заявила, что Москва ждёт ответа.")


_WORDS = st.lists(
    st.sampled_from(
        ["the", "talks", "и", "в", "Москве", "في", "الحوار", "la", "die", "Lage", "«ok»"]
    ),
    min_size=1,
    max_size=6,
).map(" ".join)
_TEMPLATES = [
    "{a} Peskov said {b}.",
    "{a}. Песков заявил, что {b}.",
    "وقال بيسكوف إن {b}.",
    "{a}, sagte Peskow. {b}",
    "Peskov: {b}",
    "{a} Peskov arrived. He said {b}.",
]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(_TEMPLATES), _WORDS, _WORDS)
def test_quote_is_text_of_the_original(template: str, a: str, b: str) -> None:
    text = template.format(a=a, b=b)
    tokens = tokenize(text)
    first = next(
        i
        for i, t in enumerate(tokens)
        if t.norm.startswith(("peskov", "peskow", "песков", "بيسكوف"))
    )
    got_role, quote = classify_speaker(text, tokens, first, first, others=[])
    assert got_role == "quoted"
    assert quote is not None and quote
    assert quote in " ".join(text.split())


def test_a_long_title_before_a_name_set_off_by_commas() -> None:
    text = (
        "« Ces mesures sont illégales », a réagi jeudi la porte-parole de la diplomatie "
        "russe, Maria Zakharova, sur Telegram."
    )
    assert role(text, "Maria Zakharova", alias="Maria Zakharova") == "quoted"


@pytest.mark.parametrize("others", [None, ("Zelensky",)])
def test_a_name_in_a_relative_clause_is_not_the_speaker(others: tuple[str, ...] | None) -> None:
    text = "« Nous restons », a déclaré Zelensky, qui a rencontré Poutine hier."
    assert role(text, "Poutine", others=others) == "mentioned"
    assert role(text, "Zelensky", others=("Poutine",)) == "quoted"


def test_a_verb_with_another_speaker_as_subject_in_between() -> None:
    text = "« Rien », a déclaré Zelensky en présence de Poutine."
    assert role(text, "Poutine", others=("Zelensky",)) == "mentioned"


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Reporters asked Peskov. He said nothing.", "Peskov", "mentioned"),
        ("Peskov said nothing about NATO.", "Peskov", "mentioned"),
        ("Peskov said nothing had changed.", "Peskov", "quoted"),
        ("Песков провёл брифинг. Ничего не сказал он о НАТО.", "Песков", "mentioned"),
        ("Peskow schwieg. Er sagte nichts.", "Peskow", "mentioned"),
    ],
)
def test_saying_nothing_reports_no_words(text: str, name: str, expected: Role) -> None:
    assert role(text, name) == expected


@pytest.mark.parametrize(
    "text", ["Trump and Putin: More Than a Reset", "Лукашенко и Путин: союз навсегда"]
)
def test_a_colon_after_two_joined_names_is_a_topic_not_a_quote(text: str) -> None:
    name = "Putin" if "Putin" in text else "Путин"
    assert role(text, name) == "mentioned"


# -- the matcher's token view ---------------------------------------------------------------

_NAMES = ["Peskov", "Песков", "بيسكوف", "Lavrov", "Putin"]
_STORY = st.lists(
    st.sampled_from(
        [
            *_NAMES,
            "said",
            "He",
            "added",
            "он",
            "заявил",
            "sagte",
            "er",
            "вона",
            "وأضاف",
            "according",
            "to",
            "him",
            "that",
            "talks",
            "с",
            "Путиным",
            "«ok»",
            "a-t-il",
            "ajouté",
        ]
    ).flatmap(
        lambda word: st.tuples(
            st.just(word), st.sampled_from([" ", ". ", "?! ", ", ", ": ", ".\n\n", "\n"])
        )
    ),
    min_size=1,
    max_size=30,
).map(lambda pairs: "".join(word + gap for word, gap in pairs))


@settings(max_examples=200, deadline=None)
@given(_STORY)
def test_the_token_view_classifies_as_tokenize_does(text: str) -> None:
    tokens = tokenize(text)
    view = TokenView(TermIndex().locate(text)[0])
    names = [i for i, t in enumerate(tokens) if t.text in _NAMES]
    for first in names:
        others = [(i, i) for i in names if tokens[i].text != tokens[first].text]
        for spans in (others, None):
            want = classify_speaker(
                text, tokens, first, first, alias=tokens[first].text, others=spans
            )
            got = classify_speaker(text, view, first, first, alias=tokens[first].text, others=spans)
            assert got == want


# -- frames: attribution + title chain, reporting, citing, calling ---------------------


@pytest.mark.parametrize(
    ("text", "name", "alias"),
    [
        (
            "According to Russian Foreign Ministry spokeswoman Maria Zakharova, talks failed.",
            "Zakharova",
            "Zakharova",
        ),
        (
            "По словам официального представителя МИД России Марии Захаровой, посол вызван.",
            "Захаровой",
            "Захарова",
        ),
        (
            "За словами речника Кремля Дмитра Пєскова, Москва не отримала пропозицій.",
            "Пєскова",
            "Пєсков",
        ),
        (
            "Selon le chef de la diplomatie américaine, Antony Blinken, les alliés restent unis.",
            "Blinken",
            "Blinken",
        ),
        (
            "Nach Angaben der Sprecherin des russischen Außenministeriums, Maria Sacharowa, "
            "wird Moskau reagieren.",
            "Sacharowa",
            "Sacharowa",
        ),
        (
            "بحسب المتحدث باسم الكرملين دميتري بيسكوف، فإن الرئيس لا يخطط للزيارة.",
            "بيسكوف",
            "بيسكوف",
        ),
        (
            "Согласно заявлению официального представителя МИД Марии Захаровой, посол вызван.",
            "Захаровой",
            "Захарова",
        ),
        # the attribution word with the clitic "and" (ووفقا، وبحسب), the title with "to"
        ("ووفقا للرئيس الأوكراني فولوديمير زيلينسكي، فإن الشبكة صمدت.", "زيلينسكي", "زيلينسكي"),
        ("وحسب ما قاله لافروف، فإن روسيا لن تنسحب.", "لافروف", "لافروف"),
        ("As Kremlin spokesman Dmitry Peskov put it, the window is closing.", "Peskov", "Peskov"),
    ],
)
def test_attribution_then_a_title_chain_then_the_name(text: str, name: str, alias: str) -> None:
    assert role(text, name, alias=alias) == "quoted"


@pytest.mark.parametrize(
    ("text", "name", "alias"),
    [
        (
            "According to a source close to Sergei Lavrov, the minister will stay.",
            "Lavrov",
            "Lavrov",
        ),
        ("Russia will stay, according to Lavrov's deputy Sergei Ryabkov.", "Lavrov", "Lavrov"),
        ("بحسب مصدر مقرب من لافروف، فإن الوزير لن يسافر.", "لافروف", "لافروف"),
        ("Selon une source proche de Sergueï Lavrov, le ministre restera.", "Lavrov", "Lavrov"),
        ("По словам бывшего советника Путина, решение принято давно.", "Путина", "Путин"),
        ("По данным источника, близкого к Лаврову, министр не поедет.", "Лаврову", "Лавров"),
        # a preposition as a clitic on the Arabic name: "an adviser to Putin"
        ("وبحسب مستشار سابق لبوتين، فإن القرار اتخذ قبل أسابيع.", "لبوتين", "بوتين"),
        ("Peskov put it on the agenda, as the minister wanted.", "Peskov", "Peskov"),
    ],
)
def test_an_attribution_to_someone_related_to_the_name_is_a_mention(
    text: str, name: str, alias: str
) -> None:
    assert role(text, name, alias=alias) == "mentioned"


@pytest.mark.parametrize(
    ("text", "name", "alias"),
    [
        (
            "Peskov was quoted by the RIA news agency as saying that no summit was planned.",
            "Peskov",
            "Peskov",
        ),
        ("Lavrov is reported to have said that Moscow would respond.", "Lavrov", "Lavrov"),
        (
            "Peskow wurde von der Agentur RIA mit den Worten zitiert, es gebe keinen Gipfel.",
            "Peskow",
            "Peskow",
        ),
        (
            "Peskov a été cité par l'agence RIA Novosti comme affirmant qu'il n'y aurait rien.",
            "Peskov",
            "Peskov",
        ),
        ("Песков в интервью ТАСС отметил, что Кремль не видит оснований.", "Песков", "Песков"),
        (
            "Захарова в своем Telegram-канале написала, что посол получил ноту.",
            "Захарова",
            "Захарова",
        ),
        ("«Это провокация», — цитирует Захарову РИА Новости.", "Захарову", "Захарова"),
        ("Як цитує Інтерфакс Пєскова, «рішення поки не ухвалено».", "Пєскова", "Пєсков"),
        ('"Die Entscheidung ist offen", zitierte die Agentur Interfax Peskow.', "Peskow", "Peskow"),
        ("Слова Пескова приводит агентство Интерфакс: «Решение не принято».", "Пескова", "Песков"),
        ("«Тема не обсуждалась», — приводит слова Пескова РИА Новости.", "Пескова", "Песков"),
        ("Wolodin soll den Abgeordneten gesagt haben, der Haushalt komme.", "Wolodin", "Wolodin"),
        ("وأفادت وكالة ريا نوفوستي بأن فولودين أبلغ النواب أن الجلسة ستمدد.", "فولودين", "فولودين"),
        (
            "Lavrov, s'exprimant lors d'une conférence de presse à Moscou, a souligné que rien "
            "ne changerait.",
            "Lavrov",
            "Lavrov",
        ),
    ],
)
def test_reporting_frames(text: str, name: str, alias: str) -> None:
    assert role(text, name, alias=alias) == "quoted"


def test_words_someone_answered_are_a_mention() -> None:
    text = "У Кремлі відреагували на слова Зеленського про мирний план."
    assert role(text, "Зеленського", alias="Зеленський") == "mentioned"
    # someone else's verdict on the words, with no verb of citing them
    text = "Сикорский заявил, что слова Лаврова не стоит воспринимать всерьез."
    assert role(text, "Лаврова", alias="Лавров") == "mentioned"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zakharova called the verdict illegitimate and politically motivated.", "quoted"),
        ("Zakharova called the drone attack on the Moscow region a provocation.", "quoted"),
        ("Zakharova called the Turkish minister on Tuesday to thank him.", "mentioned"),
        ("Zakharova called Ankara after the strikes, her office said.", "mentioned"),
        ("Zakharova called the seizure of Russian assets in Europe outright theft.", "quoted"),
    ],
)
def test_calling_something_something_is_a_statement(text: str, expected: Role) -> None:
    assert role(text, "Zakharova", alias="Zakharova") == expected


def test_a_declined_title_is_not_the_subject() -> None:
    text = "Захарова назвала обвинения президента Украины «очередной ложью»."
    assert role(text, "президента Украины", alias="президент Украины") == "mentioned"
    said = "Президент Украины заявил, что Киев не уступит."
    assert role(said, "Президент Украины", alias="президент Украины") == "quoted"
