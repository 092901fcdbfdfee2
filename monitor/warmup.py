"""Load, before the first item, what its processing would load on the way.

A worker's pool children fork from its main process: what that process has loaded
(the feed readers, the HTML parser, the language model, a compiled watchlist, the
fetches' TLS context with its CA bundle read) each child has without paying for it,
and the first polls and items after a start are not the slowest. Parses a document
held here and matches its items; reads the CA bundle, touches no store or network.
"""

from __future__ import annotations

from monitor.config.schema import Config
from monitor.match.engine import Matcher, build_matcher
from monitor.net.transport import tls_context
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes

# Markup and languages that take each lazy path: RSS read by the fast reader, HTML
# bodies (paragraphs only, and other markup for the HTML parser), and texts in the
# scripts the language detector tells apart.
_SAMPLE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>warm-up</title><link>http://127.0.0.1/</link>
<description>warm-up</description>
<item><guid>warm-1</guid><title>Ministers meet in Brussels</title>
<pubDate>Mon, 01 Jun 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;BRUSSELS (Reuters) - Ministers met on Monday to talk about
the budget, a spokesman said.&lt;/p&gt;&lt;p&gt;Talks go &lt;b&gt;on&lt;/b&gt;.&lt;/p&gt;
</description></item>
<item><guid>warm-2</guid><title>Министры встретились в Москве</title>
<description>&lt;p&gt;МОСКВА, 1 июня - Министры встретились в понедельник, чтобы
обсудить бюджет, сообщил представитель.&lt;/p&gt;</description></item>
<item><guid>warm-3</guid><title>وزراء يجتمعون في القاهرة</title>
<description>&lt;p&gt;القاهرة - اجتمع الوزراء يوم الاثنين لمناقشة الميزانية، حسبما قال
متحدث.&lt;/p&gt;</description></item>
</channel></rss>
""".encode()


def warm_up(config: Config) -> Matcher:
    """Parse and match a few items of ``_SAMPLE``; return the matcher built for ``config``
    (a process may hand it on instead of building it again)."""
    tls_context()  # made once per process (its CA bundle read)
    matcher = build_matcher(config)
    for item in parse_bytes(_SAMPLE, SourceContext(source="warm-up")):
        matcher.match(item)
    return matcher
