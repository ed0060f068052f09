"""Finding the paper's patterns in one drum part: split at long pauses, then keep every **32-step (two-bar)
chunk** that plays at least ``min_repeats`` times in a row.

Tikhonov & Yamshchikov (§2.1, Table 1) split each track "into separate chunks based on long pauses" and keep a
chunk when ``length(new_chunk) == 32 and new_chunk³ ∈ drum_track``: a thirty-two-step pattern that "occurred at
least three times in a row". Here:

* A **long pause** is at least one whole bar without a drum onset: the part is split into segments of
  consecutive non-empty bars, and no pattern spans a pause.
* Bars are compared by their key (:mod:`rvae_server.mining.keys`: onsets snapped to the grid, velocity and
  microtiming ignored). A scan goes from left to right: at bar ``i`` the two-bar chunk ``i, i + 1`` is kept
  when it plays ``min_repeats`` times or more in a row (``A B A B A B`` …; a one-bar loop ``A A A A A A`` is the
  chunk ``A A``), and the scan resumes after its last whole repeat; otherwise it moves on one bar.
* ``min_repeats`` is 3 by default, the paper's ``new_chunk³``; ``rvae mine --min-repeats`` changes it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: The paper's rule: a 32-step pattern kept when it occurs at least three times in a row.
DEFAULT_MIN_REPEATS = 3
#: Bars in a pattern: 32 sixteenth steps of 4/4.
PATTERN_BARS = 2


@dataclass(frozen=True, slots=True)
class Loop:
    first: int  # index of its first bar in the part's bars
    length: int  # bars: always PATTERN_BARS
    repeats: int  # how many times it plays in a row


def segments(onset_counts: NDArray[np.integer]) -> list[tuple[int, int]]:
    """``[start, stop)`` bar ranges of consecutive bars with at least one onset (empty bars split the part)."""
    full = np.concatenate(([False], np.asarray(onset_counts) > 0, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(full))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def find_loops(keys: Sequence[Hashable], start: int, stop: int, min_repeats: int = DEFAULT_MIN_REPEATS) -> list[Loop]:
    """The patterns of one segment ``[start, stop)`` of bars whose keys are ``keys`` (any comparable values)."""
    if min_repeats < 2:
        raise ValueError(f"min_repeats must be at least 2 (a loop plays at least twice), not {min_repeats}")
    loops: list[Loop] = []
    need = PATTERN_BARS * min_repeats
    i = start
    while i + need <= stop:
        a, b = keys[i], keys[i + 1]
        n = 1
        while i + PATTERN_BARS * (n + 1) <= stop and keys[i + 2 * n] == a and keys[i + 2 * n + 1] == b:
            n += 1
        if n >= min_repeats:
            loops.append(Loop(i, PATTERN_BARS, n))
            i += PATTERN_BARS * n
        else:
            i += 1
    return loops


__all__ = ["DEFAULT_MIN_REPEATS", "PATTERN_BARS", "Loop", "find_loops", "segments"]
