"""``rvae_server.core.peaks``: one onset where a drummer plays one, on every decode path."""

from __future__ import annotations

import numpy as np
import pytest

from rvae_server.core.bar import TICKS, Bar
from rvae_server.core.peaks import cap_probs, decoded_bars, peak_mask, peak_probs, pick, played_planes
from rvae_server.engine.shaping import cell_thresholds, threshold_cells
from rvae_server.model.inference import threshold_planes


def known_planes() -> np.ndarray:
    """Kick: a flam on ticks 10-11 (11 stronger), a lone hit on 24, a 3-tick smear 47-49 (48 strongest), and a
    plateau 70-71; snare: two peaks 2 ticks apart (30, 32) with a valley at 31."""
    planes = np.zeros((3, TICKS, 9), np.float32)
    p = planes[0]
    p[10, 0], p[11, 0] = 0.6, 0.8
    p[24, 0] = 0.9
    p[47, 0], p[48, 0], p[49, 0] = 0.55, 0.95, 0.7
    p[70, 0] = p[71, 0] = 1.0
    p[30, 1], p[31, 1], p[32, 1] = 0.8, 0.6, 0.7
    planes[1] = 0.5
    planes[2] = np.linspace(-0.9, 0.9, TICKS)[:, None]
    return planes


def test_peak_picking_on_a_known_plane_gives_the_known_bar() -> None:
    planes = known_planes()
    bar = Bar.from_decoded(planes, planes[0] >= 0.5, peaks=True)
    assert sorted(np.flatnonzero(bar.onsets[:, 0])) == [11, 24, 48, 70]  # one per stroke, the plateau's first
    assert sorted(np.flatnonzero(bar.onsets[:, 1])) == [30, 32]  # two peaks two ticks apart stay two strokes
    assert bar.microtiming[11, 0] == pytest.approx(planes[2, 11, 0])  # the stronger stroke's own timing
    assert bar.velocities[48, 0] == pytest.approx(0.5)
    every = Bar.from_decoded(planes, planes[0] >= 0.5, peaks=False)
    assert every.onset_count() == 11 and bar.onset_count() == 6
    assert not (bar.onsets[1:] * bar.onsets[:-1]).any()  # no instrument on two consecutive ticks


def test_the_mask_does_not_depend_on_the_threshold() -> None:
    rng = np.random.default_rng(3)
    probs = rng.random((40, TICKS, 9)).astype(np.float32)
    masked = peak_probs(probs)
    for threshold in (0.1, 0.4, 0.77):
        assert np.array_equal(masked >= threshold, pick(probs, probs >= threshold))
    assert not (pick(probs, probs >= 0.1)[:, 1:] & pick(probs, probs >= 0.1)[:, :-1]).any()
    mask = peak_mask(probs)
    runs = probs >= 0.3
    # every run of ticks above a threshold keeps its highest tick
    for bar, inst in ((0, 0), (5, 3), (17, 8)):
        above = np.flatnonzero(runs[bar, :, inst])
        for run in np.split(above, np.flatnonzero(np.diff(above) > 1) + 1):
            if len(run):
                assert mask[bar, run[np.argmax(probs[bar, run, inst])], inst]


def test_every_decode_path_plays_the_same_peaks() -> None:
    planes = known_planes()
    bar = Bar.from_decoded(planes, planes[0] >= 0.5, peaks=True)
    as_decoded = np.stack([peak_probs(planes[0]), planes[1], planes[2]])  # what a trained model's decode returns
    assert threshold_planes(as_decoded, 0.5) == bar  # the engine at a point, render, jam
    assert threshold_cells(as_decoded, cell_thresholds(0.5, np.zeros(9))) == bar  # the engine in motion
    batch = decoded_bars(planes[None], 0.5)
    assert np.array_equal(batch[0], bar.planes())
    assert np.array_equal(played_planes(planes, planes[0] >= 0.5), bar.planes())
    assert Bar.from_decoded(planes, planes[0] >= 0.5).onset_count() == 11  # synthetic planes: as they are
    planes[1:, 3, 5] = np.nan  # garbage off the onsets never leaks
    assert np.isfinite(threshold_planes(planes, 0.5).planes()).all()


def test_a_trained_models_decode_holds_only_peaks() -> None:
    import torch

    from rvae_server.model.inference import LoadedModel
    from rvae_server.model.network import ModelConfig, RhythmVAE

    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = RhythmVAE(ModelConfig(hidden=32, encoder_hidden=16))
    with torch.no_grad():
        module.decoder.onsets.bias.fill_(2.0)  # a blur: most cells likely, neighbours too
    model, raw = LoadedModel.from_module(module), LoadedModel.from_module(module, peaks=False)
    z = np.random.default_rng(0).normal(size=(96, 2)).astype(np.float32)
    for got, plain in (
        (model.decode_latent(z[:1]).probs, raw.decode_latent(z[:1]).probs),  # one point (the fast path)
        (model.decode_latent(z).probs, raw.decode_latent(z).probs),  # a batch (eval, the grid)
        (model.decode_ticks(z)[0][None], raw.decode_ticks(z)[0][None]),  # a bar in motion
    ):
        assert np.array_equal(got, peak_probs(plain)) and not np.array_equal(got, plain)
        assert not ((got[:, 1:] >= 0.5) & (got[:, :-1] >= 0.5)).any()  # no instrument on consecutive ticks
    assert model.pattern((0.5, 0.5)) == Bar.from_decoded(raw.decode_pad(np.array([0.5, 0.5])).one(0),
                                                         raw.decode_pad(np.array([0.5, 0.5])).probs[0] >= 0.5,
                                                         peaks=True)  # fmt: skip


def test_the_pages_grid_is_peak_masked() -> None:
    import torch

    from rvae_server.model.inference import LoadedModel
    from rvae_server.model.network import ModelConfig, RhythmVAE
    from rvae_server.web.grid import decode_grid_probs

    with torch.random.fork_rng():
        torch.manual_seed(1)
        module = RhythmVAE(ModelConfig(hidden=32, encoder_hidden=16))
    with torch.no_grad():
        module.decoder.onsets.bias.fill_(1.0)
    probs = decode_grid_probs(LoadedModel.from_module(module), 4)  # what the page draws and thresholds
    raw = LoadedModel.from_module(module, peaks=False).decode_grid(4).probs
    assert np.array_equal(probs, peak_probs(raw)) and (probs == 0).sum() > (raw == 0).sum()


def test_the_cap_keeps_the_strongest_peaks_at_any_threshold() -> None:
    probs = np.zeros((2, TICKS, 9), np.float32)
    probs[:, ::3, 0] = np.linspace(0.2, 1.0, 32)  # 32 kick peaks, the later the likelier: a machine gun
    probs[:, 4::12, 2] = 0.9  # 8 hats
    probs[:, 5::12, 2] = 0.5  # each beside a hat: not a peak
    limits = np.array([10, 20, 6, 1, 1, 1, 1, 1, 1])
    capped = cap_probs(probs, limits, 14)
    assert len(np.flatnonzero(cap_probs(probs, limits)[0, :, 0])) == 10  # without a total: the 10 allowed
    kicks = np.flatnonzero(capped[0, :, 0])
    assert kicks.tolist() == list(range(72, 96, 3))  # 14 in all: the 6 hats allowed at 0.9, the 8 strongest kicks
    assert (capped[:, :, 2] > 0).sum(axis=1).tolist() == [6, 6]
    assert ((capped[..., 2] > 0) & (probs[..., 2] == 0.5)).sum() == 0  # the non-peaks are gone
    for threshold in (0.05, 0.5, 0.95):
        played = capped >= threshold
        assert (played.sum(axis=1) <= limits).all() and (played.sum(axis=(1, 2)) <= 14).all()


def test_the_cap_keeps_exactly_what_a_stable_ranking_keeps() -> None:
    """The cap's top-k (a partition and a count, not a sort) keeps the ``k`` largest of each row, of equal values
    the earlier, exactly as ranking the row would — ties included (saturated probabilities are equal); zeros play
    nothing whichever are kept."""
    from rvae_server.core.peaks import _keep_top

    rng = np.random.default_rng(0)
    for trial in range(200):
        n, rows, k = int(rng.integers(2, 100)), int(rng.integers(1, 12)), 0
        k = int(rng.integers(-1, n + 2))
        if trial % 2:
            values = rng.choice([0.0, 0.2, 0.5, 1.0], size=(rows, n)).astype(np.float32)
        else:
            values = rng.random((rows, n)).astype(np.float32)
        order = np.argsort(-values, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.broadcast_to(np.arange(n), order.shape), axis=1)
        kept = values.copy()
        _keep_top(kept, k)  # in place (a zero kept or not plays nothing)
        assert np.array_equal(kept, np.where(ranks < k, values, 0.0)), (trial, k)


def test_the_cap_is_the_ranking_of_every_peak_by_instrument_then_in_all() -> None:
    """Against the cap written as two stable rankings (each drum's peaks, then all the bar's kept): equal."""
    rng = np.random.default_rng(1)

    def ranks(values: np.ndarray) -> np.ndarray:
        order = np.argsort(-values, axis=1, kind="stable")
        out = np.empty_like(order)
        steps = np.arange(values.shape[1]).reshape([1, -1] + [1] * (values.ndim - 2))
        np.put_along_axis(out, order, np.broadcast_to(steps, order.shape), axis=1)
        return out

    for trial in range(40):
        probs = rng.random((5, 96, 9)).astype(np.float32)
        if trial % 2:
            probs[rng.random(probs.shape) < 0.3] = 1.0  # saturated: ties
        limits, total = rng.integers(0, 30, 9), int(rng.integers(1, 120))
        p = peak_probs(probs)
        want = np.where(ranks(p) < limits.reshape(1, 1, 9), p, 0.0)
        cells = want.reshape(5, -1)
        want = np.where(ranks(cells) < total, cells, 0.0).reshape(p.shape)
        assert np.array_equal(cap_probs(probs, limits, total), want), trial
