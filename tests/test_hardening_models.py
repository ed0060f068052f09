"""Hardening, models (issue 11, items 1-5): a model the engine cannot play is refused at load and one layer's failure
never stops another; hostile meta.json (deep, huge numbers, wrong types) is refused per folder; weights that are a
device, a FIFO or a link are never read; one owner of "a model of this name changed" (same-name retrain and undo,
a training process killed after installing, an interrupted fallback replacement, a folder written in two steps);
symbolic links leading out of a models dir or a clip folder are refused."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from rvae_server.core.config import ServeConfig
from rvae_server.core.untrusted import UnsafeFile, read_regular
from rvae_server.engine.api import ControlError
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.model.inference import LoadedModel
from rvae_server.model.library import ModelWatcher, NoModels, load_models
from rvae_server.model.modeldirs import bundled_models_dir, default_model, find_models, resolve_model
from rvae_server.model.modelfile import ModelFileError, load_model, save_model
from rvae_server.model.network import ModelConfig, RhythmVAE
from rvae_server.model.planes import DecodedPlanes
from rvae_server.model.trainingdata import load_training_bars
from rvae_server.session.daemon import Daemon
from rvae_server.testing import SyntheticModel

DATA = Path(__file__).parent / "data" / "groove"


@pytest.fixture(scope="module")
def bundled() -> Path:
    info = default_model([bundled_models_dir()])
    assert info is not None
    return info.path


def small(seed: int = 0, **config: Any) -> RhythmVAE:
    torch.manual_seed(seed)
    return RhythmVAE(ModelConfig(hidden=32, **config))


def edit_meta(folder: Path, text: str) -> None:
    (folder / "meta.json").write_text(text)


# ------------------------------------------------------------------------------------------ 1. playable configs


@pytest.mark.parametrize(
    ("config", "what"), [({"latent": 3}, "latent"), ({"ticks": 48}, "ticks"), ({"instruments": 5}, "instruments")]
)
def test_a_model_the_engine_cannot_play_is_refused_at_load(tmp_path, config, what):
    save_model(small(0), {}, tmp_path, "good")
    save_model(small(1, **config), {}, tmp_path, "odd")
    with pytest.raises(ModelFileError, match=f"cannot play.*{what}"):
        load_model(tmp_path / "odd")
    models, _, problems = load_models([tmp_path], None)
    assert "odd" not in models and "good" in models
    assert any("'odd'" in p and what in p for p in problems), problems
    with pytest.raises(NoModels, match=f"'odd'.*{what}"):  # --model odd: the reason, not "not among"
        load_models([tmp_path], "odd")


class Failing(SyntheticModel):
    """A model whose decoding breaks away from the latent origin (as a foreign config's does everywhere)."""

    def decode_latent(self, z: np.ndarray) -> DecodedPlanes:
        if np.any(z != 0):
            raise ValueError("cannot reshape array of size 1296 into shape (1,3,96,9)")
        return super().decode_latent(z)


def test_one_layers_failure_never_stops_another(stepped_engine):
    engine, stepper, recorder = stepped_engine({"a": SyntheticModel("a"), "bad": Failing("bad")}, bpm=400.0)
    engine.update(0, x=0.9, y=0.9)
    stepper.play()
    engine.update(1, model="bad", enabled=True, x=0.7, y=0.7)  # layer 2 breaks at every bar from now on
    stepper.bar(6)
    want = sorted((round(n.tick + n.microtiming / 2, 6), n.instrument) for n in engine.render(0).notes())
    played = [(p, i) for p, _, i, *_ in recorder.played(stepper.clock, layer=0)]
    first = sorted((max(p, 0.0), i) for p, i in want)  # the first bar's early notes sound at the start itself
    for bar in range(6):  # layer 1 plays every bar in full
        got = sorted((round(p - 96 * bar, 6), i) for p, i in played if -0.5 <= p - 96 * bar < 95.5)
        assert got == (first if bar == 0 else want), bar
    layer1 = [p for p, *_ in recorder.played(stepper.clock, layer=1)]
    assert layer1 and max(layer1) < 95.5  # bar 0 keeps model a (a model waits for the bar line), then it rests


def test_the_engine_refuses_a_model_it_cannot_play():
    clock = InternalClock(bpm=120.0)
    engine = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=1)
    try:
        odd = LoadedModel.from_module(small(0, latent=3), name="odd")
        with pytest.raises(ControlError, match="cannot play.*latent"):
            engine.add_model("odd", odd)
        assert "odd" not in engine.models
        with pytest.raises(ControlError, match="cannot play"):
            Engine({"bad": odd}, clock, [], default_model="bad")
    finally:
        engine.close()
        clock.close()


# ------------------------------------------------------------------------------------------ 2. hostile meta.json

DEEP = '{"format": "rvae-model", "format_version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
HUGE = '{"format": "rvae-model", "format_version": 1, "n": ' + "9" * 5000 + "}"


@pytest.mark.parametrize("text", [DEEP, HUGE], ids=["deep", "huge-int"])
def test_hostile_meta_is_refused_per_folder_at_start_and_by_rvae_models(bundled, tmp_path, text):
    shutil.copytree(bundled, tmp_path / "a-good")
    shutil.copytree(bundled, tmp_path / "b-hostile")
    shutil.copytree(bundled, tmp_path / "c-good")
    edit_meta(tmp_path / "b-hostile", text)
    found = {m.name: m for m in find_models([tmp_path])}
    assert found["b-hostile"].error is not None and found["a-good"].error is None
    assert "error" in found["b-hostile"].summary()
    models, _, problems = load_models([tmp_path], None)
    assert {"a-good", "c-good"} <= set(models) and "b-hostile" not in models  # (the bundled models load too)
    assert any("b-hostile" in p for p in problems)
    result = subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", "models", "--models-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "b-hostile" in result.stdout and "error" in result.stdout


@pytest.mark.parametrize("field", ["config", "training", "weights", "licence"])
def test_wrong_types_in_meta_give_a_clear_error(bundled, tmp_path, field):
    folder = tmp_path / "m"
    shutil.copytree(bundled, folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta[field] = "big"
    edit_meta(folder, json.dumps(meta))
    info = find_models([tmp_path])[0]
    assert info.error is not None and field in info.error
    assert info.summary()["error"] == info.error
    with pytest.raises(ModelFileError, match=field):
        load_model(folder)


def test_the_watcher_isolates_each_folder(bundled, tmp_path):
    arrived: list[str] = []
    watcher = ModelWatcher([tmp_path], lambda name, model: arrived.append(name))
    for name in ("a", "b", "c"):
        shutil.copytree(bundled, tmp_path / name)
    edit_meta(tmp_path / "b", DEEP)
    assert sorted(watcher.check()) == ["a", "c"]
    assert watcher.check() == []  # nothing reloaded, nothing raised
    assert sorted(arrived) == ["a", "c"]


# ------------------------------------------------------------------------------------------ 3. special files


def load_in_thread(path: Path) -> BaseException | None:
    """Load a model on a thread; a read that hangs (a FIFO) fails the test instead of hanging it."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load_model(path)
            outcome.append(None)
        except BaseException as err:
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert outcome, "loading hung on a special file"
    return outcome[0]


def test_weights_that_are_a_fifo_are_refused_unread(bundled, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(bundled, folder)
    (folder / "weights.safetensors").unlink()
    os.mkfifo(folder / "weights.safetensors")
    err = load_in_thread(folder)
    assert isinstance(err, ModelFileError) and "FIFO" in str(err), err
    meta_fifo = tmp_path / "n"
    shutil.copytree(bundled, meta_fifo)
    (meta_fifo / "meta.json").unlink()
    os.mkfifo(meta_fifo / "meta.json")
    err = load_in_thread(meta_fifo)
    assert isinstance(err, ModelFileError) and "FIFO" in str(err), err


def test_weights_linked_to_a_device_are_refused_unread(bundled, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(bundled, folder)
    (folder / "weights.safetensors").unlink()
    (folder / "weights.safetensors").symlink_to("/dev/zero")
    err = load_in_thread(folder)
    assert isinstance(err, ModelFileError) and "symbolic link" in str(err), err


def test_a_file_is_read_once_and_bounded(tmp_path):
    with pytest.raises(UnsafeFile, match="changed while being read"):
        read_regular("/proc/self/status", 1 << 20)  # announces 0 bytes, holds more: as a file growing
    big = tmp_path / "big"
    big.write_bytes(b"x" * 100)
    with pytest.raises(UnsafeFile, match="too large"):
        read_regular(big, 99)
    assert read_regular(big, 100) == b"x" * 100


# ------------------------------------------------------------------------------------------ 4. one owner


def test_an_interrupted_fallback_replacement_is_restored_when_models_are_listed(tmp_path):
    save_model(small(0), {}, tmp_path, "m")
    dead_pid = 2**22 + 4321  # above Linux's pid_max: never alive
    os.rename(tmp_path / "m", tmp_path / f".m.old-{dead_pid}-abcd1234")  # killed between the two renames
    assert [m.name for m in find_models([tmp_path])] == ["m"]
    load_model(tmp_path / "m")


def test_a_folder_written_in_two_steps_is_loaded_once_complete(bundled, tmp_path):
    arrived: list[str] = []
    watcher = ModelWatcher([tmp_path], lambda name, model: arrived.append(name))
    folder = tmp_path / "slow"
    folder.mkdir()
    shutil.copy(bundled / "meta.json", folder / "meta.json")  # meta first ...
    assert watcher.check() == []
    shutil.copy(bundled / "weights.safetensors", folder / "weights.safetensors")  # ... the weights later
    assert watcher.check() == ["slow"]
    assert watcher.check() == []


def serve_config(tmp_path: Path, models: Path, clips: Path) -> ServeConfig:
    return ServeConfig(
        models_dir=(str(models),), model="first", midi_backend="alsa", osc_port=0, http_port=0, state_file="",
        clip_dirs=(str(clips),), train_epochs=2, render_dir=str(tmp_path / "render"), controller_in="none",
        explicit=frozenset({"model"}),
    ).validate()  # fmt: skip


@pytest.fixture
def daemon(bundled, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(bundled, models / "first")
    clips = tmp_path / "clips"
    shutil.copytree(DATA / "drummer7", clips / "d7")
    loaded, default, _ = load_models([models], "first")
    d = Daemon(serve_config(tmp_path, models, clips), {"first": loaded["first"]}, default).open()
    d.engine.update(0, noise=0.0)
    yield d, models
    d.close()


class JobEvents:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.cond = threading.Condition()

    def __call__(self, event: dict[str, Any]) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def wait(self, *kinds: str) -> dict[str, Any]:
        with self.cond:
            assert self.cond.wait_for(lambda: any(e["type"] in kinds for e in self.items), 180), self.items
        return next(e for e in self.items if e["type"] in kinds)


def test_same_name_retrain_then_undo_brings_back_the_old_model(daemon):
    """The watcher finds the retrained model on disk before the job swaps it in: undo still restores the old one."""
    d, _ = daemon
    engine = d.engine
    old = engine.models["first"]
    before = engine.render(0)
    events = JobEvents()

    def watcher_first(event: dict[str, Any]) -> None:  # runs on the job's watch thread: it waits for this
        if event["type"] == "train-progress" and event["epoch"] == event["epochs"]:
            deadline = time.monotonic() + 120
            while engine.models["first"] is old and time.monotonic() < deadline:
                d.watcher.check()
                time.sleep(0.05)

    d.training.add_listener(watcher_first)
    d.training.add_listener(events)
    d.training.start("d7", "first", [0])
    events.wait("train-done")
    assert engine.models["first"] is not old
    name = d.training.undo_model(0)
    assert engine.state(0).model == name and engine.models[name] is old
    assert engine.render(0) == before


def test_a_training_process_killed_after_installing_is_reported_and_can_be_undone(daemon):
    d, models = daemon
    engine = d.engine
    old = engine.models["first"]
    before = engine.render(0)
    d.training.epochs = 500
    events = JobEvents()

    def install_then_die(event: dict[str, Any]) -> None:
        if event["type"] == "train-progress" and event["epoch"] == 1:
            save_model(RhythmVAE(ModelConfig()), {}, models, "first")  # what the job installs at its end ...
            for child in multiprocessing.active_children():
                if child.name.startswith("rvae-train"):
                    child.kill()  # ... then kill -9 before it reports

    d.training.add_listener(install_then_die)
    d.training.add_listener(events)
    d.training.start("d7", "first", [0])
    failed = events.wait("train-failed", "train-done")
    assert failed["type"] == "train-failed"
    assert "untouched" not in failed["error"] and "'first'" in failed["error"] and "undo" in failed["error"]
    deadline = time.monotonic() + 30
    while engine.models["first"] is old and time.monotonic() < deadline:
        d.watcher.check()
        time.sleep(0.05)
    assert engine.models["first"] is not old  # the new model on disk plays ...
    name = d.training.undo_model(0)  # ... and the old one comes back
    assert engine.models[name] is old and engine.render(0) == before


# ------------------------------------------------------------------------------------------ 5. symbolic links


def test_model_folders_linked_from_outside_are_refused(bundled, tmp_path):
    outside = tmp_path / "elsewhere"
    shutil.copytree(bundled, outside / "real")
    models = tmp_path / "models"
    shutil.copytree(bundled, models / "inside")
    (models / "linked").symlink_to(outside / "real")
    found = {m.name: m for m in find_models([models])}
    assert found["linked"].error is not None and "link" in found["linked"].error
    loaded, _, problems = load_models([models], None)
    assert "inside" in loaded and "linked" not in loaded and any("linked" in p for p in problems)
    with pytest.raises(ModelFileError, match="link"):
        resolve_model("linked", [models])
    arrived: list[str] = []
    watcher = ModelWatcher([models], lambda name, model: arrived.append(name))
    (models / "linked2").symlink_to(outside / "real")
    assert watcher.check() == [] and arrived == []
    meta_link = models / "meta-linked"
    shutil.copytree(bundled, meta_link)
    (meta_link / "meta.json").unlink()
    (meta_link / "meta.json").symlink_to(outside / "real" / "meta.json")
    with pytest.raises(ModelFileError, match="symbolic link"):
        load_model(meta_link)


def test_clip_files_linked_from_outside_a_clip_folder_are_not_read(tmp_path):
    from rvae_server.core.midifile import read_clip

    secret = tmp_path / "secret"
    secret.mkdir()
    source = next((DATA / "drummer7").rglob("*.mid"))
    shutil.copy(source, secret / "private.mid")
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(source, clips / "mine.mid")
    (clips / "leak.mid").symlink_to(secret / "private.mid")
    os.mkfifo(clips / "fifo.mid")
    data = load_training_bars([clips])
    assert [c.path.name for c in data.clips] == ["mine.mid"]
    reasons = {Path(p).name: r for p, r in data.failed}
    assert "link" in reasons["leak.mid"] and "FIFO" in reasons["fifo.mid"], reasons
    assert read_clip(clips / "mine.mid").bars  # a regular clip still reads
