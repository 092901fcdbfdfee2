"""Near-duplicate bodies: MinHash over word shingles, LSH bands as story keys.

A republication whose headline was rewritten keeps the wire text: an outlet adds an
intro or credit line, cuts the last paragraph, fixes a word. ``body_keys`` names the
body so that such copies share at least one key with high probability while different
stories (even on the same topic, quoting the same spokesman) share none.

* The body is furniture-stripped (``strip_furniture``: a web copy's "Read more" and
  continuation markers are not the story), folded like matching text (``fold_text``:
  case, accents, Arabic marks and letter variants, digits) and cut to its first
  ``MAX_WORDS`` words: the lead carries the story; what a copy appends or cuts at the
  end then weighs little.
* Its shingles are the runs of ``SHINGLE`` consecutive words; the similarity of two
  bodies is the Jaccard index of their shingle sets.
* ``BANDS`` x ``ROWS`` MinHash values (the least of each row's hash over the
  shingles); each band of ``ROWS`` values is one key, ``"body2:<band>:<hash>"``. Two
  bodies share a key with probability ``1 - (1 - J**ROWS) ** BANDS``: with 32 x 8 that
  is 0.997 at J = 0.8, 0.85 at J = 0.7, 0.12 at J = 0.5, 0.0002 at J = 0.3 (the
  S-curve's midpoint, ``(1/BANDS) ** (1/ROWS)``, is 0.65). Measured on the fixtures of
  ``tests/unit/test_nearbody.py``: an outlet's intro line added J = 0.84, the last
  paragraph cut 0.88, both 0.81 (all grouped); two Peskov stories of one day sharing a
  background paragraph 0.12, another spokesman on the same talks 0.05 (not grouped).
* Bodies under ``MIN_WORDS`` words get no keys: a two-line feed teaser is too short
  for its shingles to tell one story from another.

Row hashes: each shingle is hashed once (CRC-32: the rows' functions below do the
mixing, and two shingles share a value about once in 4 billion), and row ``i`` maps that
value ``x`` to the high 32 bits of ``(a_i * x + b_i) mod 2**64`` (multiply-add-shift,
a 2-independent family: Dietzfelbinger 1996), for all rows and shingles in a few numpy
operations. Hand-rolled rather
than ``datasketch``: the keys are stored, so they must be the same in every process and
release; that library's hash functions and seeded generator are its own to change.
Here ``a_i`` and ``b_i`` come from SHAKE-256 of a fixed string, and
``tests/data/nearbody2_golden.json`` pins the keys.

``legacy_body_keys`` gives the keys of earlier releases (``"body:<band>:<hash>"``: one
salted 64-byte BLAKE2b digest per 16 rows and shingle, ~16 times the hashing), which a
story index written by them holds; ``monitor.alerts.keyversion`` says while they are
still looked up. ``tests/data/nearbody_golden.json`` pins them. Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from monitor.sources.furniture import strip_furniture
from monitor.text.normalize import fold_text

SHINGLE = 3
MAX_WORDS = 300
MIN_WORDS = 40
BANDS = 32
ROWS = 8

_WORD = re.compile(r"\w+")
# Row hashes: each shingle through keyed BLAKE2b, one 64-byte digest per salt read as 16
# big-endian 32-bit values (independent hash functions, as MinHash needs): one C call per
# 16 rows. Fixed salts rather than random seeds keep the stored keys the same in every
# process and every release. The hashers are made once and copied per shingle, which is
# cheaper than building one from its parameters.
_PER_DIGEST = 16
_SALTS = tuple(struct.pack(">Q", n) for n in range(BANDS * ROWS // _PER_DIGEST))
_HASHERS = tuple(hashlib.blake2b(digest_size=64, salt=salt) for salt in _SALTS)
_ROW = np.dtype(">u4")
# The row hash functions of the current keys (see the module docstring): 64-bit a_i
# and b_i, a 32-bit shingle hash x, and row i's value the high 32 bits of
# a_i * x + b_i mod 2**64 (uint64 arithmetic wraps: no modulo to compute).
_PERMUTATIONS = BANDS * ROWS
_DRAWN = np.frombuffer(
    hashlib.shake_256(b"monitor.alerts.nearbody body2").digest(16 * _PERMUTATIONS), dtype="<u8"
)
_A = _DRAWN[:_PERMUTATIONS]
_B = _DRAWN[_PERMUTATIONS:]
_HIGH = np.uint64(32)
_SPACE = ord(" ")


# Only alerting items are keyed, and each process holds its own cache: 32k chunks keep
# a news stream's common ones, and a larger cache gained next to no hits.
@lru_cache(maxsize=32_768)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    """The folded words of one whitespace-free chunk (``Ukraine.``, ``NATO-Russia``)."""
    return tuple(_WORD.findall(fold_text(chunk)))


def body_words(body: str) -> list[str]:
    """The folded words of the body's lead (furniture removed), at most ``MAX_WORDS``.

    The words of ``fold_text`` of the whole text, read chunk by chunk: folding keeps a
    whitespace character whitespace and never joins across one (each is a starter that
    composes with nothing), and no word holds one, so the text's words are its chunks'
    words in order. News repeats its chunks, so most come from a cache, and the chunks
    after the lead are never folded: that was most of the cost of keying a body."""
    words: list[str] = []
    for chunk in strip_furniture(body).split():
        words += _chunk_words(chunk)
        if len(words) >= MAX_WORDS:
            return words[:MAX_WORDS]
    return words


def shingles(words: list[str]) -> set[str]:
    """The runs of ``SHINGLE`` consecutive words (the whole list when it is shorter)."""
    if len(words) <= SHINGLE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def jaccard(a: str, b: str) -> float:
    """The similarity ``body_keys`` approximates (for tests and tuning)."""
    sa, sb = shingles(body_words(a)), shingles(body_words(b))
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def _legacy_signature_array(words: list[str]) -> npt.NDArray[np.uint32]:
    digests: list[bytes] = []
    add = digests.append
    for shingle in shingles(words):
        data = shingle.encode("utf-8", "surrogatepass")
        for prototype in _HASHERS:
            hasher = prototype.copy()
            hasher.update(data)
            add(hasher.digest())
    if not digests:  # no words: no values
        return np.empty(0, dtype=_ROW)
    rows = np.frombuffer(b"".join(digests), dtype=_ROW).reshape(-1, BANDS * ROWS)
    least: npt.NDArray[np.uint32] = rows.min(axis=0)
    return least


def _shingle_hashes(words: list[str]) -> npt.NDArray[np.uint64]:
    """The CRC-32 of every shingle's UTF-8, one per run of words (a repeated shingle
    repeats its value, which no minimum minds): slices of the lead encoded once, cut
    at the offsets of its spaces (no word holds a space, and no other character's UTF-8
    holds its byte) and hashed by C functions mapped over them, rather than each run
    joined, encoded and hashed in a Python loop."""
    data = " ".join(words).encode("utf-8", "surrogatepass")
    if len(words) <= SHINGLE:
        return np.array([zlib.crc32(data)], np.uint64)
    spaces = np.flatnonzero(np.frombuffer(data, np.uint8) == _SPACE)
    # shingle i runs from word i's start to the space after word i + SHINGLE - 1
    starts = [0, *(spaces + 1).tolist()]
    ends = [*spaces[SHINGLE - 1 :].tolist(), len(data)]
    pieces = map(data.__getitem__, map(slice, starts, ends))
    return np.fromiter(map(zlib.crc32, pieces), dtype=np.uint64, count=len(ends))


def least_rows(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """The ``BANDS * ROWS`` MinHash values of the shingles whose 32-bit hashes these are:
    row ``i``'s least high half of ``a_i * x + b_i`` (module docstring)."""
    rows = np.multiply.outer(hashes, _A)  # shingles x rows, in place
    rows += _B
    # the least high half is the least value's high half (a shift keeps the order)
    least: npt.NDArray[np.uint32] = (rows.min(axis=0) >> _HIGH).astype(np.uint32)
    return least


def _signature_array(words: list[str]) -> npt.NDArray[np.uint32]:
    if not words:  # no words: no values
        return np.empty(0, dtype=np.uint32)
    return least_rows(_shingle_hashes(words))


def signature(words: list[str]) -> list[int]:
    """The ``BANDS * ROWS`` MinHash values of the words' shingles."""
    return [int(value) for value in _signature_array(words)]


def _band_keys(prefix: str, values: npt.NDArray[np.uint32]) -> tuple[str, ...]:
    packed = values.astype(_ROW).tobytes()  # the bands, big-endian
    width = ROWS * _ROW.itemsize
    return tuple(
        f"{prefix}:{band}:"
        + hashlib.blake2b(packed[band * width : (band + 1) * width], digest_size=12).hexdigest()
        for band in range(BANDS)
    )


@lru_cache(maxsize=64)  # one item is decided once per watchlist it matches
def body_keys(body: str) -> tuple[str, ...]:
    """The LSH band keys of the body, ``"body2:<band>:<hash>"``; none for short bodies."""
    words = body_words(body)
    if len(words) < MIN_WORDS:
        return ()
    return _band_keys("body2", _signature_array(words))


@lru_cache(maxsize=64)
def legacy_body_keys(body: str) -> tuple[str, ...]:
    """The keys earlier releases stored, ``"body:<band>:<hash>"`` (module docstring)."""
    words = body_words(body)
    if len(words) < MIN_WORDS:
        return ()
    return _band_keys("body", _legacy_signature_array(words))
