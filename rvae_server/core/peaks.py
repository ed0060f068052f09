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
    return np.where(peak_mask(p), p, np.float32(0.0)).astype(np.float32)


def pick(probs: NDArray[np.floating], onsets: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The onsets played ``(..., ticks, instruments)``: of the ``onsets`` chosen from the probabilities ``probs``
    (same shape), the peaks."""
    return np.asarray(onsets, dtype=bool) & peak_mask(probs)


def cap_probs(
    probs: NDArray[np.floating], limits: NDArray[np.integer], total: int | None = None
) -> NDArray[np.float32]:
    """Peak-masked probabilities ``(..., ticks, instruments)`` (:func:`peak_probs`) with, per bar, only the
    ``limits[i]`` most probable peaks of instrument ``i`` and the ``total`` most probable of all kept (the rest
    0): at any threshold the bar plays at most that many hits of each drum and in all, the strongest."""
    p = peak_probs(probs)
    lead = p.shape[:-2]
    ticks, width = p.shape[-2:]
    flat = p.reshape(-1, ticks, width)
    flat = np.where(_ranks(flat) < np.asarray(limits).reshape(1, 1, width), flat, np.float32(0.0))
    if total is not None:
        cells = flat.reshape(len(flat), -1)
        flat = np.where(_ranks(cells) < total, cells, np.float32(0.0)).reshape(flat.shape)
    return flat.reshape(*lead, ticks, width).astype(np.float32)


def _ranks(values: NDArray[np.float32]) -> NDArray[np.int64]:
    """Each value's rank along axis 1, the largest 0 (ties: the earlier first)."""
    order = np.argsort(-values, axis=1, kind="stable")
    ranks = np.empty(order.shape, dtype=np.int64)
    shape = [1] * order.ndim
    shape[1] = order.shape[1]
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(order.shape[1]).reshape(shape), order.shape), axis=1)
    return ranks


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
