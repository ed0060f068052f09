"""Training: reading clips, the clip-first split, reproducibility, progress, cancelling, NaN, nothing written on
failure."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import rvae_server.model.training as training
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import load_model, save_model
from rvae_server.model.network import ModelConfig, expected_tensors
from rvae_server.model.recipe import DEFAULT_RECIPE, free_threads, get_recipe
from rvae_server.model.training import GMD_LICENCE, train_and_save, train_model
from rvae_server.model.trainingdata import TrainEvent, TrainingCancelled, TrainingError, load_training_bars, split_data

GROOVE = Path(__file__).parent / "data" / "groove"
FEW = [
    GROOVE / "drummer7/session2/79_funk_100_beat_4-4.mid",
    GROOVE / "drummer7/session3/130_soul_105_beat_4-4.mid",
    GROOVE / "drummer7/session3/42_rock-indie_63_fill_4-4.mid",
]


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)  # as the server runs; 2 threads crawl when the cores are busy


def test_load_reports_failed_and_empty_clips_without_failing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")  # truncated header
    data = load_training_bars([*FEW, bad, GROOVE / "drummer1/session2/4_jazz_120_beat_3-4.mid", tmp_path / "no.mid"])
    assert [c.path for c in data.clips] == FEW
    assert {p.name for p, _ in data.failed} == {"bad.mid", "no.mid", "4_jazz_120_beat_3-4.mid"}
    assert all(reason for _, reason in data.failed)
    # 3/4: no bar in a supported meter at all, and the reason names the meter
    assert "meter 3/4" in dict((p.name, r) for p, r in data.failed)["4_jazz_120_beat_3-4.mid"]
    assert data.empty == []
    assert data.bars == sum(len(c.bars) for c in data.clips) > 10
    assert all(len(c.sha256) == 64 for c in data.clips)
    assert all((c.bars[:, 0].sum(axis=(1, 2)) >= 2).all() for c in data.clips)  # used bars only


def test_split_is_by_clip_before_anything_else() -> None:
    data = load_training_bars([GROOVE])
    assert len(data.clips) >= 6
    split = split_data(data, seed=1)
    assert split.by == "clip"
    assert set(split.train_clips).isdisjoint(split.validation_clips)
    assert sorted(split.train_clips + split.validation_clips) == list(range(len(data.clips)))
    assert len(split.validation_clips) == round(len(data.clips) / 6)
    val_bars = {b.tobytes() for i in split.validation_clips for b in data.clips[i].bars}
    train_only = {b.tobytes() for i in split.train_clips for b in data.clips[i].bars} - val_bars
    assert all(b.tobytes() in train_only for b in split.train)  # no bar of a validation clip is trained on
    assert len(split.train) + len(split.validation) == data.bars
    assert split_data(data, seed=1).validation_clips == split.validation_clips  # reproducible


def test_fewer_than_six_clips_split_by_bar_and_say_so() -> None:
    data = load_training_bars(FEW)
    split = split_data(data, seed=0)
    assert split.by == "bar"
    assert len(split.validation) == round(data.bars / 6)
    assert any("split by bar" in n for n in data.notes)


def test_same_seed_same_weights_and_events() -> None:
    split = split_data(load_training_bars(FEW), seed=0)
    events: list[TrainEvent] = []
    a = train_model(split, epochs=2, seed=5, batch_size=32, progress=events.append)
    b = train_model(split, epochs=2, seed=5, batch_size=32)
    c = train_model(split, epochs=2, seed=6, batch_size=32)
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key])
    assert not torch.equal(a.model.state_dict()["decoder.onsets.weight"], c.model.state_dict()["decoder.onsets.weight"])
    assert [e.epoch for e in events] == [1, 2] and all(e.epochs == 2 for e in events)
    assert all(np.isfinite(e.train_loss) and np.isfinite(e.val_loss) for e in events)
    assert events == a.history
    assert [e.train_loss for e in a.history] == [e.train_loss for e in b.history]


def test_cancel_hook_event_or_callable(tmp_path: Path) -> None:
    event = threading.Event()
    event.set()
    with pytest.raises(TrainingCancelled):
        train_and_save([str(p) for p in FEW], "c", str(tmp_path), epochs=2, cancel=event)
    calls = []

    def later() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(TrainingCancelled, match="cancelled"):
        train_and_save([str(p) for p in FEW], "c", str(tmp_path), epochs=50, cancel=later, batch_size=8)
    assert list(tmp_path.iterdir()) == []


def test_nan_loss_aborts_and_keeps_the_previous_model(tmp_path: Path) -> None:
    paths = [str(p) for p in FEW]
    first = train_and_save(paths, "m", str(tmp_path), epochs=1, licence=GMD_LICENCE, clip_root=str(GROOVE))
    before = {p.name: p.read_bytes() for p in Path(first.model).iterdir()}
    with pytest.raises(TrainingError, match="loss became nan"):
        train_and_save(paths, "m", str(tmp_path), epochs=2, beta=float("nan"), regularizer="vae")
    with pytest.raises(TrainingError, match="beta must be a finite number"):
        train_and_save(paths, "m", str(tmp_path), epochs=2, beta=float("nan"), regularizer="ae")
    assert {p.name: p.read_bytes() for p in Path(first.model).iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder left behind
    meta = load_model(first.model).meta
    assert meta["licence"]["attribution"] == "Groove MIDI Dataset, Google LLC, CC BY 4.0"
    assert meta["training"]["clips"][0]["path"] == "drummer7/session2/79_funk_100_beat_4-4.mid"


def test_no_usable_bars_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "bad.mid"
    bad.parent.mkdir()
    bad.write_bytes(b"not midi")
    out = tmp_path / "models"
    with pytest.raises(TrainingError, match="no usable bars"):
        train_and_save([str(bad.parent), str(GROOVE / "drummer1/session2/4_jazz_120_beat_3-4.mid")], "x", str(out))
    assert not out.exists() or list(out.iterdir()) == []


def test_train_and_save_summary_and_meta(tmp_path: Path) -> None:
    events: list[TrainEvent] = []
    notes: list[str] = []
    summary = train_and_save(
        [str(p) for p in FEW], "small", str(tmp_path), epochs=2, seed=3, progress=events.append, on_note=notes.append
    )
    assert Path(summary.model) == tmp_path / "small"
    assert summary.epochs == 2 and len(events) == 2
    assert summary.bars == load_training_bars(FEW).bars
    assert any("split by bar" in n for n in notes)
    meta = load_model(summary.model).meta
    t = meta["training"]
    assert t["epochs"] == 2 and t["seed"] == 3 and t["split"] == "bar"
    assert len(t["history"]) == 2 and t["train_loss"] == pytest.approx(summary.train_loss)
    assert [c["sha256"] for c in t["clips"]] == [c.sha256 for c in load_training_bars(FEW).clips]
    assert meta["config"]["beta"] == ModelConfig().beta


def test_training_is_independent_of_save(tmp_path: Path) -> None:
    """A trained model saves and loads to the same decoder (float32 exactly)."""
    split = split_data(load_training_bars(FEW), seed=0)
    result = train_model(split, epochs=1, seed=0)
    path = save_model(result.model, {}, tmp_path, "f32", dtype="float32")
    loaded = load_model(path)
    for key, value in result.model.state_dict().items():
        assert np.array_equal(loaded.tensors[key], value.numpy())


def test_recipes_and_their_settings() -> None:
    v1, v2, v3 = get_recipe("v1"), get_recipe("v2"), get_recipe()
    assert v3.name == DEFAULT_RECIPE == "v3" and v2.config == v3.config == ModelConfig()
    assert (v3.onset_loss, v3.tolerance_weight, v3.threshold_at, v3.peaks, v3.spread) == (
        "tolerant",
        0.5,
        "pad",
        True,
        True,
    )
    assert (v2.onset_loss, v2.threshold_at, v2.peaks, v2.spread, v2.target) == (
        "exact",
        "train",
        False,
        False,
        "played",
    )
    assert (v1.config.decoder_layers, v1.config.hidden, v1.config.regularizer, v1.lr, v1.keep_best) == (
        1, 512, "vae", 1e-3, False
    )  # fmt: skip
    assert v2.epochs_for(20) == v2.epochs and v2.epochs_for(10_000) < v2.epochs
    assert v2.epochs_for(10_000_000) == v2.min_epochs
    assert v2.config_for(200).regularizer == v2.config.regularizer == "ae"  # a dozen clips: the autoencoder
    assert v2.config_for(5000).regularizer == "vae"  # thousands of bars: the VAE's prior fills the holes
    assert v2.with_changes(regularizer="acai").config_for(5000).regularizer == "acai"  # asked for: always
    changed = v2.with_changes(beta=0.1, epochs=7)
    assert changed.config.beta == 0.1 and changed.epochs == 7 and changed.config.hidden == v2.config.hidden
    with pytest.raises(KeyError, match="known: v1, v2, v3"):
        get_recipe("v9")


def test_free_threads_follow_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert free_threads() == 4 and free_threads(2) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (2.6, 0.0, 0.0))
    assert free_threads() == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert free_threads() == 1


@pytest.mark.parametrize(("tolerance", "kept"), [(0.0, 2), (0.1, 4)])
def test_keep_best_keeps_the_best_validation_epoch(
    monkeypatch: pytest.MonkeyPatch, tolerance: float, kept: int
) -> None:
    """Scripted validation scores 0.5, 0.9, 0.6, 0.85: the best is epoch 2; with a tolerance of 0.1, epoch 4
    is as good and later. The returned weights are that epoch's."""
    split = split_data(load_training_bars(FEW), seed=0)
    scores = iter([0.5, 0.9, 0.6, 0.85])
    weights: list[dict[str, torch.Tensor]] = []

    def scripted(model: Any, x: Any, beta: float) -> tuple[float, float, float]:
        weights.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        return 1.0, next(scores), 0.0

    monkeypatch.setattr(training, "validation_scores", scripted)
    recipe = get_recipe().with_changes(keep_best=True, best_tolerance=tolerance, hidden=32, min_validation_bars=1)
    result = train_model(split, recipe=recipe, epochs=4, seed=0)
    assert result.best_epoch == kept
    for key, value in result.model.state_dict().items():
        assert torch.equal(value, weights[kept - 1][key])
    if kept != 4:  # not simply the last epoch's
        assert not torch.equal(result.model.state_dict()["decoder.onsets.bias"], weights[-1]["decoder.onsets.bias"])


def test_too_few_validation_bars_keep_the_last_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same scripted scores, but fewer validation bars than the recipe's minimum: the scores are reported
    and the last epoch's weights are kept."""
    split = split_data(load_training_bars(FEW), seed=0)
    assert 0 < len(split.validation) < 16
    scores = itertools.cycle([0.5, 0.9, 0.6, 0.3])  # the same four epochs for each run
    events: list[TrainEvent] = []
    monkeypatch.setattr(training, "validation_scores", lambda model, x, beta: (1.0, next(scores), 0.0))
    recipe = get_recipe().with_changes(keep_best=True, hidden=32)
    assert recipe.min_validation_bars == 16
    result = train_model(split, recipe=recipe, epochs=4, seed=0, progress=events.append)
    assert result.best_epoch == 4
    assert len(events) == 4
    again = train_model(split, recipe=recipe.with_changes(min_validation_bars=len(split.validation)), epochs=4, seed=0)
    assert again.best_epoch != 4  # no wrong fixture: with the minimum met, the scores do choose


@pytest.mark.parametrize("regularizer", ["vae", "ae", "acai"])
def test_each_regularizer_trains(regularizer: str) -> None:
    split = split_data(load_training_bars(FEW), seed=0)
    recipe = get_recipe().with_changes(regularizer=regularizer, hidden=32, encoder_hidden=16)
    result = train_model(split, recipe=recipe, epochs=3, seed=0, batch_size=16)
    assert all(np.isfinite(e.train_loss) and np.isfinite(e.val_loss) for e in result.history)
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert set(result.model.state_dict()) == set(expected_tensors(result.model.config))  # no critic saved
    assert result.model.config.regularizer == regularizer and result.cpu_seconds > 0


def test_saved_model_carries_its_space_and_figures(tmp_path: Path) -> None:
    summary = train_and_save([str(p) for p in FEW], "fit", str(tmp_path), epochs=3, threads=1)
    meta = load_model(summary.model).meta
    assert set(meta["space"]) == {"pad", "threshold", "start", "spread", "cap"}  # recipe v3 fits spread and cap
    model = LoadedModel.load(summary.model)
    limits, total = model.cap  # type: ignore[misc]
    probs = model.decode_pad(np.random.default_rng(0).uniform(-0.5, 1.5, (300, 2))).probs
    for threshold in (0.5, 0.05):  # however dense the performer plays it, no machine gun
        played = probs >= threshold
        assert (played.sum(axis=1) <= limits).all() and (played.sum(axis=(1, 2)) <= total).all()
    assert meta["space"]["threshold"]["at"] == "pad" and meta["space"]["threshold"]["peaks"] is True
    assert meta["evaluation"] == summary.evaluation and "random" in meta["evaluation"]
    assert "feel" in meta["evaluation"] and meta["evaluation"]["feel"]["reference"]["bars"] > 0
    t = meta["training"]
    assert t["report"] == summary.report and t["report"]["kept_epoch"] == t["best_epoch"]
    kept = t["history"][t["best_epoch"] - 1]
    assert t["val_loss"] == pytest.approx(kept["val_loss"]) and t["report"]["kept_val_loss"] == pytest.approx(
        kept["val_loss"], abs=1e-4
    )  # the kept epoch's, not the last one's
    assert t["recipe"] == DEFAULT_RECIPE and 1 <= t["best_epoch"] <= 3 and t["threads"] == 1
    assert t["cpu_seconds"] > 0 and t["learning_rate"] == get_recipe().lr
    with pytest.raises(TrainingError, match="no recipe 'v9'"):
        train_and_save([str(p) for p in FEW], "x", str(tmp_path), recipe="v9")
    with pytest.raises(TrainingError, match="regularizer must be one of"):
        train_and_save([str(p) for p in FEW], "x", str(tmp_path), regularizer="gan")


def test_the_training_report_says_what_was_kept_and_when_it_does_not_generalise() -> None:
    from rvae_server.model.trainingdata import TrainResult
    from rvae_server.model.trainreport import report_text, training_report

    losses = (90.0, 80.0, 120.0, 300.0, 400.0, 538.0)  # the validation loss rises sixfold while training
    scores = (0.3, 0.5, 0.6, 0.62, 0.61, 0.55)
    history = [
        TrainEvent(e + 1, 6, 10.0 - e, v, 0.1 * e, f) for e, (v, f) in enumerate(zip(losses, scores, strict=True))
    ]
    result = TrainResult(None, history, 1.0, best_epoch=4)  # type: ignore[arg-type]
    good = training_report(result, {"train": {"f1_tick": 0.8}, "validation": {"f1_tick": 0.7}})
    assert (good["kept_epoch"], good["kept_val_loss"], good["kept_val_f1"]) == (4, 300.0, 0.62)
    assert (good["best_val_loss"], good["best_val_loss_epoch"], good["last_val_loss"]) == (80.0, 2, 538.0)
    assert good["warning"] is None
    far = training_report(result, {"train": {"f1_tick": 0.95, "bars": 160}, "validation": {"f1_tick": 0.6}})
    assert "not the held-out ones" in far["warning"] and "add variety" in far["warning"]
    many = training_report(result, {"train": {"f1_tick": 0.95, "bars": 5000}, "validation": {"f1_tick": 0.6}})
    assert many["warning"] is None  # thousands of other drummers' bars are not expected back
    text = " | ".join(report_text(far))
    assert "kept epoch 4 of 6: validation loss 300.0, validation F1 0.62" in text
    assert "the lowest validation loss was 80.0 at epoch 2" in text and "warning: the model plays" in text
    assert report_text({}) == []
