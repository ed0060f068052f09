"""Shaping a decoded bar: thresholds per tick and instrument (per-instrument density), and swing. Pure functions.

Density
    A threshold offset per instrument (Mutable Grids' per-voice density), in
    :data:`~rvae_server.engine.api.DENSITY_RANGE` (the ranges live in the control API): positive =
    denser. The onset threshold of instrument ``i`` is ``clip(threshold - density[i], 0, 1)``.
Swing
    Roger Linn's swing in percent (:data:`MIN_SWING` = 50 straight … :data:`MAX_SWING` = 75) on 8ths or 16ths: in
    each pair of 8ths (24 ticks) or 16ths (12 ticks) the second one moves to ``swing %`` of the pair; every other
    position of the pair is stretched or squeezed linearly around it (a triplet between moves with it). Applied to
    the notes' positions after decoding, microtiming included, so the grid the model sees never changes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS, TICKS, Bar
from rvae_server.engine.api import DENSITY_RANGE, MAX_SWING, MIN_SWING, SWING_UNITS
from rvae_server.engine.plans import Plan


def cell_thresholds(threshold: float | NDArray[np.floating], densities: NDArray[np.floating]) -> NDArray[np.float64]:
    """``(96, 9)`` thresholds from a threshold (a number, or one per tick ``(96,)``) and densities (``(9,)``, or
    ``(96, 9)`` while they glide)."""
    thr = np.broadcast_to(np.asarray(threshold, dtype=np.float64).reshape(-1, 1), (TICKS, 1))
    dens = np.broadcast_to(np.asarray(densities, dtype=np.float64), (TICKS, N_INSTRUMENTS))
    return np.clip(thr - dens, 0.0, 1.0)


def threshold_cells(
    planes: NDArray[np.floating], thresholds: NDArray[np.floating], keep: NDArray[np.bool_] | None = None
) -> Bar:
    """A bar from decoded planes ``(3, 96, 9)`` (probability, velocity, microtiming; each tick may come from
    another point): an onset where probability ≥ its cell's threshold (``(96, 9)``) and ``keep`` (``(96, 9)`` or
    ``(9,)``; None: every instrument plays). Velocity clamped to [1/127, 1], microtiming to [-1, 1], as
    :func:`rvae_server.model.planes.threshold_planes` does with one threshold."""
    arr = np.asarray(planes, dtype=np.float32)
    onsets = arr[0] >= thresholds
    if keep is not None:
        onsets &= np.broadcast_to(np.asarray(keep, dtype=bool), (TICKS, N_INSTRUMENTS))
    return Bar.from_decoded(arr, onsets)


def swing_times(
    times: NDArray[np.floating], amount: float | NDArray[np.floating], unit: int | NDArray[np.integer]
) -> NDArray[np.float64]:
    """Positions (ticks, any origin on a bar line) moved by swing ``amount`` % on ``unit`` (8 or 16; both may be
    given per position). 50 % returns them unchanged."""
    t = np.asarray(times, dtype=np.float64)
    period = np.where(np.asarray(unit) == 8, 24.0, 12.0)
    s = np.clip(np.asarray(amount, dtype=np.float64), MIN_SWING, MAX_SWING) / 100.0
    pair = np.floor(t / period)
    u = t - pair * period
    half = period / 2.0
    warped = np.where(u < half, u * 2.0 * s, s * period + (u - half) * 2.0 * (1.0 - s))
    return np.asarray(pair * period + warped, dtype=np.float64)


def apply_swing(plan: Plan, amount: float | NDArray[np.floating], unit: int | NDArray[np.integer]) -> Plan:
    """The plan with its notes moved by swing (``amount`` and ``unit`` a number each, or one per tick ``(96,)``);
    the same plan when there is none."""
    amounts = np.asarray(amount, dtype=np.float64)
    if plan.positions.size == 0 or np.all(amounts <= MIN_SWING):
        return plan
    per_note = amounts[plan.ticks] if amounts.ndim else amounts
    units = np.asarray(unit)
    per_unit = units[plan.ticks] if units.ndim else units
    base = float(plan.bar_number * TICKS)
    moved = base + swing_times(plan.positions - base, per_note, per_unit)
    order = np.argsort(moved, kind="stable")
    return replace(
        plan,
        positions=moved[order],
        ticks=plan.ticks[order],
        instruments=plan.instruments[order],
        notes=plan.notes[order],
        velocities=plan.velocities[order],
    )


__all__ = [
    "DENSITY_RANGE",
    "MAX_SWING",
    "MIN_SWING",
    "SWING_UNITS",
    "apply_swing",
    "cell_thresholds",
    "swing_times",
    "threshold_cells",
]
