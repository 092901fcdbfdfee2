"""The matcher: one item in, one ``Match`` per satisfied watchlist out.

Pure, no I/O. ``build_matcher(config)`` compiles every topic term, exclude
phrase, speaker alias and query literal of the config into one ``TermIndex``
once; ``Matcher.match(item)`` tokenises the title and body, finds every term in
one pass per field, then evaluates each watchlist (SPEC sections 2 and 3):

- ``when: any``: any of its topics or speakers found;
- ``when: all``: all its topics found and, if it lists speakers, one of them;
- otherwise ``when`` is a query (``monitor.match.query``, parsed by the config).

``role: quoted`` counts speakers only where their words are reported;
``languages:`` and ``feeds:`` (feed id or ``tag:NAME``) filter first.

Speed: a watchlist prefilter, as Lucene Monitor's presearcher does: only the
watchlists that reference a topic, speaker or literal found in the item are
evaluated (plus the few queries that can hold without any hit, like ``NOT x`` or
``lang:ar``). Speaker roles are analysed only where a speaker alias was found,
on tokens built for that field only then; snippets are cut only for the hits a
Match reports.

Languages: an item without ``language`` gets one per field (title and body may
differ) from ``monitor.text.language.detect_language``, but only when some
watchlist has ``languages:`` or a query uses ``lang:``. A ``languages:`` filter
then keeps the fields in a wanted language; ``lang:xx`` holds when any field is
in ``xx``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from monitor.config.schema import Config, WatchlistConfig
from monitor.match.compile import Entry, TermHit, TermIndex
from monitor.match.query import (
    And,
    Feed,
    Lang,
    Near,
    Not,
    Or,
    Query,
    Speaker,
    Tag,
    Term,
    TopicRef,
    walk,
)
from monitor.match.speakers import classify_speaker, held_formerly
from monitor.model import Field, Hit, Match, Role, SpeakerMatch, WireItem
from monitor.text.language import detect_language
from monitor.text.tokenize import Token, TokenView

__all__ = ["Matcher", "build_matcher"]

_FIELDS: tuple[Field, ...] = ("title", "body")
_SNIPPET = 120


class _Found:
    """One occurrence of an entry in one field.

    A plain class with slots (an item makes dozens of these): a dataclass's
    generated ``__init__`` with defaults costs more."""

    __slots__ = (
        "end",
        "entry",
        "field",
        "first",
        "last",
        "order",
        "quote",
        "reported",
        "role",
        "source",
        "start",
    )

    def __init__(
        self,
        entry: Entry,
        field: Field,
        first: int,  # token indexes in the field (as ``tokenize(source)`` counts), inclusive
        last: int,
        start: int,  # character offsets into the field
        end: int,
        source: str,  # the field's whole text (the hit is source[start:end])
        role: Role | None,  # speakers only
        quote: str | None,
        order: tuple[int, int, int],  # field, start, end: report order
    ) -> None:
        self.entry = entry
        self.field = field
        self.first = first
        self.last = last
        self.start = start
        self.end = end
        self.source = source
        self.role = role
        self.quote = quote
        self.order = order
        self.reported: Hit | None = None  # the Hit, built once for every Match of the item

    def hit(self) -> Hit:
        """The Hit reported for this place (built once, shared by every Match)."""
        reported = self.reported
        if reported is None:
            kind, name, _ = self.entry
            source, start, end = self.source, self.start, self.end
            reported = self.reported = _built(
                Hit,
                {
                    "field": self.field,
                    "start": start,
                    "end": end,
                    "text": source[start:end],
                    "topic": name if kind in ("topic", "literal") else None,
                    "speaker": name if kind == "speaker" else None,
                    "snippet": _snippet(source, start, end),
                },
            )
        return reported


@dataclass
class _Evidence:
    """Everything found in one item, grouped for the watchlist tests."""

    item: WireItem
    topics: dict[str, list[_Found]]
    speakers: dict[str, list[_Found]]
    literals: dict[str, list[_Found]]
    languages: dict[Field, str | None] = field(default_factory=dict)  # when detected
    _quoted: set[str] | None = None  # speakers quoted somewhere (``quoted()``)

    def quoted(self) -> set[str]:
        """The speakers quoted at least once (worked out once per evidence: every
        watchlist evaluated asks)."""
        if self._quoted is None:
            self._quoted = {
                name
                for name, places in self.speakers.items()
                if any(f.role == "quoted" for f in places)
            }
        return self._quoted

    def speaker_found(self, name: str, quoted_only: bool) -> bool:
        return name in (self.quoted() if quoted_only else self.speakers)

    def names(self) -> Iterable[tuple[str, str]]:
        """(kind, name) of everything found."""
        yield from (("topic", name) for name in self.topics)
        yield from (("speaker", name) for name in self.speakers)
        yield from (("literal", name) for name in self.literals)

    def only(self, fields: Sequence[Field]) -> _Evidence:
        """The evidence found in ``fields`` only."""

        def keep(groups: dict[str, list[_Found]]) -> dict[str, list[_Found]]:
            kept = {k: [f for f in v if f.field in fields] for k, v in groups.items()}
            return {k: v for k, v in kept.items() if v}

        return replace(
            self,
            topics=keep(self.topics),
            speakers=keep(self.speakers),
            literals=keep(self.literals),
            _quoted=None,
        )


def _snippet(text: str, start: int, end: int) -> str:
    # Plain comparisons, not ``max``/``min`` calls, and the ellipses added only
    # where they go: this runs for every hit reported (many an item).
    pad = (_SNIPPET - end + start) // 2
    if pad < 0:
        pad = 0
    left = start - pad
    if left < 0:
        left = 0
    right = end + pad
    body = text[left:right]
    # Whitespace collapsed; a piece with none but single inner spaces (most:
    # ``isprintable`` is False for every other space and line break) is kept as is,
    # and one with spaces only at its ends (single, inner ones single) is stripped.
    if not body.isprintable() or "  " in body:
        body = " ".join(body.split())
    elif body[:1] == " " or body[-1:] == " ":
        body = body.strip(" ")
    if left:
        body = "…" + body
    if right < len(text):
        body += "…"
    return body


def _literal_key(term: Term) -> str:
    return f'"{term.text}"' if term.quoted else term.text


class Matcher:
    """Matches items against every watchlist of one config (build once, reuse)."""

    def __init__(
        self,
        config: Config,
        *,
        feedless_items_pass_feed_filters: bool = False,
    ) -> None:
        self.config = config
        # True only for ``monitor match`` on local files without --feed: SPEC 5 shows such
        # a file (from no feed) matching a watchlist whose ``feeds:`` names a feed. The
        # runner and workers keep it False, so that an item which lost its feed id fails
        # a ``feeds:`` filter instead of passing every one.
        self.feedless_items_pass_feed_filters = feedless_items_pass_feed_filters
        self.index = TermIndex()
        self._topic_names = {name.casefold(): name for name in config.topics}
        self._speaker_names = {name.casefold(): name for name in config.speakers}
        for name, topic in config.topics.items():
            for term in topic.terms:
                self.index.add(term, Entry("topic", name, term))
            for phrase in topic.exclude:
                self.index.add(phrase, Entry("exclude", name, phrase))
        for name, speaker in config.speakers.items():
            for alias in speaker.aliases:
                self.index.add(alias, Entry("speaker", name, alias))
        # Titles held by one speaker alone name that speaker where they are quoted.
        self._titles = _sole_titles(config)
        for name, title in sorted(self._titles):
            self.index.add(title, Entry("speaker", name, title))
        self._queries: dict[str, Query] = {}
        literals: set[str] = set()
        for wl_name, watchlist in config.watchlists.items():
            query = watchlist.when  # parsed by the config (``parse_when``)
            if isinstance(query, str):  # any | all
                continue
            self._queries[wl_name] = query
            for node in walk(query):
                if isinstance(node, Term) and self._resolve(node) is None:
                    literals.add(_literal_key(node))
        for literal in sorted(literals):
            self.index.add(literal, Entry("literal", literal, literal))
        self.index.prepare()
        # The watchlist prefilter: which watchlists can a found topic, speaker or
        # literal satisfy?
        self._watchlists = list(config.watchlists.items())
        self._wanted = [
            None if wl.languages is None else {_language(code) for code in wl.languages}
            for wl in config.watchlists.values()
        ]
        self._query_refs = {
            name: [ref for node in walk(query) for ref in self._references(node)]
            for name, query in self._queries.items()
        }
        self._modes = {
            name: wl.when if isinstance(wl.when, str) else "query"
            for name, wl in config.watchlists.items()
        }
        self._channels = {name: tuple(wl.channels) for name, wl in config.watchlists.items()}
        self._by_name: dict[tuple[str, str], list[int]] = {}
        # topic -> (watchlist number, its place in that watchlist's topics): an
        # item's found topics are dealt to the watchlists listing them, rather
        # than every evaluated watchlist testing each topic it lists.
        self._topic_places: dict[str, list[tuple[int, int]]] = {}
        for number, (_, watchlist) in enumerate(self._watchlists):
            for place, listed_topic in enumerate(watchlist.topics):
                self._topic_places.setdefault(listed_topic, []).append((number, place))
        self._always: list[int] = []
        self._needs_language = False
        for number, (wl_name, watchlist) in enumerate(self._watchlists):
            refs: set[tuple[str, str]] = set()
            wl_query = self._queries.get(wl_name)
            if wl_query is None:
                refs.update(("topic", name) for name in watchlist.topics)
                refs.update(("speaker", self._speaker_name(name)) for name in watchlist.speakers)
            else:
                if not _needs_hit(wl_query):
                    self._always.append(number)
                for node in walk(wl_query):
                    refs.update(self._references(node))
                    self._needs_language = self._needs_language or isinstance(node, Lang)
            self._needs_language = self._needs_language or watchlist.languages is not None
            for ref in refs:
                self._by_name.setdefault(ref, []).append(number)
        # The same per kind, keyed by name alone: no (kind, name) tuple per lookup.
        self._by_kind: dict[str, dict[str, list[int]]] = {
            "topic": {},
            "speaker": {},
            "literal": {},
        }
        for (kind, name), listing in self._by_name.items():
            self._by_kind[kind][name] = listing
        # Each query as a closure, its references resolved once (``_eval`` per node).
        self._tests = {name: self._compiled(query) for name, query in self._queries.items()}

    def _resolve(self, term: Term) -> tuple[str, str] | None:
        """A bare word or quoted phrase naming a topic or speaker -> (kind, name)."""
        if term.text in self.config.topics:
            return "topic", term.text
        if term.text in self.config.speakers:
            return "speaker", term.text
        key = term.text.casefold()
        if key in self._topic_names:
            return "topic", self._topic_names[key]
        if key in self._speaker_names:
            return "speaker", self._speaker_names[key]
        return None

    # -- finding -----------------------------------------------------------------

    def _find(self, item: WireItem) -> _Evidence:
        evidence = _Evidence(item, {}, {}, {})
        groups = {
            "topic": evidence.topics,
            "speaker": evidence.speakers,
            "literal": evidence.literals,
        }
        for order, field_name in enumerate(_FIELDS):
            text = getattr(item, field_name) or ""
            if not text:
                continue
            for place in self._scan(field_name, order, text):
                group = groups[place.entry.kind]
                places = group.get(place.entry.name)
                if places is None:
                    group[place.entry.name] = [place]
                else:
                    places.append(place)
        return evidence

    def _scan(self, field_name: Field, order: int, text: str) -> list[_Found]:
        """Every entry found in one field's ``text``."""
        located, hits = self.index.locate(text)
        if not hits:
            return []
        # Which kinds were found, in C: most fields hold no exclude phrase nor speaker.
        kinds = set(map(_kind_of, map(_entry_of, hits)))
        if "exclude" in kinds:
            vetoes = [h for h in hits if h.entry.kind == "exclude"]
            hits = [h for h in hits if h.entry.kind != "exclude" and not _vetoed(h, vetoes)]
        tokens: Sequence[Token] | None = None
        # Offsets come from ``located`` only for the hits kept, and a speaker's
        # role reads the tokens it needs from it too: the field is never re-split.
        ordered = sorted(_outermost(hits), key=_span)
        spoken = [h for h in ordered if h.entry.kind == "speaker"] if "speaker" in kinds else []
        found: list[_Found] = []
        for hit in ordered:
            entry = hit.entry
            start = located.start(hit.first)
            end = located.end(hit.last)
            role: Role | None = None
            quote: str | None = None
            if entry.kind == "speaker":
                if tokens is None:
                    tokens = TokenView(located)
                title = entry[1:] in self._titles
                if title and held_formerly(tokens, hit.first, hit.last):
                    continue  # former Ukrainian President Petro Poroshenko
                others = [(h.first, h.last) for h in spoken if h.entry.name != entry.name]
                role, quote = classify_speaker(
                    text, tokens, hit.first, hit.last, alias=entry.term, others=others
                )
                if role != "quoted" and title:
                    continue  # an office merely named is no sign of its holder
            place = _Found(
                entry,
                field_name,
                hit.first,
                hit.last,
                start,
                end,
                text,
                role,
                quote,
                (order, start, end),
            )
            found.append(place)
        return found

    def _languages(self, item: WireItem) -> dict[Field, str | None]:
        """The detected language of each non-empty field (items without one)."""
        if item.language or not self._needs_language:
            return {}
        texts = {name: getattr(item, name) or "" for name in _FIELDS}
        return {name: _language(detect_language(text)) for name, text in texts.items() if text}

    # -- deciding ----------------------------------------------------------------

    def match(self, item: WireItem) -> list[Match]:
        """One Match per satisfied watchlist, in config order."""
        evidence = self._find(item)
        numbers = set(self._always)
        by_kind = self._by_kind
        for kind, group in (
            ("topic", evidence.topics),
            ("speaker", evidence.speakers),
            ("literal", evidence.literals),
        ):
            for found in map(by_kind[kind].get, group):
                if found:
                    numbers.update(found)
        if not numbers:
            return []
        declared = _language(item.language)
        evidence.languages = self._languages(item)
        listed: dict[int, list[tuple[int, str]]] = {}  # number -> (place, topic) found
        places = self._topic_places
        for topic in evidence.topics:
            for number, place in places.get(topic, ()):
                found_here = listed.get(number)
                if found_here is None:
                    listed[number] = [(place, topic)]
                else:
                    found_here.append((place, topic))
        matches: list[Match] = []
        for number in sorted(numbers):
            name, watchlist = self._watchlists[number]
            if watchlist.feeds is not None and not _passes_feeds(
                watchlist, item, feedless_pass=self.feedless_items_pass_feed_filters
            ):
                continue
            view = evidence
            wanted = self._wanted[number]
            if wanted is not None:
                if declared is not None or not evidence.languages:
                    if declared not in wanted:
                        continue
                else:  # detected per field: keep the fields in a wanted language
                    fields = [f for f, code in evidence.languages.items() if code in wanted]
                    if not fields:
                        continue
                    if len(fields) < len(evidence.languages):
                        view = evidence.only(fields)
            if view is evidence:
                here = listed.get(number)
                if here is None:
                    topics = []
                elif len(here) == 1:
                    topics = [here[0][1]]
                else:
                    topics = [topic for _, topic in sorted(here)]
            else:
                topics = [t for t in watchlist.topics if t in view.topics]
            result = self._evaluate(name, watchlist, view, topics)
            if result is not None:
                matches.append(result)
        return matches

    def _evaluate(
        self, name: str, wl: WatchlistConfig, ev: _Evidence, topics: list[str]
    ) -> Match | None:
        """The Match of watchlist ``name`` if ``ev`` satisfies it; ``topics``: those
        of its topics that were found, in its order."""
        quoted_only = wl.role == "quoted"
        found_speakers = ev.quoted() if quoted_only else ev.speakers
        speakers = list(filter(found_speakers.__contains__, wl.speakers))  # in C
        literals: list[str] = []
        mode = self._modes[name]
        if mode == "any":
            ok = bool(topics or speakers)
        elif mode == "all":
            ok = len(topics) == len(wl.topics) and (not wl.speakers or bool(speakers))
            ok = ok and bool(wl.topics or wl.speakers)
        else:
            ok = self._tests[name](ev, quoted_only)
            for kind, ref in self._query_refs[name] if ok else ():
                if kind == "topic" and ev.topics.get(ref) and ref not in topics:
                    topics.append(ref)
                elif kind == "speaker" and ev.speaker_found(ref, quoted_only):
                    if ref not in speakers:
                        speakers.append(ref)
                elif kind == "literal" and ev.literals.get(ref) and ref not in literals:
                    literals.append(ref)
        if not ok:
            return None
        found: list[_Found] = []
        for topic in topics:
            found += ev.topics[topic]
        for literal in literals:
            found += ev.literals[literal]
        speaker_matches: list[SpeakerMatch] = []
        for speaker in speakers:
            places = [f for f in ev.speakers[speaker] if not quoted_only or f.role == "quoted"]
            found += places
            quoted = [f for f in places if f.role == "quoted"]
            if quoted:
                speaker_matches.append(SpeakerMatch(speaker, "quoted", quoted[0].quote))
            else:
                speaker_matches.append(SpeakerMatch(speaker, "mentioned", None))
        if len(topics) + len(literals) + len(speakers) > 1:
            # Each list of places is in report order already: sorted only when merged.
            found.sort(key=_order)
        return _built(
            Match,
            {
                "watchlist": name,
                "topics": tuple(topics),
                "speakers": tuple(speaker_matches),
                "hits": tuple(map(_Found.hit, found)),
                "channels": self._channels[name],
            },
        )

    def _references(self, node: Query) -> Iterable[tuple[str, str]]:
        if isinstance(node, Term):
            resolved = self._resolve(node)
            yield resolved if resolved is not None else ("literal", _literal_key(node))
        elif isinstance(node, TopicRef):
            yield "topic", self._topic_names.get(node.name.casefold(), node.name)
        elif isinstance(node, Speaker):
            yield "speaker", self._speaker_name(node.name)

    def _speaker_name(self, name: str) -> str:
        return (
            name if name in self.config.speakers else self._speaker_names.get(name.casefold(), name)
        )

    def _spans(self, node: Query, ev: _Evidence, quoted_only: bool) -> list[_Found]:
        """Where a NEAR operand occurs (empty when it does not)."""
        if isinstance(node, Or):
            return [f for child in node.items for f in self._spans(child, ev, quoted_only)]
        if isinstance(node, Near):
            return self._near(node, ev, quoted_only)
        if isinstance(node, Speaker):
            places = ev.speakers.get(self._speaker_name(node.name), ())
            return [f for f in places if f.role == "quoted"]
        for kind, ref in self._references(node):
            if kind == "topic":
                return list(ev.topics.get(ref, ()))
            if kind == "speaker":
                places = ev.speakers.get(ref, ())
                return [f for f in places if not quoted_only or f.role == "quoted"]
            return list(ev.literals.get(ref, ()))
        return []

    def _near(self, node: Near, ev: _Evidence, quoted_only: bool) -> list[_Found]:
        lefts = self._spans(node.left, ev, quoted_only)
        rights = self._spans(node.right, ev, quoted_only)
        joined: list[_Found] = []
        for a in lefts:
            for b in rights:
                if a.field == b.field and max(b.first - a.last, a.first - b.last) <= node.distance:
                    joined += [a, b]
        return joined

    def _compiled(self, node: Query) -> _Test:
        """``_eval`` of ``node`` as a closure: node types told apart and topic,
        speaker and literal references resolved once, when the Matcher is built
        (a query watchlist is evaluated for most items naming one of its topics)."""
        if isinstance(node, And | Or):
            tests = [self._compiled(child) for child in node.items]
            if len(tests) == 2:
                first, second = tests
                if isinstance(node, And):
                    return lambda ev, quoted_only: (
                        first(ev, quoted_only) and second(ev, quoted_only)
                    )
                return lambda ev, quoted_only: first(ev, quoted_only) or second(ev, quoted_only)
            if isinstance(node, And):
                return lambda ev, quoted_only: all(test(ev, quoted_only) for test in tests)
            return lambda ev, quoted_only: any(test(ev, quoted_only) for test in tests)
        if isinstance(node, Not):
            inner = self._compiled(node.item)
            return lambda ev, quoted_only: not inner(ev, quoted_only)
        if isinstance(node, Term | TopicRef):
            for kind, ref in self._references(node):
                if kind == "topic":
                    return lambda ev, quoted_only: bool(ev.topics.get(ref))
                if kind == "speaker":
                    return lambda ev, quoted_only: any(
                        not quoted_only or f.role == "quoted" for f in ev.speakers.get(ref, ())
                    )
                return lambda ev, quoted_only: bool(ev.literals.get(ref))
        # The rest (lang:, feed:, tag:, speaker:, NEAR): as ``_eval`` does, per item.
        return lambda ev, quoted_only: self._eval(node, ev, quoted_only)

    def _eval(self, node: Query, ev: _Evidence, quoted_only: bool) -> bool:
        item = ev.item
        if isinstance(node, And):
            return all(self._eval(child, ev, quoted_only) for child in node.items)
        if isinstance(node, Or):
            return any(self._eval(child, ev, quoted_only) for child in node.items)
        if isinstance(node, Not):
            return not self._eval(node.item, ev, quoted_only)
        if isinstance(node, Lang):
            code = node.code.split("-")[0]
            if item.language or not ev.languages:
                return _language(item.language) == code
            return code in ev.languages.values()
        if isinstance(node, Feed):
            return item.feed_id == node.id
        if isinstance(node, Tag):
            return node.name in item.tags
        if isinstance(node, Speaker):
            return ev.speaker_found(self._speaker_name(node.name), quoted_only=True)
        if isinstance(node, Near):
            return bool(self._near(node, ev, quoted_only))
        return bool(self._spans(node, ev, quoted_only))


_Test = Callable[[_Evidence, bool], bool]  # a compiled query: does the evidence satisfy it?
_entry_of = itemgetter(0)  # a TermHit's entry
_kind_name = itemgetter(0, 1)  # an Entry's (kind, name)
_kind_of = itemgetter(0)  # an Entry's kind


def _sole_titles(config: Config) -> frozenset[tuple[str, str]]:
    """(speaker, title) for every title one speaker lists and no speaker has as an
    alias: a shared office would be a guess."""
    holders: dict[str, set[str]] = {}
    spelled: dict[str, str] = {}
    aliases = {alias.casefold() for s in config.speakers.values() for alias in s.aliases}
    for name, speaker in config.speakers.items():
        for title in speaker.titles:
            holders.setdefault(title.casefold(), set()).add(name)
            spelled.setdefault(title.casefold(), title)
    return frozenset(
        (next(iter(names)), spelled[key])
        for key, names in holders.items()
        if len(names) == 1 and key not in aliases
    )


def _outermost(hits: list[TermHit]) -> list[TermHit]:
    """Drop a hit inside a longer hit of the same topic/speaker (``Peskov`` inside
    ``Dmitry Peskov``), and repeats of one span by several terms of one name."""
    names = set(map(_kind_name, map(_entry_of, hits)))  # in C
    if len(names) == len(hits):  # the usual case: every name found once
        return hits
    by_name: dict[tuple[str, str], list[TermHit]] = {}
    for hit, name in zip(hits, map(_kind_name, map(_entry_of, hits)), strict=True):
        group = by_name.get(name)
        if group is None:
            by_name[name] = [hit]
        else:
            group.append(hit)
    kept: list[TermHit] = []
    for group in by_name.values():
        if len(group) == 1:  # most names, even when another is found twice
            kept += group
            continue
        spans: dict[tuple[int, int], TermHit] = {}
        for hit in group:
            spans.setdefault((hit.first, hit.last), hit)
        # Sorted by start, longest first: a span lies inside an earlier one exactly
        # when some earlier span reaches at least as far.
        reach = -1
        for (_, last), hit in sorted(spans.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
            if last > reach:
                kept.append(hit)
                reach = last
    return kept


_span = itemgetter(1, 2)  # a TermHit's (first, last), in C
_order = attrgetter("order")


def _vetoed(hit: TermHit, vetoes: list[TermHit]) -> bool:
    return hit.entry.kind == "topic" and any(
        v.entry.name == hit.entry.name and v.first <= hit.last and hit.first <= v.last
        for v in vetoes
    )


_T = TypeVar("_T")
_new = object.__new__
_set = object.__setattr__


def _built(cls: type[_T], fields: dict[str, Any]) -> _T:
    """``cls(**fields)`` for a frozen dataclass given every field, without its
    generated ``__init__``: that sets each field through ``object.__setattr__``
    (frozen), several times the cost of one dict set as the instance's
    ``__dict__``. The same object (fields, equality, hash, repr); only
    for the classes ``_PLAIN`` checks (no slots, no ``__post_init__``)."""
    if cls not in _PLAIN:
        return cls(**fields)
    built = _new(cls)
    _set(built, "__dict__", fields)
    return built


# Built by ``_built``: frozen dataclasses whose instances are just their __dict__.
_PLAIN = frozenset(
    cls
    for cls in (Hit, Match)
    if "__slots__" not in vars(cls) and not hasattr(cls, "__post_init__")
)


def _language(code: str | None) -> str | None:
    return code.lower().replace("_", "-").split("-")[0] if code else None


def _passes_feeds(wl: WatchlistConfig, item: WireItem, *, feedless_pass: bool) -> bool:
    if wl.feeds is None:
        return True
    if item.feed_id is None:
        return feedless_pass
    for feed in wl.feeds:
        if feed.startswith("tag:"):
            if feed[4:] in item.tags:
                return True
        elif item.feed_id == feed:
            return True
    return False


def _needs_hit(node: Query) -> bool:
    """Whether a query can only hold when some term, topic or speaker was found
    (False for ``NOT x``, ``lang:``, ``feed:``, ``tag:`` and ORs with those)."""
    if isinstance(node, And):
        return any(_needs_hit(child) for child in node.items)
    if isinstance(node, Or):
        return all(_needs_hit(child) for child in node.items)
    return isinstance(node, Term | TopicRef | Speaker | Near)


def build_matcher(config: Config, *, feedless_items_pass_feed_filters: bool = False) -> Matcher:
    """Compile ``config`` once; reuse the Matcher for every item.

    ``feedless_items_pass_feed_filters``: see ``Matcher``; only ``monitor match`` without
    ``--feed`` sets it.
    """
    # Compiling allocates hundreds of thousands of long-lived objects, each
    # allocation burst triggering a garbage collection that finds nothing to
    # free: a large share of the compile time of a large config.
    enabled = gc.isenabled()
    gc.disable()
    try:
        matcher = Matcher(config, feedless_items_pass_feed_filters=feedless_items_pass_feed_filters)
    finally:
        if enabled:
            gc.enable()
    # The index is hundreds of thousands of long-lived containers (key sets,
    # compiled terms) without reference cycles: every full collection would
    # traverse them all for nothing (seconds each for a large config, several
    # in the first items). Frozen, the collector skips them; reference
    # counting still frees them when the matcher is dropped.
    gc.freeze()
    return matcher
