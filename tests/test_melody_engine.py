"""The melody layer in the engine: the real internal clock, the kit's synthetic drum model (the pad's X picks closed
or open hats, so moving the pad changes the drum bar) and the bundled melody model. Real time: the layer decides the
next bar's line at a point of the bar playing, on its own thread's timer, and these tests check when lines change."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rvae_server.core.bar import TICKS
from rvae_server.engine.api import ControlError, EngineEvent
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.melodylayer import MELODY_LAYER, MelodyLayer
from rvae_server.melody.keys import parse_key
from rvae_server.melody.modelfile import load_melody
from rvae_server.testing import Recorder, SyntheticModel

BPM = 300.0  # a bar every 0.8 s


@pytest.fixture(scope="module")
def melody_model():
    return load_melody()


@pytest.fixture
def rig(melody_model):
    clock = InternalClock(bpm=BPM)
    drums = Recorder()
    lines = Recorder()  # the melody layer's sink: its notes in .lines
    engine = Engine({"a": SyntheticModel("a")}, clock, [drums], default_model="a", layers=2, seed=7)
    melody = MelodyLayer(melody_model, [lines], seed=5)
    engine.attach_melody(melody)
    events: list[EngineEvent] = []
    engine.add_listener(lambda e: events.append(e) if e.kind == "melody" else None)
    engine.update(0, x=0.8, y=0.7)
    engine.start()
    yield engine, clock, drums, lines, events
    engine.close()
    clock.close()


def wait_for(predicate, timeout: float = 6.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out")


def bars_seen(events: list[EngineEvent]) -> dict[int, list]:
    return {e.data["bar_number"]: e.data["notes"] for e in list(events)}


def test_melody_notes_go_to_its_own_sinks_on_its_channel_with_lengths(rig):
    engine, clock, drums, lines, events = rig
    engine.play()
    wait_for(lambda: len(bars_seen(events)) >= 3)
    engine.stop()
    assert lines.programs[0] == (1, 33)  # bass on channel 1: electric bass, sent at start
    notes = list(lines.lines)
    assert len(notes) >= 6
    assert {n[5] for n in notes} == {1}
    assert all(d[2] != MELODY_LAYER for d in drums.notes)  # drums sinks never see the melody
    seconds_per_tick = 60.0 / (BPM * 24)
    t0, pos0, _ = clock.anchor
    for _arrival, when, note, velocity, seconds, _ in notes:
        position = pos0 + (when - t0) / seconds_per_tick
        assert abs(position - round(position)) < 1e-6  # on the 24-ppqn grid
        assert 0 < seconds <= TICKS * seconds_per_tick + 1e-9
        assert 1 <= velocity <= 127 and 0 <= note <= 127
    for bar, bar_notes in bars_seen(events).items():
        assert all(0 <= tick < TICKS and tick + length <= TICKS for tick, _, length, _ in bar_notes), bar


def test_the_line_loops_while_the_drums_stay_and_changes_at_the_bar_line_after_they_do(rig):
    engine, clock, _drums, _lines, events = rig
    engine.play()
    wait_for(lambda: len(bars_seen(events)) >= 3)
    seen = bars_seen(events)
    first = sorted(seen)[:3]
    assert seen[first[1]] == seen[first[0]] == seen[first[2]]  # nothing changed: the same line every bar
    # move the pad mid-bar (x < 0.5: open hats instead of closed ones): the playing bar keeps its line, and the
    # new line starts at the first bar line at least half a bar away (the next bar's line is made at mid-bar)
    bar_now = int(clock.position() // TICKS)
    engine.update(0, x=0.2)
    wait_for(lambda: max(bars_seen(events)) >= bar_now + 3)
    after = bars_seen(events)
    assert after[bar_now] == seen.get(bar_now, after[bar_now])
    new = next(b for b in (bar_now + 1, bar_now + 2) if after[b] != after[bar_now])
    assert after[new + 1] == after[new]  # and it loops again
    melody = engine.melody
    assert melody is not None and len(melody.timings) <= 4  # one line for the start, one for the change


def test_a_gesture_costs_one_line_a_bar(rig):
    engine, clock, _drums, _lines, events = rig
    engine.play()
    wait_for(lambda: len(bars_seen(events)) >= 1)
    melody = engine.melody
    assert melody is not None
    before = len(melody.timings)
    bar_now = int(clock.position() // TICKS)
    for k in range(120):  # a drag across the pad's two halves for ~1.2 s (1.5 bars)
        engine.update(0, x=0.2 if k % 2 else 0.8, y=0.3 + 0.004 * k)
        time.sleep(0.01)
    wait_for(lambda: max(bars_seen(events)) >= bar_now + 3)
    assert len(melody.timings) - before <= 4


def test_key_family_and_scale_lock_are_heard_from_a_bar_line(rig):
    engine, clock, _drums, lines, events = rig
    engine.play()
    wait_for(lambda: len(bars_seen(events)) >= 2)
    notes = engine.update_melody(key="Eb", family="lead", density=1.5)
    assert notes == ["density 1.5 is outside 0..1; clamped to 1"]
    state = engine.melody_state()
    assert state is not None and state["key"] == "Eb major" and state["family"] == "lead" and state["octave"] == 5
    assert engine.snapshot()["melody"] == state
    changed_at = int(clock.position() // TICKS)  # heard from the first bar line at least half a bar away
    wait_for(lambda: max(bars_seen(events)) >= changed_at + 2)
    new = bars_seen(events)[changed_at + 2]
    scale = set(parse_key("Eb").scale)
    assert new and {pitch % 12 for _, pitch, _, _ in new} <= scale
    assert all(abs(pitch - 75) <= 12 for _, pitch, _, _ in new)  # the lead's octave around Eb5
    assert (1, 81) in lines.programs  # the family's program on the melody's channel
    assert [e.data["key"] for e in events if e.data["bar_number"] == changed_at + 2] == ["Eb major"]


def test_turning_it_off_silences_it_and_on_brings_it_back(rig):
    engine, _clock, _drums, lines, _events = rig
    engine.play()
    wait_for(lambda: len(lines.lines) >= 3)
    engine.update_melody(enabled=False)
    assert lines.offs and lines.offs[-1] == [1]
    time.sleep(0.05)
    count = len(lines.lines)
    time.sleep(1.7)  # two bars
    assert len(lines.lines) == count and engine.current_melody() == []
    engine.update_melody(enabled=True)
    wait_for(lambda: len(lines.lines) > count + 2)


def test_it_follows_the_layer_it_is_told(rig):
    engine, _clock, _drums, _lines, events = rig
    engine.update(1, enabled=True, x=0.1)
    engine.play()
    wait_for(lambda: len(bars_seen(events)) >= 2)
    engine.update_melody(layer=1)
    assert engine.melody_state()["layer"] == 1  # type: ignore[index]
    with pytest.raises(ControlError, match="layer must be 1..2"):
        engine.update_melody(layer=2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"key": "H"}, "unknown key"), ({"family": "drums"}, "unknown instrument family"),
     ({"octave": "low"}, "must be a number"), ({"tempo": 1}, "unknown melody setting"),
     ({"density": float("nan")}, "finite")],
)  # fmt: skip
def test_unusable_settings_are_refused_and_change_nothing(rig, changes, message):
    engine = rig[0]
    before = engine.melody_state()
    with pytest.raises(ControlError, match=message):
        engine.update_melody(**changes)
    assert engine.melody_state() == before


def test_without_a_melody_layer_the_engine_says_so():
    clock = InternalClock(bpm=BPM)
    engine = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a")
    try:
        assert engine.melody_state() is None and engine.snapshot()["melody"] is None
        assert engine.current_melody() == []
        with pytest.raises(ControlError, match="no melody layer"):
            engine.update_melody(key="Am")
    finally:
        engine.close()
        clock.close()


def test_generation_is_timed_and_judged(rig):
    engine, _clock, _drums, _lines, events = rig
    engine.play()
    wait_for(lambda: len(bars_seen(events)) >= 2)
    melody = engine.melody
    assert melody is not None and melody.timings and len(melody.timings) == len(melody.verdicts)
    assert np.isfinite(melody.timings).all()
