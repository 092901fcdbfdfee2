"""Datelines of wire stories: place, date, agency and publisher.

Owns the month names, the agency/publisher name table (any script -> one
canonical English name) and the dateline patterns of the agencies we see:
``BRUSSELS, Jan 12 (Reuters) -``, ``МОСКВА, 13 января. /ТАСС/.``,
``BRÜSSEL, 12. Januar (dpa) -``, ``( أردو بوینت نتورك ۔ / سبوتنيك - 12 كانون الثاني 2022ء)``.
Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from monitor.text.normalize import fold_keeping_accents

# Canonical name -> (kind, aliases). Aliases are matched after _fold().
_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Reuters": ("agency", ("reuters", "رويترز", "рейтер", "рейтерс", "ройтерс", "رويتر")),
    "AFP": (
        "agency",
        (
            "afp",
            "a.f.p.",
            "agence france-presse",
            "agence france presse",
            "فرانس برس",
            "فرانس پرس",
            "ا ف ب",
            "афп",
            "франс пресс",
            "франс-пресс",
        ),
    ),
    # Before "AP": "Australian Associated Press" contains "Associated Press";
    # longer aliases are tried first, and "aap" never matches as "ap".
    "AAP": ("agency", ("aap", "australian associated press")),
    "AP": (
        "agency",
        (
            "ap",
            "a.p.",
            "associated press",
            "اسوشيتد برس",
            "ا ب",
            "ассошиэйтед пресс",
            "ассошіейтед прес",
        ),
    ),
    "dpa": (
        "agency",
        ("dpa", "deutsche presse-agentur", "deutsche presse agentur", "د ب ا", "дпа"),
    ),
    "Sputnik": ("agency", ("sputnik", "سبوتنيك", "سپوتنیک", "спутник")),
    "TASS": ("agency", ("тасс", "tass", "تاس", "итар-тасс")),
    "RIA Novosti": ("agency", ("риа новости", "ria novosti", "ria", "риа", "ريا نوفوستي")),
    "Interfax": ("agency", ("интерфакс", "інтерфакс", "interfax", "انترفاكس")),
    "Ukrinform": ("agency", ("укрінформ", "укринформ", "ukrinform")),
    "UNIAN": ("agency", ("уніан", "униан", "unian")),
    "NTB": ("agency", ("ntb", "norsk telegrambyrå", "norsk telegrambyra")),
    "TT": ("agency", ("tt", "tidningarnas telegrambyrå", "tidningarnas telegrambyra")),
    "STT": ("agency", ("stt", "stt-info", "suomen tietotoimisto")),
    "PA": ("agency", ("pa", "pa media", "press association")),
    # Danish. "/ritzau/", its sign-off and XMLNews origin, is found by "ritzau":
    # slashes are not word characters.
    "Ritzau": ("agency", ("ritzau", "ritzaus bureau", "ритцау")),
    "ANSA": (
        "agency",
        ("ansa", "agenzia nazionale stampa associata", "انسا", "анса"),
    ),
    "EFE": ("agency", ("efe", "agencia efe", "إفي", "افي", "эфе")),
    "Anadolu": (
        "agency",
        ("anadolu", "anadolu agency", "anadolu ajansı", "aa", "الاناضول", "анадолу"),
    ),
    "IRNA": ("agency", ("irna", "islamic republic news agency", "ارنا", "ایرنا", "ирна")),
    "Xinhua": ("agency", ("xinhua", "شينخوا", "синьхуа", "新华社", "新華社")),
    "Kyodo": ("agency", ("kyodo", "kyodo news", "كيودو", "киодо", "共同通信")),
    "Yonhap": ("agency", ("yonhap", "연합뉴스", "يونهاب", "ёнхап", "йонхап")),
    "Bloomberg": ("agency", ("bloomberg", "بلومبرغ")),
    "WAM": ("agency", ("wam", "وام")),
    "SPA": ("agency", ("واس",)),
    "KUNA": ("agency", ("kuna", "كونا")),
    "MENA": ("agency", ("ا ش ا", "mena")),
    "PAP": ("agency", ("pap",)),
    "UrduPoint": ("publisher", ("urdupoint", "اردو بوينت", "اردو پوائنٹ", "اردو بوائنت")),
    "RT": ("publisher", ("rt", "روسيا اليوم", "rt arabic")),
}


def _fold(text: str) -> str:
    """The project's fold (``monitor.text.normalize``, docs/matching.md: NFKC, case,
    Arabic marks and letter variants, Arabic-Indic digits, tatweel and bidi
    marks), with two dateline-specific differences:

    - accents stay (``fold_keeping_accents``, not ``fold_text``): names are
      found by a regex over the whole folded text, and with accents dropped
      short agency names turn up inside ordinary words (Scandinavian "på" would
      be PA, Spanish "ría" RIA Novosti). Accented names and months are listed
      in both spellings instead (``février``/``fevrier``);
    - runs of whitespace are one space: names of several words ("agence france
      presse", "كانون الثاني") are matched as one string, not token by token,
      so a line break or double space inside them must not hide them.
    """
    return re.sub(r"\s+", " ", fold_keeping_accents(text)).strip()


_ALIASES: dict[str, tuple[str, str]] = {
    _fold(alias): (name, kind) for name, (kind, aliases) in _NAMES.items() for alias in aliases
}
# One pass over the text for every alias; longest first, so that at one
# position "australian associated press" wins over "associated press".
_ALIAS_RE = re.compile(
    r"(?<!\w)(?:"
    + "|".join(re.escape(alias) for alias in sorted(_ALIASES, key=len, reverse=True))
    + r")(?!\w)"
)


def canonical_name(text: str) -> tuple[str, str] | None:
    """``(canonical name, kind)`` of the known agency/publisher in ``text`` (the
    longest name when there are several: "Reuters" over "AP" in "AP-Reuters")."""
    found = max((m.group(0) for m in _ALIAS_RE.finditer(_fold(text[:2000]))), key=len, default=None)
    return _ALIASES[found] if found is not None else None


_MONTHS: dict[str, int] = {}


def _add(month: int, *names: str) -> None:
    for name in names:
        _MONTHS[_fold(name)] = month


# Arabic (Levantine and Egyptian/Gulf), Russian (genitive and nominative),
# Ukrainian, French, German, English.
_add(
    1,
    "كانون الثاني",
    "يناير",
    "جانفي",
    "января",
    "январь",
    "січня",
    "січень",
    "janvier",
    "januar",
    "jänner",
    "january",
    "jan",
)
_add(
    2,
    "شباط",
    "فبراير",
    "فيفري",
    "февраля",
    "февраль",
    "лютого",
    "лютий",
    "février",
    "fevrier",
    "februar",
    "february",
    "feb",
)
_add(
    3,
    "آذار",
    "مارس",
    "марта",
    "март",
    "березня",
    "березень",
    "mars",
    "märz",
    "maerz",
    "march",
    "mar",
)
_add(
    4,
    "نيسان",
    "أبريل",
    "إبريل",
    "ابريل",
    "апреля",
    "апрель",
    "квітня",
    "квітень",
    "avril",
    "april",
    "apr",
)
_add(5, "أيار", "مايو", "ماي", "мая", "май", "травня", "травень", "mai", "may")
_add(
    6,
    "حزيران",
    "يونيو",
    "يونيه",
    "جوان",
    "июня",
    "июнь",
    "червня",
    "червень",
    "juin",
    "juni",
    "june",
    "jun",
)
_add(
    7,
    "تموز",
    "يوليو",
    "يوليه",
    "جويلية",
    "июля",
    "июль",
    "липня",
    "липень",
    "juillet",
    "juli",
    "july",
    "jul",
)
_add(
    8,
    "آب",
    "أغسطس",
    "اغسطس",
    "أوت",
    "августа",
    "август",
    "серпня",
    "серпень",
    "août",
    "aout",
    "august",
    "aug",
)
_add(
    9,
    "أيلول",
    "سبتمبر",
    "сентября",
    "сентябрь",
    "вересня",
    "вересень",
    "septembre",
    "september",
    "sept",
    "sep",
)
_add(
    10,
    "تشرين الأول",
    "أكتوبر",
    "اكتوبر",
    "октября",
    "октябрь",
    "жовтня",
    "жовтень",
    "octobre",
    "oktober",
    "october",
    "oct",
)
_add(
    11,
    "تشرين الثاني",
    "نوفمبر",
    "ноября",
    "ноябрь",
    "листопада",
    "листопад",
    "novembre",
    "november",
    "nov",
)
_add(
    12,
    "كانون الأول",
    "ديسمبر",
    "دجنبر",
    "декабря",
    "декабрь",
    "грудня",
    "грудень",
    "décembre",
    "decembre",
    "dezember",
    "december",
    "dec",
)

# Short forms, as datelines abbreviate them (the dot is optional: ``12 Okt.``,
# ``3 févr.``, ``12 дек.``, ``5 груд.``).
_add(1, "janv", "янв", "січ")
_add(2, "févr", "fevr", "фев", "февр", "лют")
_add(3, "mär", "mrz", "мар", "бер", "берез")
_add(4, "avr", "апр", "квіт")
_add(5, "трав")
_add(6, "июн", "черв")
_add(7, "juil", "июл", "лип")
_add(8, "авг", "серп")
_add(9, "сен", "сент", "вер", "верес")
_add(10, "okt", "окт", "жовт")
_add(11, "ноя", "нояб", "лист", "листоп")
_add(12, "déc", "dez", "дек", "груд")

# Danish (Ritzau): the other months are spelt as in German or English above.
_add(3, "marts")
_add(5, "maj")

_MONTH_RE = re.compile(
    r"(?<!\w)("
    + "|".join(re.escape(m) for m in sorted(_MONTHS, key=len, reverse=True))
    + r")\.?(?!\w)"
)


def parse_date(text: str, reference: date) -> str | None:
    """``YYYY-MM-DD`` from a dateline's date part (``Jan 12``, ``12 كانون الثاني 2022ء``).

    Without a year, the latest such date not after ``reference`` (the fetch
    date) is meant: "Dec 31" read on January 1st is last year's.
    """
    folded = _fold(text)  # Arabic-Indic and Persian digits become ASCII here
    month_match = _MONTH_RE.search(folded)
    if month_match is None:
        return None
    month = _MONTHS[month_match.group(1)]
    numbers = [int(n) for n in re.findall(r"(?<!\d)\d{1,4}(?!\d)", folded)]
    days = [n for n in numbers if 1 <= n <= 31]
    years = [n for n in numbers if 1900 <= n <= 2100]
    if not days:
        return None
    try:
        if years:
            return date(years[0], month, days[0]).isoformat()
        found = date(reference.year, month, days[0])
        if (found - reference).days > 2:
            found = date(reference.year - 1, month, days[0])
        return found.isoformat()
    except ValueError:
        return None


@dataclass(frozen=True)
class Dateline:
    """What a dateline says; ``end`` is where it stops in the text searched."""

    place: str | None
    published: str | None
    agency: str | None
    publisher: str | None
    end: int


_DASH = r"[-–—_]"  # ANPA copy writes the dash as "_"
# "( أردو بوینت نتورك ۔ / سبوتنيك - 12 كانون الثاني 2022ء)" at the start of the text.
_PAREN = re.compile(r"\A\s*\(\s*(?P<inner>[^()\n]{3,160}?)\s*\)\s*")
# "BRUSSELS, Jan 12 (Reuters) -", "MOSCOU, 12 janvier (AFP) -", "WASHINGTON (AP) —"
_AGENCY_PAREN = re.compile(
    r"\A\s*(?P<place>[^\W\d_][^\n,،(/.:]{0,40}?)\s*"
    r"(?:[,،]\s*(?P<date>[^()\n]{1,40}?)\s*)?"
    rf"\((?P<agency>[^()\n]{{1,40}})\)\s*(?:{_DASH}+|:)\s*"
)
# "МОСКВА, 13 января. /ТАСС/.", "КИЇВ, 12 січня /Укрінформ/."
_AGENCY_SLASH = re.compile(
    r"\A\s*(?P<place>[^\W\d_][^\n,،(/.:]{0,40}?)\s*[,،]\s*"
    r"(?P<date>[^/\n]{1,40}?)\s*\.?\s*/(?P<agency>[^/\n]{1,40})/\s*\.?\s*"
)


def find_dateline(text: str, reference: date) -> Dateline | None:
    """The dateline at the start of ``text`` (a story's first paragraph), if any."""
    head = text[:400]
    paren = _PAREN.match(head)
    if paren:
        found = _parse_paren(paren.group("inner"), paren.end(), reference)
        if found is not None:
            return found
    for pattern in (_AGENCY_PAREN, _AGENCY_SLASH):
        match = pattern.match(head)
        if match is None:
            continue
        place = match.group("place").strip()
        raw_date = match.group("date")
        published = parse_date(raw_date, reference) if raw_date else None
        agency, publisher = _agency_publisher([match.group("agency")])
        if raw_date and published is None:
            # "BUENOS AIRES, Argentina (AP) -": a region, not a date.
            if not (agency and place.isupper() and len(raw_date.split()) <= 3):
                continue
            place, raw_date = f"{place}, {raw_date.strip()}", None
        if raw_date is None and not (place.isupper() or agency or publisher):
            continue  # "Officials (who ...) -" is prose, "WASHINGTON (AP) -" a dateline
        if agency is None and publisher is None:
            agency = match.group("agency").strip()
        return Dateline(place, published, agency, publisher, match.end())
    return None


def _parse_paren(inner: str, end: int, reference: date) -> Dateline | None:
    # Segments: "publisher / agency - date"; the date may be in any segment.
    parts = [p.strip() for p in re.split(rf"\s/\s|\s{_DASH}\s|[/،]", inner) if p.strip()]
    dates = [parse_date(part, reference) for part in parts]
    published = None
    names: list[str] = []
    i = 0
    while i < len(parts):
        part, when = parts[i], dates[i]
        if when is not None and i + 1 < len(parts) and dates[i + 1] is None:
            # A dual month name split at its slash ("١٠ كانون الثاني/يناير ٢٠٢٢"): the
            # year is in the next segment, which is no date by itself.
            whole = parse_date(f"{part} {parts[i + 1]}", reference)
            if whole is not None and whole != when:
                when = whole
                i += 1
        if when is not None:
            published = published or when
        else:
            names.append(part)
        i += 1
    agency, publisher = _agency_publisher(names)
    if published is None and agency is None and publisher is None:
        return None
    return Dateline(None, published, agency, publisher, end)


def _agency_publisher(parts: list[str]) -> tuple[str | None, str | None]:
    agency = publisher = None
    for part in parts:
        found = canonical_name(part)
        if found is None:
            continue
        name, kind = found
        if kind == "publisher" or (agency is not None and publisher is None and kind != "agency"):
            publisher = publisher or name
        elif agency is None:
            agency = name
        elif publisher is None:
            # Two agencies: the first is who published it here, the second the source.
            publisher, agency = agency, name
    return agency, publisher
