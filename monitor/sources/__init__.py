"""Inputs to WireItems: fetching feeds, reading drop folders, parsing every format.

``detect.parse_bytes`` is the entry point for bytes of any supported format;
``fetch.fetch_feed`` the only network reader; ``drop.scan_folder`` lists
drop-folder files; ``context.SourceContext`` says where bytes came from.
Parsers are pure; fetch.py and drop.py do I/O (and ``monitor.net``: DNS).

Nothing is imported here, so that importing ``monitor.sources.context`` stays
cheap and free of import cycles.
"""
