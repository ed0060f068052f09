"""Fitting the pad to the clips: the pad mapping, the calibrated threshold and offsets, the start point; and a
trained model that uses them everywhere (encode, decode, pattern, the engine, the web grid)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS, instrument_index
from rvae_server.core.patterns import passes
from rvae_server.engine.api import model_pad_to_latent
from rvae_server.model.calibrate import fit_space, fit_threshold, pad_mapping, start_point
from rvae_server.model.inference import LoadedModel
from rvae_server.model.network import RhythmVAE
from rvae_server.model.planes import PadMapping, grid_points
from rvae_server.model.training import train_model
from rvae_server.model.trainingdata import load_training_bars, split_data
from rvae_server.session.daemon import playable_start
from rvae_server.web.grid import decode_grid_probs, quality_summary

GROOVE = Path(__file__).parent / "data" / "groove"
CLIPS = sorted(GROOVE.rglob("*_beat_4-4.mid"))[:6]
KICK, SNARE = instrument_index("kick"), instrument_index("snare")
HATS = [instrument_index("closed-hat"), instrument_index("open-hat")]


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


TRAINED: dict[str, RhythmVAE] = {}


@pytest.fixture(scope="module")
def trained() -> tuple[LoadedModel, LoadedModel, np.ndarray, dict]:
    torch.set_num_threads(1)
    split = split_data(load_training_bars(CLIPS), seed=0)
    model = train_model(split, epochs=60, seed=0).model
    TRAINED["model"] = model
    space = fit_space(model, split.train)  # recipe v2's calibration: at the training points, every onset counted
    raw = LoadedModel.from_module(model, peaks=False)
    return raw, LoadedModel.from_module(model, {"space": space}, peaks=False), split.train, space


def test_pad_mapping_holds_the_points_and_lets_outliers_go() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal([5.0, -2.0], [0.3, 2.0], (150, 2))
    mapping = pad_mapping(z)
    xy = mapping.to_pad(z)
    assert ((xy >= 0) & (xy <= 1)).all()  # fewer than 200 points: every one inside
    assert xy.min(axis=0).max() < 0.05 and xy.max(axis=0).min() > 0.95  # the edges sit just beyond them
    assert np.allclose(mapping.to_latent(xy), z, atol=1e-4)
    big = np.concatenate([rng.normal(0, 1, (1000, 2)), [[40.0, 40.0]]])
    xy = pad_mapping(big).to_pad(big)
    assert (xy[-1] > 1).all()  # one far-out bar of 1001 does not stretch the pad
    assert ((xy >= 0) & (xy <= 1)).all(axis=1).mean() > 0.97
    assert PadMapping.from_json(mapping.to_json()) == PadMapping(
        tuple(round(v, 6) for v in mapping.centre), tuple(round(v, 6) for v in mapping.half_span)
    )
    for bad in (
        {"centre": [0, 0]},
        {"centre": [0, 0], "half_span": [1, -1]},
        {"centre": [0, "a"], "half_span": [1, 1]},
    ):
        with pytest.raises(ValueError):
            PadMapping.from_json(bad)


def test_threshold_matches_density_and_breaks_ties_with_the_pad() -> None:
    bars = np.zeros((4, 3, TICKS, 9), np.float32)
    bars[:, 0, ::8, KICK] = 1.0  # 12 kicks a bar
    bars[:, 0, 4::24, SNARE] = 1.0  # 4 snares
    probs = np.zeros((4, TICKS, 9), np.float32)
    probs[:, ::8, KICK] = 0.7
    probs[:, 4::24, SNARE] = 0.3  # a model that is unsure of the snare
    probs[:, 2::8, KICK] = 0.2  # and has stray kicks
    info = fit_threshold(probs, bars)
    assert 0.2 < info["default"] <= 0.3  # the snare must come in, the stray kicks stay out
    assert set(info["offsets"]) == set(INSTRUMENT_NAMES)
    assert info["offsets"]["ride"] == 0.0  # no ride in the clips: no offset
    sure = np.where(bars[:, 0] > 0, 0.99, 0.01).astype(np.float32)  # matches at any threshold
    assert fit_threshold(sure, bars)["default"] == 0.5
    pad = np.full((2, TICKS, 9), 0.0, np.float32)
    pad[:, ::6, KICK] = 0.6  # the pad between the bars holds extra kicks at 0.6
    pad[:, ::8, KICK] = 0.9
    assert fit_threshold(sure, bars, pad)["default"] > 0.6  # of the equally good ones, one that keeps them out


def test_start_point_plays_a_groove() -> None:
    class Fixed:
        def __init__(self, bars: np.ndarray) -> None:
            self.bars = bars

        def decode_pad(self, xy: np.ndarray):
            from rvae_server.model.planes import DecodedPlanes

            return DecodedPlanes(self.bars[: len(xy)].astype(np.float32))

    bars = np.zeros((3, 3, TICKS, 9), np.float32)
    bars[0, 0, ::6, HATS[0]] = 1.0  # hats only, at the centre
    bars[1, 0, ::6, HATS[0]] = 1.0
    bars[1, 0, [0, 36, 60], KICK] = 1.0
    bars[1, 0, [24, 72], SNARE] = 1.0  # a groove, off centre
    xy = np.array([[0.5, 0.5], [0.9, 0.9], [0.45, 0.5]], np.float32)
    assert start_point(Fixed(bars), xy) == [0.9, 0.9]  # type: ignore[arg-type]
    # with the training bars: a groove nearer the centre that does not give its own bar back loses to one that does
    bars[2] = bars[1]
    truth = bars.copy()
    truth[2, 0] = 0.0
    truth[2, 0, 3::12, SNARE] = 1.0  # the bar that lies there is something else
    assert start_point(Fixed(bars), xy) == [0.45, 0.5]  # type: ignore[arg-type]
    assert start_point(Fixed(bars), xy, truth) == [0.9, 0.9]  # type: ignore[arg-type]
    # and a fill (toms) nearer the centre that does give its own bar back loses to the plain groove too
    bars[2, 0, 40:48, instrument_index("mid-tom")] = 1.0
    truth = bars.copy()
    assert start_point(Fixed(bars), xy, truth) == [0.9, 0.9]  # type: ignore[arg-type]


def test_trained_model_fits_its_pad(trained: tuple[LoadedModel, LoadedModel, np.ndarray, dict]) -> None:
    raw, fitted, bars, space = trained
    assert set(space) == {"pad", "threshold", "start"}
    xy = fitted.encode(bars, clip=False)
    assert ((xy >= 0) & (xy <= 1)).all()  # every training bar inside the pad
    assert xy.min() < 0.1 and xy.max() > 0.9  # and they reach its edges
    assert np.allclose(fitted.pad_to_latent(xy), raw.encode_latent(bars), atol=1e-4)
    # the calibrated model decodes, at the training bars' points and threshold 0.5, about their density
    onsets = fitted.decode_pad(fitted.encode(bars)).probs >= 0.5
    truth = (bars[:, 0] > 0.5).sum()
    assert abs(onsets.sum() - truth) <= 0.05 * truth
    assert fitted.default_threshold == space["threshold"]["default"] and raw.default_threshold is None
    # calibration is a monotone shift of the probabilities: the raw threshold gives the same onsets
    z = raw.encode_latent(bars[:5])
    t = np.clip(space["threshold"]["default"] + np.array([space["threshold"]["offsets"][n] for n in INSTRUMENT_NAMES]),
                0.01, 0.99)  # fmt: skip
    assert np.array_equal(raw.decode_latent(z).probs >= t, fitted.decode_latent(z).probs >= 0.5)
    # the start point is a training bar's location and plays the kick with the snare or a hat
    assert any(np.allclose(space["start"], p, atol=1e-3) for p in fitted.encode(bars))
    start = fitted.pattern(space["start"])
    assert passes(start.planes()[None])[0]
    assert start.onsets[:, KICK].any() and (start.onsets[:, SNARE].any() or start.onsets[:, HATS].any())
    assert playable_start(fitted) == tuple(space["start"])


def test_every_surface_uses_the_models_mapping(trained: tuple[LoadedModel, LoadedModel, np.ndarray, dict]) -> None:
    _, fitted, _, _ = trained
    xy = np.array([0.2, 0.7], np.float32)
    z = fitted.mapping.to_latent(xy)
    assert np.allclose(model_pad_to_latent(fitted, xy), z)  # the engine's
    assert not np.allclose(z, xy * 6 - 3)  # (not the fixed ±3 mapping)
    assert np.allclose(fitted.decode_pad(xy).planes, fitted.decode_latent(z).planes, atol=1e-5)
    probs = decode_grid_probs(fitted, 5)  # the web grid's
    assert np.allclose(probs, fitted.decode_latent(fitted.pad_to_latent(grid_points(5))).probs, atol=1e-5)
    assert quality_summary(fitted) is None  # no evaluation stored in this one


def test_a_model_without_space_keeps_the_old_behaviour(
    trained: tuple[LoadedModel, LoadedModel, np.ndarray, dict],
) -> None:
    raw, _, _, _ = trained
    assert raw.start is None and raw.default_threshold is None and raw.mapping == PadMapping()
    assert np.allclose(raw.pad_to_latent((0.0, 1.0)), (-3.0, 3.0))
    x, y = playable_start(raw)
    assert 0 <= x <= 1 and 0 <= y <= 1


def test_the_page_gets_the_models_figures(trained: tuple[LoadedModel, LoadedModel, np.ndarray, dict]) -> None:
    import json

    from rvae_server.model.evaluate import evaluate_model
    from rvae_server.web.grid import compute_grid

    _, fitted, bars, space = trained
    figures = evaluate_model(fitted, bars, points=100)
    model = LoadedModel.from_module(TRAINED["model"], {"space": space, "evaluation": figures})
    summary = quality_summary(model)
    assert summary == {
        "pass": figures["random"]["pass"], "density": figures["random"]["density"],
        "silent": figures["random"]["silent"], "poor": figures["poor"], "warnings": figures["warnings"],
    }  # fmt: skip
    message = compute_grid(model, 5).message(0)
    length = int.from_bytes(message[4:8], "little")
    assert json.loads(message[8 : 8 + length])["quality"] == summary
