"""Motion and shaping played by the engine on the real internal clock, with the synthetic model of test_engine
(closed hat on every tick right of the pad's middle, open hat left of it): LFOs locked to the bar, two layers
in phase, the phase restarting with the transport, swing, densities, gesture loops with touch, presets with
morph, and the point as played (xy_now) in the state."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from rvae_server.engine.api import ControlError
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.shaping import swing_times
from tests.test_engine import CH, KICK, OH, Recorder, SyntheticModel, position_of

BPM = 300.0
BAR = 4 * 60 / BPM  # 0.8 s
HATS = [i not in (CH, OH) for i in range(9)]  # mutes: hats only


@pytest.fixture
def rig():
    clock = InternalClock(bpm=BPM)
    recorder = Recorder()
    engine = Engine({"a": SyntheticModel("a")}, clock, [recorder], default_model="a", layers=2, seed=7)
    engine.start()
    yield engine, clock, recorder
    engine.close()
    clock.close()


def played(clock, recorder, layer=None):
    """(position, instrument) of every note sent (position from its ideal time)."""
    return [(round(position_of(clock, when), 3), inst) for _, when, lay, inst, *_ in recorder.notes
            if layer is None or lay == layer]  # fmt: skip


def hats_by_tick(notes, bar):
    return {round(p) - bar * 96: inst for p, inst in notes if bar * 96 - 0.5 <= p < bar * 96 + 95.5}


def wait_for_bar(clock, bar):
    while clock.position() < bar * 96:
        time.sleep(0.005)


def test_a_square_lfo_on_x_flips_the_pattern_at_the_half_bar_and_restarts_with_the_transport(rig):
    engine, clock, rec = rig
    engine.update(0, x=0.5, y=0.5, timing=0.0, mutes=HATS)
    assert engine.set_lfo(0, "x", "square", 1, 0.3) == []
    engine.play()
    wait_for_bar(clock, 3)
    engine.stop()
    time.sleep(0.1)
    notes = played(clock, rec)
    for bar in (1, 2):  # bars 1 and 2 complete: x = 0.8 then 0.2
        by_tick = hats_by_tick(notes, bar)
        assert len(by_tick) == 96
        assert {by_tick[t] for t in range(48)} == {CH} and {by_tick[t] for t in range(48, 96)} == {OH}
    rec.notes.clear()
    engine.play()  # a new start: position 0 again, and the LFO's phase with it
    time.sleep(0.3)
    first = [inst for _, inst in sorted(played(clock, rec))[:20]]
    assert set(first) == {CH}


def test_two_layers_with_the_same_lfo_play_in_phase_and_xy_now_moves(rig):
    engine, clock, rec = rig
    for layer in (0, 1):
        engine.update(layer, enabled=True, x=0.5, y=0.5, timing=0.0, mutes=HATS, channel=10 + layer)
        engine.set_lfo(layer, "x", "sine", "1/2", 0.4)
    engine.play()
    wait_for_bar(clock, 3)
    snapshot = engine.snapshot()
    engine.stop()
    time.sleep(0.1)
    one, two = (sorted(played(clock, rec, layer)) for layer in (0, 1))
    common = min(len(one), len(two))
    assert common > 150 and one[:common] == two[:common]
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
    engine, clock, rec = rig
    engine.update(0, x=0.9, y=0.0, timing=0.0, mutes=[i != CH for i in range(9)])
    engine.set_swing(0, 75, 16)
    engine.play()
    wait_for_bar(clock, 2)
    engine.stop()
    time.sleep(0.1)
    by_tick = {p - 96: inst for p, inst in played(clock, rec) if 96 <= p < 192}
    positions = sorted(by_tick)  # every tick's hat still plays, moved: the 2nd 16th of each pair to 75 %
    np.testing.assert_allclose(positions, swing_times(np.arange(96.0), 75.0, 16), atol=1e-3)
    assert 9.0 in positions and 7.0 not in positions
    # density: at threshold 0.95 nothing plays; the kick's density +0.5 brings back its 0.5-probability beats
    rec.notes.clear()
    engine.set_swing(0, 50)
    engine.update(0, y=0.5, threshold=0.95, mutes=[False] * 9)  # kick probability 0.5
    assert engine.set_density(0, "kick", 0.7) == ["density 0.7 is outside -0.5..0.5; clamped to 0.5"]
    engine.play()
    time.sleep(BAR * 1.5)
    engine.stop()
    time.sleep(0.1)
    assert {inst for _, inst in played(clock, rec)} == {KICK}
    with pytest.raises(ControlError, match="unknown instrument"):
        engine.set_density(0, "cowbell", 0.1)
    with pytest.raises(ControlError, match="swing unit"):
        engine.set_swing(0, 60, 12)


def test_a_gesture_loop_records_the_moves_plays_them_back_and_the_hand_overrides(rig):
    engine, clock, rec = rig
    engine.update(0, x=0.9, y=0.5, timing=0.0, mutes=HATS)
    engine.play()
    time.sleep(0.1)
    engine.gesture(0, "record", 1)  # from the next bar line (bar 1)
    assert engine.snapshot()["layers"][0]["gesture"]["state"] == "recording"
    wait_for_bar(clock, 1)
    while clock.position() < 96 + 48:
        time.sleep(0.002)
    before = clock.position()
    engine.update(0, x=0.1)  # mid-bar: open hat from here
    after = clock.position()
    wait_for_bar(clock, 2)
    time.sleep(0.05)
    engine.update(0, x=0.9)  # the performer moves on; when the touch ends, the loop resumes
    wait_for_bar(clock, 4)
    state = engine.snapshot()["layers"][0]["gesture"]
    assert state == {"state": "playing", "bars": 1, "overdub": False}
    engine.touch(0, True)  # the hand overrides: closed hat all along
    wait_for_bar(clock, 7)
    engine.touch(0, False)
    wait_for_bar(clock, 10)
    engine.stop()
    time.sleep(0.1)
    notes = played(clock, rec)
    loop_bar = hats_by_tick(notes, 3)
    changed = min(t for t, inst in loop_bar.items() if inst == OH)
    assert before - 96 <= changed <= after - 96 + 1 and {loop_bar[t] for t in range(changed, 96)} == {OH}
    assert {loop_bar[t] for t in range(changed - 1)} == {CH}
    assert set(hats_by_tick(notes, 6).values()) == {CH}  # touched (a bar after the touch: planned by then)
    assert hats_by_tick(notes, 9) == loop_bar  # released: the loop again
    engine.gesture(0, "clear")
    assert engine.snapshot()["layers"][0]["gesture"]["state"] == "off"


def test_a_preset_recalled_over_a_bar_glides_every_value_in_sync(rig):
    engine, clock, rec = rig
    engine.update(0, x=0.1, y=0.5, timing=0.0, mutes=HATS, threshold=0.5)
    engine.preset_store(0, 3)
    engine.update(0, x=0.9)
    assert engine.snapshot()["layers"][0]["presets"][2]
    with pytest.raises(ControlError, match="preset 4 is empty"):
        engine.preset_recall(0, 4)
    engine.play()
    while clock.position() < 96 - 30:
        time.sleep(0.002)
    before = clock.position()
    engine.preset_recall(0, 3, 1, "bars")  # from here, x glides 0.9 → 0.1 over a bar: crosses 0.5 halfway
    start = clock.position()
    time.sleep(BAR * 0.25)
    p0 = clock.position()
    mid = engine.snapshot()["layers"][0]
    p1 = clock.position()
    lo, hi = min(1.0, (p0 - start) / 96), min(1.0, (p1 - before) / 96)  # how far the glide can be
    assert mid["x"] == pytest.approx(0.1) and 0.9 - 0.8 * hi - 1e-3 <= mid["xy_now"][0] <= 0.9 - 0.8 * lo + 1e-3
    assert mid["morphing"] or p0 >= before + 96
    wait_for_bar(clock, 3)
    engine.stop()
    time.sleep(0.1)
    notes = sorted(played(clock, rec))
    opened = [p for p, inst in notes if inst == OH]
    closed_after = [p for p, inst in notes if inst == CH and p > start + 1]
    assert opened and before + 47 <= min(opened) <= start + 49  # the crossing, halfway through the glide
    assert closed_after and max(closed_after) < min(opened)
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
    engine, clock, _ = rig
    engine.update(0, x=0.2, y=0.2)
    engine.play()
    time.sleep(0.1)
    s0 = clock.position()
    engine.glide(0, 0.8, 0.6, 4)  # a bar
    s1 = clock.position()
    time.sleep(BAR / 2)
    p0 = clock.position()
    now = engine.snapshot()["layers"][0]
    p1 = clock.position()
    assert (now["x"], now["y"]) == (0.8, 0.6)
    lo, hi = (min(1.0, (p0 - s1) / 96), min(1.0, (p1 - s0) / 96))  # how far the glide can be
    assert 0.2 + 0.6 * lo - 1e-3 <= now["xy_now"][0] <= 0.2 + 0.6 * hi + 1e-3
    assert 0.2 + 0.4 * lo - 1e-3 <= now["xy_now"][1] <= 0.2 + 0.4 * hi + 1e-3
    time.sleep(BAR * 0.7)
    assert np.allclose(engine.snapshot()["layers"][0]["xy_now"], [0.8, 0.6])


def test_overdub_writes_the_moves_into_the_loop(rig):
    engine, clock, rec = rig
    engine.update(0, x=0.9, y=0.5, timing=0.0, mutes=HATS)
    engine.play()
    time.sleep(0.05)
    engine.gesture(0, "record", 1)  # bar 1: closed hat all along
    wait_for_bar(clock, 2)
    engine.gesture(0, "overdub", True)
    while clock.position() < 2 * 96 + 60:
        time.sleep(0.002)
    engine.touch(0, True)
    first = clock.position()
    engine.update(0, x=0.1)  # from tick ~60 of the loop on: open hat
    first_after = clock.position()
    while clock.position() < 2 * 96 + 80:
        time.sleep(0.002)
    last = clock.position()
    engine.touch(0, False)  # written up to here; the rest of the loop stays as recorded
    last_after = clock.position()
    wait_for_bar(clock, 5)
    engine.stop()
    time.sleep(0.1)
    assert engine.snapshot()["layers"][0]["gesture"]["overdub"]
    notes = played(clock, rec)
    bar = hats_by_tick(notes, 4)
    opened = sorted(t for t, inst in bar.items() if inst == OH)
    assert opened and first - 192 - 1 <= opened[0] <= first_after - 192 + 1
    assert last - 192 - 2 <= opened[-1] <= last_after - 192 + 1
    assert opened == list(range(opened[0], opened[-1] + 1))
    assert {inst for t, inst in bar.items() if t < opened[0] or t > opened[-1]} == {CH}
