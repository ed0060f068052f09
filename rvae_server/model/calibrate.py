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
    ``{"default": t, "offsets": {instrument: d}}``: ``t`` is the raw onset-probability threshold at which the
    bars decoded at the training bars' own pad points hold, on average, as many onsets as the training bars;
    ``t + d_i`` does the same per instrument (instruments with fewer than :data:`MIN_INSTRUMENT_ONSETS`
    training onsets keep ``d = 0``). Candidates are 0.02 … 0.98 in steps of 0.01. A model sure of its
    training bars matches them at many thresholds: of those that match within 2 %, the one at which random pad
    points (900, seed 1) come nearest the training bars' density too.
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

from rvae_server.core.bar import INSTRUMENT_NAMES, instrument_index
from rvae_server.core.patterns import passes
from rvae_server.model.inference import LoadedModel
from rvae_server.model.network import RhythmVAE
from rvae_server.model.planes import PadMapping

PAD_MARGIN = 0.02  # share of the encodings' range added beyond the outermost bar on each side
OUTLIERS = 0.005  # share of the training bars per side and axis that may lie beyond the pad's edge
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
    return np.stack([(probs >= t).sum(axis=(0, 1)) for t in CANDIDATES]).astype(np.float64)


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


def fit_threshold(
    probs: NDArray[np.float32], bars: NDArray[np.float32], pad_probs: NDArray[np.float32] | None = None
) -> dict[str, Any]:
    """``space.threshold`` from raw onset probabilities ``(N, 96, 9)`` decoded at the bars' points, the bars
    ``(N, 3, 96, 9)`` themselves and, to break ties, raw probabilities decoded at pad points ``(M, 96, 9)``."""
    counts = _counts(probs)
    pad = None if pad_probs is None else _counts(pad_probs) * (len(probs) / len(pad_probs))
    truth = (bars[:, 0] > 0.5).sum(axis=(0, 1)).astype(np.float64)  # (9,)
    default = _best(counts.sum(axis=1), float(truth.sum()), None if pad is None else pad.sum(axis=1))
    offsets: dict[str, float] = {}
    for i, name in enumerate(INSTRUMENT_NAMES):
        if truth[i] < MIN_INSTRUMENT_ONSETS:
            offsets[name] = 0.0
            continue
        best = _best(counts[:, i], float(truth[i]), None if pad is None else pad[:, i])
        offsets[name] = round(best - default, 2)
    return {"default": default, "offsets": offsets}


def start_point(model: LoadedModel, xy: NDArray[np.float32], bars: NDArray[np.float32] | None = None) -> list[float]:
    """``space.start`` from a calibrated model and the training bars' pad points ``(N, 2)`` (see the module
    docstring); with the ``bars`` themselves, a plain groove is preferred: a point that plays its own bar back
    (onset F1 within ±1 tick of at least :data:`START_F1`), keeps time (4 or more hi-hat or ride strokes) and
    holds at most 2 tom strokes (a fill is no way to start)."""
    onsets = model.decode_pad(xy).probs >= 0.5
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


def fit_space(model: RhythmVAE, bars: NDArray[np.float32]) -> dict[str, Any]:
    """The ``space`` metadata of a trained model from its training bars ``(N, 3, 96, 9)``."""
    raw = LoadedModel.from_module(model)
    mapping = pad_mapping(raw.encode_latent(bars))
    space: dict[str, Any] = {"pad": mapping.to_json()}
    raw = LoadedModel.from_module(model, {"space": space})
    xy = raw.encode(bars)
    pad_xy = np.random.default_rng(1).uniform(0.0, 1.0, (PAD_POINTS, 2)).astype(np.float32)
    space["threshold"] = fit_threshold(raw.decode_pad(xy).probs, bars, raw.decode_pad(pad_xy).probs)
    calibrated = LoadedModel.from_module(model, {"space": space})
    space["start"] = start_point(calibrated, xy, bars)
    return space


__all__ = ["PAD_MARGIN", "fit_space", "fit_threshold", "pad_mapping", "start_point"]
