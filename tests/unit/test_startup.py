"""Start-up stays cheap: what importing the CLI pulls in, and tables built at build time.

Not timed: ``bench/bench_language.py`` measures start-up. Here, a fresh interpreter
imports ``monitor.cli`` and reports which heavy modules came with it (each is
imported later, by the command that needs it), and the generated Unicode mark
tables (``monitor/text/_marks.py``) must be what ``python -m monitor.text.gen_marks``
writes today, with the scan as the fallback on another Unicode version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from monitor.text import _marks, gen_marks, normalize

ROOT = Path(__file__).resolve().parents[2]

# Imported by the commands that need them, never by `import monitor.cli`:
# HTTP (fetching), feed parsing, mojibake repair, Celery and its broker,
# delivery templates, the state stores, the language model and the web console.
HEAVY = (
    "httpx",
    "feedparser",
    "ftfy",
    "celery",
    "kombu",
    "redis",
    "jinja2",
    "selectolax",
    "sqlite3",
    "py3langid",
    "numpy",
    "monitor.sources.fetch",
    "monitor.sources.feeds",
    "monitor.state",
    "monitor.pipeline",
    "monitor.runner",
    "monitor.config.reload",
    "starlette",
    "uvicorn",
    "monitor.web",
)


def _imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return list(json.loads(out))


def test_importing_the_cli_imports_no_heavy_module() -> None:
    loaded = set(_imported_after("import monitor.cli"))
    assert "monitor.cli" in loaded  # the probe does import it
    assert [name for name in HEAVY if name in loaded] == []


def test_the_probe_sees_a_heavy_module_when_one_is_imported() -> None:
    loaded = set(_imported_after("import monitor.cli, monitor.sources.feeds"))
    assert {"feedparser", "monitor.sources.feeds"} <= loaded


def test_parsing_a_feed_still_imports_feedparser_then() -> None:
    from monitor.sources.context import SourceContext
    from monitor.sources.detect import parse_bytes

    data = (ROOT / "tests" / "fixtures" / "feeds" / "rss2.xml").read_bytes()
    assert parse_bytes(data, SourceContext(source="rss2.xml"))
    assert "feedparser" in sys.modules


def test_mojibake_is_still_repaired() -> None:
    from monitor.sources.clean import clean_text

    assert clean_text("CafÃ© au lait") == "Café au lait"


@pytest.mark.skipif(
    unicodedata.unidata_version != _marks.UNIDATA_VERSION,
    reason="another Unicode version: normalize scans (see the fallback test)",
)
def test_generated_marks_are_what_the_generator_writes_today() -> None:
    text = gen_marks.TARGET.read_text(encoding="utf-8")
    assert text == gen_marks.render(), "stale: run python -m monitor.text.gen_marks"
    assert gen_marks.main(["--check"]) == 0


def test_tables_in_use_are_the_unicode_databases() -> None:
    marks, combining = gen_marks.scan_marks()
    assert marks == normalize.MARKS
    assert combining == normalize._COMBINING
    assert "\u0301" in combining and "\u064e" in combining  # acute accent, fatha


def test_another_unicode_version_falls_back_on_the_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_marks, "UNIDATA_VERSION", "0.0.0")
    monkeypatch.setattr(_marks, "MARKS", ((0x41, 0x41),))  # would be wrong if used
    assert normalize._load_marks() == gen_marks.scan_marks()


def test_ranges_round_trip() -> None:
    chars = "\u0300\u0301\u0302\u0483\u20d0"
    assert gen_marks.to_ranges(chars) == ((0x300, 0x302), (0x483, 0x483), (0x20D0, 0x20D0))
    assert gen_marks.from_ranges(gen_marks.to_ranges(chars)) == chars
