"""Fitting a trained model's pad to its clips: the pad ↔ latent mapping, the default threshold and the start
point, stored in ``meta.json`` as ``space`` (read back by :class:`rvae_server.model.inference.LoadedModel`).

``space.pad``
    :class:`~rvae_server.model.planes.PadMapping` from the training bars' encodings (posterior means): per axis, the
    pad spans the range of the encodings widened by :data:`PAD_MARGIN` on each side, so the training bars lie
    inside ``[0, 1]²`` and the edges sit just beyond the outermost bars (no dead zone of a fixed ±3 box). On
    large sets the :data:`OUTLIERS` share of bars at each end of each axis (rounded down: none below 200 bars)
    is let go, so a few far-out bars do not stretch the pad over empty latent space (measured in
    docs/quality.md: the pad away from the bars decodes denser bars than the clips hold).
``space.threshold``
    ``{"default": t, "offsets": {instrument: d}, "at": "pad"|"train", "peaks": bool}``. At ``"pad"`` (recipe v3,
    issue 21's decision 1: the density where the performer plays), ``t`` is the raw onset-probability threshold
    at which random pad points (:data:`PAD_POINTS`, seed 1) play, on average, as many onsets a bar as the
    training bars, and ``t + d_i`` does the same per instrument; of the thresholds within :data:`PAD_BAND` of
    that density, the one whose density at the training bars' own points misses theirs least (with the pad's
    miss added); every instrument is matched, a rare one too (one the training bars never play gets the highest
    threshold). At ``"train"`` (recipe v2), ``t`` matches the
    density of the bars decoded at the training bars' own pad points, and of the thresholds that match within
    2 % (a model sure of its training bars matches them at many) the one at which the random pad points come
    nearest too; ``t + d_i`` the same per instrument, for instruments with at least
    :data:`MIN_INSTRUMENT_ONSETS` training onsets (the others keep ``d = 0``). Candidates are 0.02 … 0.98 in
    steps of 0.01. With ``peaks`` the onsets are counted as they play, one where a drummer plays one
    (:mod:`rvae_server.core.peaks`), and under the model's ``space.cap`` when it has one.
``space.spread``
    With ``spread`` (recipe v3): the velocity and microtiming heads' per-instrument map fitted at the same random
    pad points (:mod:`rvae_server.model.spread`).
``space.cap``
    With ``cap`` (recipe v3): ``{"instruments": {name: n}, "total": n}``, at most so many hits of each drum and
    in all a bar plays, whatever the threshold: the machine-gun limits of the training bars
    (:func:`rvae_server.model.feel.machine_gun_limits`, rounded down), applied where the model decodes
    (:class:`rvae_server.model.inference.LoadedModel`): no point of the pad plays a machine gun.
``space.start``
    The pad point to start playing on: of the training bars' locations, the one nearest the pad's centre whose
    decoded bar (default threshold) passes the pattern filter, plays the kick, the snare and 4 or more hi-hat or
    ride strokes, at most 2 tom strokes, and gives its own training bar back (onset F1 within ±1 tick ≥ 0.7);
    else the nearest that passes and plays the kick and the snare or a hi-hat; else the nearest that passes;
    failing that, the busiest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS, instrument_index
from rvae_server.core.patterns import passes
from rvae_server.core.peaks import cap_probs, decoded_bars, peak_probs
from rvae_server.model.feel import machine_gun_limits
from rvae_server.model.inference import LoadedModel
from rvae_server.model.network import RhythmVAE
from rvae_server.model.planes import PadMapping
from rvae_server.model.spread import fit_spread, read_cap

PAD_MARGIN = 0.02  # share of the encodings' range added beyond the outermost bar on each side
OUTLIERS = 0.005  # share of the training bars per side and axis that may lie beyond the pad's edge
PAD_BAND = 0.08  # at "pad": thresholds whose pad density is within 8 % of the training bars' count as matching
TIE = 0.02  # thresholds whose training-point density is within 2 % of the best match count as equally good
PAD_POINTS = 900  # random pad points (seed 1, not rvae eval's) that break ties
MIN_INSTRUMENT_ONSETS = 16
CANDIDATES = np.round(np.arange(0.02, 0.981, 0.01), 2)
_KICK, _SNARE = instrument_index("kick"), instrument_index("snare")
_HATS = [instrument_index("closed-hat"), instrument_index("open-hat")]
_TIME = [*_HATS, instrument_index("ride")]
_TOMS = [instrument_index("low-tom"), instrument_index("mid-tom"), instrument_index("high-tom")]
START_F1 = 0.7


def pad_mapping(latents: NDArray[np.floating], margin: float = PAD_MARGIN, outliers: float = OUTLIERS) -> PadMapping:
    """The pad mapping that holds ``latents`` ``(N, 2)`` (see the module docstring)."""
    z = np.sort(np.asarray(latents, dtype=np.float64).reshape(-1, 2), axis=0)
    cut = int(np.floor(outliers * len(z)))  # bars per side and axis allowed beyond the edge
    lo, hi = z[cut], z[len(z) - 1 - cut]
    centre = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2 * (1 + 2 * margin), 0.05)  # a single point still gets a usable pad
    return PadMapping((float(centre[0]), float(centre[1])), (float(half[0]), float(half[1])))


def _counts(probs: NDArray[np.float32]) -> NDArray[np.float64]:
    """Onsets per instrument summed over bars at each candidate threshold, ``(candidates, 9)``."""
    flat = np.asarray(probs, dtype=np.float32).reshape(-1, probs.shape[-1])
    above = np.searchsorted(CANDIDATES, flat.astype(np.float64), side="right")  # candidates each value reaches
    counts = np.stack([np.bincount(above[:, i], minlength=len(CANDIDATES) + 1) for i in range(flat.shape[1])], 1)
    return np.cumsum(counts[::-1], axis=0)[::-1][1:].astype(np.float64)  # values >= candidate k: above > k


def _best(counts: NDArray[np.float64], truth: float, pad: NDArray[np.float64] | None) -> float:
    """The candidate whose count is nearest ``truth``. A model sure of its training bars matches them at many
    thresholds: of the near-ties (within :data:`TIE` of ``truth``, at least half an onset) the one whose pad
    count ``pad`` (scaled to the same number of bars) is nearest ``truth`` too, or without ``pad`` the one
    nearest 0.5."""
    error = np.abs(counts - truth)
    near = np.flatnonzero(error <= error.min() + max(0.5, TIE * truth))
    if pad is None:
        return float(CANDIDATES[near[np.argmin(np.abs(CANDIDATES[near] - 0.5))]])
    return float(CANDIDATES[near[np.argmin(np.abs(pad[near] - truth) + 1e-6 * np.abs(CANDIDATES[near] - 0.5))]])


def _in_band(counts: NDArray[np.float64], truth: float, pad: NDArray[np.float64] | None) -> float:
    """At ``"pad"``: of the candidates whose pad count ``pad`` is within :data:`PAD_BAND` of ``truth`` (at least half
    an onset; or the nearest, when none is), the one whose misses at the training points and at the pad points
    add up least: the density where the performer plays comes first, the training bars' round trip second."""
    assert pad is not None
    error = np.abs(pad - truth)
    band = np.flatnonzero(error <= max(error.min(), PAD_BAND * truth, 0.5))
    cost = np.abs(counts[band] - truth) + error[band]  # the training points' miss, the pad's as a tie-break weight
    return float(CANDIDATES[band[np.argmin(cost + 1e-6 * np.abs(CANDIDATES[band] - 0.5))]])


def fit_threshold(
    probs: NDArray[np.float32],
    bars: NDArray[np.float32],
    pad_probs: NDArray[np.float32] | None = None,
    *,
    at: str = "train",
    peaks: bool = False,
    cap: tuple[NDArray[np.int64], int] | None = None,
) -> dict[str, Any]:
    """``space.threshold`` from raw onset probabilities ``(N, 96, 9)`` decoded at the bars' points, the bars
    ``(N, 3, 96, 9)`` themselves and raw probabilities decoded at random pad points ``(M, 96, 9)`` (to break ties
    at ``"train"``; the points matched at ``"pad"``, where they are required)."""
    if at not in ("train", "pad"):
        raise ValueError(f"the threshold is fitted at 'train' or 'pad', not {at!r}")
    if at == "pad" and pad_probs is None:
        raise ValueError("fitting the threshold at pad points needs their probabilities")
    if cap is not None:  # counted as played under the model's cap (its ranks do not depend on the threshold)
        probs = cap_probs(probs, *cap)
        pad_probs = None if pad_probs is None else cap_probs(pad_probs, *cap)
    elif peaks:
        probs = peak_probs(probs)
        pad_probs = None if pad_probs is None else peak_probs(pad_probs)
    truth = (bars[:, 0] > 0.5).sum(axis=(0, 1)).astype(np.float64)  # (9,)
    pad = None if pad_probs is None else _counts(pad_probs) * (len(probs) / len(pad_probs))
    counts = _counts(probs)
    choose = _best if at == "train" else _in_band
    default = choose(counts.sum(axis=1), float(truth.sum()), None if pad is None else pad.sum(axis=1))
    offsets: dict[str, float] = {}
    for i, name in enumerate(INSTRUMENT_NAMES):
        if truth[i] < MIN_INSTRUMENT_ONSETS and at == "train":
            offsets[name] = 0.0
            continue
        best = choose(counts[:, i], float(truth[i]), None if pad is None else pad[:, i])
        offsets[name] = round(best - default, 2)
    return {"default": default, "offsets": offsets, "at": at, "peaks": peaks}


def start_point(
    model: LoadedModel, xy: NDArray[np.float32], bars: NDArray[np.float32] | None = None, peaks: bool = False
) -> list[float]:
    """``space.start`` from a calibrated model and the training bars' pad points ``(N, 2)`` (see the module
    docstring); with the ``bars`` themselves, a plain groove is preferred: a point that plays its own bar back
    (onset F1 within ±1 tick of at least :data:`START_F1`), keeps time (4 or more hi-hat or ride strokes) and
    holds at most 2 tom strokes (a fill is no way to start). With ``peaks`` the bars are judged as they play
    (:mod:`rvae_server.core.peaks`)."""
    probs = model.decode_pad(xy).probs
    onsets = (peak_probs(probs) if peaks else probs) >= 0.5
    ok = passes(onsets)
    kick = onsets[:, :, _KICK].any(axis=1)
    snare = onsets[:, :, _SNARE].any(axis=1)
    hats = onsets[:, :, _HATS].any(axis=(1, 2))
    groove = ok & kick & (snare | hats)
    choices = [groove, ok]
    if bars is not None:
        true = bars[:, 0] > 0.5
        near = _near(true)
        hit = (onsets & near).sum(axis=(1, 2)) / np.maximum(1, onsets.sum(axis=(1, 2)))
        found = (true & _near(onsets)).sum(axis=(1, 2)) / np.maximum(1, true.sum(axis=(1, 2)))
        f1 = 2 * hit * found / np.maximum(1e-9, hit + found)
        timekeeping = onsets[:, :, _TIME].sum(axis=(1, 2)) >= 4
        few_toms = onsets[:, :, _TOMS].sum(axis=(1, 2)) <= 2
        choices.insert(0, groove & snare & timekeeping & few_toms & (f1 >= START_F1))
    distance = ((xy - 0.5) ** 2).sum(axis=1)
    for choice in choices:
        if choice.any():
            index = int(np.flatnonzero(choice)[distance[choice].argmin()])
            break
    else:
        index = int(onsets.sum(axis=(1, 2)).argmax())
    return [round(float(xy[index, 0]), 4), round(float(xy[index, 1]), 4)]


def _near(onsets: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Onsets widened by one tick either way."""
    out = onsets.copy()
    out[:, 1:] |= onsets[:, :-1]
    out[:, :-1] |= onsets[:, 1:]
    return out


def fit_space(
    model: RhythmVAE,
    bars: NDArray[np.float32],
    *,
    at: str = "train",
    peaks: bool = False,
    spread: bool = False,
    cap: bool = False,
) -> dict[str, Any]:
    """The ``space`` metadata of a trained model from its training bars ``(N, 3, 96, 9)``; the threshold fitted
    ``at`` the training points or random pad points, counting onsets with or without ``peaks`` (see the module
    docstring); with ``spread`` also ``space.spread`` (:mod:`rvae_server.model.spread`) at the same pad points,
    with ``cap`` also ``space.cap``."""
    raw = LoadedModel.from_module(model, peaks=peaks)  # recipe v2 counted every onset above the threshold
    mapping = pad_mapping(raw.encode_latent(bars))
    space: dict[str, Any] = {"pad": mapping.to_json()}
    raw = LoadedModel.from_module(model, {"space": space}, peaks=peaks)
    xy = raw.encode(bars)
    pad_xy = np.random.default_rng(1).uniform(0.0, 1.0, (PAD_POINTS, 2)).astype(np.float32)
    capped = None
    if cap:
        limits, total = machine_gun_limits(bars)
        space["cap"] = {
            "instruments": {n: int(min(TICKS, np.floor(v))) for n, v in zip(INSTRUMENT_NAMES, limits, strict=True)},
            "total": int(min(TICKS * len(INSTRUMENT_NAMES), np.floor(total))),
        }
        capped = read_cap({"space": space})
    space["threshold"] = fit_threshold(
        raw.decode_pad(xy).probs, bars, raw.decode_pad(pad_xy).probs, at=at, peaks=peaks, cap=capped
    )
    calibrated = LoadedModel.from_module(model, {"space": space}, peaks=peaks)
    if spread:
        decoded = calibrated.decode_pad(pad_xy).planes
        space["spread"] = fit_spread(decoded_bars(decoded, 0.5, peaks), decoded, bars)
        calibrated = LoadedModel.from_module(model, {"space": space}, peaks=peaks)
    space["start"] = start_point(calibrated, xy, bars, peaks=peaks)
    return space


__all__ = ["PAD_MARGIN", "fit_space", "fit_threshold", "pad_mapping", "start_point"]
