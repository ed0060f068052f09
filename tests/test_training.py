"""Training: reading clips, the clip-first split, reproducibility, progress, cancelling, NaN, nothing written on
failure."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from rvae_server.model.modelfile import load_model, save_model
from rvae_server.model.network import ModelConfig
from rvae_server.model.training import (
    GMD_LICENCE,
    TrainEvent,
    TrainingCancelled,
    TrainingError,
    load_training_bars,
    split_data,
    train_and_save,
    train_model,
)

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
        train_and_save(paths, "m", str(tmp_path), epochs=2, beta=float("nan"))
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
