"""A bar of one melodic line on the drum bar's grid: what the melody model writes and the melody layer plays.

A :class:`Line` is up to 96 notes, at most one starting on each tick of the 96-tick bar (24 ticks a beat, the
drum grid of :mod:`rvae_server.core.bar`): onset tick, MIDI pitch, length in ticks (a note ends at or before the
next one starts, and at the bar line: the line of the next bar takes over there) and velocity 1..127. On the
grid it is three ``(96,)`` arrays (:meth:`Line.to_grid`): pitch (-1 where no note starts), length and velocity.

The seed's baseline writes **steps**: sixteenth notes (6 ticks), 16 a bar, 64 for a 4-bar loop. :func:`rolls`
(and :func:`piano_roll`) put a line on that grid and keep it a line, for the baseline's training targets: a note
starts on the step nearest its onset, the later of two notes nearest one step takes it, and a note sounds until
its end (rounded to a step, one step at least) or until the next note's step, whichever comes first. (The
filters read lines as an independent judge would, nothing merged: :func:`rvae_server.melody.grid.strict_roll`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rvae_server.core.bar import TICKS

I64 = NDArray[np.int64]
TICKS_PER_STEP = 6  # a sixteenth note
STEPS_PER_BAR = TICKS // TICKS_PER_STEP  # 16


@dataclass(frozen=True, slots=True)
class Line:
    """One bar of a monophonic line, notes sorted by tick (see the module docstring)."""

    ticks: I64
    pitches: I64
    lengths: I64
    velocities: I64

    @staticmethod
    def empty() -> Line:
        z = np.zeros(0, dtype=np.int64)
        return Line(z, z, z, z)

    @staticmethod
    def from_notes(notes: Sequence[tuple[int, int, int, int]]) -> Line:
        """From ``(tick, pitch, length, velocity)`` tuples; checked and made monophonic (see :func:`monophonic`)."""
        if not notes:
            return Line.empty()
        arr = np.asarray(notes, dtype=np.int64).reshape(-1, 4)
        return monophonic(arr[:, 0], arr[:, 1], arr[:, 3], arr[:, 2])

    @staticmethod
    def from_grid(pitch: ArrayLike, length: ArrayLike, velocity: ArrayLike) -> Line:
        """From the three ``(96,)`` grid arrays (pitch -1 where no note starts)."""
        p = np.asarray(pitch, dtype=np.int64)
        at = np.nonzero(p >= 0)[0]
        return monophonic(at, p[at], np.asarray(velocity, dtype=np.int64)[at], np.asarray(length, dtype=np.int64)[at])

    def to_grid(self) -> tuple[I64, I64, I64]:
        pitch = np.full(TICKS, -1, dtype=np.int64)
        length = np.zeros(TICKS, dtype=np.int64)
        velocity = np.zeros(TICKS, dtype=np.int64)
        pitch[self.ticks] = self.pitches
        length[self.ticks] = self.lengths
        velocity[self.ticks] = self.velocities
        return pitch, length, velocity

    def transpose(self, semitones: int) -> Line:
        return Line(self.ticks, np.clip(self.pitches + semitones, 0, 127), self.lengths, self.velocities)

    def notes(self) -> list[tuple[int, int, int, int]]:
        """``(tick, pitch, length, velocity)`` of each note, in order."""
        return [
            (int(t), int(p), int(n), int(v))
            for t, p, n, v in zip(self.ticks, self.pitches, self.lengths, self.velocities, strict=True)
        ]

    def __len__(self) -> int:
        return int(self.ticks.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Line):
            return NotImplemented
        return all(
            np.array_equal(a, b)
            for a, b in (
                (self.ticks, other.ticks),
                (self.pitches, other.pitches),
                (self.lengths, other.lengths),
                (self.velocities, other.velocities),
            )
        )

    __hash__ = None  # type: ignore[assignment]


def monophonic(
    ticks: ArrayLike, pitches: ArrayLike, velocities: ArrayLike, lengths: ArrayLike, lowest: bool = False
) -> Line:
    """One line from notes of one bar: of the notes starting on one tick the highest (``lowest``: the lowest)
    is kept; each note is cut where the next begins and at the bar line. Ticks must be 0..95, pitches 0..127;
    lengths become at least 1, velocities 1..127. Raises ``ValueError`` for notes off the bar."""
    t = np.asarray(ticks, dtype=np.int64).ravel()
    p = np.asarray(pitches, dtype=np.int64).ravel()
    v = np.asarray(velocities, dtype=np.int64).ravel()
    n = np.asarray(lengths, dtype=np.int64).ravel()
    if not (t.size == p.size == v.size == n.size):
        raise ValueError("a line's ticks, pitches, velocities and lengths need one entry per note")
    if t.size == 0:
        return Line.empty()
    if t.min() < 0 or t.max() >= TICKS:
        raise ValueError(f"a line's notes start on ticks 0..{TICKS - 1}, not {int(t.min())}..{int(t.max())}")
    if p.min() < 0 or p.max() > 127:
        raise ValueError("pitches are MIDI notes 0..127")
    order = np.lexsort((-p if lowest else p, t))  # per tick, the kept note last
    t, p, v, n = t[order], p[order], v[order], n[order]
    keep = np.ones(t.size, dtype=bool)
    keep[:-1] = t[1:] != t[:-1]
    t, p, v, n = t[keep], p[keep], v[keep], n[keep]
    room = np.empty_like(t)
    room[:-1] = t[1:] - t[:-1]
    room[-1] = TICKS - t[-1]
    n = np.clip(np.minimum(n, room), 1, None)
    return Line(t, p, n, np.clip(v, 1, 127))


def piano_roll(lines: Sequence[Line]) -> NDArray[np.bool_]:
    """Consecutive bars of lines as a ``(16 * len(lines), 128)`` roll of sixteenth-note steps (see
    :func:`rolls`)."""
    grids = [line.to_grid() for line in lines]
    pitch = np.stack([g[0] for g in grids])[None]
    length = np.stack([g[1] for g in grids])[None]
    return rolls(pitch, length)[0]


def _steps(pitch: NDArray[np.integer], length: NDArray[np.integer]) -> tuple[I64, ...]:
    """The notes of ``(N, bars, 96)`` grids on the step grid: row, global step, end step (exclusive), pitch, in
    order (see the module docstring)."""
    i, b, t = np.nonzero(pitch >= 0)
    p = pitch[i, b, t].astype(np.int64)
    step = np.minimum((t + TICKS_PER_STEP // 2) // TICKS_PER_STEP, STEPS_PER_BAR - 1)
    end = np.clip((t + np.maximum(length[i, b, t], 1) + TICKS_PER_STEP // 2) // TICKS_PER_STEP, step + 1, STEPS_PER_BAR)
    g = b * STEPS_PER_BAR + step  # np.nonzero gives row-major order: by row, bar, tick
    last = np.ones(g.size, dtype=bool)
    last[:-1] = (i[1:] != i[:-1]) | (g[1:] != g[:-1])  # the later note of one step wins
    i, b, g, end, p = i[last], b[last], g[last], b[last] * STEPS_PER_BAR + end[last], p[last]
    cut = np.empty_like(end)
    same_bar = np.zeros(g.size, dtype=bool)
    same_bar[:-1] = (i[1:] == i[:-1]) & (b[1:] == b[:-1])
    cut[:-1] = np.where(same_bar[:-1], g[1:], end[:-1])
    cut[-1:] = end[-1:]
    return i, g, np.minimum(end, cut), p


def rolls(pitch: NDArray[np.integer], length: NDArray[np.integer]) -> NDArray[np.bool_]:
    """Rolls of sounding notes, vectorised: ``pitch``, ``length`` ``(N, bars, 96)`` grid arrays (pitch -1 where no
    note starts) → ``(N, 16 * bars, 128)`` (see the module docstring)."""
    n, bars, _ = pitch.shape
    steps = STEPS_PER_BAR * bars
    i, start, end, p = _steps(pitch, length)
    marks = np.zeros((n, steps + 1, 128), dtype=np.int32)
    np.add.at(marks, (i, start, p), 1)
    np.add.at(marks, (i, end, p), -1)
    return np.cumsum(marks, axis=1)[:, :steps] > 0


def onsets_of(lines: Sequence[Line]) -> tuple[I64, I64]:
    """Steps and pitches of the notes of consecutive bars of lines as :func:`rolls` keeps them, in time order."""
    grids = [line.to_grid() for line in lines]
    _, g, _, p = _steps(np.stack([x[0] for x in grids])[None], np.stack([x[1] for x in grids])[None])
    return g, p


__all__ = ["STEPS_PER_BAR", "TICKS_PER_STEP", "Line", "monophonic", "onsets_of", "piano_roll", "rolls"]
