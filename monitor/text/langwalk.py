"""The feature walk of the language model: which n-gram features a text holds, how often.

py3langid finds a text's features by walking a DFA over its UTF-8 bytes (one
transition per byte; a state may name a feature) in an interpreted loop, most of
a detection's time. This is the same walk for the compiled build
(``monitor/compiled.py``), where it becomes a C loop. Its tables are ``bytes``,
which compiled code reads without creating objects, and the states' rows and
features sit together in one small table, so a byte costs two reads that stay in
the processor's caches more often than py3langid's four. Interpreted, those reads
cost more than py3langid's loop: ``monitor.text.langident`` walks with this only
in the compiled build. The counts equal py3langid's ``visit_counts``, in the same
order (tests/unit/test_langident.py): the order of the features decides the order
of the scoring's sums, hence its floats. They are tallied in a list indexed by
feature (a dict would make an object of each feature number it meets), and the
order of first meeting is kept beside it. Every number of the walk is an ``i64``:
compiled, a machine integer, where a Python ``int`` goes through mypyc's checks
of tagged integers at each step. Pure: no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # native integers when compiled; plain ints when interpreted
    from mypy_extensions import i64

WIDTH: Final = 3  # bytes per number in the tables, little-endian
LIMIT: Final = 1 << (8 * WIDTH)  # numbers the tables can hold
ROW: Final = 256 * WIDTH  # bytes of a row of transitions, one per byte value
STATE: Final = 2 * WIDTH  # bytes of a state's entry: its row, its feature + 1 (0: none)


class FeatureWalk:
    """A model's DFA: ``counts(data)`` is ``{feature: count}`` of ``data``.

    ``moves`` holds the distinct transition rows (``ROW`` bytes each: the next
    state for each byte value); ``states`` each state's entry (``STATE`` bytes).
    The walk starts in state 0. ``features``: how many features the model has (its
    scoring table's rows), so the states name numbers up to it.
    """

    def __init__(self, moves: bytes, states: bytes, features: int) -> None:
        if len(moves) % ROW or len(states) % STATE or not states:
            raise ValueError("tables of whole rows and whole states, state 0 included")
        self.moves = moves
        self.states = states
        self.first = (states[0] | (states[1] << 8) | (states[2] << 16)) * ROW
        self.slots = features + 1  # a tally's: one per feature number, and 0 (none)
        # Tallies not in use, all zero. A walk takes one and gives it back zeroed:
        # ``list.pop`` and ``append`` are atomic, so threads walking at once each
        # have their own, and none is made per walk.
        self._spare: list[list[int]] = []

    def counts(self, data: bytes) -> dict[int, int]:
        """Each feature ``data`` reaches and how often, in order of first reaching it."""
        moves = self.moves
        states = self.states
        spare = self._spare
        tally = spare.pop() if spare else [0] * self.slots
        order: list[int] = []  # features + 1, in order of first reaching them
        row: i64 = self.first
        size: i64 = len(data)
        i: i64 = 0
        while i < size:
            letter: i64 = data[i]
            i += 1
            at: i64 = row + letter * WIDTH
            m0: i64 = moves[at]
            m1: i64 = moves[at + 1]
            m2: i64 = moves[at + 2]
            state: i64 = (m0 | (m1 << 8) | (m2 << 16)) * STATE
            r0: i64 = states[state]
            r1: i64 = states[state + 1]
            r2: i64 = states[state + 2]
            row = (r0 | (r1 << 8) | (r2 << 16)) * ROW
            f0: i64 = states[state + 3]
            f1: i64 = states[state + 4]
            f2: i64 = states[state + 5]
            feature: i64 = f0 | (f1 << 8) | (f2 << 16)
            if feature:
                seen: i64 = tally[feature]
                if not seen:
                    order.append(feature)
                tally[feature] = seen + 1
        found: dict[int, int] = {}
        for number in order:
            found[number - 1] = tally[number]
            tally[number] = 0
        spare.append(tally)
        return found
