"""Parse watchlist ``when:`` queries (SPEC section 3) into a small AST.

Pure: no I/O. The grammar, loosest binding first::

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*        # adjacent operands are an implicit AND
    not     := "NOT" not | near
    near    := primary ("NEAR/" n primary)*
    primary := "(" or ")" | '"phrase"' | word | field ":" (word | '"phrase"')
    field   := speaker | topic | lang | feed | tag

Operators are upper case (``AND``, ``OR``, ``NOT``, ``NEAR/5``); lower-case ``and``
is an ordinary word, because news text is full of it. Quotes may be straight
(``"``) or typographic (``“…”``, ``«…»``). ``NEAR/n`` takes terms, phrases,
topic/speaker names, ``speaker:`` or a parenthesised ``OR`` of those.

Whether a word names a topic or speaker is decided later by the engine, which
knows the config; the parser only records the text and whether it was quoted.
``parse_when`` reads a whole ``when:`` value (``any``, ``all`` or a query) and
``format_when`` writes it back. Imports nothing of the project, so the config schema
can parse ``when:`` as it validates.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "And",
    "Feed",
    "Lang",
    "Near",
    "Not",
    "Or",
    "Query",
    "QuerySyntaxError",
    "Speaker",
    "Tag",
    "Term",
    "TopicRef",
    "When",
    "format_query",
    "format_when",
    "named_refs",
    "parse_query",
    "parse_when",
    "walk",
]


class QuerySyntaxError(ValueError):
    """A malformed query. ``column`` is 1-based into the query text."""

    def __init__(self, message: str, column: int) -> None:
        self.message = message
        self.column = column
        super().__init__(f"column {column}: {message}")


@dataclass(frozen=True)
class Term:
    """A bare word or quoted phrase: a topic/speaker name, else a literal term."""

    text: str
    quoted: bool = False
    column: int = 1


@dataclass(frozen=True)
class Speaker:
    """``speaker:"Name"``: the speaker must be quoted (their words reported)."""

    name: str
    column: int = 1


@dataclass(frozen=True)
class TopicRef:
    """``topic:"Name"``: explicitly a topic (an extension of SPEC section 3)."""

    name: str
    column: int = 1


@dataclass(frozen=True)
class Lang:
    code: str
    column: int = 1


@dataclass(frozen=True)
class Feed:
    id: str
    column: int = 1


@dataclass(frozen=True)
class Tag:
    name: str
    column: int = 1


@dataclass(frozen=True)
class And:
    items: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Query, ...]


@dataclass(frozen=True)
class Not:
    item: Query


@dataclass(frozen=True)
class Near:
    """``left NEAR/distance right``: within ``distance`` tokens, either order."""

    left: Query
    right: Query
    distance: int


Query = Term | Speaker | TopicRef | Lang | Feed | Tag | And | Or | Not | Near
# A watchlist's ``when:``: any of its topics or speakers, all of them, or a query.
When = Literal["any", "all"] | Query

_FIELDS = ("speaker", "topic", "lang", "feed", "tag")
_OPEN_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»"}
_NEAR = re.compile(r"NEAR(?:/(\S*))?$")


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(" ")" AND OR NOT NEAR WORD PHRASE FIELD END
    text: str
    column: int
    value: int = 0  # NEAR distance
    field: str = ""  # FIELD name
    quoted: bool = False  # FIELD value quoted


def _read_phrase(text: str, i: int) -> tuple[str, int]:
    """Read a quoted phrase starting at ``text[i]`` (an opening quote)."""
    close = _OPEN_QUOTES[text[i]]
    closers = {close, '"'}
    j = i + 1
    while j < len(text) and text[j] not in closers:
        j += 1
    if j >= len(text):
        raise QuerySyntaxError("unterminated quoted phrase", i + 1)
    phrase = " ".join(text[i + 1 : j].split())
    if not phrase:
        raise QuerySyntaxError("empty quoted phrase", i + 1)
    return phrase, j + 1


def _lex(text: str) -> Iterator[_Tok]:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        col = i + 1
        if ch in "()":
            yield _Tok(ch, ch, col)
            i += 1
            continue
        if ch in _OPEN_QUOTES:
            phrase, i = _read_phrase(text, i)
            yield _Tok("PHRASE", phrase, col)
            continue
        j = i
        while (
            j < n and not text[j].isspace() and text[j] not in "()" and text[j] not in _OPEN_QUOTES
        ):
            if text[j] == ":" and text[i:j].lower() in _FIELDS:
                break
            j += 1
        word = text[i:j]
        if j < n and text[j] == ":" and word.lower() in _FIELDS:
            yield _lex_field(text, word.lower(), col, j + 1)
            i = _field_end(text, j + 1)
            continue
        i = j
        if word in ("AND", "OR", "NOT"):
            yield _Tok(word, word, col)
        elif found := _NEAR.match(word):
            yield _Tok("NEAR", word, col, value=_near_distance(found.group(1), col))
        else:
            yield _Tok("WORD", word, col)
    yield _Tok("END", "", n + 1)


def _near_distance(raw: str | None, column: int) -> int:
    if raw is None:
        raise QuerySyntaxError("NEAR needs a distance, like NEAR/5", column)
    if not raw.isdigit() or int(raw) < 1:
        raise QuerySyntaxError(f"bad NEAR distance {raw!r}: expected a whole number >= 1", column)
    return int(raw)


def _field_end(text: str, i: int) -> int:
    if i < len(text) and text[i] in _OPEN_QUOTES:
        return _read_phrase(text, i)[1]
    j = i
    while j < len(text) and not text[j].isspace() and text[j] not in "()":
        j += 1
    return j


def _lex_field(text: str, name: str, column: int, i: int) -> _Tok:
    if i < len(text) and text[i] in _OPEN_QUOTES:
        value, _ = _read_phrase(text, i)
        return _Tok("FIELD", value, column, field=name, quoted=True)
    value = text[i : _field_end(text, i)]
    if not value:
        raise QuerySyntaxError(f'{name}: needs a value, like {name}:"..."', column)
    return _Tok("FIELD", value, column, field=name)


# Open parentheses and NOTs at once; the parser recurses on each (compiled by mypyc, where
# a stack overflow is a crash, not a RecursionError). No real query comes near it.
MAX_QUERY_DEPTH = 100


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(_lex(text))
        self.pos = 0
        self.depth = 0

    def enter(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_QUERY_DEPTH:
            raise QuerySyntaxError(f"too deeply nested (limit {MAX_QUERY_DEPTH})", column)

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.pos]

    def advance(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Query:
        if self.tok.kind == "END":
            raise QuerySyntaxError("empty query", 1)
        node = self.parse_or()
        if self.tok.kind == ")":
            raise QuerySyntaxError("unmatched ')'", self.tok.column)
        if self.tok.kind != "END":  # pragma: no cover - parse_and consumes all operands
            raise QuerySyntaxError(f"unexpected {self.tok.text!r}", self.tok.column)
        return node

    def parse_or(self) -> Query:
        items = [self.parse_and()]
        while self.tok.kind == "OR":
            self.advance()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Query:
        items = [self.parse_not()]
        while True:
            if self.tok.kind == "AND":
                self.advance()
            elif self.tok.kind not in ("(", "NOT", "WORD", "PHRASE", "FIELD"):
                break
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Query:
        if self.tok.kind == "NOT":
            self.enter(self.advance().column)
            node = Not(self.parse_not())
            self.depth -= 1
            return node
        return self.parse_near()

    def parse_near(self) -> Query:
        node = self.parse_primary()
        while self.tok.kind == "NEAR":
            op = self.advance()
            _check_near_operand(node, op.column)
            right = self.parse_primary()
            _check_near_operand(right, op.column)
            node = Near(node, right, op.value)
        return node

    def parse_primary(self) -> Query:
        tok = self.tok
        if tok.kind == "(":
            self.enter(self.advance().column)
            if self.tok.kind == ")":
                raise QuerySyntaxError("empty parentheses", self.tok.column)
            node = self.parse_or()
            if self.tok.kind != ")":
                if self.tok.kind == "END":
                    raise QuerySyntaxError("'(' is never closed", tok.column)
                raise QuerySyntaxError(f"unexpected {self.tok.text!r}", self.tok.column)
            self.advance()
            self.depth -= 1
            return node
        if tok.kind in ("WORD", "PHRASE"):
            self.advance()
            return Term(tok.text, quoted=tok.kind == "PHRASE", column=tok.column)
        if tok.kind == "FIELD":
            self.advance()
            return _field_node(tok)
        if tok.kind == "END":
            raise QuerySyntaxError("the query ends where a term was expected", tok.column)
        if tok.kind == ")":
            raise QuerySyntaxError("')' where a term was expected", tok.column)
        if tok.kind == "NOT":
            raise QuerySyntaxError("NOT cannot be an operand of NEAR", tok.column)
        raise QuerySyntaxError(f"{tok.text} needs a term before it", tok.column)


def _field_node(tok: _Tok) -> Query:
    if tok.field == "speaker":
        return Speaker(tok.text, tok.column)
    if tok.field == "topic":
        return TopicRef(tok.text, tok.column)
    if tok.field == "lang":
        return Lang(tok.text.lower(), tok.column)
    if tok.field == "feed":
        return Feed(tok.text, tok.column)
    return Tag(tok.text, tok.column)


def _check_near_operand(node: Query, column: int) -> None:
    if isinstance(node, Term | Speaker | TopicRef):
        return
    if isinstance(node, Or | Near):
        children = node.items if isinstance(node, Or) else (node.left, node.right)
        for child in children:
            _check_near_operand(child, column)
        return
    raise QuerySyntaxError(
        "NEAR joins terms, phrases, names or an OR of them (not AND, NOT, lang:, feed:, tag:)",
        column,
    )


def parse_query(text: str) -> Query:
    """Parse a ``when:`` query; raise :class:`QuerySyntaxError` at the fault's column."""
    return _Parser(text).parse()


def walk(node: Query) -> Iterator[Query]:
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, And | Or):
        for child in node.items:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.item)
    elif isinstance(node, Near):
        yield from walk(node.left)
        yield from walk(node.right)


def parse_when(text: str) -> When:
    """A ``when:`` value: ``any`` or ``all`` (in any case, spaces around them ignored),
    else a query; raise :class:`QuerySyntaxError` for a malformed one."""
    word = text.strip().lower()
    if word == "any":
        return "any"
    if word == "all":
        return "all"
    return parse_query(text)


def named_refs(node: Query) -> Iterator[tuple[str, str, int]]:
    """``(kind, name, column)`` of each field naming something the config defines:
    ``speaker:``, ``topic:``, ``feed:`` and ``tag:`` (kinds ``speaker``, ``topic``,
    ``feed``, ``tag``). Bare words are left to the engine, which knows the names."""
    for found in walk(node):
        if isinstance(found, Speaker):
            yield "speaker", found.name, found.column
        elif isinstance(found, TopicRef):
            yield "topic", found.name, found.column
        elif isinstance(found, Feed):
            yield "feed", found.id, found.column
        elif isinstance(found, Tag):
            yield "tag", found.name, found.column


def format_when(when: When) -> str:
    """``when`` as text: ``any``, ``all`` or ``format_query`` of the query."""
    return when if isinstance(when, str) else format_query(when)


def format_query(node: Query) -> str:
    """The query as text that parses back to the same tree (columns aside): operators
    spelled out (``AND`` between adjacent operands), parentheses only where needed."""
    if isinstance(node, Term):
        return _quoted(node.text) if node.quoted else node.text
    if isinstance(node, Speaker):
        return f"speaker:{_quoted(node.name)}"
    if isinstance(node, TopicRef):
        return f"topic:{_quoted(node.name)}"
    if isinstance(node, Lang):
        return f"lang:{_field_value(node.code)}"
    if isinstance(node, Feed):
        return f"feed:{_field_value(node.id)}"
    if isinstance(node, Tag):
        return f"tag:{_field_value(node.name)}"
    if isinstance(node, Or):  # a nested OR or AND in parentheses, as it was written
        return " OR ".join(_grouped(item, Or) for item in node.items)
    if isinstance(node, And):
        return " AND ".join(_grouped(item, And | Or) for item in node.items)
    if isinstance(node, Not):
        return "NOT " + _grouped(node.item, And | Or)
    # NEAR is left-associative: a NEAR on its right needs parentheses
    left = _grouped(node.left, Or)
    return f"{left} NEAR/{node.distance} {_grouped(node.right, Or | Near)}"


def _grouped(node: Query, looser: type | types.UnionType) -> str:
    text = format_query(node)
    return f"({text})" if isinstance(node, looser) else text


def _quoted(text: str) -> str:
    # a phrase never holds a straight quote: it would have closed it
    return f'"{text}"'


def _field_value(text: str) -> str:
    """A field's value, quoted when it holds what would end a bare one."""
    bare = text and not any(ch.isspace() or ch in "()" or ch in _OPEN_QUOTES for ch in text)
    return text if bare else _quoted(text)
