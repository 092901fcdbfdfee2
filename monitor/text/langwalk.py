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
order (tests/unit/test_langident.py). Pure: no I/O.
"""

from __future__ import annotations

from typing import Final, cast

WIDTH: Final = 3  # bytes per number in the tables, little-endian
LIMIT: Final = 1 << (8 * WIDTH)  # numbers the tables can hold
ROW: Final = 256 * WIDTH  # bytes of a row of transitions, one per byte value
STATE: Final = 2 * WIDTH  # bytes of a state's entry: its row, its feature + 1 (0: none)


class FeatureWalk:
    """A model's DFA: ``counts(data)`` is ``{feature: count}`` of ``data``.

    ``moves`` holds the distinct transition rows (``ROW`` bytes each: the next
    state for each byte value); ``states`` each state's entry (``STATE`` bytes).
    The walk starts in state 0.
    """

    def __init__(self, moves: bytes, states: bytes) -> None:
        if len(moves) % ROW or len(states) % STATE or not states:
            raise ValueError("tables of whole rows and whole states, state 0 included")
        self.moves = moves
        self.states = states
        self.first = (states[0] | (states[1] << 8) | (states[2] << 16)) * ROW

    def counts(self, data: bytes) -> dict[int, int]:
        """Each feature ``data`` reaches and how often, in order of first reaching it."""
        moves = self.moves
        states = self.states
        found: dict[object, int] = {}
        row = self.first
        for letter in data:
            at = row + letter * WIDTH
            state = (moves[at] | (moves[at + 1] << 8) | (moves[at + 2] << 16)) * STATE
            row = (states[state] | (states[state + 1] << 8) | (states[state + 2] << 16)) * ROW
            feature = states[state + 3] | (states[state + 4] << 8) | (states[state + 5] << 16)
            if feature:
                key: object = feature - 1  # an int, made an object once, not per use
                found[key] = found.get(key, 0) + 1
        return cast(dict[int, int], found)
