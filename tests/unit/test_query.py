"""The ``when:`` query parser: AST shapes and malformed queries with their columns."""

from __future__ import annotations

import pytest

from monitor.match.query import (
    And,
    Feed,
    Lang,
    Near,
    Not,
    Or,
    QuerySyntaxError,
    Speaker,
    Tag,
    Term,
    TopicRef,
    parse_query,
    walk,
)


def _strip(node: object) -> object:
    """The tree without columns, to compare shapes."""
    if isinstance(node, Term):
        return ("term", node.text, node.quoted)
    if isinstance(node, Speaker):
        return ("speaker", node.name)
    if isinstance(node, TopicRef):
        return ("topic", node.name)
    if isinstance(node, Lang):
        return ("lang", node.code)
    if isinstance(node, Feed):
        return ("feed", node.id)
    if isinstance(node, Tag):
        return ("tag", node.name)
    if isinstance(node, And):
        return ("and", *(_strip(c) for c in node.items))
    if isinstance(node, Or):
        return ("or", *(_strip(c) for c in node.items))
    if isinstance(node, Not):
        return ("not", _strip(node.item))
    assert isinstance(node, Near)
    return ("near", node.distance, _strip(node.left), _strip(node.right))


def test_spec_example() -> None:
    query = parse_query(
        'speaker:"Dmitry Peskov" AND (NATO OR "security guarantees") AND NOT lang:en'
    )
    assert _strip(query) == (
        "and",
        ("speaker", "Dmitry Peskov"),
        ("or", ("term", "NATO", False), ("term", "security guarantees", True)),
        ("not", ("lang", "en")),
    )


def test_precedence_not_binds_tighter_than_and_than_or() -> None:
    assert _strip(parse_query("a OR b AND NOT c")) == (
        "or",
        ("term", "a", False),
        ("and", ("term", "b", False), ("not", ("term", "c", False))),
    )


def test_implicit_and_between_adjacent_terms() -> None:
    assert _strip(parse_query("NATO Ukraine")) == (
        "and",
        ("term", "NATO", False),
        ("term", "Ukraine", False),
    )


def test_lowercase_operators_are_words() -> None:
    assert _strip(parse_query("war and peace")) == (
        "and",
        ("term", "war", False),
        ("term", "and", False),
        ("term", "peace", False),
    )


def test_near_and_fields() -> None:
    query = parse_query("(Peskov OR بيسكوف) NEAR/5 الناتو feed:sputnik-ar tag:wire topic:Ukraine")
    assert _strip(query) == (
        "and",
        (
            "near",
            5,
            ("or", ("term", "Peskov", False), ("term", "بيسكوف", False)),
            ("term", "الناتو", False),
        ),
        ("feed", "sputnik-ar"),
        ("tag", "wire"),
        ("topic", "Ukraine"),
    )


def test_typographic_quotes_and_bare_speaker() -> None:
    assert _strip(parse_query("speaker:Peskov “гарантии  безопасности”")) == (
        "and",
        ("speaker", "Peskov"),
        ("term", "гарантии безопасности", True),
    )


def test_lang_is_lowercased_and_columns_recorded() -> None:
    query = parse_query("NATO AND lang:AR")
    assert isinstance(query, And)
    assert query.items[1] == Lang("ar", 10)
    assert query.items[0] == Term("NATO", False, 1)


def test_walk_visits_every_node() -> None:
    nodes = list(walk(parse_query("a AND (b OR NOT c) AND d NEAR/2 e")))
    words = sorted(n.text for n in nodes if isinstance(n, Term))
    assert words == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("", 1, "empty"),
        ("   ", 1, "empty"),
        ("NATO AND", 9, "ends"),
        ("AND NATO", 1, "AND"),
        ("NATO OR OR x", 9, "OR"),
        ("(NATO OR x", 1, "never closed"),
        ("NATO OR x)", 10, "unmatched"),
        ('NATO AND "security', 10, "unterminated"),
        ('NATO ""', 6, "empty quoted"),
        ("()", 2, "empty parentheses"),
        ("a NEAR b", 3, "distance"),
        ("a NEAR/x b", 3, "NEAR distance"),
        ("a NEAR/0 b", 3, "NEAR distance"),
        ("lang:en NEAR/3 b", 9, "NEAR joins"),
        ("a NEAR/3 NOT b", 10, "NOT cannot"),
        ("NATO AND speaker:", 10, "needs a value"),
        ("NOT", 4, "ends"),
    ],
)
def test_malformed_queries_report_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text)
    assert info.value.column == column, info.value
    assert fragment in info.value.message
    assert isinstance(info.value, ValueError)
    assert str(column) in str(info.value)
