"""The language identifier: py3langid's model and answers, over our own feature walk.

py3langid's ``classify`` and ``rank`` spend most of their time walking the text's
bytes. In the compiled build that walk is ``monitor.text.langwalk``'s, a C loop;
in the pure build it stays py3langid's ``visit_counts``, the faster of the two
when interpreted. The rest is py3langid's scoring, repeated here operation for
operation (the same numpy calls on the same arrays in the same order, hence the
same floats; the model's table is kept in float32, the type the product is
computed in): tests/unit/test_langident.py requires identical answers over the
corpus and the labelled sets. Only what ``monitor.text.language`` asks for: text
as ``str``, normalised probabilities, no confidence floor. Pure: no I/O.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from functools import partial
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray
from py3langid.langid import visit_counts

from monitor.text import langwalk
from monitor.text.langmodel import WalkTables
from monitor.text.langwalk import LIMIT, WIDTH, FeatureWalk

Walk = Callable[[bytes], Mapping[int, int] | None]  # bytes -> {feature: count}, in order

# mypyc compiled langwalk when it is an extension module, not its source.
COMPILED = not str(langwalk.__file__).endswith(".py")


def feature_walk(ident: Any) -> FeatureWalk:
    """``FeatureWalk`` over a py3langid ``LanguageIdentifier``'s DFA tables."""
    moves = np.frombuffer(ident.tk_nextmove, dtype=f"u{ident.tk_nextmove.itemsize}")
    rows = np.frombuffer(ident.tk_row, dtype=f"u{ident.tk_row.itemsize}")
    output = np.asarray(ident.tk_output, dtype=np.int64)
    features = np.where(output >= 0, output + 1, 0)
    if max(len(rows), len(moves) // 256, int(features.max(initial=0))) >= LIMIT:
        raise ValueError("a model too large for the walk's tables")
    states = np.concatenate([_numbers(rows), _numbers(features)], axis=1)
    return FeatureWalk(_numbers(moves).tobytes(), states.tobytes(), len(ident.nb_ptc))


def _numbers(values: NDArray[Any]) -> NDArray[np.uint8]:
    """Each value (below ``LIMIT``) as ``WIDTH`` little-endian bytes, one row each."""
    return np.asarray(values, dtype="<u4").view(np.uint8).reshape(-1, 4)[:, :WIDTH]


class Identifier:
    """``classify`` and ``rank`` as py3langid's ``LanguageIdentifier`` with
    ``norm_probs=True`` answers them, for the model it was built from."""

    def __init__(
        self,
        walk: Walk,
        ptc: NDArray[Any],
        pc: NDArray[Any],
        classes: list[str],
        feature: FeatureWalk | None = None,
    ) -> None:
        self.walk = walk
        self.feature = feature  # the compiled walk (``walk`` is its ``counts``), to cache
        self.ptc = ptc
        self.pc = pc
        self.classes = classes
        # Columns of a label seen before (script aliases, srl -> sr): (first, dupe).
        first: dict[str, int] = {}
        self.alias_pairs: list[tuple[int, int]] = []
        for i, label in enumerate(classes):
            if label in first:
                self.alias_pairs.append((first[label], i))
            else:
                first[label] = i

    @classmethod
    def from_py3langid(cls, ident: Any) -> Identifier:
        """The same model as a py3langid ``LanguageIdentifier`` (restricted or not)."""
        if not ident._norm_probs or ident.min_confidence is not None:
            raise ValueError("only normalised probabilities without a confidence floor")
        # The product is computed in float32: converting the half-precision table
        # once gives the same values the product would convert on every call.
        ptc = np.asarray(ident.nb_ptc, dtype=np.float32)
        classes = list(ident.nb_classes)
        if COMPILED:
            feature = feature_walk(ident)
            return cls(feature.counts, ptc, ident.nb_pc, classes, feature)
        rowbase = [row << 8 for row in ident.tk_row]
        walk = partial(visit_counts, ident.tk_nextmove, rowbase, ident.tk_output)
        return cls(walk, ptc, ident.nb_pc, classes)

    @classmethod
    def from_tables(cls, tables: WalkTables) -> Identifier:
        """The compiled build's identifier from its cached ``tables`` (``tables()``)."""
        feature = FeatureWalk(tables.moves, tables.states, len(tables.ptc))
        return cls(feature.counts, tables.ptc, tables.pc, tables.classes, feature)

    def tables(self) -> WalkTables | None:
        """What ``from_tables`` needs to make this identifier again; None unless its walk
        is the compiled one."""
        if self.feature is None:
            return None
        return WalkTables(
            self.feature.moves, self.feature.states, self.ptc, self.pc, list(self.classes)
        )

    def _decide(self, text: str) -> NDArray[np.float32]:
        """py3langid's ``_decide``: a probability per class column."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        visits = self.walk(data)
        scores: NDArray[np.float32]
        if visits:
            idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
            counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
            scores = np.log1p(counts) @ self.ptc[idx] + self.pc
        else:
            scores = np.full(len(self.classes), 0.0, dtype=np.float32)
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for i, j in self.alias_pairs:
            scores[i] += scores[j]
            scores[j] = 0.0
        return scores

    def classify(self, text: str) -> tuple[str, float]:
        """The likeliest language and its probability."""
        scores = self._decide(text)
        i = int(scores.argmax())
        return self.classes[i], float(scores[i])

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every language with its probability, likeliest first, one entry per label."""
        merged: dict[str, float] = {}
        for label, score in zip(self.classes, self._decide(text).tolist(), strict=True):
            merged.setdefault(label, score)  # an alias's first column holds the sum
        return sorted(merged.items(), key=itemgetter(1), reverse=True)
