"""The cached, uncompressed language model answers as the packaged one, and a bad
cache costs only time.

Each test points ``MONITOR_CACHE_DIR`` at its own folder: the first load writes the
cache, the next reads it without touching py3langid's packaged model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from monitor.config.paths import cache_dir
from monitor.text import langmodel
from monitor.text.langident import Identifier
from monitor.text.language import LANGUAGES

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled"


def texts() -> list[str]:
    found = []
    for path in sorted(LABELLED.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("items") or []:
            found += [str(item.get("title") or ""), str(item["body"])]
    return [text for text in found if text]


def _no_packaged_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from py3langid.langid import LanguageIdentifier

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the packaged model was loaded")

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", refuse)


def test_second_load_reads_the_cache_and_answers_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    reference = langmodel.load_identifier(LANGUAGES)  # no cache yet: the packaged model
    written = langmodel.cache_path(LANGUAGES)
    assert written.parent == tmp_path and written.exists()
    _no_packaged_model(monkeypatch)
    cached = langmodel.load_identifier(LANGUAGES)
    assert cached.nb_classes == reference.nb_classes
    assert set(cached.nb_classes) == set(LANGUAGES)
    assert np.array_equal(cached.nb_ptc, reference.nb_ptc)
    assert cached.nb_ptc.dtype == reference.nb_ptc.dtype
    assert np.array_equal(cached.nb_pc, reference.nb_pc)
    assert cached.tk_nextmove == reference.tk_nextmove
    assert cached.tk_row == reference.tk_row
    assert cached.tk_output == reference.tk_output
    for text in texts():
        assert cached.rank(text) == reference.rank(text), text


def test_a_damaged_cache_falls_back_on_the_packaged_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    path = langmodel.cache_path(LANGUAGES)
    path.write_bytes(b"not a zip file")
    ident = langmodel.load_identifier(LANGUAGES)
    assert ident.classify("Der Kreml sieht keinen Grund für neue Verhandlungen")[0] == "de"
    assert path.read_bytes() != b"not a zip file"  # rewritten whole


def test_an_unwritable_cache_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(blocker / "monitor"))
    ident = langmodel.load_identifier(LANGUAGES)
    assert ident.classify("The Kremlin sees no grounds for new talks")[0] == "en"
    assert list(tmp_path.iterdir()) == [blocker]


def test_cache_folder_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MONITOR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "monitor"


def _walked(ident: object) -> Identifier:
    """An identifier over the compiled build's walk, on either build (the walk's source
    runs interpreted on the pure one)."""
    from monitor.text.langident import feature_walk

    feature = feature_walk(ident)
    base = Identifier.from_py3langid(ident)
    return Identifier(feature.counts, base.ptc, base.pc, base.classes, feature)


def _held_bytes(array: np.ndarray) -> int:
    """The size of the buffer ``array`` keeps alive."""
    base: object = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return len(base) if isinstance(base, bytes) else int(np.asarray(base).nbytes)


def test_walk_tables_read_back_exactly_and_answer_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    made = _walked(langmodel.load_identifier(LANGUAGES))
    tables = made.tables()
    assert tables is not None
    langmodel.write_walk_tables(LANGUAGES, tables)
    read = langmodel.load_walk_tables(LANGUAGES)
    assert read is not None
    assert (read.moves, read.states, read.classes) == (tables.moves, tables.states, tables.classes)
    for got, want in ((read.ptc, tables.ptc), (read.pc, tables.pc)):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want)
        # each holds its own section only, not the whole file (kept for the process's life)
        assert _held_bytes(got) == got.nbytes
    again = Identifier.from_tables(read)
    sample = texts()[::7]
    assert sample
    for text in sample:
        assert again.rank(text) == made.rank(text), text


def test_a_damaged_walk_cache_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    tables = _walked(langmodel.load_identifier(LANGUAGES)).tables()
    assert tables is not None
    langmodel.write_walk_tables(LANGUAGES, tables)
    path = langmodel.walk_cache_path(LANGUAGES)
    whole = path.read_bytes()
    for damaged in (whole[:-1], whole + b"x", b"", b"\xff" * 8 + whole[8:]):
        path.write_bytes(damaged)
        assert langmodel.load_walk_tables(LANGUAGES) is None


def test_the_identifier_comes_from_the_walk_cache_on_the_compiled_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled: the first process caches the walk's tables, the next one makes its
    identifier from them alone. Pure: no walk tables are cached (its walk is another)."""
    from monitor.text import language
    from monitor.text.langident import COMPILED

    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    first = language._load_identifier()
    walk_file = langmodel.walk_cache_path(LANGUAGES)
    assert walk_file.exists() == COMPILED
    if not COMPILED:
        assert first.tables() is None
        return

    def refuse(_languages: tuple[str, ...]) -> None:
        raise AssertionError("py3langid's model was loaded")

    monkeypatch.setattr(langmodel, "load_identifier", refuse)
    second = language._load_identifier()
    for text in texts()[::5]:
        assert second.rank(text) == first.rank(text), text


def test_writing_a_cache_removes_other_keys_caches_unused_for_a_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    now = time.time()
    old = now - langmodel.STALE_AFTER - 3600
    stale = [
        tmp_path / "py3langid-0000000000000000.npz",
        tmp_path / "py3langid-0000000000000000.walk",
    ]
    recent = tmp_path / "py3langid-1111111111111111.npz"  # another install, in use lately
    other = tmp_path / "notes.txt"  # not a model cache
    for path in (*stale, recent, other):
        path.write_bytes(b"x")
    for path in (*stale, other):
        os.utime(path, (old, old))
    os.utime(recent, (now - 86400, now - 86400))
    langmodel.load_identifier(LANGUAGES)  # no cache of this key yet: written now
    assert langmodel.cache_path(LANGUAGES).exists()
    assert not any(path.exists() for path in stale)
    assert recent.exists() and other.exists()
    # a key is in use when any of its files is: an old .npz beside a fresh .walk stays
    kept_npz = tmp_path / "py3langid-2222222222222222.npz"
    kept_npz.write_bytes(b"x")
    os.utime(kept_npz, (old, old))
    (tmp_path / "py3langid-2222222222222222.walk").write_bytes(b"x")
    assert langmodel.prune_stale(langmodel.cache_path(LANGUAGES)) == []
    assert kept_npz.exists()


def test_reading_a_cache_marks_it_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    langmodel.load_identifier(LANGUAGES)
    path = langmodel.cache_path(LANGUAGES)
    month_ago = time.time() - langmodel.STALE_AFTER
    os.utime(path, (month_ago, month_ago))
    langmodel.load_identifier(LANGUAGES)  # read from the cache
    assert time.time() - path.stat().st_mtime < 60
    # and a cache of this very key is never pruned for being old
    os.utime(path, (month_ago - 3600, month_ago - 3600))
    assert langmodel.prune_stale(path) == []
    assert path.exists()
    # the walk tables alike
    tables = _walked(langmodel.load_identifier(LANGUAGES)).tables()
    assert tables is not None
    langmodel.write_walk_tables(LANGUAGES, tables)
    walk = langmodel.walk_cache_path(LANGUAGES)
    os.utime(walk, (month_ago, month_ago))
    assert langmodel.load_walk_tables(LANGUAGES) is not None
    assert time.time() - walk.stat().st_mtime < 60
