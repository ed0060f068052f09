"""The seed's pattern filter: does a decoded bar look like a drum pattern? Pure numpy, no model.

A bar **passes** when it has

* at least :data:`MIN_ONSETS` (4) onsets,
* on at least :data:`MIN_INSTRUMENTS` (2) instruments, and
* a Shannon entropy of its 96 **tick-column codes** above :data:`ENTROPY_K`. A tick's code is the set of
  instruments struck on it, a 9-bit number (0 = nothing struck); the entropy (bits) is that of the
  distribution of the 96 codes of the bar. A bar of silence has entropy 0, four lone kicks 0.8, a
  straight rock beat (hat sixteenths, kick and snare) about 1.3, a busy funk bar 1.8.

:data:`ENTROPY_K` was calibrated once so that 82 % of the real bars of the Groove MIDI Dataset pass the
whole filter (the seed's real-data rate) — every used bar (2 or more onsets) of every clip the reader maps to
96-tick bars, beats and fills, all three splits::

    python scripts/calibrate_pattern_filter.py ../shared/data/groove

(:func:`calibrate_entropy_k`; the script prints the constant and the pass rate it gives.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS, TICKS

MIN_ONSETS = 4
MIN_INSTRUMENTS = 2
#: Entropy threshold (bits) of the tick-column codes; see the module docstring for how it was computed.
ENTROPY_K = 0.7276  # 81.97 % of 19,499 GMD bars pass (scripts/calibrate_pattern_filter.py)
#: Share of real bars the calibration aims at (the seed's real-data pass rate).
REAL_PASS_RATE = 0.82

_BITS = (1 << np.arange(N_INSTRUMENTS)).astype(np.int64)


def _onsets(bars: NDArray[np.generic]) -> NDArray[np.bool_]:
    """Onsets ``(N, 96, 9)`` from onsets ``(N, 96, 9)`` / ``(96, 9)`` or bars ``(N, 3, 96, 9)``."""
    arr = np.asarray(bars)
    if arr.ndim == 4:
        arr = arr[:, 0]
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] % TICKS or arr.shape[1] == 0 or arr.shape[2] != N_INSTRUMENTS:
        raise ValueError(f"onsets have shape (N, {TICKS} * bars, {N_INSTRUMENTS}), not {arr.shape}")
    return arr > 0.5 if arr.dtype != np.bool_ else arr


def column_codes(onsets: NDArray[np.generic]) -> NDArray[np.int64]:
    """The tick-column codes of onset planes ``(..., ticks, 9)``: bit ``i`` set when instrument ``i`` is struck on
    that tick, ``(..., ticks)`` integers in ``0..511``."""
    return (np.asarray(onsets) > 0.5).astype(np.int64) @ _BITS


def column_entropy(bars: NDArray[np.generic]) -> NDArray[np.float64]:
    """Shannon entropy (bits) of the 96 tick-column codes of each bar (of a pattern of several bars, its 96 × bars
    codes), ``(N,)``."""
    onsets = _onsets(bars)
    n, ticks = onsets.shape[:2]
    codes = np.sort(column_codes(onsets), axis=1)  # (N, 96): equal codes side by side
    starts = np.ones(codes.shape, dtype=bool)
    starts[:, 1:] = codes[:, 1:] != codes[:, :-1]
    runs = np.cumsum(starts, axis=1) - 1  # run index of each tick within its row
    counts = np.bincount((np.arange(n)[:, None] * ticks + runs).ravel(), minlength=n * ticks).reshape(n, ticks)
    p = counts / ticks
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, -p * np.log2(np.where(counts > 0, p, 1.0)), 0.0)
    entropy: NDArray[np.float64] = terms.sum(axis=1)
    return entropy


def basic_ok(bars: NDArray[np.generic]) -> NDArray[np.bool_]:
    """The count part of the filter: ≥ 4 onsets on ≥ 2 instruments, ``(N,)``."""
    onsets = _onsets(bars)
    enough_onsets = onsets.sum(axis=(1, 2)) >= MIN_ONSETS
    enough_instruments = onsets.any(axis=1).sum(axis=1) >= MIN_INSTRUMENTS
    ok: NDArray[np.bool_] = enough_onsets & enough_instruments
    return ok


def passes(bars: NDArray[np.generic], k: float | None = None) -> NDArray[np.bool_]:
    """Whether each bar passes the filter (``k`` defaults to :data:`ENTROPY_K`), ``(N,)``."""
    threshold = ENTROPY_K if k is None else k
    return basic_ok(bars) & (column_entropy(bars) > threshold)


def calibrate_entropy_k(bars: NDArray[np.generic], share: float = REAL_PASS_RATE) -> float:
    """The entropy threshold (4 decimals) at which ``share`` of ``bars`` pass the whole filter: the bars of
    lowest entropy among those passing the count part fail until only ``share`` of all bars are left (ties
    can make the share a little lower; the calibration script prints the share reached)."""
    ok = basic_ok(bars)
    if not 0.0 < share <= 1.0 or ok.mean() < share:
        raise ValueError(
            f"cannot reach a pass rate of {share:g}: only {ok.mean():.3f} of the bars have 4+ onsets on 2+ instruments"
        )
    entropy = np.sort(column_entropy(bars)[ok])
    failing = int(np.floor(len(entropy) - share * len(ok)))  # ok bars that may fail the entropy part
    if failing <= 0:
        return 0.0
    upper = entropy[failing] if failing < len(entropy) else entropy[-1] + 1e-3
    return round(float((entropy[failing - 1] + upper) / 2), 4)


__all__ = [
    "ENTROPY_K",
    "MIN_INSTRUMENTS",
    "MIN_ONSETS",
    "REAL_PASS_RATE",
    "basic_ok",
    "calibrate_entropy_k",
    "column_codes",
    "column_entropy",
    "passes",
]
