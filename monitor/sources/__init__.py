"""Inputs to WireItems: fetching feeds, reading drop folders, parsing every format.

``parse_bytes`` (detect.py) is the entry point for bytes of any supported format;
``fetch_feed`` (fetch.py) the only network reader; ``scan_folder`` (drop.py)
lists drop-folder files. Parsers are pure; fetch.py and drop.py do I/O.
"""

from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes

__all__ = ["SourceContext", "parse_bytes"]
