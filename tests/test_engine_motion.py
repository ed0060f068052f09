"""Motion and shaping played by the engine on a stepped clock (the test moves it, then asserts exactly which notes
were sent), with the kit's synthetic model (closed hat on every tick right of the pad's middle, open hat left of
it): LFOs locked to the bar, two layers in phase, the phase restarting with the transport, swing, densities,
gesture loops with touch, presets with morph, and the point as played (xy_now) in the state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rvae_server.engine.api import ControlError
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.shaping import swing_times
from rvae_server.testing import CH, KICK, OH, PlainModel, SyntheticModel

BPM = 300.0
HATS = [i not in (CH, OH) for i in range(9)]  # mutes: hats only


@pytest.fixture
def rig(stepped_engine):
    return stepped_engine(bpm=BPM)


def played(stepper, recorder, layer=None):
    """(position, instrument) of every note sent, in the order sent."""
    return [(p, inst) for p, _, inst, *_ in recorder.played(stepper.clock, layer)]


def hats_by_tick(notes, bar):
    return {round(p) - bar * 96: inst for p, inst in notes if bar * 96 - 0.5 <= p < bar * 96 + 95.5}


def split_at(tick, before, after):
    """A bar whose hat is ``before`` up to ``tick`` (excluded) and ``after`` from there."""
    return {t: before if t < tick else after for t in range(96)}


def test_a_square_lfo_on_x_flips_the_pattern_at_the_half_bar_and_restarts_with_the_transport(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.5, y=0.5, timing=0.0, mutes=HATS)
    assert engine.set_lfo(0, "x", "square", 1, 0.3) == []
    stepper.play()
    stepper.bar(3, 20)
    stepper.stop()
    notes = played(stepper, rec)
    for bar in (0, 1, 2):  # x = 0.8 then 0.2
        assert hats_by_tick(notes, bar) == split_at(48, CH, OH)
    rec.clear()
    stepper.play()  # a new start: position 0 again, and the LFO's phase with it
    stepper.step_to(20)
    assert played(stepper, rec) == [(float(t), CH) for t in range(21)]


def test_the_engine_decodes_each_point_of_a_moving_bar_for_a_model_without_decode_ticks(stepped_engine):
    engine, stepper, recorder = stepped_engine({"p": PlainModel("p")}, bpm=BPM, layers=1)
    engine.update(0, x=0.5, y=0.5, timing=0.0, mutes=HATS)
    engine.set_lfo(0, "x", "square", 1, 0.3)
    stepper.play()
    stepper.bar(2)
    assert hats_by_tick(played(stepper, recorder), 1) == split_at(48, CH, OH)


def test_two_layers_with_the_same_lfo_play_in_phase_and_xy_now_moves(rig):
    engine, stepper, rec = rig
    for layer in (0, 1):
        engine.update(layer, enabled=True, x=0.5, y=0.5, timing=0.0, mutes=HATS, channel=10 + layer)
        engine.set_lfo(layer, "x", "sine", "1/2", 0.4)
    stepper.play()
    stepper.bar(3, 10)
    snapshot = engine.snapshot()
    stepper.stop()
    one, two = (played(stepper, rec, layer) for layer in (0, 1))
    assert one == two and [p for p, _ in one] == list(range(3 * 96 + 11))
    assert len({inst for _, inst in one}) == 2  # the sine crosses the middle: both hats
    layer = snapshot["layers"][0]
    assert (layer["x"], layer["y"]) == (0.5, 0.5) and layer["xy_now"] != [0.5, 0.5]
    assert layer["lfo"]["x"] == {"shape": "sine", "rate": 0.5, "depth": 0.4, "phase": 0.0}
    with pytest.raises(ControlError, match="LFO shape"):
        engine.set_lfo(0, "x", "wobble", 1, 0.1)
    with pytest.raises(ControlError, match="LFO target"):
        engine.set_lfo(0, "z", "sine", 1, 0.1)
    engine.set_lfo(0, "x", "off")
    assert engine.snapshot()["layers"][0]["lfo"]["x"] is None


def test_swing_and_density(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.9, y=0.0, timing=0.0, mutes=[i != CH for i in range(9)])
    engine.set_swing(0, 75, 16)
    stepper.play()
    stepper.bar(2)
    stepper.stop()
    positions = [p - 96 for p, _ in played(stepper, rec) if 96 <= p < 192]
    # every tick's hat still plays, moved: the 2nd 16th of each pair to 75 %
    np.testing.assert_allclose(positions, swing_times(np.arange(96.0), 75.0, 16), atol=1e-6)
    assert 9.0 in positions and 7.0 not in positions
    # density: at threshold 0.95 nothing plays; the kick's density +0.5 brings back its 0.5-probability beats
    rec.clear()
    engine.set_swing(0, 50)
    engine.update(0, y=0.5, threshold=0.95, mutes=[False] * 9)  # kick probability 0.5
    assert engine.set_density(0, "kick", 0.7) == ["density 0.7 is outside -0.5..0.5; clamped to 0.5"]
    stepper.play()
    stepper.bar(1, 48)
    stepper.stop()
    assert played(stepper, rec) == [(float(p), KICK) for p in range(0, 96 + 49, 24)]
    with pytest.raises(ControlError, match="unknown instrument"):
        engine.set_density(0, "cowbell", 0.1)
    with pytest.raises(ControlError, match="swing unit"):
        engine.set_swing(0, 60, 12)


def test_a_gesture_loop_records_the_moves_plays_them_back_and_the_hand_overrides(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.9, y=0.5, timing=0.0, mutes=HATS)
    stepper.play()
    stepper.step_to(10)
    engine.gesture(0, "record", 1)  # from the next bar line (bar 1)
    assert engine.snapshot()["layers"][0]["gesture"]["state"] == "recording"
    stepper.bar(1, 47.5)
    engine.update(0, x=0.1)  # mid-bar: open hat from tick 48
    stepper.bar(2)
    mark = stepper.mark()
    engine.update(0, x=0.9)  # the performer moves on (the hand plays); when the touch ends, the loop resumes
    stepper.wait_plan(0, 3, mark, count=2)  # the move's plan of bar 3, then the loop's again (0.3 s later)
    stepper.bar(4)
    state = engine.snapshot()["layers"][0]["gesture"]
    assert state == {"state": "playing", "bars": 1, "overdub": False}
    engine.touch(0, True)  # the hand overrides: closed hat all along
    stepper.bar(7)
    engine.touch(0, False)
    stepper.bar(10)
    stepper.stop()
    notes = played(stepper, rec)
    loop_bar = split_at(48, CH, OH)
    assert hats_by_tick(notes, 1) == loop_bar == hats_by_tick(notes, 3)  # recorded, then played back
    assert set(hats_by_tick(notes, 6).values()) == {CH}  # touched (a bar after the touch: planned by then)
    assert hats_by_tick(notes, 9) == loop_bar  # released: the loop again
    engine.gesture(0, "clear")
    assert engine.snapshot()["layers"][0]["gesture"]["state"] == "off"


def test_a_preset_recalled_over_a_bar_glides_every_value_in_sync(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.1, y=0.5, timing=0.0, mutes=HATS, threshold=0.5)
    engine.preset_store(0, 3)
    engine.update(0, x=0.9)
    assert engine.snapshot()["layers"][0]["presets"][2]
    with pytest.raises(ControlError, match="preset 4 is empty"):
        engine.preset_recall(0, 4)
    stepper.play()
    stepper.step_to(66)
    engine.preset_recall(0, 3, 1, "bars")  # from here, x glides 0.9 → 0.1 over a bar: crosses 0.5 halfway
    stepper.step_to(66 + 24)
    mid = engine.snapshot()["layers"][0]
    assert mid["x"] == pytest.approx(0.1) and mid["xy_now"][0] == pytest.approx(0.9 - 0.8 / 4) and mid["morphing"]
    stepper.bar(3)
    stepper.stop()
    assert hats_by_tick(played(stepper, rec), 1) == split_at(66 + 48 - 96, CH, OH)  # the crossing, halfway
    assert not engine.snapshot()["layers"][0]["morphing"]


def test_performance_state_round_trips(rig):
    engine, _, _ = rig
    engine.set_lfo(1, "threshold", "triangle", "1/4t", 0.2, 0.5)
    engine.set_path(1, "drawn", 2, points=[[0.1, 0.1], [0.9, 0.9]])
    engine.set_swing(1, 62, 8)
    engine.preset_store(1, 16)
    engine.set_follow(1, True, 6, 2)
    engine.gesture(1, "record", 2)
    saved = engine.performance_state()
    other = Engine({"a": SyntheticModel("a")}, InternalClock(BPM), [], default_model="a", layers=2)
    assert other.restore_performance(1, saved[1]) == []
    assert other.performance_state()[1] == saved[1]
    assert other.snapshot()["layers"][1]["follow"] == {"on": True, "min_onsets": 6, "glide_beats": 2.0}
    assert math.isclose(other.performance(1).lfo("threshold").rate, 1 / 6)
    notes = other.restore_performance(0, {"lfo": {"x": {"shape": "sine", "rate": "x"}}, "presets": "all"})
    assert any(n.startswith("lfo:") for n in notes) and any("presets" in n for n in notes)


def test_follow_glide_moves_the_point_over_beats(rig):
    engine, stepper, _ = rig
    engine.update(0, x=0.2, y=0.2)
    stepper.play()
    stepper.step_to(10)
    engine.glide(0, 0.8, 0.6, 4)  # a bar
    stepper.step_to(10 + 48)
    now = engine.snapshot()["layers"][0]
    assert (now["x"], now["y"]) == (0.8, 0.6)
    assert now["xy_now"] == pytest.approx([0.5, 0.4])  # halfway
    stepper.step_to(10 + 96)
    assert engine.snapshot()["layers"][0]["xy_now"] == pytest.approx([0.8, 0.6])


def test_overdub_writes_the_moves_into_the_loop(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.9, y=0.5, timing=0.0, mutes=HATS)
    stepper.play()
    stepper.step_to(5)
    engine.gesture(0, "record", 1)  # bar 1: closed hat all along
    stepper.bar(2)
    engine.gesture(0, "overdub", True)
    stepper.bar(2, 60)
    engine.touch(0, True)
    engine.update(0, x=0.1)  # from tick 60 of the loop on: open hat
    stepper.bar(2, 80)
    engine.touch(0, False)  # written up to here; the rest of the loop stays as recorded
    stepper.bar(5)
    stepper.stop()
    assert engine.snapshot()["layers"][0]["gesture"]["overdub"]
    bar = hats_by_tick(played(stepper, rec), 4)
    assert bar == {t: OH if 60 <= t < 80 else CH for t in range(96)}
