"""What the onset loss asks of the decoder: the training targets and the onset cells' weights a recipe chooses
(:class:`rvae_server.model.recipe.Recipe` ``target`` and ``onset_loss``), two ways to let a drummer's timing
jitter live in the microtiming plane rather than the onset plane (measured in docs/quality.md, issue 21).

``target="grid"`` (:func:`snap_to_grid`)
    every onset one tick beside a straight-sixteenth or eighth-triplet position (ticks divisible by 6 or 8)
    moves onto it, its offset added to its microtiming (half-ticks; clamped to the plane's ``[-1, 1]``: an offset
    of a whole tick is only half kept); two strokes of one instrument meeting on one position keep the louder.
``onset_loss="tolerant"`` (:func:`tolerant_weights`)
    the onset loss punishes a probability one tick beside a true onset of the same instrument less (those empty
    cells weigh the recipe's ``tolerance_weight``, 0 by default): the decoder may spread a stroke over its
    neighbour, and the peak picking of :mod:`rvae_server.core.peaks` plays it once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS

TARGETS = ("played", "grid")
ONSET_LOSSES = ("exact", "tolerant")
GRID_STEPS = (6, 8)


def _grid_target() -> NDArray[np.int64]:
    """For each tick, the tick its onsets move to (itself, or the grid position one tick away; ties: earlier)."""
    grid = np.zeros(TICKS, dtype=bool)
    for step in GRID_STEPS:
        grid[::step] = True
    target = np.arange(TICKS)
    for t in np.flatnonzero(~grid):
        for d in (-1, 1):
            if 0 <= t + d < TICKS and grid[t + d]:
                target[t] = t + d
                break
    return target


def snap_to_grid(bars: NDArray[np.float32]) -> NDArray[np.float32]:
    """Bars ``(N, 3, 96, 9)`` with the onsets beside the grid moved onto it (see the module docstring)."""
    target = _grid_target()
    out = np.zeros_like(bars)
    order = np.argsort(target != np.arange(TICKS), kind="stable")  # onsets on the grid first, then the movers
    for t in order:
        g = target[t]
        on = bars[:, 0, t] > 0.5  # (N, 9)
        mt = np.clip(bars[:, 2, t] + 2.0 * (t - g), -1.0, 1.0)
        louder = on & ((out[:, 0, g] < 0.5) | (bars[:, 1, t] > out[:, 1, g]))
        out[:, 0, g] = np.where(louder, 1.0, out[:, 0, g])
        out[:, 1, g] = np.where(louder, bars[:, 1, t], out[:, 1, g])
        out[:, 2, g] = np.where(louder, mt, out[:, 2, g])
    return out


def tolerant_weights(bars: NDArray[np.float32], weight: float = 0.0) -> NDArray[np.float32]:
    """Onset-cell weights ``(N, 96 * 9)`` (the network's flat layout): ``weight`` on an empty cell one tick beside
    a true onset of its instrument, 1 elsewhere."""
    on = bars[:, 0] > 0.5
    beside = np.zeros_like(on)
    beside[:, 1:] |= on[:, :-1]
    beside[:, :-1] |= on[:, 1:]
    return np.where(beside & ~on, weight, 1.0).astype(np.float32).reshape(len(bars), -1)


__all__ = ["ONSET_LOSSES", "TARGETS", "snap_to_grid", "tolerant_weights"]
