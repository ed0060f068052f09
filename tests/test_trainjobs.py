"""Live retraining: a real training process beside a playing engine, progress per epoch, hot-swap at the next bar
line, undo, cancel, failure, and the confinement of clip folders."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from rvae_server.engine.api import EngineEvent
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.model.clip_folders import TrainingRefused, resolve_clip_folder
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import save_model
from rvae_server.model.recipe import DEFAULT_RECIPE
from rvae_server.model.training import train_model
from rvae_server.model.trainingdata import load_training_bars, split_data
from rvae_server.session.trainjobs import TrainingService

DATA = Path(__file__).parent / "data" / "groove"


@pytest.fixture(scope="module")
def first_model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    folder = tmp_path_factory.mktemp("first")
    result = train_model(split_data(load_training_bars([DATA / "drummer3"]), seed=2), epochs=3, seed=2)
    return LoadedModel.load(save_model(result.model, {}, folder, "first"))


class Events:
    def __init__(self) -> None:
        self.items: list[dict] = []
        self.bars: list[dict] = []
        self.cond = threading.Condition()

    def job(self, event: dict) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def engine(self, event: EngineEvent) -> None:
        if event.kind == "bar":
            with self.cond:
                self.bars.append(dict(event.data, at=time.perf_counter()))

    def wait(self, kind: str, timeout: float = 90.0) -> dict:
        with self.cond:
            ok = self.cond.wait_for(lambda: any(e["type"] == kind for e in self.items), timeout)
        assert ok, f"no {kind} event; got {[e['type'] for e in self.items]}"
        return next(e for e in self.items if e["type"] == kind)

    def types(self) -> list[str]:
        return [e["type"] for e in self.items]


@pytest.fixture
def rig(first_model, tmp_path):
    clips = tmp_path / "clips"
    shutil.copytree(DATA / "drummer7", clips / "d7")
    (clips / "bad").mkdir()
    (clips / "bad" / "junk.mid").write_bytes(b"not midi at all")
    models = tmp_path / "models"
    clock = InternalClock(bpm=240.0)  # a bar a second
    engine = Engine({"first": first_model}, clock, [], default_model="first", layers=2)
    events = Events()
    engine.add_listener(events.engine)
    engine.update(0, threshold=0.05)  # a few epochs' model: make sure notes play
    engine.start()
    engine.play()
    service = TrainingService(engine, models, [clips], epochs=6, seed=1)
    service.add_listener(events.job)
    yield engine, service, events, models
    service.close()
    engine.close()
    clock.close()


def test_a_job_trains_in_a_process_reports_each_epoch_and_swaps_in_at_the_bar_line(rig):
    engine, service, events, models = rig
    job = service.start("d7", "fresh", layers=[0])
    assert service.busy
    done = events.wait("train-done")
    assert done["job"] == job and done["name"] == "fresh" and done["epochs"] == 6
    epochs = [e["epoch"] for e in events.items if e["type"] == "train-progress"]
    assert epochs == [1, 2, 3, 4, 5, 6]
    assert all(e["train_loss"] > 0 for e in events.items if e["type"] == "train-progress")
    assert (models / "fresh" / "weights.safetensors").exists()
    fresh = LoadedModel.load(models / "fresh")  # trained with the current recipe, its pad fitted and evaluated
    assert fresh.meta["training"]["recipe"] == DEFAULT_RECIPE and fresh.meta["training"]["threads"] == 1
    assert fresh.start is not None and fresh.default_threshold is not None and fresh.evaluation is not None
    # its clips' bars are kept beside it: its map (one colour per clip) outlives the folder it learnt from
    from rvae_server.model.mapsources import model_map, per_clip

    assert (models / "fresh.clips.npz").is_file()
    shutil.rmtree(next(p for p in (models.parent / "clips").iterdir() if p.name == "d7"))
    space = model_map(fresh)
    assert len(space) > 0 and per_clip(space) and str(models / "fresh.clips.npz") in space.source
    assert engine.state(0).model == "fresh" and engine.state(1).model == "first"
    swapped_at = time.perf_counter()
    time.sleep(2.2)
    later = [b for b in events.bars if b["layer"] == 0 and b["at"] > swapped_at]
    assert later and all(b["model"] == "fresh" for b in later[1:])
    assert engine.lateness and sorted(engine.lateness)[len(engine.lateness) // 2] < 0.002
    assert service.undo_model(0) == "first"
    assert engine.state(0).model == "first"
    assert not service.busy


def test_cancel_leaves_models_and_music_untouched(rig):
    engine, service, events, models = rig
    service.epochs = 500
    service.start("d7", "never", layers=[0])
    events.wait("train-progress")
    assert service.cancel()
    events.wait("train-cancelled")
    assert not (models / "never").exists()
    assert not [p for p in models.glob("*") if not p.name.startswith(".")]
    assert engine.state(0).model == "first" and engine.clock.running
    assert not service.cancel()  # nothing left to cancel


def test_failed_job_reports_why(rig):
    engine, service, events, models = rig
    service.start("bad", "broken")
    failed = events.wait("train-failed")
    assert "no usable bars" in failed["error"]
    assert not (models / "broken").exists() and engine.state(0).model == "first"


def test_one_job_at_a_time_and_names_checked(rig):
    _, service, events, _ = rig
    service.epochs = 500
    service.start("d7", "one")
    with pytest.raises(TrainingRefused, match="still running"):
        service.start("d7", "two")
    service.cancel()
    events.wait("train-cancelled")
    with pytest.raises(TrainingRefused, match="layer 5 does not exist"):
        service.start("d7", "ok", layers=[4])


def test_clip_folders_are_confined(tmp_path):
    root = tmp_path / "clips"
    (root / "set1").mkdir(parents=True)
    outside = tmp_path / "secret"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    assert resolve_clip_folder("set1", [root]) == (root / "set1").resolve()
    assert resolve_clip_folder(str(root / "set1"), [root]) == (root / "set1").resolve()
    for bad, message in [
        ("../secret", "may not contain '..'"),
        ("set1/../../secret", "may not contain '..'"),
        (str(outside), "outside the clip folders"),
        ("escape", "outside the clip folders"),
        ("/etc", "outside the clip folders"),
        ("nothing-here", "no folder"),
        ("", "empty"),
    ]:
        with pytest.raises(TrainingRefused, match=message):
            resolve_clip_folder(bad, [root])
    with pytest.raises(TrainingRefused, match="no clip folders are configured"):
        resolve_clip_folder("set1", [])
