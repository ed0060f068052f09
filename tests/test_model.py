"""The model, the pad mapping and inference (decoding, thresholds, the grid, encoding)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rvae_server.core.bar import N_INSTRUMENTS, TICKS, Bar, stack
from rvae_server.model.inference import LoadedModel
from rvae_server.model.network import ModelConfig, RhythmVAE, expected_tensors, flatten_bars, vae_loss
from rvae_server.model.planes import (
    DecodedPlanes,
    grid_points,
    latent_to_pad,
    mutes_from_indices,
    pad_to_latent,
    threshold_planes,
)
from rvae_server.model.training import train_model
from rvae_server.model.trainingdata import load_training_bars, split_data

GROOVE = Path(__file__).parent / "data" / "groove"
CLIPS = [
    GROOVE / "drummer7/session2/79_funk_100_beat_4-4.mid",
    GROOVE / "drummer7/session3/130_soul_105_beat_4-4.mid",
    GROOVE / "drummer3/session2/25_hiphop_92_beat_4-4.mid",
]


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)  # as the server runs; 2 threads crawl when the cores are busy


@pytest.fixture(scope="module")
def trained() -> tuple[LoadedModel, np.ndarray]:
    data = load_training_bars(CLIPS)
    split = split_data(data, seed=0)
    result = train_model(split, ModelConfig(), epochs=40, seed=0)
    return LoadedModel.from_module(result.model), split.train


def test_pad_latent_mapping() -> None:
    assert np.allclose(pad_to_latent((0.0, 0.0)), (-3, -3))
    assert np.allclose(pad_to_latent((1.0, 1.0)), (3, 3))
    assert np.allclose(pad_to_latent((0.5, 0.25)), (0.0, -1.5))
    xy = np.random.default_rng(0).uniform(0, 1, (50, 2))
    assert np.allclose(latent_to_pad(pad_to_latent(xy)), xy, atol=1e-6)


def test_config_json_round_trip_and_errors() -> None:
    config = ModelConfig(beta=0.5)
    assert ModelConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="unknown fields: colour"):
        ModelConfig.from_json({**config.to_json(), "colour": 1})
    with pytest.raises(ValueError, match="lacks fields: hidden"):
        ModelConfig.from_json({k: v for k, v in config.to_json().items() if k != "hidden"})
    with pytest.raises(ValueError, match="'latent' must be a positive integer"):
        ModelConfig.from_json({**config.to_json(), "latent": -2})
    with pytest.raises(ValueError, match="'beta'"):
        ModelConfig.from_json({**config.to_json(), "beta": "high"})


def test_config_defaults_legacy_fields_and_errors() -> None:
    kept = ("ticks", "instruments", "hidden", "latent", "beta", "leaky_slope")
    old = {k: v for k, v in ModelConfig(hidden=512).to_json().items() if k in kept}
    config = ModelConfig.from_json(old)  # a config written before the new fields: their values of then
    assert (config.decoder_layers, config.onset_pos_weight, config.regularizer) == (1, 1.0, "vae")
    assert config.encoder_units == 512
    with pytest.raises(ValueError, match="'regularizer'"):
        ModelConfig.from_json({**ModelConfig().to_json(), "regularizer": "gan"})
    with pytest.raises(ValueError, match="'decoder_layers'"):
        ModelConfig.from_json({**ModelConfig().to_json(), "decoder_layers": 0})


@pytest.mark.parametrize("regularizer", ["vae", "ae", "acai"])
def test_regularizer_sampling(regularizer: str) -> None:
    model = RhythmVAE(ModelConfig(hidden=32, regularizer=regularizer)).train()
    x = torch.from_numpy(flatten_bars(np.zeros((4, 3, TICKS, N_INSTRUMENTS), np.float32)))
    a, mean, _ = model(x)
    b, _, _ = model(x)
    same = torch.equal(a.onset_logits, b.onset_logits)
    assert same == (regularizer != "vae")  # only the VAE samples q(z|x) while training
    model.eval()
    assert torch.equal(model(x)[0].onset_logits, model.decoder(mean).onset_logits)


def test_onset_weight_counts_onset_cells_more() -> None:
    model = RhythmVAE(ModelConfig(hidden=32)).eval()
    x = torch.from_numpy(flatten_bars(stack([Bar.from_notes([(0, 0, 0.8, 0.0), (24, 1, 0.5, 0.0)])])))
    with torch.no_grad():
        out, mean, logvar = model(x)
    plain = vae_loss(out, mean, logvar, x, 0.0)
    weighted = vae_loss(out, mean, logvar, x, 0.0, pos_weight=3.0)
    positive = -torch.nn.functional.logsigmoid(out.onset_logits[0, [0, 24 * 9 + 1]]).sum()
    assert float(weighted.onsets - plain.onsets) == pytest.approx(2 * float(positive), rel=1e-4)


def test_network_shapes_and_tensor_table() -> None:
    model = RhythmVAE()
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == expected_tensors(model.config)
    x = torch.from_numpy(flatten_bars(np.zeros((5, 3, TICKS, N_INSTRUMENTS), np.float32)))
    out, mean, logvar = model(x)
    assert out.onset_logits.shape == out.velocities.shape == out.microtiming.shape == (5, 864)
    assert mean.shape == logvar.shape == (5, 2)


def test_loss_counts_velocity_and_microtiming_on_onsets_only() -> None:
    model = RhythmVAE().eval()
    bar = Bar.from_notes([(0, 0, 0.8, 0.2), (24, 1, 0.5, -0.3)])
    x = torch.from_numpy(flatten_bars(stack([bar])))
    with torch.no_grad():
        out, mean, logvar = model(x)
    base = vae_loss(out, mean, logvar, x, 0.0)
    # changing the predicted velocity on a cell without an onset changes nothing
    vel = out.velocities.clone()
    vel[0, 5] = 0.99
    moved = vae_loss(out._replace(velocities=vel), mean, logvar, x, 0.0)
    assert float(moved.velocities) == pytest.approx(float(base.velocities))
    vel[0, 0] = 0.0  # cell (tick 0, kick) holds an onset
    moved = vae_loss(out._replace(velocities=vel), mean, logvar, x, 0.0)
    assert float(moved.velocities) > float(base.velocities)
    assert float(vae_loss(out, mean, logvar, x, 2.0).total) == pytest.approx(float(base.total + 2.0 * base.kl))


def test_threshold_planes_and_mutes() -> None:
    planes = np.zeros((3, TICKS, N_INSTRUMENTS), np.float32)
    planes[0, 0, 0] = 0.9  # kick, likely
    planes[0, 6, 2] = 0.4  # hat, unlikely at 0.5
    planes[0, 24, 1] = 0.6
    planes[1] = 0.0  # velocity 0 is clamped up to 1/127
    planes[2] = 0.999
    bar = threshold_planes(planes, 0.5)
    assert bar.onset_count() == 2
    assert bar.velocities[0, 0] == pytest.approx(1 / 127)
    assert bar.microtiming[0, 0] == pytest.approx(0.999)
    assert bar.velocities[1, 0] == 0.0 and bar.microtiming[1, 0] == 0.0
    assert threshold_planes(planes, 0.3).onset_count() == 3
    muted = threshold_planes(planes, 0.3, mutes_from_indices([0]))
    assert muted.onset_count() == 2 and muted.onsets[0, 0] == 0
    with pytest.raises(ValueError, match="mutes have 9 entries"):
        threshold_planes(planes, 0.5, [True])
    planes[1:] = np.nan  # garbage off the onsets never leaks into the bar
    planes[1:, 0, 0] = planes[1:, 24, 1] = 0.5
    bar = threshold_planes(planes, 0.5)
    assert np.isfinite(bar.planes()).all() and bar.onset_count() == 2


@pytest.fixture(scope="module", params=["deep", "one layer"])
def decoders(request: pytest.FixtureRequest, trained: tuple[LoadedModel, np.ndarray]) -> LoadedModel:
    if request.param == "deep":
        return trained[0]  # the current config: three decoder layers (the direct single-point path)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return LoadedModel.from_module(RhythmVAE(ModelConfig(hidden=64, decoder_layers=1)))  # the piecewise path


def test_single_point_decode_matches_batch(decoders: LoadedModel, monkeypatch: pytest.MonkeyPatch) -> None:
    model = decoders
    monkeypatch.setattr(model, "peaks", False)  # the raw numbers (a peak may flip where two ticks tie within 1e-5)
    rng = np.random.default_rng(3)
    drag = np.clip(np.cumsum(rng.normal(0, 0.05, (300, 2)), axis=0), -3, 3).astype(np.float32)
    jumps = rng.uniform(-4, 4, (50, 2)).astype(np.float32)
    settle = (jumps[-1] + np.cumsum(rng.normal(0, 0.05, (50, 2)), axis=0)).astype(np.float32)  # jump, then drag
    for z in np.concatenate([drag, jumps, settle, jumps[:5], settle]):
        single = model.decode_latent(z).planes[0]
        batch = model.decode_latent(np.stack([z, z])).planes[0]
        assert np.abs(single - batch).max() < 1e-5
    with pytest.raises(ValueError, match="finite"):
        model.decode_latent(np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="finite"):
        model.pattern((np.inf, 0.5))
    out = model.decode_latent(drag[:7])
    assert isinstance(out, DecodedPlanes) and len(out) == 7
    assert out.probs.shape == out.velocities.shape == out.microtiming.shape == (7, TICKS, N_INSTRUMENTS)
    assert out.probs.dtype == np.float32
    assert (out.probs >= 0).all() and (out.probs <= 1).all() and (np.abs(out.microtiming) <= 1).all()


def test_grid_order(trained: tuple[LoadedModel, np.ndarray]) -> None:
    model, _ = trained
    n = 5
    points = grid_points(n)
    assert points.shape == (n * n, 2)
    assert tuple(points[0]) == (0.0, 0.0) and tuple(points[n - 1]) == (1.0, 0.0) and tuple(points[-1]) == (1.0, 1.0)
    grid = model.decode_grid(n)
    i, j = 3, 1  # row 3 (y = 0.75), column 1 (x = 0.25)
    assert np.allclose(grid.planes[i * n + j], model.decode_pad(np.array([0.25, 0.75])).planes[0], atol=1e-5)


def test_the_grids_onset_probabilities_are_those_of_the_whole_decode(decoders: LoadedModel) -> None:
    """``grid_probs`` computes only the onset head (the page's grid): the same numbers as decoding every plane."""
    probs = decoders.grid_probs(7)
    assert probs.shape == (49, TICKS, N_INSTRUMENTS) and probs.dtype == np.float32
    assert np.abs(probs - decoders.decode_grid(7).probs).max() < 1e-6
    with pytest.raises(ValueError, match="finite"):
        decoders.onset_probs(np.array([[np.nan, 0.0]]))


def test_pattern_noise_is_reproducible(trained: tuple[LoadedModel, np.ndarray]) -> None:
    model, _ = trained
    xy = (0.5, 0.5)
    assert model.pattern(xy) == threshold_planes(model.decode_pad(np.array(xy)).one(0), 0.5)
    a = [model.pattern(xy, noise=0.8, rng=np.random.default_rng(7)) for _ in range(2)]
    assert a[0] == a[1]
    rng = np.random.default_rng(7)
    z = pad_to_latent(np.array(xy, np.float32)) + 0.8 * rng.standard_normal(2)
    assert a[0] == threshold_planes(model.decode_latent(z.astype(np.float32)).one(0), 0.5)


def test_suggest_threshold(trained: tuple[LoadedModel, np.ndarray]) -> None:
    model, _ = trained
    sparse, dense = model.suggest_threshold(2.0, n=10), model.suggest_threshold(40.0, n=10)
    assert 0.05 <= dense <= sparse <= 0.95


def test_encode_decode_round_trip(trained: tuple[LoadedModel, np.ndarray]) -> None:
    model, bars = trained
    xy = model.encode(bars)
    assert xy.shape == (len(bars), 2) and (xy >= 0).all() and (xy <= 1).all()
    assert np.array_equal(xy, model.encode(bars))
    raw = model.encode(bars, clip=False)
    assert np.allclose(pad_to_latent(raw), model.encode_latent(bars), atol=1e-5)
    # decoding at the encoded points reconstructs the training bars much better than the average bar does
    probs = model.decode_latent(model.encode_latent(bars)).probs
    truth = bars[:, 0] > 0.5
    pred = probs >= 0.5
    f1 = 2 * (pred & truth).sum() / (pred.sum() + truth.sum())
    assert f1 > 0.3
    # and each bar's own point fits it better, on average, than the other bars' points do
    loglik = np.where(truth[:, None], np.log(probs[None] + 1e-6), np.log(1 - probs[None] + 1e-6)).sum(axis=(2, 3))
    own = np.diag(loglik).mean()
    others = (loglik.sum() - np.trace(loglik)) / (len(bars) * (len(bars) - 1))
    assert own > others
