"""Saving and restoring the performance state: real files, a real Engine on an InternalClock (synthetic model)."""

from __future__ import annotations

import json
import os
import time

import pytest

from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.session.state import SAVE_INTERVAL, StateKeeper, apply_state, read_state
from rvae_server.surfaces.controllers import Binding, CCMapper
from rvae_server.testing import SyntheticModel


@pytest.fixture
def make_engine():
    made = []

    def make(models=("a", "b"), layers=2):
        clock = InternalClock(bpm=120.0)
        engine = Engine({m: SyntheticModel(m) for m in models}, clock, [], default_model=models[0], layers=layers)
        engine.start()
        made.append((engine, clock))
        return engine

    yield make
    for engine, clock in made:
        engine.close()
        clock.close()


def test_a_set_comes_back_after_a_restart(tmp_path, make_engine):
    path = tmp_path / "state.json"
    engine = make_engine()
    mapper = CCMapper(engine, bindings=[])
    keeper = StateKeeper(engine, path, mapper)
    assert keeper.restore() is False
    keeper.start()
    engine.update(0, x=0.2, y=0.8, threshold=0.35, noise=0.1, velocity_mode="fixed", fixed_velocity=77, timing=0.4)
    engine.set_mute(0, "snare", True)
    engine.update(1, enabled=True, model="b", channel=11)
    engine.set_bpm(97)
    mapper.set_bindings([Binding(3, 21, "threshold", 1)])
    keeper.close()
    saved = json.loads(path.read_text())
    assert saved["format"] == "rvae-state" and saved["bpm"] == 97.0

    # "restart": a fresh engine comes back where the first one was
    engine2 = make_engine()
    mapper2 = CCMapper(engine2, bindings=[])
    assert StateKeeper(engine2, path, mapper2).restore() is True
    assert engine2.state(0) == engine.state(0)
    assert engine2.state(1) == engine.state(1)
    assert engine2.clock.bpm == 97.0
    assert mapper2.bindings == [Binding(3, 21, "threshold", 1)]


def test_saves_are_debounced(tmp_path, make_engine):
    path = tmp_path / "state.json"
    engine = make_engine()
    keeper = StateKeeper(engine, path).start()
    try:
        start = time.monotonic()
        for k in range(200):  # an XY drag
            engine.update(0, x=k / 200)
            time.sleep(0.003)
        elapsed = time.monotonic() - start
        time.sleep(SAVE_INTERVAL + 0.2)
        assert keeper.saves <= elapsed / SAVE_INTERVAL + 2
        assert read_state(path)["layers"][0]["x"] == pytest.approx(199 / 200)
    finally:
        keeper.close()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe", b"[]", b'{"format": "rvae-state", "version": 99}', b'{"format": "other"}'],
)
def test_a_damaged_file_is_kept_aside_and_defaults_are_used(tmp_path, make_engine, caplog, content):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    engine = make_engine()
    before = engine.state(0)
    assert StateKeeper(engine, path).restore() is False
    assert engine.state(0) == before
    assert (tmp_path / "state.json.bad").read_bytes() == content
    assert not path.exists()
    assert any("starting from defaults" in r.message and str(path) in r.message for r in caplog.records)


def test_bad_fields_are_skipped_or_clamped(tmp_path, make_engine):
    engine = make_engine(layers=1)
    data = {
        "format": "rvae-state",
        "version": 1,
        "bpm": 1000,
        "layers": [{"model": "gone", "x": 7, "y": "high", "threshold": float("nan"), "mutes": {"kick": True}}, {}],
    }
    notes = apply_state(engine, data)
    state = engine.state(0)
    assert state.model == "a" and state.x == 1.0 and state.y == 0.5 and state.mutes[0]
    assert engine.clock.bpm == 400.0
    text = " | ".join(notes)
    assert "model 'gone' is not loaded" in text and "2 layers saved, 1 running" in text


def test_a_write_failure_is_logged_not_raised(tmp_path, make_engine, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    keeper = StateKeeper(make_engine(), blocker / "state.json")  # a folder that cannot exist
    assert keeper.save() is False and keeper.failures == 1
    assert any("cannot save" in r.message for r in caplog.records)
