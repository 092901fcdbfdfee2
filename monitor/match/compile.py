"""Compile terms into one index over token keys, and find them in token streams.

Pure, no I/O. Every token has a small set of *keys*: its normalised form, plus
derived forms tagged by how they were derived (``ru:`` Cyrillic endings and
stems, ``en:``/``fr:``/``de:`` Snowball stems, ``ar:`` Arabic clitics and
article). A term token matches a text token when their key sets meet. The sets
are asymmetric on purpose:

- text tokens get every plausible derived form (all clitic splits, all endings);
- term tokens get their own form plus a *guarded* base form, so that a text form
  can only reach a term by adding an ending or clitic to the term (``Путин`` ->
  ``Путина``, not ``Путинцев``; ``بوتين`` keeps its ``ب``), and acronyms
  (``NATO``, ``НАТО``) and ``"quoted"`` terms match their exact tokens only.

The index is a trie keyed on token keys (a term with several keys per token is
inserted along each path), walked from every text token. It plays the part an
Aho-Corasick automaton would over a single key stream; ``TermIndex`` is the
interface, so the structure can be swapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from monitor.text.morph import term_keys, text_keys
from monitor.text.tokenize import Token, tokenize

__all__ = ["Entry", "TermHit", "TermIndex", "parse_term", "term_keys", "text_keys"]

EntryKind = Literal["topic", "speaker", "exclude", "literal"]


@dataclass(frozen=True)
class Entry:
    """What a compiled term stands for: a topic's term, a speaker's alias, a topic's
    exclude phrase, or a literal from a query (``name`` is then the literal)."""

    kind: EntryKind
    name: str
    term: str


@dataclass(frozen=True)
class TermHit:
    """``entry`` matched tokens ``first..last`` (inclusive) of a token list."""

    entry: Entry
    first: int
    last: int


@dataclass(frozen=True)
class ParsedTerm:
    """A config term split into per-token key sets; ``prefix`` is the normalised
    prefix of a trailing ``*`` wildcard token, if any."""

    keys: tuple[frozenset[str], ...]
    prefix: str | None


def parse_term(term: str) -> ParsedTerm | None:
    """Split a term (``NATO``, ``"exact words"``, ``Sicherheits*``) into token keys.

    Returns None for a term with no word tokens at all.
    """
    text = term.strip()
    exact = len(text) >= 2 and text[0] in '"“«' and text[-1] in '"”»'
    if exact:
        text = text[1:-1]
    wildcard = text.endswith("*")
    tokens = tokenize(text.rstrip("*"))
    if not tokens:
        return None
    prefix: str | None = None
    if wildcard and text.rstrip("*")[-1:].strip():
        prefix = tokens[-1].norm
        tokens = tokens[:-1]
    keys = tuple(term_keys(token.text, exact) for token in tokens)
    return ParsedTerm(keys, prefix)


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    prefixes: list[tuple[str, Entry]] = field(default_factory=list)


class TermIndex:
    """Every term of every watchlist, compiled once; ``find`` walks a token list."""

    def __init__(self) -> None:
        self._root = _Node()
        self.size = 0

    def add(self, term: str, entry: Entry) -> bool:
        """Add one term; False if it has no word tokens (nothing to match)."""
        parsed = parse_term(term)
        if parsed is None:
            return False
        nodes = [self._root]
        for keys in parsed.keys:
            nodes = [
                node.children.setdefault(key, _Node()) for node in nodes for key in sorted(keys)
            ]
        for node in nodes:
            if parsed.prefix is None:
                node.entries.append(entry)
            else:
                node.prefixes.append((parsed.prefix, entry))
        self.size += 1
        return True

    def find(self, tokens: Sequence[Token]) -> list[TermHit]:
        """Every (entry, token span) found; phrases stay within one sentence."""
        found: dict[tuple[Entry, int, int], None] = {}
        count = len(tokens)
        keys_of = [text_keys(token.norm) for token in tokens]
        root_keys = self._root.children.keys()
        for first in range(count):
            if not (self._root.prefixes or not root_keys.isdisjoint(keys_of[first])):
                continue
            sentence = tokens[first].sentence
            active = [self._root]
            last = first
            while active and last < count and tokens[last].sentence == sentence:
                norm = tokens[last].norm
                keys = keys_of[last]
                following: list[_Node] = []
                for node in active:
                    for prefix, entry in node.prefixes:
                        if norm.startswith(prefix):
                            found[(entry, first, last)] = None
                    for key in keys:
                        child = node.children.get(key)
                        if child is not None:
                            following.append(child)
                            for entry in child.entries:
                                found[(entry, first, last)] = None
                active = following
                last += 1
        return [TermHit(entry, first, last) for entry, first, last in found]
