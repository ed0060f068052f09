"""A plan holds a bar's notes as the player sends them: each note's position (microtiming times the layer's timing
amount), in the order of :meth:`Bar.notes` then by position, with MIDI velocities rounded as the file writer rounds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rvae_server.core.bar import TICKS, Bar
from rvae_server.engine.api import LayerState
from rvae_server.engine.plans import make_plan, midi_velocity


def reference(bar_number: int, state: LayerState, bar: Bar) -> list[tuple[float, int, int, int]]:
    """Note by note, the rule written out: ``(position, tick, instrument, velocity)``."""
    rows = []
    for note in bar.notes():  # by time, then instrument
        position = bar_number * TICKS + note.tick + note.microtiming * state.timing / 2.0
        velocity = state.fixed_velocity if state.velocity_mode == "fixed" else midi_velocity(note.velocity)
        rows.append((position, note.tick, note.instrument, velocity))
    return sorted(rows, key=lambda row: row[0])  # stable: equal positions keep the notes' order


def test_a_plan_is_the_bars_notes_in_playing_order() -> None:
    rng = np.random.default_rng(7)
    for trial in range(300):
        onsets = rng.random((TICKS, 9)) < rng.random() * 0.5
        velocities = rng.choice([0.5 / 127, 63.5 / 127, 64.5 / 127, 1.0], (TICKS, 9))  # halves round to even
        micro = rng.choice([-1.0, -0.5, 0.0, 0.5, 0.999, float(rng.random())], (TICKS, 9))  # ties across ticks
        bar = Bar.from_planes(np.stack([onsets, onsets * velocities, onsets * micro]).astype(np.float32))
        state = replace(LayerState(model="m"), timing=float(rng.choice([0.0, 0.5, 1.0, 2.0])),
                        velocity_mode=str(rng.choice(["model", "fixed"])))  # fmt: skip
        plan = make_plan(0, trial, state, bar)
        got = list(zip(plan.positions.tolist(), plan.ticks.tolist(), plan.instruments.tolist(),
                       plan.velocities.tolist(), strict=True))  # fmt: skip
        assert got == reference(trial, state, bar), trial
        assert plan.notes.tolist() == [state.notes[i] for i in plan.instruments.tolist()]
