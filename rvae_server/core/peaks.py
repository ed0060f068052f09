"""One onset where a drummer plays one: peak picking of decoded onset probabilities along the ticks. Pure numpy.

A decoder unsure whether a stroke falls on tick ``t`` or ``t + 1`` (a drummer's timing wanders by a tick from
bar to bar; at 24 ppqn a tick is 10–20 ms) gives both ticks a probability, and thresholded both sound: a flam
of the same instrument that smears into the next hit. Real bars of the Groove MIDI Dataset hold 1.9 such
doubles per 100 onsets; the models of issue 10 played 3–25 (docs/quality.md).

:func:`peak_mask` keeps, per instrument, the ticks whose probability is a local peak along the bar: above the
tick before (strictly) and at least the tick after. No two kept ticks of one instrument are consecutive, and
every run of ticks above a threshold keeps at least its highest. The mask does not depend on the threshold, so
thresholding the peak-masked probabilities (:func:`peak_probs`, what the page's grid draws) gives the same
onsets as thresholding first and picking after.

:func:`pick` turns chosen onsets into played ones: an onset that is not a peak is dropped; the peak keeps its own
velocity and microtiming (the stronger stroke's). Folding the dropped neighbour's timing into the peak's
microtiming (the probability-weighted mean of their times) was measured and not kept: it left the distribution
of microtiming at random pad points as it was (overlapping area ±0.006) and moved the training bars' notes
further from their own timing (error 0.38 → 0.42 half-ticks on set (b), docs/quality.md).
:func:`cap_probs` keeps at most so many peaks a bar per instrument and in all (a model's ``space.cap``: no
machine guns, :mod:`rvae_server.model.calibrate`).

Where: a trained model's decode (:class:`rvae_server.model.inference.LoadedModel`) returns its onset plane as
:func:`peak_probs` (or :func:`cap_probs`) makes it, so every decode path — the engine, ``render``, ``jam``,
``rvae eval``, the calibration, the page's grid — plays the same peaks; synthetic test models play as they are.
:func:`decoded_bars` and :meth:`rvae_server.core.bar.Bar.from_decoded` (``peaks=True``) pick peaks of any planes
given.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MIN_VELOCITY = 1.0 / 127.0  # the softest onset a decoded bar plays (MIDI velocity 1); core.bar re-exports it


def peak_mask(probs: NDArray[np.floating]) -> NDArray[np.bool_]:
    """``(..., ticks, instruments)`` → True where a tick's probability is above the tick before (strictly) and at
    least the tick after, per instrument (the bar's first and last tick compare with their one neighbour)."""
    p = np.asarray(probs)
    mask = np.ones(p.shape, dtype=bool)
    mask[..., 1:, :] &= p[..., 1:, :] > p[..., :-1, :]
    mask[..., :-1, :] &= p[..., :-1, :] >= p[..., 1:, :]
    return mask


def peak_probs(probs: NDArray[np.floating]) -> NDArray[np.float32]:
    """The probabilities with every non-peak set to 0 (``(..., ticks, instruments)`` float32): any threshold on
    them plays what :func:`pick` would play at that threshold."""
    p = np.asarray(probs, dtype=np.float32)
    return np.multiply(p, peak_mask(p), dtype=np.float32)  # a product, not copyto(where=): ~10× faster


def pick(probs: NDArray[np.floating], onsets: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The onsets played ``(..., ticks, instruments)``: of the ``onsets`` chosen from the probabilities ``probs``
    (same shape), the peaks."""
    return np.asarray(onsets, dtype=bool) & peak_mask(probs)


def cap_probs(
    probs: NDArray[np.floating], limits: NDArray[np.integer], total: int | None = None
) -> NDArray[np.float32]:
    """Peak-masked probabilities ``(..., ticks, instruments)`` (:func:`peak_probs`) with, per bar, only the
    ``limits[i]`` most probable peaks of instrument ``i`` and the ``total`` most probable of all kept (the rest
    0; of equal ones the earlier): at any threshold the bar plays at most that many hits of each drum and in all,
    the strongest. Works drum-major (each drum's ticks contiguous): the peaks, one sort of every drum's row for
    its own limit, a partition of the kept for the total — a 30 × 30 grid in ~5 ms (``benchmarks/bench_engine``)."""
    p = np.asarray(probs, dtype=np.float32)
    lead = p.shape[:-2]
    ticks, width = p.shape[-2:]
    bars = int(np.prod(lead, dtype=np.int64))
    by_drum = np.ascontiguousarray(p.reshape(bars, ticks, width).transpose(0, 2, 1))  # (bars, drums, ticks)
    rows = by_drum.reshape(bars * width, ticks)
    _peaks_in_place(rows)
    caps = np.clip(np.broadcast_to(np.asarray(limits, dtype=np.int64), (width,)), 0, ticks)
    ranked = _keep_top_each(rows, np.tile(caps, bars)).reshape(bars, width, ticks)
    if total is not None and int(caps.sum()) > total:
        among = np.concatenate([ranked[:, i, ticks - int(caps[i]) :] for i in range(width)], axis=1)
        _keep_top(by_drum.reshape(bars, width * ticks), total, among, order=(width, ticks))
    return np.ascontiguousarray(by_drum.transpose(0, 2, 1)).reshape(*lead, ticks, width)


def _peaks_in_place(rows: NDArray[np.float32]) -> None:
    """:func:`peak_probs` of rows ``(rows, ticks)`` (the ticks contiguous, finite), in place."""
    peak = np.ones(rows.shape, dtype=bool)
    np.greater(rows[:, 1:], rows[:, :-1], out=peak[:, 1:])
    peak[:, :-1] &= rows[:, :-1] >= rows[:, 1:]
    np.multiply(rows, peak, out=rows)


def _keep_top_each(rows: NDArray[np.float32], k: NDArray[np.int64]) -> NDArray[np.float32]:
    """In place: keep the ``k[r]`` largest values of each row ``r`` (``0 ≤ k[r] ≤ n``), the rest 0 (of equal ones,
    the earlier first); returns the rows sorted ascending (the kept values of row ``r`` are its last ``k[r]``)."""
    n = rows.shape[1]
    ranked = np.sort(rows, axis=1)
    index = np.arange(len(rows))
    kth = np.where(k > 0, ranked[index, np.minimum(n - k, n - 1)], np.inf).astype(np.float32)
    np.multiply(rows, rows >= kth[:, None], out=rows)
    # where the k-th largest equals the value ranked below it, more than k reach it: keep the earliest (zeros play
    # nothing anyway)
    tied = (k < n) & (ranked[index, np.clip(n - k - 1, 0, n - 1)] == kth) & (kth > 0)
    for r in np.flatnonzero(tied):
        tied = np.flatnonzero(rows[r] == kth[r])
        rows[r, tied[k[r] - int(np.count_nonzero(rows[r] > kth[r])) :]] = 0.0
    return ranked


def _keep_top(
    values: NDArray[np.float32],
    k: int,
    among: NDArray[np.float32] | None = None,
    order: tuple[int, int] | None = None,
) -> NDArray[np.float32]:
    """In place: keep the ``k`` largest values of each row ``(rows, n)``, the rest 0 (of equal ones, the earlier
    first); returns the kept values ``(rows, ≤ k)`` (unordered). ``among``: the row's values other than 0 (a shorter
    row to partition). ``order``: the row is ``(a, b)`` laid out b-major (which tie is earlier)."""
    pool = values if among is None else among
    m = pool.shape[1]
    if k >= m:
        return pool
    if k <= 0:
        values[...] = 0.0
        return pool[:, :0]
    part = np.partition(pool, m - k, axis=1)
    kth = part[:, m - k : m - k + 1]  # each row's k-th largest
    np.multiply(values, values >= kth, out=values)
    # where the k-th largest is tied, more than k reach it: keep the earliest (zeros play nothing anyway)
    over = np.flatnonzero((np.count_nonzero(part == kth, axis=1) > np.count_nonzero(part[:, m - k :] == kth, axis=1))
                          & (kth[:, 0] > 0))  # fmt: skip
    for r in over:
        row = values[r] if order is None else values[r].reshape(order).T.reshape(-1)
        tied = np.flatnonzero(row == kth[r, 0])
        room = k - int(np.count_nonzero(row > kth[r, 0]))
        row[tied[room:]] = 0.0
        if order is not None:
            values[r] = row.reshape(order[::-1]).T.reshape(-1)
    return part[:, m - k :]


def played_planes(planes: NDArray[np.floating], onsets: NDArray[np.bool_], peaks: bool = True) -> NDArray[np.float32]:
    """Played planes ``(..., 3, ticks, instruments)`` (0/1 onsets, velocity in ``[MIN_VELOCITY, 1]`` and
    microtiming in ``[-1, 1]`` on the onsets, zeros elsewhere; NaN off the onsets never leaks) from decoded
    planes and chosen onsets, through :func:`pick` unless ``peaks`` is false."""
    arr = np.asarray(planes, dtype=np.float32)
    chosen = np.asarray(onsets, dtype=bool)
    if peaks:
        chosen = pick(arr[..., 0, :, :], chosen)
    mt = arr[..., 2, :, :]
    out = np.zeros(arr.shape, dtype=np.float32)
    out[..., 0, :, :] = chosen
    out[..., 1, :, :] = np.where(chosen, np.clip(arr[..., 1, :, :], MIN_VELOCITY, 1.0), np.float32(0.0))
    out[..., 2, :, :] = np.where(chosen, np.clip(mt, -1.0, 1.0), np.float32(0.0))
    return out


def decoded_bars(
    planes: NDArray[np.floating], threshold: float | NDArray[np.floating] = 0.5, peaks: bool = True
) -> NDArray[np.float32]:
    """Bars ``(N, 3, ticks, instruments)`` as played from decoded planes ``(N, 3, ticks, instruments)``: onsets
    where the probability is at least ``threshold`` (a number, or anything broadcasting to the onset plane),
    then :func:`played_planes`."""
    arr = np.asarray(planes, dtype=np.float32)
    return played_planes(arr, arr[:, 0] >= threshold, peaks)


__all__ = ["MIN_VELOCITY", "cap_probs", "decoded_bars", "peak_mask", "peak_probs", "pick", "played_planes"]
