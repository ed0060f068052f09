"""MIDI learn and CC bindings for motion and shaping (the pure mapper on a real engine): swing, LFO depths,
densities, the morph time, follow, preset and gesture triggers, and the Kaoss Pad's touch reaching the engine
(the hand plays over a gesture loop)."""

from __future__ import annotations

import pytest

from rvae_server.surfaces.controllers import Binding, CCMapper
from rvae_server.surfaces.targets import TARGETS
from tests.test_controllers import cc


def test_learn_and_play_motion_targets(engine):
    assert {"swing", "lfo-x-depth", "density:kick", "morph", "follow", "preset:16", "gesture:record"} <= set(TARGETS)
    mapper = CCMapper(engine, [])
    mapper.learn("swing", 1)
    mapper.feed(cc(1, 20, 127))  # learns CC 20 and applies it
    assert engine.performance(1).swing == 75.0
    mapper.feed(cc(1, 20, 0))
    assert engine.performance(1).swing == 50.0
    mapper.learn("lfo-y-depth")
    mapper.feed(cc(1, 21, 127))
    lfo = engine.performance(0).lfo("y")
    assert lfo is not None and (lfo.shape, lfo.rate, lfo.depth) == ("sine", 1.0, 1.0)  # a new one: a 1-bar sine
    engine.set_lfo(0, "y", "square", 2)
    mapper.feed(cc(1, 21, 0))
    assert engine.performance(0).lfo("y").shape == "square" and engine.performance(0).lfo("y").depth == 0.0
    mapper.learn("density:snare")
    mapper.feed(cc(1, 22, 127))
    assert engine.performance(0).densities[1] == 0.5
    mapper.learn("morph")
    mapper.feed(cc(1, 23, 127))
    assert engine.performance(0).morph_time == 4.0 and engine.performance(0).morph_unit == "bars"
    mapper.learn("follow")
    mapper.feed(cc(1, 24, 100))
    assert engine.performance(0).follow
    engine.update(0, x=0.25)
    engine.preset_store(0, 2)
    engine.update(0, x=0.75)
    mapper.learn("preset:2")
    mapper.feed(cc(1, 25, 127))
    assert engine.state(0).x == 0.25
    mapper.learn("gesture:record")
    mapper.feed(cc(1, 26, 127))
    assert engine.snapshot()["layers"][0]["gesture"] == {"state": "armed", "bars": 4, "overdub": False}
    assert [b.target for b in mapper.bindings] == [
        "swing", "lfo-y-depth", "density:snare", "morph", "follow", "preset:2", "gesture:record",
    ]  # fmt: skip


def test_the_kaoss_pad_touch_is_the_hand_on_the_pad(engine):
    mapper = CCMapper(engine, [Binding(1, 92, "touch", 0)])
    mapper.feed(cc(1, 92, 127))
    assert engine.snapshot()["layers"][0]["touching"]
    mapper.feed(cc(1, 92, 0))
    assert not engine.snapshot()["layers"][0]["touching"]
    with pytest.raises(ValueError, match="cannot learn"):
        mapper.learn("lfo-z-depth")
