"""The matcher: one item in, one ``Match`` per satisfied watchlist out.

Pure, no I/O. ``build_matcher(config)`` compiles every topic term, exclude
phrase, speaker alias and query literal of the config into one ``TermIndex``
once; ``Matcher.match(item)`` tokenises the title and body, finds every term in
one pass per field, then evaluates each watchlist (SPEC sections 2 and 3):

- ``when: any``: any of its topics or speakers found;
- ``when: all``: all its topics found and, if it lists speakers, one of them;
- otherwise ``when`` is a query (``monitor.match.query``).

``role: quoted`` counts speakers only where their words are reported;
``languages:`` and ``feeds:`` (feed id or ``tag:NAME``) filter first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
    parse_query,
    walk,
)
from monitor.match.speakers import classify_speaker
from monitor.model import Field, Hit, Match, Role, SpeakerMatch, WireItem
from monitor.text.tokenize import tokenize

__all__ = ["Matcher", "build_matcher"]

_FIELDS: tuple[Field, ...] = ("title", "body")
_SNIPPET = 120


@dataclass(frozen=True)
class _Found:
    """One occurrence of an entry in one field."""

    entry: Entry
    field: Field
    first: int  # token indexes, inclusive
    last: int
    start: int  # character offsets into the field
    end: int
    text: str
    snippet: str
    role: Role | None = None  # speakers only
    quote: str | None = None


@dataclass
class _Evidence:
    """Everything found in one item, grouped for the watchlist tests."""

    item: WireItem
    topics: dict[str, list[_Found]]
    speakers: dict[str, list[_Found]]
    literals: dict[str, list[_Found]]

    def speaker_found(self, name: str, quoted_only: bool) -> bool:
        return any(not quoted_only or f.role == "quoted" for f in self.speakers.get(name, ()))


def _snippet(text: str, start: int, end: int) -> str:
    pad = max(0, (_SNIPPET - (end - start)) // 2)
    left, right = max(0, start - pad), min(len(text), end + pad)
    body = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + body + ("…" if right < len(text) else "")


def _literal_key(term: Term) -> str:
    return f'"{term.text}"' if term.quoted else term.text


class Matcher:
    """Matches items against every watchlist of one config (build once, reuse)."""

    def __init__(self, config: Config) -> None:
        self.config = config
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
        self._queries: dict[str, Query] = {}
        literals: set[str] = set()
        for wl_name, watchlist in config.watchlists.items():
            if watchlist.when.strip().lower() in ("any", "all"):
                continue
            query = parse_query(watchlist.when)
            self._queries[wl_name] = query
            for node in walk(query):
                if isinstance(node, Term) and self._resolve(node) is None:
                    literals.add(_literal_key(node))
        for literal in sorted(literals):
            self.index.add(literal, Entry("literal", literal, literal))

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
        for field in _FIELDS:
            text = getattr(item, field) or ""
            if not text:
                continue
            tokens = tokenize(text)
            hits = self.index.find(tokens)
            vetoes = [h for h in hits if h.entry.kind == "exclude"]
            kept = [h for h in hits if h.entry.kind != "exclude" and not _vetoed(h, vetoes)]
            for hit in sorted(_outermost(kept), key=lambda h: (h.first, h.last)):
                start, end = tokens[hit.first].start, tokens[hit.last].end
                role: Role | None = None
                quote: str | None = None
                if hit.entry.kind == "speaker":
                    role, quote = classify_speaker(text, tokens, hit.first, hit.last)
                found = _Found(
                    hit.entry,
                    field,
                    hit.first,
                    hit.last,
                    start,
                    end,
                    text[start:end],
                    _snippet(text, start, end),
                    role,
                    quote,
                )
                group = {
                    "topic": evidence.topics,
                    "speaker": evidence.speakers,
                    "literal": evidence.literals,
                }[hit.entry.kind]
                group.setdefault(hit.entry.name, []).append(found)
        return evidence

    # -- deciding ----------------------------------------------------------------

    def match(self, item: WireItem) -> list[Match]:
        """One Match per satisfied watchlist, in config order."""
        evidence: _Evidence | None = None
        matches: list[Match] = []
        for name, watchlist in self.config.watchlists.items():
            if not _passes_filters(watchlist, item):
                continue
            if evidence is None:
                evidence = self._find(item)
            result = self._evaluate(name, watchlist, evidence)
            if result is not None:
                matches.append(result)
        return matches

    def _evaluate(self, name: str, wl: WatchlistConfig, ev: _Evidence) -> Match | None:
        quoted_only = wl.role == "quoted"
        topics = [t for t in wl.topics if ev.topics.get(t)]
        speakers = [s for s in wl.speakers if ev.speaker_found(s, quoted_only)]
        literals: list[str] = []
        mode = wl.when.strip().lower()
        if mode == "any":
            ok = bool(topics or speakers)
        elif mode == "all":
            ok = len(topics) == len(wl.topics) and (not wl.speakers or bool(speakers))
            ok = ok and bool(wl.topics or wl.speakers)
        else:
            query = self._queries[name]
            ok = self._eval(query, ev, quoted_only)
            for node in walk(query):
                for kind, ref in self._references(node):
                    if kind == "topic" and ev.topics.get(ref) and ref not in topics:
                        topics.append(ref)
                    elif kind == "speaker" and ev.speaker_found(ref, quoted_only):
                        if ref not in speakers:
                            speakers.append(ref)
                    elif kind == "literal" and ev.literals.get(ref) and ref not in literals:
                        literals.append(ref)
        if not ok:
            return None
        found: list[_Found] = [f for t in topics for f in ev.topics[t]]
        found += [f for lit in literals for f in ev.literals[lit]]
        speaker_matches: list[SpeakerMatch] = []
        for speaker in speakers:
            places = [f for f in ev.speakers[speaker] if not quoted_only or f.role == "quoted"]
            found += places
            quoted = [f for f in places if f.role == "quoted"]
            if quoted:
                speaker_matches.append(SpeakerMatch(speaker, "quoted", quoted[0].quote))
            else:
                speaker_matches.append(SpeakerMatch(speaker, "mentioned", None))
        found.sort(key=lambda f: (_FIELDS.index(f.field), f.start, f.end))
        return Match(
            watchlist=name,
            topics=tuple(topics),
            speakers=tuple(speaker_matches),
            hits=tuple(_to_hit(f) for f in found),
            channels=tuple(wl.channels),
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

    def _eval(self, node: Query, ev: _Evidence, quoted_only: bool) -> bool:
        item = ev.item
        if isinstance(node, And):
            return all(self._eval(child, ev, quoted_only) for child in node.items)
        if isinstance(node, Or):
            return any(self._eval(child, ev, quoted_only) for child in node.items)
        if isinstance(node, Not):
            return not self._eval(node.item, ev, quoted_only)
        if isinstance(node, Lang):
            return _language(item.language) == node.code.split("-")[0]
        if isinstance(node, Feed):
            return item.feed_id == node.id
        if isinstance(node, Tag):
            return node.name in item.tags
        if isinstance(node, Speaker):
            return ev.speaker_found(self._speaker_name(node.name), quoted_only=True)
        if isinstance(node, Near):
            return bool(self._near(node, ev, quoted_only))
        return bool(self._spans(node, ev, quoted_only))


def _outermost(hits: list[TermHit]) -> list[TermHit]:
    """Drop a hit inside a longer hit of the same topic/speaker (``Peskov`` inside
    ``Dmitry Peskov``), and repeats of one span by several terms of one name."""
    by_name: dict[tuple[str, str], dict[tuple[int, int], TermHit]] = {}
    for hit in hits:
        by_name.setdefault((hit.entry.kind, hit.entry.name), {}).setdefault(
            (hit.first, hit.last), hit
        )
    kept: list[TermHit] = []
    for spans in by_name.values():
        # Sorted by start, longest first: a span lies inside an earlier one exactly
        # when some earlier span reaches at least as far.
        reach = -1
        for (_, last), hit in sorted(spans.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
            if last > reach:
                kept.append(hit)
                reach = last
    return kept


def _vetoed(hit: TermHit, vetoes: list[TermHit]) -> bool:
    return hit.entry.kind == "topic" and any(
        v.entry.name == hit.entry.name and v.first <= hit.last and hit.first <= v.last
        for v in vetoes
    )


def _to_hit(found: _Found) -> Hit:
    kind = found.entry.kind
    return Hit(
        field=found.field,
        start=found.start,
        end=found.end,
        text=found.text,
        topic=found.entry.name if kind in ("topic", "literal") else None,
        speaker=found.entry.name if kind == "speaker" else None,
        snippet=found.snippet,
    )


def _language(code: str | None) -> str | None:
    return code.lower().replace("_", "-").split("-")[0] if code else None


def _passes_filters(wl: WatchlistConfig, item: WireItem) -> bool:
    if wl.languages is not None:
        wanted = {_language(code) for code in wl.languages}
        if _language(item.language) not in wanted:
            return False
    if wl.feeds is not None:
        ok = False
        for feed in wl.feeds:
            if feed.startswith("tag:"):
                ok = ok or feed[4:] in item.tags
            else:
                ok = ok or item.feed_id == feed
        if not ok:
            return False
    return True


def build_matcher(config: Config) -> Matcher:
    """Compile ``config`` once; reuse the Matcher for every item."""
    return Matcher(config)
