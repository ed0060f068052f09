"""What makes two patterns *the same*: the onset key, and its canonical rotation.

The key of a bar ignores velocity and microtiming: every onset's played time (``tick + microtiming / 2``) is
snapped to the nearest point of a grid (a tie goes to the earlier point; a note snapped onto the closing bar
line wraps to tick 0):

``musical`` (the default)
    the union of the sixteenth grid (every 6 ticks) and the eighth-triplet grid (every 8 ticks): ticks 0, 6, 8,
    12, 16, 18 of each beat. A two-bar pattern is then the paper's 32 sixteenth steps plus the triplet points,
    which keep shuffles and compound meters apart from straight patterns.
``sixteenths``
    the paper's grid alone: 16 steps a bar, 32 a pattern (``rvae mine --grid sixteenths``).

Two bars with the same key differ only in velocity and microtiming (a human drummer's timing within two ticks
of the grid included): they are near-duplicates. Finer notes share grid points (a thirty-second at tick 3 snaps
to 0).

A key is stored as its tick-column codes (one 9-bit code per tick, see
:func:`rvae_server.core.patterns.column_codes`), ``n × 96`` of them for an ``n``-bar pattern.

**Phase shifts.** The paper checks "every pattern … to be unique in all its possible phase shifts": a pattern and
the same pattern started a step, a beat or a bar later are one. The canonical form of a key is its
lexicographically greatest rotation (found among the rotations that start at a column holding the largest
code), so every phase shift of a pattern — all 32 sixteenth steps of it, and every tick — has one canonical key.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT
from rvae_server.core.patterns import column_codes

GRIDS: dict[str, tuple[int, ...]] = {"musical": (0, 6, 8, 12, 16, 18), "sixteenths": (0, 6, 12, 18)}
_GRID_TICKS = {
    name: np.array([b * TICKS_PER_BEAT + g for b in range(TICKS // TICKS_PER_BEAT) for g in points] + [TICKS],
                   dtype=np.float64)
    for name, points in GRIDS.items()
}  # fmt: skip


def snap_times(times: NDArray[np.floating], grid: str = "musical") -> NDArray[np.int64]:
    """Played times within a bar (ticks, about -0.5..95.5) → the nearest grid tick in ``0..95``."""
    points = _GRID_TICKS[grid]
    t = np.clip(np.asarray(times, dtype=np.float64), 0.0, float(TICKS))
    right = np.clip(np.searchsorted(points, t, side="left"), 1, len(points) - 1)
    left = right - 1
    pick = np.where(t - points[left] <= points[right] - t, left, right)
    return (points[pick].astype(np.int64)) % TICKS


def bar_keys(planes: NDArray[np.floating], grid: str = "musical") -> NDArray[np.int64]:
    """The keys of bars ``(N, 3, 96, 9)`` (planes onsets, velocities, microtiming) on ``grid`` → codes ``(N, 96)``."""
    arr = np.asarray(planes)
    n = arr.shape[0]
    snapped = np.zeros((n, TICKS, arr.shape[-1]), dtype=bool)
    b, t, i = np.nonzero(arr[:, 0] > 0.5)
    if b.size:
        times = t + arr[b, 2, t, i] / 2.0
        snapped[b, snap_times(times, grid), i] = True
    return column_codes(snapped)


def canonical(codes: NDArray[np.integer]) -> NDArray[np.int64]:
    """The canonical rotation of a key (codes of one pattern, 1-D): its lexicographically greatest rotation."""
    c = np.asarray(codes, dtype=np.int64)
    if c.size == 0:
        return c
    best: NDArray[np.int64] | None = None
    for start in np.flatnonzero(c == c.max()):
        rotated = np.roll(c, -int(start))
        if best is None or _greater(rotated, best):
            best = rotated
    assert best is not None
    return best


def _greater(a: NDArray[np.int64], b: NDArray[np.int64]) -> bool:
    diff = np.flatnonzero(a != b)
    return bool(diff.size) and bool(a[diff[0]] > b[diff[0]])


def digest(codes: NDArray[np.integer]) -> str:
    """A short hex digest naming a key (its length is part of it)."""
    c = np.ascontiguousarray(codes, dtype=np.uint16)
    return hashlib.blake2b(len(c).to_bytes(4, "little") + c.tobytes(), digest_size=10).hexdigest()


__all__ = ["GRIDS", "bar_keys", "canonical", "digest", "snap_times"]
