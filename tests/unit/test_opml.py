"""OPML in and out (issue #15): export then import gives the same feeds; hostile OPML
(entity bombs, XXE, DTDs, not XML, not OPML) ends in one line naming the file; the
commands write YAML for a config file and never echo a secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.config.loader import load_config
from monitor.config.opml import export_opml, import_opml
from monitor.errors import ConfigError

CONFIG = """
feeds:
  - id: sputnik-ar
    url: https://example.org/rss
    language: ar
    tags: [wire, state-media]
  - id: wire-api
    url: https://api.example.org/wire.xml?edition=ru
    headers: {X-Api-Key: "${WIRE_KEY}"}
    auth: {username: desk, password: "${WIRE_PASSWORD}"}
  - id: desk-drop
    path: ./inbox
"""
ENV = {"WIRE_KEY": "k3y-Sup3r-S3cret", "WIRE_PASSWORD": "pa55-Sup3r-S3cret"}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_export_then_import_gives_the_same_feeds(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "monitor.yaml", CONFIG), env=ENV)
    document, notes = export_opml(config)
    assert 'version="2.0"' in document
    assert all(secret not in document for secret in ENV.values())
    assert "desk-drop: a drop folder, no URL: left out" in notes
    assert "wire-api: headers, auth not exported" in notes
    imported = import_opml(document.encode(), "feeds.opml")
    assert imported.notes == []
    # the imported YAML, as a config file of its own, loads to the same URL feeds
    path = _write(tmp_path, "imported.yaml", imported.to_yaml("feeds.opml"))
    again = load_config(path)

    def fields(feeds: list) -> list:  # type: ignore[type-arg]
        return [(f.id, f.url, f.language, f.tags) for f in feeds if f.url]

    assert fields(again.feeds) == fields(config.feeds)


def test_folders_and_categories_become_tags_and_ids_stay_unique(tmp_path: Path) -> None:
    document = b"""<?xml version="1.0"?>
<opml version="1.0"><head/><body>
  <outline text="Wires &amp; Agencies">
    <outline text="R\xc3\xa9uters World" type="rss" xmlUrl="https://r.example/world"/>
    <outline text="Reuters World" type="rss" xmlUrl="https://r.example/world2"
             category="/news/russia,/desk"/>
  </outline>
  <outline text="Old" type="rss" xmlUrl="https://example.org/rss"/>
  <outline text="Broken" type="rss" xmlUrl="ftp://files.example/feed"/>
  <outline text="Just a link" type="link" url="https://example.org/"/>
</body></opml>"""
    existing = load_config(_write(tmp_path, "monitor.yaml", CONFIG), env=ENV)
    imported = import_opml(document, "in.opml", existing)
    assert [(f["id"], f.get("tags")) for f in imported.feeds] == [
        ("reuters-world", ["wires-agencies"]),
        ("reuters-world-2", ["wires-agencies", "russia", "desk"]),
    ]
    assert any(
        "'Old': left out: the config has this URL already (sputnik-ar)" in n for n in imported.notes
    )
    assert any("'Broken': left out: bad URL" in note for note in imported.notes)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<opml version="2.0"><body><outline text="&d;" xmlUrl="https://example.org/"/></body></opml>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&x;" xmlUrl="https://example.org/"/></body></opml>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE opml SYSTEM "http://127.0.0.1:9/opml.dtd">
<opml version="2.0"><body/></opml>"""


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (BOMB, "refused: the file declares a DTD or entities"),
        (XXE, "refused: the file declares a DTD or entities"),
        (EXTERNAL_DTD, "refused: the file declares a DTD or entities"),
        (b"<opml><body>", "not well-formed XML"),
        (b"<rss version='2.0'/>", "not OPML (the document element is <rss>)"),
        (b"<opml version='2.0'><head/></opml>", "OPML without a <body>"),
    ],
    ids=["bomb", "xxe", "external-dtd", "broken", "rss", "no-body"],
)
def test_hostile_or_wrong_opml_is_one_line_naming_the_file(data: bytes, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        import_opml(data, "evil.opml")
    (line,) = caught.value.problems
    assert line.startswith("evil.opml: ") and expected in line and "\n" not in line
    assert "root:" not in line  # /etc/passwd was never read


def _monitor(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_commands_write_opml_and_yaml_and_keep_the_users_files(tmp_path: Path) -> None:
    config = _write(tmp_path, "monitor.yaml", CONFIG)
    exported = _monitor(["feeds", "export", "--config", str(config)], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert 'xmlUrl="https://example.org/rss"' in exported.stdout
    assert all(secret not in exported.stdout + exported.stderr for secret in ENV.values())
    opml = _write(tmp_path, "feeds.opml", exported.stdout)
    # against the same config every feed is known already: nothing new, each one named
    same = _monitor(["feeds", "import", str(opml), "--config", str(config)], tmp_path)
    assert same.returncode == 0 and yaml.safe_load(same.stdout) == {"feeds": []}
    assert "'sputnik-ar': left out: the config has this URL already" in same.stderr
    out = tmp_path / "conf.d" / "imported.yaml"
    out.parent.mkdir()
    fresh = _write(tmp_path, "empty.yaml", "feeds: []\n")
    made = _monitor(
        ["feeds", "import", str(opml), "--output", str(out), "--config", str(fresh)], tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert [f["id"] for f in yaml.safe_load(out.read_text())["feeds"]] == ["sputnik-ar", "wire-api"]
    again = _monitor(["feeds", "import", str(opml), "--output", str(out)], tmp_path)
    assert again.returncode == 1 and "cannot write: File exists" in again.stderr
    bad = _write(tmp_path, "evil.opml", BOMB.decode())
    refused = _monitor(["feeds", "import", str(bad), "--config", str(fresh)], tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "evil.opml: refused" in refused.stderr
