"""The near-duplicate body keys as first written (per-shingle BLAKE2b, a Python ``min``
per row), kept as the reference ``monitor.alerts.nearbody.legacy_body_keys`` must
reproduce (story indexes written by earlier releases hold these keys), and the texts
the golden files cover; and the body2 keys' words and MinHash values as first computed
(the whole text folded at once; a set of shingle strings, each encoded and hashed),
which the faster ``nearbody.body_words`` and ``nearbody.signature`` must equal.

The keys are stored (story index), so the legacy keys must be these bit for bit:
``tests/data/nearbody_golden.json`` holds this implementation's keys for the fixture
stories, the seeds and a few hundred generated texts in six languages, and
``tests/unit/test_nearbody_golden.py`` checks both against it. ``bench/bench_nearbody.py``
times this against both kinds of key. Pure: no I/O but reading the fixture files.
"""

from __future__ import annotations

import hashlib
import random
import re
import struct
import zlib
from pathlib import Path

from monitor.alerts.nearbody import _A, _B, BANDS, MAX_WORDS, ROWS, shingles
from monitor.sources.furniture import strip_furniture
from monitor.text.normalize import fold_text

_PER_DIGEST = 16
_SALTS = tuple(struct.pack(">Q", n) for n in range(BANDS * ROWS // _PER_DIGEST))
_UNPACK = struct.Struct(f">{_PER_DIGEST}I").unpack
MIN_WORDS = 40

ROOT = Path(__file__).parents[1]
SOURCES = sorted(
    [*(ROOT / "tests" / "fixtures" / "stories").glob("*.txt"), *(ROOT / "seeds").glob("*.txt")]
)


def _row_hashes(shingle: str) -> list[int]:
    data = shingle.encode("utf-8", "surrogatepass")
    values: list[int] = []
    for salt in _SALTS:
        values += _UNPACK(hashlib.blake2b(data, digest_size=64, salt=salt).digest())
    return values


def reference_signature(words: list[str]) -> list[int]:
    return list(map(min, zip(*map(_row_hashes, shingles(words)), strict=True)))


def reference_body_words(body: str) -> list[str]:
    """``nearbody.body_words`` as first written: the whole text folded, then its words."""
    return re.findall(r"\w+", fold_text(strip_furniture(body)))[:MAX_WORDS]


def reference_signature2(words: list[str]) -> list[int]:
    """The body2 MinHash values (``nearbody.signature``) in Python integers, over the
    set of shingle strings: row ``i`` is the least high half of ``a_i * x + b_i`` mod
    2**64 over the shingles' CRC-32 ``x`` (the ``nearbody`` module docstring)."""
    hashes = [zlib.crc32(s.encode("utf-8", "surrogatepass")) for s in shingles(words)]
    if not hashes:
        return []
    return [
        min(((int(a) * x + int(b)) % 2**64) >> 32 for x in hashes)
        for a, b in zip(_A, _B, strict=True)
    ]


def reference_body_keys(body: str) -> tuple[str, ...]:
    """``nearbody.body_keys`` as first written (no cache)."""
    words = reference_body_words(body)
    if len(words) < MIN_WORDS:
        return ()
    values = reference_signature(words)
    keys = []
    for band in range(BANDS):
        rows = values[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f">{ROWS}I", *rows), digest_size=12).hexdigest()
        keys.append(f"body:{band}:{digest}")
    return tuple(keys)


_SENTENCE = re.compile(r"(?<=[.!?؟…])\s+")
FURNITURE = ("\n\nRead more: https://example.com/story", "\n\n(more)", "\n\nالمصدر: سبوتنيك")


def golden_texts(per_source: int = 40, seed: int = 11) -> dict[str, str]:
    """Named texts: every fixture story and seed as it is, then ``per_source`` texts made
    from each by a seeded ``random.Random``: its sentences shuffled, cut, repeated, some
    upper-cased, some with furniture appended, some short enough to get no keys."""
    rng = random.Random(seed)
    texts: dict[str, str] = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        texts[path.name] = text
        sentences = [s for s in _SENTENCE.split(text) if s.strip()]
        words = text.split()
        for n in range(per_source):
            kind = n % 5
            if kind == 0:  # a short teaser: fewer words than MIN_WORDS, or just above
                made = " ".join(words[: rng.randint(5, 60)])
            elif kind == 1:  # sentences shuffled
                made = " ".join(rng.sample(sentences, len(sentences)))
            elif kind == 2:  # a random run of words, repeated in part
                start = rng.randrange(len(words))
                run = words[start:] + words[: rng.randint(0, len(words))]
                made = " ".join(run * rng.randint(1, 3))
            elif kind == 3:  # upper-cased with furniture
                made = text.upper() + rng.choice(FURNITURE)
            else:  # words drawn at random (with digits and punctuation now and then)
                made = " ".join(
                    rng.choice(words) + rng.choice(["", "", "", ",", ".", " 2022", " «"])
                    for _ in range(rng.randint(30, 400))
                )
            texts[f"{path.name}#{n}"] = made
    return texts
