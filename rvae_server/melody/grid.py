"""The paper's grid for melodic lines: where a line's notes may start, and the 64-step roll a judge reads.

**Onsets.** The paper writes a melody as 64 sixteenth steps × 128 pitches over 4 bars. Our lines live on the
drums' 24-ppqn bar and may also swing in triplets, so each **beat** of a line takes one of two grids (never a
mix of the two within a beat, which would put two onsets 2 ticks apart):

* straight sixteenths: ticks 0, 6, 12, 18 of the beat;
* eighth-note triplets: ticks 0, 8, 16 — chosen when the drums play more onsets on the triplet points (8, 16) of
  that beat than on the straight off-beats (6, 18).

:func:`onset_grid` gives every bar's allowed onset ticks; :func:`gather` moves a network's per-tick onset
probabilities onto them: each grid point takes the probability that at least one tick nearest to it would have
started a note (``1 − ∏(1 − p)``), so what the network would have played between grid points lands on the
nearest one instead of being lost. Notes last at least :data:`MIN_LENGTH` ticks (a sixteenth-note triplet).

**The judge's roll.** :func:`strict_roll` puts bars of lines on the 64-step grid the way a reader independent of
this project would: every note starts on the step nearest its onset and sounds until the step nearest its end
(one step at least), and nothing is merged — two notes that start on one step both sound there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rvae_server.core.bar import N_INSTRUMENTS, TICKS, TICKS_PER_BEAT
from rvae_server.melody.line import STEPS_PER_BAR, TICKS_PER_STEP, Line

BEATS = TICKS // TICKS_PER_BEAT
STRAIGHT = (0, 6, 12, 18)
TRIPLET = (0, 8, 16)
MIN_LENGTH = 4  # ticks: a sixteenth-note triplet


def triplet_beats(drums: ArrayLike) -> NDArray[np.bool_]:
    """Which beats of drum bars ``(B, 96, 9)`` (velocities or onsets) swing in triplets: ``(B, 4)``."""
    hits: NDArray[np.bool_] = np.asarray(
        (np.asarray(drums, dtype=np.float32).reshape(-1, BEATS, TICKS_PER_BEAT, N_INSTRUMENTS) > 0).any(axis=-1),
        dtype=bool,
    )
    triplet = hits[..., [7, 8, 9, 15, 16, 17]].sum(axis=-1)
    straight = hits[..., [5, 6, 18, 19]].sum(axis=-1)
    out: NDArray[np.bool_] = triplet > straight
    return out


def onset_grid(triplets: ArrayLike) -> NDArray[np.bool_]:
    """The ticks a line may start a note on, ``(B, 96)``, for beats that swing or not ``(B, 4)``."""
    trip = np.asarray(triplets, dtype=bool)
    beat = np.zeros((2, TICKS_PER_BEAT), dtype=bool)
    beat[0, list(STRAIGHT)] = True
    beat[1, list(TRIPLET)] = True
    out: NDArray[np.bool_] = beat[trip.astype(np.int64)].reshape(trip.shape[0], TICKS)
    return out


def _nearest(grid: NDArray[np.bool_]) -> NDArray[np.int64]:
    """For every tick of every bar ``(B, 96)``, the grid tick nearest to it in its beat (ties go earlier)."""
    b, n = grid.shape
    ticks = np.arange(n)
    out = np.zeros((b, n), dtype=np.int64)
    for row in range(b):
        points = np.flatnonzero(grid[row])
        dist = np.abs(ticks[:, None] - points[None, :])
        same_beat = (ticks[:, None] // TICKS_PER_BEAT) == (points[None, :] // TICKS_PER_BEAT)
        dist = np.where(same_beat, dist, TICKS)
        out[row] = points[np.argmin(dist, axis=1)]
    return out


def gather(prob: ArrayLike, grid: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per-tick onset probabilities ``(B, 96)`` moved onto ``grid`` (see the module docstring); 0 off the grid."""
    p = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0 - 1e-12)
    nearest = _nearest(grid)
    out = np.zeros_like(p)
    rows = np.repeat(np.arange(p.shape[0])[:, None], p.shape[1], axis=1)
    np.add.at(out, (rows, nearest), np.log1p(-p))
    return np.where(grid, -np.expm1(out), 0.0)


def strict_roll(lines: Sequence[Line]) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
    """Consecutive bars of lines as the judge reads them: the roll ``(16 × bars, 128)`` and every note's onset step
    and pitch in time order (see the module docstring)."""
    steps = STEPS_PER_BAR * len(lines)
    roll = np.zeros((steps, 128), dtype=bool)
    starts: list[NDArray[np.int64]] = []
    pitches: list[NDArray[np.int64]] = []
    for bar, line in enumerate(lines):
        offset = bar * TICKS
        begin = np.floor((line.ticks + offset) / TICKS_PER_STEP + 0.5).astype(np.int64)
        end = np.floor((line.ticks + line.lengths + offset) / TICKS_PER_STEP + 0.5).astype(np.int64)
        end = np.maximum(end, begin + 1)
        for a, z, p in zip(begin.tolist(), end.tolist(), line.pitches.tolist(), strict=True):
            roll[min(a, steps - 1) : min(z, steps), p] = True
        starts.append(np.minimum(begin, steps - 1))
        pitches.append(line.pitches)
    s = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    p = np.concatenate(pitches) if pitches else np.zeros(0, dtype=np.int64)
    order = np.argsort(s, kind="stable")
    return roll, s[order], p[order]


def on_grid_share(lines: Sequence[Line]) -> float:
    """Share of the lines' onsets on a sixteenth or an eighth-note triplet (every 6 or 8 ticks in the beat)."""
    ticks = np.concatenate([line.ticks for line in lines]) if lines else np.zeros(0, dtype=np.int64)
    if ticks.size == 0:
        return 1.0
    in_beat = ticks % TICKS_PER_BEAT
    return float(np.mean((in_beat % 6 == 0) | (in_beat % 8 == 0)))


__all__ = [
    "MIN_LENGTH",
    "STRAIGHT",
    "TRIPLET",
    "gather",
    "on_grid_share",
    "onset_grid",
    "strict_roll",
    "triplet_beats",
]
