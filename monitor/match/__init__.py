"""Matching: ``when:`` queries, term compilation, the item matcher, speaker roles.

Re-exports only the query parser, so that importing this package (the config
loader does) stays cheap and free of import cycles; import the matcher from
``monitor.match.engine``.
"""

from monitor.match.query import QuerySyntaxError, parse_query

__all__ = ["QuerySyntaxError", "parse_query"]
