"""The ``when:`` query parser: AST shapes and malformed queries with their columns,
``any``/``all`` against a query, and queries written back as text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.match.query import (
    And,
    Feed,
    Lang,
    Near,
    Not,
    Or,
    Query,
    QuerySyntaxError,
    Speaker,
    Tag,
    Term,
    TopicRef,
    format_query,
    format_when,
    named_refs,
    parse_query,
    parse_when,
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


@pytest.mark.parametrize(
    ("text", "mode"), [("any", "any"), ("ALL", "all"), (" All ", "all"), ("\tany\n", "any")]
)
def test_any_and_all_are_read_in_any_case(text: str, mode: str) -> None:
    assert parse_when(text) == mode
    assert format_when(parse_when(text)) == mode


def test_other_text_is_a_query_and_a_bad_one_raises() -> None:
    assert _strip(parse_when("any NATO")) == (
        "and",
        ("term", "any", False),
        ("term", "NATO", False),
    )
    assert _strip(parse_when('"all"')) == ("term", "all", True)  # quoted: the word itself
    with pytest.raises(QuerySyntaxError, match="never closed"):
        parse_when("(NATO")


def test_named_refs_lists_the_fields_that_name_config_entries() -> None:
    query = parse_query('speaker:"Dmitry Peskov" topic:NATO (feed:desk OR tag:wire) lang:ru x')
    assert list(named_refs(query)) == [
        ("speaker", "Dmitry Peskov", 1),
        ("topic", "NATO", 25),
        ("feed", "desk", 37),
        ("tag", "wire", 50),
    ]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("NATO Ukraine", "NATO AND Ukraine"),
        ("a OR (b OR c)", "a OR (b OR c)"),
        ("(a b) c", "(a AND b) AND c"),
        ("NOT (a OR b) c", "NOT (a OR b) AND c"),
        ("a NEAR/1 (b NEAR/2 c)", "a NEAR/1 (b NEAR/2 c)"),
        ("(a OR b) NEAR/2 c NEAR/3 d", "(a OR b) NEAR/2 c NEAR/3 d"),
        ('«x “y» tag:"a b" feed:x lang:RU', '"x “y" AND tag:"a b" AND feed:x AND lang:ru'),
        ("speaker:Peskov topic:NATO", 'speaker:"Peskov" AND topic:"NATO"'),
    ],
)
def test_a_query_is_written_back_as_text_that_reads_the_same(text: str, written: str) -> None:
    assert format_query(parse_query(text)) == written
    assert _strip(parse_query(written)) == _strip(parse_query(text))


_WORDS = st.sampled_from(["NATO", "Peskov", "безопасности", "war", "and", "x:y", "AND", "NEAR"])
_NAMES = st.sampled_from(["Dmitry Peskov", "wire", "a (b)", "sputnik-ar", "«x»"])
# an operator word is a term only when quoted
_TERMS = st.one_of(
    st.builds(Term, _WORDS.filter(lambda w: w not in ("AND", "NEAR")), st.just(False)),
    st.builds(Term, _WORDS, st.just(True)),
)
_NEAR_LEAVES = st.one_of(_TERMS, st.builds(Speaker, _NAMES), st.builds(TopicRef, _NAMES))
_LEAVES = st.one_of(
    _NEAR_LEAVES,
    st.builds(Lang, st.sampled_from(["ru", "ar"])),
    st.builds(Feed, _NAMES),
    st.builds(Tag, _NAMES),
)
_NEAR_OPERANDS = st.recursive(
    _NEAR_LEAVES,
    lambda inner: st.one_of(
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Near, inner, inner, st.integers(1, 9)),
    ),
    max_leaves=4,
)
_QUERIES = st.recursive(
    st.one_of(_LEAVES, st.builds(Near, _NEAR_OPERANDS, _NEAR_OPERANDS, st.integers(1, 9))),
    lambda inner: st.one_of(
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Not, inner),
    ),
    max_leaves=8,
)


@given(_QUERIES)
def test_any_tree_written_back_reads_as_the_same_tree(query: Query) -> None:
    assert _strip(parse_query(format_query(query))) == _strip(query)


def test_the_query_module_imports_nothing_of_the_project() -> None:
    """The config schema parses ``when:`` with it: importing the engine or the config
    from it would be a cycle."""
    path = Path(__file__).resolve().parents[2] / "monitor" / "match" / "query.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {name for name in imported if name.split(".")[0] == "monitor"}
