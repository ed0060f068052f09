"""Finding loops in one drum part: split at long pauses, then keep the bars and 2-bar patterns that repeat at
least ``min_repeats`` times in a row.

* A **long pause** is at least one whole bar without a drum onset: the part is split into segments of
  consecutive non-empty bars, and no loop spans a pause.
* Within a segment, bars are compared by their key (:mod:`rvae_server.mining.keys`: onsets snapped to the musical
  grid, velocity and microtiming ignored). A scan goes from left to right: at each bar, a run of at least
  ``min_repeats`` equal bars is a **1-bar loop** (repeated that many times); failing that, two different bars
  ``A B`` played ``A B A B …`` at least ``min_repeats`` times are a **2-bar loop**; either way the scan resumes
  after the run. Otherwise it moves on one bar.
* The default ``min_repeats`` is 4: our reading of the seed (Tikhonov & Yamshchikov keep patterns that repeat in
  a row; their exact figure could not be checked here). ``rvae mine --min-repeats`` changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DEFAULT_MIN_REPEATS = 4


@dataclass(frozen=True, slots=True)
class Loop:
    first: int  # index of its first bar in the part's bars
    length: int  # bars: 1 or 2
    repeats: int  # how many times it plays in a row


def segments(onset_counts: NDArray[np.integer]) -> list[tuple[int, int]]:
    """``[start, stop)`` bar ranges of consecutive bars with at least one onset (empty bars split the part)."""
    full = np.asarray(onset_counts) > 0
    out: list[tuple[int, int]] = []
    start = None
    for i, f in enumerate(full):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(full)))
    return out


def find_loops(keys: list[bytes], start: int, stop: int, min_repeats: int = DEFAULT_MIN_REPEATS) -> list[Loop]:
    """The loops of one segment ``[start, stop)`` of bars whose keys are ``keys`` (any comparable values)."""
    if min_repeats < 2:
        raise ValueError(f"min_repeats must be at least 2 (a loop plays at least twice), not {min_repeats}")
    loops: list[Loop] = []
    i = start
    while i < stop:
        run = 1
        while i + run < stop and keys[i + run] == keys[i]:
            run += 1
        if run >= min_repeats:
            loops.append(Loop(i, 1, run))
            i += run
            continue
        pairs = _pairs(keys, i, stop)
        if pairs >= min_repeats:
            loops.append(Loop(i, 2, pairs))
            i += 2 * pairs
            continue
        i += 1
    return loops


def _pairs(keys: list[bytes], i: int, stop: int) -> int:
    """How many times the 2-bar unit at ``i`` (two different bars) repeats from ``i`` on (0 if none)."""
    if i + 1 >= stop or keys[i] == keys[i + 1]:
        return 0
    n = 1
    while i + 2 * n + 1 < stop and keys[i + 2 * n] == keys[i] and keys[i + 2 * n + 1] == keys[i + 1]:
        n += 1
    return n


__all__ = ["DEFAULT_MIN_REPEATS", "Loop", "find_loops", "segments"]
