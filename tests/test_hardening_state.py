"""Hardening, round 2 (issue 24, item 1): the saved performance state always reads back. The largest state the
controls allow (8 layers, every preset slot, the longest drawn path and gesture loop, every controller binding)
is written and read back equal; one unknown LFO shape drops only that LFO; temporary files a kill left beside the
state file are removed at start; a state folder that cannot be written is said plainly at start."""

from __future__ import annotations

import json
import random

import pytest

from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.motion import MAX_BARS, MAX_POINTS, SHAPES, TARGETS
from rvae_server.engine.presets import SLOTS
from rvae_server.session.state import StateKeeper, apply_state, read_state
from rvae_server.surfaces.controllers import MAX_BINDINGS, Binding, CCMapper
from rvae_server.surfaces.targets import TARGETS as CC_TARGETS
from rvae_server.testing import SyntheticModel
from tests.test_hardening_startup import Started

LAYERS = 8


@pytest.fixture
def engines():
    made = []

    def make() -> Engine:
        clock = InternalClock(bpm=120.0)
        engine = Engine({"a": SyntheticModel("a"), "b": SyntheticModel("b")}, clock, [], default_model="a",
                        layers=LAYERS)  # fmt: skip
        made.append((engine, clock))
        return engine

    yield make
    for engine, clock in made:
        engine.close()
        clock.close()


def fill_to_the_limits(engine: Engine, rng: random.Random, model: str = "b") -> None:
    """Every control at its largest: four LFOs, a drawn path of MAX_POINTS points, a gesture loop of MAX_BARS bars
    that moves on every tick, and every preset slot holding a path of its own, on every layer."""
    for k in range(engine.layer_count):
        runs = [[t, round(rng.random(), 4), round(rng.random(), 4)] for t in range(MAX_BARS * TICKS)]
        assert engine.restore_performance(k, {"gesture": {"bars": MAX_BARS, "runs": runs}}) == []
        engine.update(k, model=model, x=rng.random(), y=rng.random(), threshold=rng.random(), noise=rng.random())
        for name in INSTRUMENT_NAMES:
            engine.set_density(k, name, rng.random() - 0.5)
            engine.set_mute(k, name, rng.random() < 0.5)
        engine.set_swing(k, 50 + 25 * rng.random(), 8)
        for slot in range(1, SLOTS + 1):
            for target in TARGETS:
                engine.set_lfo(k, target, rng.choice(SHAPES), 0.05 + rng.random(), rng.random(), rng.random())
            points = [[rng.random(), rng.random()] for _ in range(MAX_POINTS)]
            engine.set_path(k, "drawn", MAX_BARS, 0.5, points)
            engine.preset_store(k, slot)


def test_the_largest_state_the_controls_allow_reads_back_equal(tmp_path, engines):
    rng = random.Random(24)
    engine = engines()
    fill_to_the_limits(engine, rng)
    mapper = CCMapper(engine, bindings=[])
    bindings = [Binding(1 + k % 16, k % 128, CC_TARGETS[k % len(CC_TARGETS)], k % LAYERS) for k in range(MAX_BINDINGS)]
    mapper.set_bindings(bindings, save=False)
    path = tmp_path / "state.json"
    keeper = StateKeeper(engine, path, mapper)
    assert keeper.save() is True
    data = read_state(path)  # within the reader's own limits
    assert data is not None

    again = engines()
    mapper2 = CCMapper(again, bindings=[])
    assert apply_state(again, data, mapper2) == []
    assert again.performance_state() == engine.performance_state()
    assert [again.state(k) for k in range(LAYERS)] == [engine.state(k) for k in range(LAYERS)]
    assert mapper2.bindings == mapper.bindings
    gestures = [p["gesture"] for p in again.performance_state()]
    assert all(len(g["runs"]) == MAX_BARS * TICKS for g in gestures)
    presets = again.performance_state()[0]["presets"]
    assert all(p is not None and len(p["path"]["points"]) == MAX_POINTS for p in presets)


def test_a_state_the_reader_would_refuse_is_never_written(tmp_path, engines, caplog, monkeypatch):
    from rvae_server.session import state

    engine = engines()
    path = tmp_path / "state.json"
    keeper = StateKeeper(engine, path)
    assert keeper.save() is True
    before = path.read_bytes()
    fill_to_the_limits(engine, random.Random(1))
    monkeypatch.setattr(state, "MAX_STATE_BYTES", len(before) + 100)  # as if the reader's limit were this
    assert keeper.save() is False
    assert path.read_bytes() == before  # the last file the reader takes is kept
    assert any("not saved" in r.getMessage() for r in caplog.records)


def test_one_unknown_lfo_shape_drops_only_that_lfo(engines):
    engine = engines()
    saved = {
        "lfo": {
            "x": {"shape": "wobble", "rate": 1.0, "depth": 0.2, "phase": 0.0},
            "y": {"shape": "sine", "rate": 2.0, "depth": 0.3, "phase": 0.25},
            "threshold": {"shape": "square", "rate": 0.5, "depth": 0.1, "phase": 0.0},
            "noise": None,
        }
    }
    notes = engine.restore_performance(0, saved)
    lfo = engine.performance_state()[0]["lfo"]
    assert lfo["x"] is None and lfo["noise"] is None
    assert lfo["y"] == {"shape": "sine", "rate": 2.0, "depth": 0.3, "phase": 0.25}
    assert lfo["threshold"]["shape"] == "square"
    assert len(notes) == 1 and "wobble" in notes[0] and notes[0].startswith("lfo: x:")


def test_temporary_state_files_a_kill_left_are_removed_at_start(tmp_path, engines):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"format": "rvae-state", "version": 1, "bpm": 99.0, "layers": []}))
    left = [tmp_path / ".state.json.k2_9abcd.tmp", tmp_path / ".state.json.zzzzzzzz.tmp"]
    others = [tmp_path / ".other.json.abcdefgh.tmp", tmp_path / "state.json.tmp", tmp_path / ".state.json.x.tmp"]
    for file in left + others:
        file.write_text("{half a state")
    assert StateKeeper(engines(), path).restore() is True
    assert not any(f.exists() for f in left)
    assert all(f.exists() for f in others)  # only what the state's own writes leave behind


def test_a_state_folder_that_cannot_be_written_is_said_plainly_at_start(tmp_path):
    import os

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    served = Started(env, tmp_path, "--midi-backend", "alsa", "--osc-port", "0", "--http-port", "0",
                     "--state-file", str(blocker / "state.json"))  # fmt: skip
    try:
        assert served.running, served.out + "".join(served.err)
        line = next(line for line in served.out.splitlines() if line.startswith("rvae serve: state:"))
        assert "not saved" in line and str(blocker) in line, line
        assert "second server" in line, line  # the lock could not be taken either: said, not silent
        assert "saved to" not in line
    finally:
        assert served.stop() == 0
    assert "Traceback" not in "".join(served.err)


def test_a_save_never_holds_the_planner_back_while_it_writes_out_loops(engines, monkeypatch):
    import threading

    from rvae_server.engine.motion import GestureLoop

    engine = engines()
    runs = [[t, 0.5, 0.5 + (t % 7) / 100] for t in range(MAX_BARS * TICKS)]
    engine.restore_performance(0, {"gesture": {"bars": MAX_BARS, "runs": runs}})
    free: list[bool] = []
    written_out = GestureLoop.to_dict

    def spy(loop: GestureLoop) -> dict:
        def planner() -> None:  # another thread wants the layers while the loop is written out
            got = engine.layers.lock.acquire(timeout=1.0)
            if got:
                engine.layers.lock.release()
            free.append(got)

        thread = threading.Thread(target=planner)
        thread.start()
        thread.join()
        return written_out(loop)

    monkeypatch.setattr(GestureLoop, "to_dict", spy)
    state = engine.performance_state()
    assert free == [True] and len(state[0]["gesture"]["runs"]) == MAX_BARS * TICKS


def test_a_read_only_state_folder_is_found_at_start(tmp_path, engines, monkeypatch):
    import tempfile

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")  # (as root, chmod alone cannot show it)

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    keeper = StateKeeper(engines(), tmp_path / "state.json")
    assert keeper.restore() is False
    assert keeper.problem == f"cannot write to {tmp_path} (Permission denied)"
