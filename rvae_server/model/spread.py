"""The spread of velocity and microtiming where the performer plays: a per-instrument affine map of the velocity
and microtiming heads' pre-activations, fitted at random pad points, stored in ``meta.json`` as ``space.spread``
and folded into the heads' weights when a model loads (as the calibrated threshold is folded into the onset
bias). Pure numpy.

Why: between its training bars the decoder's velocity and microtiming heads saturate (measured on set (b):
63 % of the notes at random pad points pushed or dragged by the full half tick, 12 % at velocity 1; the
training bars: 10 % and 1 %), so the pad plays flatter dynamics and sloppier timing than the clips
(overlapping area of the distributions 0.46 for microtiming). Each instrument's pre-activation ``u`` becomes
``a * u + c``: of :data:`SCALES` × :data:`SHIFTS`, the pair whose played notes at the pad points (seed 1, the
threshold's points) come nearest the training bars' notes of that instrument by overlapping area (16 bins, the
measure of :mod:`rvae_server.model.feel`). Instruments with fewer than :data:`MIN_NOTES` notes on either side
keep ``(1, 0)``.

``space.spread``: ``{"velocity": {instrument: [a, c]}, "microtiming": {instrument: [a, c]}}``. :func:`read_cap`
reads ``space.cap`` beside it (both are what a model's metadata says about its heads' output).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES

SCALES = np.geomspace(0.05, 1.5, 24)
SHIFTS = np.linspace(-1.0, 1.0, 9)
MIN_NOTES = 16
BINS = 16
_EPS = 1e-6
#: plane index, value range, and the head's inverse activation of each plane fitted
PLANES = {"velocity": (1, (0.0, 1.0)), "microtiming": (2, (-1.0, 1.0))}


def _inverse(plane: str, values: NDArray[np.floating]) -> NDArray[np.float64]:
    v = np.asarray(values, dtype=np.float64)
    if plane == "velocity":
        v = np.clip(v, _EPS, 1 - _EPS)
        return np.log(v / (1 - v))
    return np.arctanh(np.clip(v, -1 + _EPS, 1 - _EPS))


def _forward(plane: str, u: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1 / (1 + np.exp(-u)) if plane == "velocity" else np.tanh(u)


def _best_pair(plane: str, decoded: NDArray[np.floating], truth: NDArray[np.floating]) -> tuple[float, float]:
    """The (a, c) whose mapped ``decoded`` values overlap ``truth`` most (ties: the first, nearest a small map)."""
    lo, hi = PLANES[plane][1]
    u = _inverse(plane, decoded)
    scale = np.repeat(SCALES, len(SHIFTS))[:, None]
    shift = np.tile(SHIFTS, len(SCALES))[:, None]
    mapped = _forward(plane, scale * u[None, :] + shift)  # (pairs, n)
    index = np.clip(((mapped - lo) / (hi - lo) * BINS).astype(np.int64), 0, BINS - 1)
    rows = np.arange(len(index))[:, None] * BINS + index
    hist = np.bincount(rows.ravel(), minlength=len(index) * BINS).reshape(len(index), BINS) / u.size
    t_index = np.clip(((np.asarray(truth) - lo) / (hi - lo) * BINS).astype(np.int64), 0, BINS - 1)
    t_hist = np.bincount(t_index, minlength=BINS) / len(t_index)
    best = int(np.argmax(np.minimum(hist, t_hist[None, :]).sum(axis=1)))
    return round(float(scale[best, 0]), 4), round(float(shift[best, 0]), 4)


def fit_spread(played: NDArray[np.float32], decoded: NDArray[np.float32], bars: NDArray[np.float32]) -> dict[str, Any]:
    """``space.spread`` from the bars played at the pad points ``(M, 3, 96, 9)`` (for their onsets), the planes
    decoded there ``(M, 3, 96, 9)`` (the heads' values before any spread) and the training bars ``(N, 3, 96, 9)``."""
    on = played[:, 0] > 0.5
    true = bars[:, 0] > 0.5
    out: dict[str, Any] = {}
    for plane, (k, _) in PLANES.items():
        pairs: dict[str, list[float]] = {}
        for i, name in enumerate(INSTRUMENT_NAMES):
            mine, theirs = decoded[:, k, :, i][on[:, :, i]], bars[:, k, :, i][true[:, :, i]]
            if len(mine) < MIN_NOTES or len(theirs) < MIN_NOTES:
                pairs[name] = [1.0, 0.0]
                continue
            pairs[name] = list(_best_pair(plane, mine, theirs))
        out[plane] = pairs
    return out


def fold_spread(meta: dict[str, Any], weight: NDArray[np.float32], bias: NDArray[np.float32], cells: int) -> bool:
    """Fold a model's ``space.spread`` into its heads in place: ``weight`` ``(3 * cells, hidden)`` and ``bias``
    ``(3 * cells,)`` hold the onset, velocity and microtiming heads (cell = tick * 9 + instrument). Returns
    whether anything was folded (malformed entries are ignored)."""
    space = meta.get("space") if isinstance(meta.get("space"), dict) else {}
    spread = space.get("spread") if isinstance(space, dict) else None
    if not isinstance(spread, dict) or cells % len(INSTRUMENT_NAMES):
        return False
    done = False
    for plane, (k, _) in PLANES.items():
        pairs = spread.get(plane)
        if not isinstance(pairs, dict):
            continue
        a = np.ones(len(INSTRUMENT_NAMES), dtype=np.float32)
        c = np.zeros(len(INSTRUMENT_NAMES), dtype=np.float32)
        for i, name in enumerate(INSTRUMENT_NAMES):
            pair = pairs.get(name)
            if (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) for v in pair)
                and 0.0 < pair[0] <= 10.0
                and abs(pair[1]) <= 10.0
            ):
                a[i], c[i] = pair
        rows = slice(k * cells, (k + 1) * cells)
        scale = np.tile(a, cells // len(INSTRUMENT_NAMES))
        weight[rows] *= scale[:, None]
        bias[rows] = bias[rows] * scale + np.tile(c, cells // len(INSTRUMENT_NAMES))
        done = True
    return done


def read_cap(meta: dict[str, Any]) -> tuple[NDArray[np.int64], int] | None:
    """A model's ``space.cap`` (``{"instruments": {name: n}, "total": n}``, written by
    :func:`rvae_server.model.calibrate.fit_space`) as ``(limits (9,), total)``, or None when it has none or a
    malformed one (each limit a whole number 1..96, the total 1..864)."""
    space = meta.get("space") if isinstance(meta.get("space"), dict) else {}
    cap = space.get("cap") if isinstance(space, dict) else None
    if not isinstance(cap, dict) or not isinstance(cap.get("instruments"), dict):
        return None
    limits = [cap["instruments"].get(name) for name in INSTRUMENT_NAMES]
    total = cap.get("total")
    values = [*limits, total]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    if not all(1 <= v <= 96 for v in limits) or not 1 <= total <= 864:  # type: ignore[operator]
        return None
    return np.array(limits, dtype=np.int64), int(total)  # type: ignore[arg-type]


__all__ = ["fit_spread", "fold_spread", "read_cap"]
