"""The engine's logic on a stepped clock (the test moves it, then asserts exactly which notes were sent) with the
kit's synthetic model (a stand-in whose patterns are easy to predict), and once on the real internal clock. The real
model and real MIDI ports are tested in test_serve_loopback."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from rvae_server.engine.api import ControlError, LayerState
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.plans import make_plan
from rvae_server.model.planes import threshold_planes
from rvae_server.testing import CH, KICK, OH, SNARE, EngineStepper, Recorder, SyntheticModel, position_of


@pytest.fixture
def rig(stepped_engine):
    """The engine on a stepped clock at 300 BPM: a test steps it and asserts exactly what was sent."""
    return stepped_engine({"a": SyntheticModel("a"), "b": SyntheticModel("b", snare=False)})


@pytest.fixture
def live_rig():
    clock = InternalClock(bpm=300.0)  # a tick every 8.3 ms, a bar every 0.8 s
    recorder = Recorder()
    engine = Engine({"a": SyntheticModel("a")}, clock, [recorder], default_model="a", layers=2, seed=7)
    engine.start()
    yield engine, clock, recorder
    engine.close()
    clock.close()


def sent(stepper: EngineStepper, recorder: Recorder, lo: float = -math.inf, hi: float = math.inf) -> list[tuple]:
    """(position, instrument) of every note sent with lo <= position < hi, in the order sent."""
    return [(p, i) for p, _, i, *_ in recorder.played(stepper.clock) if lo <= p < hi]


def hats(first: int, last: int, instrument: int) -> list[tuple[float, int]]:
    """A hat on every tick from ``first`` to ``last`` (absolute ticks), as the synthetic model plays it."""
    early = 0.1 if instrument == CH else 0.0
    return [(round(t - early, 6), instrument) for t in range(first, last + 1)]


def test_plays_the_rendered_bar_on_the_clock(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.9, y=0.9)
    stepper.play()
    stepper.bar(2)
    # bar 1 (the second bar) completely: same cells, velocities and microtimed positions as the rendered pattern
    got = sorted((round(p - 96, 3), i, v) for p, _, i, _, v, _ in rec.played(stepper.clock) if 95.5 <= p < 191.5)
    want = sorted(
        (round(n.tick + n.microtiming / 2, 3), n.instrument, round(n.velocity * 127)) for n in engine.render(0).notes()
    )
    assert got == want
    assert {n[6] for n in rec.notes} == {10}


def test_the_player_is_on_time_on_the_real_clock(live_rig):
    engine, clock, rec = live_rig
    engine.update(0, x=0.9, y=0.9)
    engine.play()
    time.sleep(0.8 + 0.2)
    notes = list(rec.notes)
    bar0 = sorted(round(position_of(clock, n[1]), 3) for n in notes if position_of(clock, n[1]) < 95.5)
    assert bar0 == sorted(round(n.tick + n.microtiming / 2, 3) for n in engine.render(0).notes())
    lateness = [actual - when for actual, when, *_ in notes]
    assert np.median(lateness) < 0.002 and np.percentile(lateness, 90) < 0.010  # loose; benchmarks hold the figures


def test_a_change_of_xy_is_heard_from_the_next_tick(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.1, y=0.1, mutes=[i not in (CH, OH) for i in range(9)])  # open hat on every tick
    stepper.play()
    stepper.step_to(48.5)
    engine.update(0, x=0.9)  # closed hat on every tick (0.1 tick early): from tick 49 on
    stepper.step_to(96)
    assert sent(stepper, rec, hi=95.5) == hats(0, 48, OH) + hats(49, 95, CH)


def test_notes_a_change_puts_in_the_past_are_skipped_not_played_late(rig):
    engine, stepper, rec = rig
    for name in ("snare", "closed-hat", "open-hat"):
        engine.set_mute(0, name, True)
    engine.update(0, y=0.1)  # kicks only, and below the threshold: nothing plays
    stepper.play()
    stepper.step_to(96 + 40)  # mid-bar, past the kicks of beats 1 and 2
    assert rec.notes == []
    engine.update(0, y=0.9)  # now kicks on every beat (0.2 tick late), two of them already in the past of this bar
    stepper.step_to(3 * 96)
    assert sent(stepper, rec) == [(p + 0.2, KICK) for p in (144, 168, 192, 216, 240, 264)]  # never sent late


def test_threshold_and_mutes_apply_mid_bar_and_model_change_at_the_bar_line(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.9, y=0.9)
    stepper.play()
    stepper.step_to(30.5)
    engine.set_mute(0, "closed-hat", True)  # from tick 31 on
    engine.update(0, model="b")  # no snare, from the next bar line
    stepper.step_to(96 + 60.5)
    notes = sent(stepper, rec)
    assert max(p for p, i in notes if i == CH) == 29.9
    assert [p for p, i in notes if i == SNARE] == [24, 72]  # the old model to the bar's end, then b's: no snare
    assert [p for p, i in notes if i == KICK] == [0.2, 24.2, 48.2, 72.2, 96.2, 120.2, 144.2]
    engine.update(0, threshold=0.95)  # above every probability: from here on nothing plays
    count = len(rec.notes)
    stepper.step_to(3 * 96)
    assert len(rec.notes) == count


def test_two_layers_play_in_sync_on_their_channels(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.9, y=0.9, mutes=[i != KICK for i in range(9)])
    engine.update(1, enabled=True, x=0.9, y=0.9, channel=11, model="b", mutes=[i != KICK for i in range(9)])
    stepper.play()
    stepper.bar(2)
    kicks = [p + 0.2 for p in range(0, 192, 24)]
    for layer, channel in ((0, 10), (1, 11)):
        played = rec.played(stepper.clock, layer)
        assert [p for p, *_ in played] == kicks and {n[-1] for n in played} == {channel}


def test_noise_is_drawn_once_per_bar(rig):
    engine, stepper, rec = rig
    engine.update(0, x=0.5, y=0.5, noise=1.0, mutes=[i not in (CH, OH) for i in range(9)])
    stepper.play()
    stepper.bar(4)
    per_bar: dict[int, set[int]] = {}
    for p, i in sent(stepper, rec, hi=4 * 96 - 0.5):
        per_bar.setdefault(math.floor((p + 0.5) / 96), set()).add(i)
    assert sorted(per_bar) == [0, 1, 2, 3] and all(len(s) == 1 for s in per_bar.values())  # one draw a bar
    assert len({frozenset(s) for s in per_bar.values()}) == 2  # x=0.5 ± noise: both kinds appear across 4 bars


def test_stop_silences_and_close_too(rig):
    engine, stepper, rec = rig
    stepper.play()
    stepper.step_to(20)
    stepper.stop()
    assert rec.offs == [[10]] and rec.transports == [True, False]
    count = len(rec.notes)
    assert stepper.clock.position() == 20 and len(rec.notes) == count
    engine.close()
    assert rec.offs == [[10], [10]]


def test_controls_validate_and_clamp(rig):
    engine, _, _ = rig
    assert engine.update(0, x=1.5) == ["x 1.5 is outside 0..1; clamped to 1"]
    assert engine.state(0).x == 1.0
    with pytest.raises(ControlError, match="finite"):
        engine.update(0, threshold=float("nan"))
    with pytest.raises(ControlError, match="unknown model 'zzz'"):
        engine.update(0, model="zzz")
    with pytest.raises(ControlError, match="unknown instrument"):
        engine.set_mute(0, "cowbell", True)
    with pytest.raises(ControlError, match="layer must be"):
        engine.update(5, x=0.1)
    with pytest.raises(ControlError, match="must be a number"):
        engine.update(0, noise="loud")
    assert engine.state(0).threshold == 0.5  # nothing changed by the failures


def test_plan_timing_amount_and_fixed_velocity():
    model = SyntheticModel("a")
    pattern = threshold_planes(model.decode_latent(np.array([[3.0, 3.0]], dtype=np.float32)).one(0), 0.5)
    on_grid = make_plan(0, 2, LayerState(model="a", timing=0.0, velocity_mode="fixed", fixed_velocity=99), pattern)
    assert np.all(on_grid.positions == np.floor(on_grid.positions)) and on_grid.positions[0] == 192
    assert set(on_grid.velocities.tolist()) == {99}
    half = make_plan(0, 0, LayerState(model="a", timing=0.5), pattern)
    kick_positions = half.positions[half.instruments == KICK]
    np.testing.assert_allclose(kick_positions, [0.1, 24.1, 48.1, 72.1], atol=1e-6)  # 0.4 late, at half the amount


def test_state_round_trips_through_a_dict():
    state = LayerState(model="a", x=0.25, mutes=(True,) + (False,) * 8, velocity_mode="fixed", channel=3)
    again = LayerState.from_dict(state.to_dict(), default_model="zz")
    assert again == state
    hostile = LayerState.from_dict({"x": 9, "channel": 99, "velocity_mode": "loud", "mutes": "all"}, "m")
    assert hostile.x == 1.0 and hostile.channel == 16 and hostile.velocity_mode == "model"
