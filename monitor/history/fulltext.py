"""Full-text keys: an item's words folded and keyed exactly as the matcher keys them.

Pure, no I/O. The history indexes, per item, the set of *token keys*
(``monitor.text.morph``) of every word of its title and body: the normalised form
plus the derived forms (Arabic clitics and pronouns removed, Russian endings,
Snowball stems). A search word is turned into its *term* keys, and a stored item is
a candidate when the two sets meet, as in the matcher: ``الناتو`` finds ``والناتو``
because the text word's keys hold ``ar:الناتو``, one of the term's.

The index leaves out a word's tagged keys that only repeat the word (``en:oder``,
``de:oder`` and ``fr:oder`` of ``oder``; ``ru:`` + every Cyrillic word): most keys
of a text are such, and the index is the larger part of the cost of writing an
item. A search key ``L:x`` looks for the word ``x`` as well wherever ``x``'s own
keys hold ``L:x`` (``search_keys``), so an item is found exactly as with every key
stored, rows written before this was so (every key stored) included.

A query here is a conjunction of groups (``KeyQuery``): every group must meet the
item's keys, a group meeting them through any one of its keys. Keys hold letters,
digits, marks and ``:`` only (a token never holds a space or ASCII punctuation), so a
space-separated list of them is read back unchanged by SQLite FTS5's ``ascii``
tokenizer (with ``:`` as a token character) and by PostgreSQL's
``array_to_tsvector``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from monitor.text.morph import term_keys, text_keys
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import split_parts

__all__ = [
    "MAX_WORD",
    "KeyGroup",
    "KeyQuery",
    "item_keys",
    "parse_search",
    "search_keys",
    "stored_keys",
    "term_groups",
]

# Longer "words" (base64 blobs, URLs run together) are not indexed: nobody searches
# for them, and PostgreSQL refuses a lexeme over 2 KB.
MAX_WORD = 200


_NO_KEYS: frozenset[str] = frozenset()


def stored_keys(norm: str) -> frozenset[str]:
    """The keys the index holds for a word's normalised form ``norm``: its
    ``text_keys`` but the tagged ones that only repeat ``norm`` (the module docstring)."""
    keys = text_keys(norm)
    return frozenset(key for key in keys if key.partition(":")[2] != norm)


def search_keys(keys: frozenset[str]) -> frozenset[str]:
    """``keys`` of a search word, with the word ``x`` beside each tagged key ``L:x``
    that ``x``'s own keys hold (which the index stores as ``x`` alone)."""
    implied = {
        form
        for tag, colon, form in (key.partition(":") for key in keys)
        if colon and form and len(form) <= MAX_WORD and tag + colon + form in text_keys(form)
    }
    return keys | implied


@lru_cache(maxsize=262_144)
def _word_keys(word: str) -> frozenset[str]:
    """The stored keys of one word as written (none for marks only or an over-long word)."""
    norm = normalize_token(word)
    return stored_keys(norm) if norm and len(norm) <= MAX_WORD else _NO_KEYS


@lru_cache(maxsize=131_072)
def _chunk_keys(chunk: str) -> tuple[str, ...]:
    """The keys of the words of one whitespace-free chunk (``Ukraine.``, ``NATO-Russia``),
    sorted: the same order in every process."""
    words = split_parts(chunk)[1::2]
    if len(words) == 1:
        return tuple(sorted(_word_keys(words[0])))
    return tuple(sorted(_NO_KEYS.union(*map(_word_keys, words))))


def item_keys(*fields: str) -> str:
    """The space-separated, distinct token keys of every word of ``fields``, in the
    order of the chunks that first bring them (the same in every process).

    Every item is keyed as it is stored, on the path of each batch. No whitespace
    character is part of a word (``tokenize``), so the words of a text are those of its
    whitespace-free chunks, and ``str.split`` (C speed) replaces a regex scan of the
    whole text: news repeats its chunks (``the``, ``said,``, ``Ukraine.``) as it repeats
    its words, so a chunk's keys come from a cache, split once when first met. Neither
    index the keys feed reads their order (FTS5 and ``array_to_tsvector`` take a set),
    so they are not sorted: that cost as much as the rest of the keying of a known text."""
    chunks = dict.fromkeys(" ".join(fields).split())
    return " ".join(dict.fromkeys(chain.from_iterable(map(_chunk_keys, chunks))))


@dataclass(frozen=True)
class KeyGroup:
    """Alternatives for one search word: whole keys, and untagged key prefixes."""

    keys: frozenset[str]
    prefixes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class KeyQuery:
    """Every group must meet the item's keys. No group: every item is a candidate."""

    groups: tuple[KeyGroup, ...]


def _words(text: str) -> list[str]:
    return [word for word in split_parts(text)[1::2] if normalize_token(word)]


def term_groups(text: str, exact: bool = False) -> list[KeyGroup]:
    """One group per word of a term as a watchlist writes it: keyed as the matcher keys
    a term's tokens (``NATO`` an acronym, ``Песков`` a name with its case forms;
    ``exact``: the tokens only); a final ``*`` makes the last word a prefix."""
    prefix = text.endswith("*") and not exact
    words = _words(text[:-1] if prefix else text)
    groups = [KeyGroup(search_keys(term_keys(word, exact=exact))) for word in words]
    if prefix and groups:
        groups[-1] = KeyGroup(frozenset(), frozenset({normalize_token(words[-1])}))
    return groups


def parse_search(text: str) -> KeyQuery:
    """A plain search string as a ``KeyQuery``: every word must be found; words inside
    ``"..."`` are exact tokens, a word ending in ``*`` a prefix (``term_groups``)."""
    groups: list[KeyGroup] = []
    for index, chunk in enumerate(text.split('"')):
        exact = index % 2 == 1
        for raw in chunk.split():
            groups += term_groups(raw, exact)
    return KeyQuery(tuple(groups))
