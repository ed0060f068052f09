"""Issue 21's figures (``rvae_server.model.feel``), the training targets (``model.targets``), the spread
calibration (``model.spread``) and the threshold fitted at pad points."""

from __future__ import annotations

import numpy as np
import pytest

from rvae_server.core.bar import TICKS, instrument_index
from rvae_server.core.peaks import peak_probs
from rvae_server.model.calibrate import fit_threshold
from rvae_server.model.evaluate import warnings
from rvae_server.model.feel import (
    doubles,
    feel_figures,
    feel_warnings,
    iois,
    overlap_area,
    overlap_areas,
    reference,
)
from rvae_server.model.spread import fit_spread, fold_spread
from rvae_server.model.targets import snap_to_grid, tolerant_weights

KICK, SNARE, HAT, RIDE = (instrument_index(n) for n in ("kick", "snare", "closed-hat", "ride"))


def groove_bars(n: int, hats: int = 8) -> np.ndarray:
    """``n`` rock bars: kick on 1 and 3, snare on 2 and 4, ``hats`` evenly spaced closed hats."""
    bars = np.zeros((n, 3, TICKS, 9), np.float32)
    for tick in (0, 48):
        bars[:, 0, tick, KICK] = 1
    for tick in (24, 72):
        bars[:, 0, tick, SNARE] = 1
    bars[:, 0, :: TICKS // hats, HAT] = 1
    bars[:, 1] = bars[:, 0] * 0.7
    return bars


def test_doubles_of_a_known_bar() -> None:
    bars = groove_bars(4)  # 12 onsets a bar, no doubles
    assert doubles(bars[:, 0] > 0.5) == {"per_100": 0.0, "bars": 0.0}
    bars[0, 0, 1, KICK] = 1  # a kick flam on ticks 0-1 in bar 0
    bars[1, 0, 25, SNARE] = bars[1, 0, 26, SNARE] = 1  # a snare run 24-25-26: two doubles in bar 1
    found = doubles(bars[:, 0] > 0.5)
    assert found["per_100"] == pytest.approx(100 * 3 / (48 + 3))
    assert found["bars"] == 0.5


def test_reference_and_feel_of_a_pad_like_its_bars() -> None:
    train = groove_bars(50)
    ref = reference(train)
    assert ref["onsets"] == 12 and ref["instruments"]["closed-hat"] == 8 and ref["groove"] == 1.0
    assert ref["clip_step"] == 0 and ref["limit"] == pytest.approx(1.2 * 12)
    xy = np.random.default_rng(0).uniform(0, 1, (50, 2))
    same = feel_figures(train, xy, ref, train)
    assert same["density"] == 1.0 and same["groove"] == 1.0 and same["machine_guns"]["share"] == 0.0
    assert all(v == pytest.approx(1.0) for v in same["overlap"].values())
    assert feel_warnings(same) == []


def test_each_target_missed_is_said_in_plain_words() -> None:
    train = groove_bars(50)
    ref = reference(train)
    pad = groove_bars(50, hats=16)  # busier: 20 onsets a bar
    pad[:10, 0, :, KICK] = 0  # no kick on a fifth of the pad
    pad[10, 0, ::4, SNARE] = 1  # one machine gun: 24 snares in a bar
    pad[13:23, 0, 5:7, RIDE] = 1  # ten doubled rides: 1 per 100 notes
    pad[12] = 0  # one silent point
    xy = np.tile([[0.3, 0.6]], (50, 1))
    figures = feel_figures(pad, xy, ref, train)
    assert figures["machine_guns"]["worst"] == {"xy": [0.3, 0.6], "instrument": None, "onsets": 42}  # 42 > 1.2 x 12
    assert figures["machine_guns"]["share"] == 0.98  # 20 notes where the training bars all play 12: all but silence
    assert figures["missing"]["kick"] == pytest.approx(11 / 50)
    text = " | ".join(feel_warnings(figures))
    assert "doubled hits" in text and "too busy" in text and "machine gun at (0.30, 0.60): 42 notes" in text
    assert "no kick on 22 % of the pad" in text and "silent" in text and "overlap" in text
    # the page shows what evaluate.warnings returns: the feel's words are among them
    assert any("machine gun at" in w for w in warnings({"feel": figures, "random": {"pass": 0.9}}))


def test_inter_onset_intervals_and_overlap_area() -> None:
    onsets = groove_bars(2)[:, 0] > 0.5
    intervals = iois(onsets)
    assert sorted(set(intervals.tolist())) == [12, 48]  # hats every 12 ticks, kick and snare every 48
    assert overlap_area(np.array([1, 2, 3]), np.array([1, 2, 3]), np.arange(6) - 0.5) == 1.0
    assert overlap_area(np.array([1, 1]), np.array([3, 3]), np.arange(6) - 0.5) == 0.0
    assert overlap_area(np.array([1, 2]), np.array([2, 3]), np.arange(6) - 0.5) == 0.5
    a, b = groove_bars(10), groove_bars(10, hats=16)
    areas = overlap_areas(a, b)
    assert areas["onsets"] == 0.0 and areas["velocity"] == 1.0 and 0 < areas["ioi"] < 1


def test_snap_to_grid_moves_jitter_into_microtiming() -> None:
    bars = np.zeros((1, 3, TICKS, 9), np.float32)
    bars[0, :, 7, KICK] = (1, 0.5, 0.2)  # beside 6 and 8: to the earlier, 6
    bars[0, :, 25, SNARE] = (1, 0.9, -0.4)  # one tick late of beat 2: to 24, microtiming +2 clamped to 1
    bars[0, :, 23, SNARE] = (1, 0.4, 0.0)  # one tick early of beat 2 and softer: the louder stays
    bars[0, :, 4, HAT] = (1, 0.6, 0.1)  # a sixteenth triplet, two ticks from the grid: stays
    snapped = snap_to_grid(bars)[0]
    assert np.flatnonzero(snapped[0, :, KICK]).tolist() == [6]
    assert snapped[2, 6, KICK] == pytest.approx(1.0)  # 0.2 + 2 half-ticks, clamped
    assert np.flatnonzero(snapped[0, :, SNARE]).tolist() == [24] and snapped[1, 24, SNARE] == pytest.approx(0.9)
    assert np.flatnonzero(snapped[0, :, HAT]).tolist() == [4]


def test_tolerant_weights_spare_the_neighbours_of_a_true_onset() -> None:
    bars = groove_bars(1)
    weights = tolerant_weights(bars, 0.5).reshape(TICKS, 9)
    assert weights[1, KICK] == weights[11, HAT] == 0.5 and weights[0, KICK] == 1.0 and weights[2, KICK] == 1.0
    assert weights[1, SNARE] == 1.0  # another instrument's neighbour is punished as before


def test_spread_is_fitted_and_folded_as_an_affine_of_the_heads() -> None:
    rng = np.random.default_rng(0)
    train = groove_bars(40)
    train[:, 2] = np.where(train[:, 0] > 0.5, rng.uniform(-0.6, 0.6, (40, TICKS, 9)), 0)
    decoded = train.copy()
    decoded[:, 2] = np.where(train[:, 0] > 0.5, np.sign(train[:, 2]) * 0.999, 0)  # a saturated head
    spread = fit_spread(decoded, decoded, train)
    a, c = spread["microtiming"]["closed-hat"]
    assert a < 0.5  # the saturated values are pulled in
    weight = np.ones((3 * 864, 4), np.float32)
    bias = np.full(3 * 864, 2.0, np.float32)
    assert fold_spread({"space": {"spread": spread}}, weight, bias, 864)
    cell = 2 * 864 + 5 * 9 + HAT
    assert weight[cell, 0] == pytest.approx(a) and bias[cell] == pytest.approx(2 * a + c)
    assert not fold_spread({"space": {"spread": {"velocity": {"kick": ["x", 1]}}}}, weight, bias, 863)


def test_threshold_at_pad_points_matches_the_pads_density() -> None:
    rng = np.random.default_rng(1)
    bars = groove_bars(30)
    sure = np.where(bars[:, 0] > 0.5, 0.9, 0.05).astype(np.float32)  # the training points decode their bars
    pad = rng.uniform(0, 1, (60, TICKS, 9)).astype(np.float32) ** 6  # the pad between them: a blur
    at_train = fit_threshold(sure, bars, pad)
    at_pad = fit_threshold(sure, bars, pad, at="pad", peaks=True)
    assert at_pad["at"] == "pad" and at_pad["peaks"] is True and at_train["at"] == "train"
    t = at_pad["default"] + at_pad["offsets"]["closed-hat"]
    per_bar = (peak_probs(pad)[..., HAT] >= t).sum() / len(pad)
    assert per_bar == pytest.approx(8, rel=0.15)  # the pad plays the training bars' 8 hats a bar
    with pytest.raises(ValueError, match="pad points"):
        fit_threshold(sure, bars, None, at="pad")


def test_a_malformed_cap_is_ignored_and_a_good_one_read() -> None:
    from rvae_server.model.spread import read_cap

    good = {"instruments": {n: 12 for n in ("kick", "snare", "closed-hat", "open-hat", "low-tom", "mid-tom",
                                            "high-tom", "crash", "ride")}, "total": 40}  # fmt: skip
    limits, total = read_cap({"space": {"cap": good}})  # type: ignore[misc]
    assert limits.tolist() == [12] * 9 and total == 40
    for bad in ({**good, "total": 0}, {**good, "total": True}, {"instruments": {"kick": 3}, "total": 5},
                {**good, "instruments": {**good["instruments"], "ride": 97}}, "cap", None):  # fmt: skip
        assert read_cap({"space": {"cap": bad}}) is None
    assert read_cap({"space": "x"}) is None and read_cap({}) is None
