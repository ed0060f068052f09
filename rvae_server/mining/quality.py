"""The seed's pattern-quality filter, on our bar format (Tikhonov & Yamshchikov drop patterns that are too sparse
or too repetitive to be a groove).

A bar passes when it has

* at least :data:`MIN_ONSETS` onsets,
* on at least :data:`MIN_INSTRUMENTS` different instruments, and
* a Shannon entropy (bits) of its **tick-column codes** of at least :data:`MIN_ENTROPY`.

The tick-column code of a tick is the 9-bit number whose bit ``i`` is set when instrument ``i`` is struck on that
tick (so 0 is an empty tick); the entropy is that of the distribution of the 96 codes of the bar
(``-Σ p log2 p`` over the distinct codes, empty ticks included). A bar of one repeated stroke scores low, a bar
whose ticks carry many different combinations scores high.

:data:`MIN_ENTROPY` is calibrated so that 82 % of the bars of the Groove MIDI Dataset (train and validation,
every 96-tick bar the reader yields from the 1,021 files) pass the whole filter: see :func:`calibrate_entropy`
and ``benchmarks/bench_mining.py --calibrate``. The same definition is being added to ``rvae eval`` as a quality
metric on another branch; the two are to be unified (this module's constant is the calibrated value).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS

MIN_ONSETS = 4
MIN_INSTRUMENTS = 2
#: Calibrated: 82 % of Groove MIDI Dataset bars pass the whole filter (see the module docstring).
MIN_ENTROPY = 0.6548
TARGET_PASS_RATE = 0.82

_BITS = (1 << np.arange(N_INSTRUMENTS)).astype(np.int64)


def column_codes(onsets: NDArray[np.floating] | NDArray[np.bool_]) -> NDArray[np.int64]:
    """The tick-column codes of onset planes ``(..., ticks, 9)``: ``(..., ticks)`` integers in ``0..511``."""
    return (np.asarray(onsets) > 0.5).astype(np.int64) @ _BITS


def code_entropy(onsets: NDArray[np.floating] | NDArray[np.bool_]) -> NDArray[np.float64]:
    """Shannon entropy (bits) of the tick-column codes of each bar of onset planes ``(N, ticks, 9)`` → ``(N,)``."""
    codes = column_codes(onsets)
    if codes.ndim == 1:
        codes = codes[None]
    n, ticks = codes.shape
    out = np.zeros(n, dtype=np.float64)
    if n == 0:
        return out
    ordered = np.sort(codes, axis=1)
    # run lengths of equal codes in each sorted row
    change = np.ones((n, ticks), dtype=bool)
    change[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    rows, starts = np.nonzero(change)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = ticks
    last_of_row = np.ones(len(rows), dtype=bool)
    last_of_row[:-1] = rows[1:] != rows[:-1]
    ends[last_of_row] = ticks
    p = (ends - starts) / ticks
    np.add.at(out, rows, -p * np.log2(p))
    return out


def bar_stats(onsets: NDArray[np.floating]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """``(onsets, instruments, entropy)`` per bar of onset planes ``(N, 96, 9)``."""
    on = np.asarray(onsets) > 0.5
    return on.sum(axis=(1, 2)), on.any(axis=1).sum(axis=1), code_entropy(on)


def passes(onsets: NDArray[np.floating], min_entropy: float = MIN_ENTROPY) -> NDArray[np.bool_]:
    """Whether each bar of onset planes ``(N, 96, 9)`` passes the filter → ``(N,)`` booleans."""
    count, instruments, entropy = bar_stats(onsets)
    return (count >= MIN_ONSETS) & (instruments >= MIN_INSTRUMENTS) & (entropy >= min_entropy)


def calibrate_entropy(onsets: NDArray[np.floating], target: float = TARGET_PASS_RATE) -> float:
    """The entropy threshold (rounded down to 1e-4 bits) at which a share ``target`` of the bars ``(N, 96, 9)``
    passes the whole filter; raises ``ValueError`` if fewer than that pass the onset and instrument rules."""
    count, instruments, entropy = bar_stats(onsets)
    n = len(count)
    eligible = np.sort(entropy[(count >= MIN_ONSETS) & (instruments >= MIN_INSTRUMENTS)])
    want = round(target * n)
    if want > len(eligible) or n == 0:
        raise ValueError(
            f"only {len(eligible)} of {n} bars have {MIN_ONSETS}+ onsets on {MIN_INSTRUMENTS}+ instruments: "
            f"cannot reach a pass rate of {target:.0%}"
        )
    if want == 0:
        return float(np.floor(eligible[-1] * 1e4) / 1e4 + 1e-4)
    return float(np.floor(eligible[len(eligible) - want] * 1e4) / 1e4)


__all__ = [
    "MIN_ENTROPY",
    "MIN_INSTRUMENTS",
    "MIN_ONSETS",
    "TARGET_PASS_RATE",
    "bar_stats",
    "calibrate_entropy",
    "code_entropy",
    "column_codes",
    "passes",
]
