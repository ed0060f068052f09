"""Plans: one layer's notes for one bar, with absolute positions, ready for the player to send; and what an output
that plays whole plans itself needs (:class:`PlanSink`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS, Bar
from rvae_server.engine.api import LayerState, PatternModel, model_pad_to_latent


@dataclass(frozen=True, slots=True)
class Plan:
    """One layer's notes for one bar, in playing order. Immutable; the player reads it without locks."""

    layer: int
    bar_number: int
    bar: Bar  # the thresholded, muted pattern (what the performer sees), microtiming as decoded
    positions: NDArray[np.float64]  # absolute ticks, sorted
    ticks: NDArray[np.int64]  # tick within the bar
    instruments: NDArray[np.int64]
    notes: NDArray[np.int64]
    velocities: NDArray[np.int64]  # 1..127
    channel: int  # 1..16
    model: str
    lengths: NDArray[np.float64] | None = None  # ticks each note lasts (a melody line's); None: drum hits
    latent: NDArray[np.float32] | None = None  # the latent point the bar was decoded from (drum plans)
    channels: NDArray[np.int64] | None = None  # each note's channel 1..16 when an instrument has its own; None: channel


#: The tables of plans a :class:`PlanSink` is handed: the drum layers', the melody's lines.
DRUM_PLANS, LINE_PLANS = 0, 1


class PlanSink(Protocol):
    """An output that plays whole plans itself, on a clock of its own (the player process): handed a table's plans
    (``{(layer, bar): Plan}``) after every change of it, without waiting."""

    def plans(self, table: int, plans: Mapping[tuple[int, int], Plan]) -> None: ...


def make_plan(
    layer: int, bar_number: int, state: LayerState, pattern: Bar, latent: NDArray[np.float32] | None = None
) -> Plan:
    """The events of one bar of one layer, from its pattern and the layer's output settings: the notes in
    :meth:`Bar.notes <rvae_server.core.bar.Bar.notes>`' order (time, then instrument), then by position with the
    layer's timing amount (stable). Whole arrays, no per-note Python: it runs on every XY change."""
    ticks, instruments = np.nonzero(pattern.onsets)  # by tick, then instrument
    micro = pattern.microtiming[ticks, instruments].astype(np.float64)
    by_time = np.lexsort((instruments, ticks + micro / 2.0))
    ticks, instruments, micro = ticks[by_time].astype(np.int64), instruments[by_time].astype(np.int64), micro[by_time]
    positions = bar_number * TICKS + ticks + micro * state.timing / 2.0
    if state.velocity_mode == "fixed":
        velocities = np.full(len(ticks), state.fixed_velocity, dtype=np.int64)
    else:
        velocities = midi_velocities(pattern.velocities[ticks, instruments])
    order = np.argsort(positions, kind="stable")
    instruments = instruments[order]
    out_notes = np.asarray(state.notes, dtype=np.int64)[instruments]
    own = np.asarray(state.channels, dtype=np.int64)  # 0: the layer's channel
    channels = None if not own.any() else np.where(own == 0, state.channel, own)[instruments]
    return Plan(
        layer, bar_number, pattern, positions[order], ticks[order], instruments, out_notes,
        velocities[order], state.channel, state.model, latent=latent, channels=channels,
    )  # fmt: skip


def latent_of(model: PatternModel, state: LayerState, unit: NDArray[np.float32] | None) -> NDArray[np.float32]:
    """The latent point a layer's bar is decoded from: its pad point (through the model's own pad mapping) plus its
    noise times this bar's unit draw."""
    latent = model_pad_to_latent(model, (state.x, state.y))
    if unit is not None and state.noise > 0:
        latent = latent + state.noise * unit
    return latent


def midi_velocity(velocity: float) -> int:
    """A velocity in (0, 1] as MIDI 1..127 (the same rounding the MIDI file writer uses)."""
    return min(127, max(1, round(velocity * 127)))


def midi_velocities(velocities: NDArray[np.floating]) -> NDArray[np.int64]:
    """:func:`midi_velocity` of an array (the same half-to-even rounding, in float64)."""
    return np.clip(np.rint(np.asarray(velocities, dtype=np.float64) * 127), 1, 127).astype(np.int64)


def same_plan(a: Plan, b: Plan) -> bool:
    return (
        a.channel == b.channel
        and a.model == b.model
        and np.array_equal(a.positions, b.positions)
        and np.array_equal(a.notes, b.notes)
        and np.array_equal(a.velocities, b.velocities)
        and _same_channels(a.channels, b.channels)
    )


def _same_channels(a: NDArray[np.int64] | None, b: NDArray[np.int64] | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


def plan_event_data(plan: Plan) -> dict[str, object]:
    """What an ``EngineEvent("plan")`` carries (see :class:`rvae_server.engine.api.EngineEvent`): the layer, the bar
    number, the channel, the model and the notes as ``(position within the bar in ticks, note, velocity)``,
    microtiming and the layer's timing amount included, in playing order; ``channels`` (each note's channel) when an
    instrument plays on a channel of its own."""
    base = plan.bar_number * TICKS
    notes = tuple(zip((plan.positions - base).tolist(), plan.notes.tolist(), plan.velocities.tolist(), strict=True))
    data: dict[str, object] = {
        "layer": plan.layer,
        "bar_number": plan.bar_number,
        "channel": plan.channel,
        "model": plan.model,
        "notes": notes,
    }
    if plan.channels is not None:
        data["channels"] = tuple(plan.channels.tolist())
    return data
