"""The engine's playing controls beyond XY, threshold and mutes: LFOs, paths, swing, densities, presets with
morph, follow-mode settings, the trail of an encoded clip — a part of the engine (:class:`PerformanceControls`)
that the controls change and the planner reads (:meth:`PerformanceControls.plain`,
:meth:`PerformanceControls.controls`).

Every control method validates its input (a :class:`ControlError` naming what was wrong, nothing changed) and
changes the layer under the layers' lock; re-planning is the caller's (the engine's facade). What moves over time
is evaluated by the planner for each tick of each bar it plans ahead
(:func:`rvae_server.engine.performance.evaluate`); the player only sends the result.

Gesture loops and touch: :mod:`rvae_server.engine.gestures`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS
from rvae_server.engine import presets
from rvae_server.engine.api import MIN_SWING, Clock, ControlError, LayerState, clamp
from rvae_server.engine.gestures import Hands
from rvae_server.engine.layers import Layers
from rvae_server.engine.motion import TARGETS, GestureLoop, Lfo, MotionError, Path
from rvae_server.engine.performance import (
    SEEDS,
    Controls,
    Morph,
    Performance,
    density_value,
    evaluate,
    glide_beats,
    instrument,
    min_onsets,
    morph_ticks,
    morph_unit,
    swing_unit,
    swing_value,
)

#: Points of an encoded clip's trail shown on the page.
MAX_TRAIL = 64


def _control(err: MotionError) -> ControlError:
    return ControlError(str(err))


class PerformanceControls:
    """Each layer's motion and shaping settings, presets, morph in progress and trail (see the module docstring).
    Methods take a layer's 0-based index ``k`` already checked by the caller."""

    def __init__(self, layers: Layers, hands: Hands, clock: Clock) -> None:
        self._layers = layers
        self._hands = hands
        self._clock = clock
        count = layers.count
        self.perf: list[Performance] = [Performance() for _ in range(count)]
        self.morphs: list[Morph | None] = [None] * count
        self.presets: list[list[dict[str, Any] | None]] = [[None] * presets.SLOTS for _ in range(count)]
        self.trails: list[list[list[float]]] = [[] for _ in range(count)]

    # ------------------------------------------------------------------ controls (any thread)

    def performance(self, k: int) -> Performance:
        return self.perf[k]

    def set_lfo(
        self, k: int, target: str, shape: str, rate: object = None, depth: object = None, phase: object = None
    ) -> list[str]:
        """An LFO on ``target`` (x, y, threshold, noise): ``shape`` (or ``off``), ``rate`` in bars per cycle (or a
        text, see :func:`rvae_server.engine.motion.parse_rate`), ``depth``, ``phase`` (cycles). Missing values keep
        the LFO's current ones (new: 1 bar, depth 0.2, phase 0)."""
        if target not in TARGETS:
            raise ControlError(f"LFO target must be one of {', '.join(TARGETS)}, not {target!r}")
        with self._layers.lock:
            perf = self.perf[k]
            if shape == "off":
                lfo: Lfo | None = None
                notes: list[str] = []
            else:
                old = perf.lfo(target) or Lfo("sine", 1.0, 0.2)
                try:
                    lfo, notes = Lfo.make(
                        shape,
                        old.rate if rate is None else rate,
                        old.depth if depth is None else depth,
                        old.phase if phase is None else phase,
                        SEEDS[target],
                    )
                except MotionError as err:
                    raise _control(err) from None
            self.perf[k] = perf.with_lfo(target, lfo)
            self._end_morph(k, "motion")
        return notes

    def set_path(
        self, k: int, shape: str, bars: object = None, size: object = None, points: object = None
    ) -> list[str]:
        """A path (circle, eight, drawn; or ``off``) traversed once every ``bars`` bars; ``points`` (x,y pairs) for
        drawn (default: the drawn path already set)."""
        with self._layers.lock:
            perf = self.perf[k]
            notes: list[str] = []
            if shape == "off":
                path = None
            else:
                old = perf.path or Path("circle", 4)
                if points is None and shape == "drawn":
                    points = old.points
                try:
                    path, notes = Path.make(
                        shape, old.bars if bars is None else bars, old.size if size is None else size, points or ()
                    )
                except MotionError as err:
                    raise _control(err) from None
            self.perf[k] = replace(perf, path=path)
            self._end_morph(k, "motion")
        return notes

    def set_swing(self, k: int, amount: object, unit: object = None) -> list[str]:
        """Swing in percent (50 straight … 75) on 8ths or 16ths (``unit`` 8 or 16; default: unchanged)."""
        try:
            value, notes = swing_value(amount)
            new_unit = None if unit is None else swing_unit(unit)
        except MotionError as err:
            raise _control(err) from None
        with self._layers.lock:
            perf = self.perf[k]
            self.perf[k] = replace(perf, swing=value, swing_unit=perf.swing_unit if new_unit is None else new_unit)
            self._end_morph(k, "shaping")
        return notes

    def set_density(self, k: int, which: str | int, value: object) -> list[str]:
        """One instrument's density: a threshold offset in -0.5..0.5 (positive = denser)."""
        try:
            index = instrument(which)
            number, notes = density_value(value)
        except MotionError as err:
            raise _control(err) from None
        with self._layers.lock:
            perf = self.perf[k]
            densities = list(perf.densities)
            densities[index] = number
            self.perf[k] = replace(perf, densities=tuple(densities))
            self._end_morph(k, "shaping")
        return notes

    def preset_store(self, k: int, slot: object) -> None:
        """Keep the layer's XY, threshold, noise, mutes, densities, swing and motion in ``slot`` (1..16)."""
        try:
            index = presets.slot_index(slot)
        except MotionError as err:
            raise _control(err) from None
        with self._layers.lock:
            self.presets[k][index] = presets.capture(self._layers.states[k], self.perf[k])

    def preset_recall(self, k: int, slot: object, time: object = None, unit: object = None) -> list[str]:
        """Recall ``slot``: every value glides from where it is over ``time`` ``unit`` (beats or bars; default: the
        layer's morph setting), in sync; at once when the time is 0 or the transport is stopped."""
        try:
            index = presets.slot_index(slot)
        except MotionError as err:
            raise _control(err) from None
        with self._layers.lock:
            data = self.presets[k][index]
            if data is None:
                raise ControlError(f"preset {index + 1} is empty (store one first)")
            perf = self.perf[k]
            try:
                ticks, _, notes = morph_ticks(
                    perf.morph_time if time is None else time, perf.morph_unit if unit is None else unit
                )
            except MotionError as err:
                raise _control(err) from None
            state, perf, more = presets.apply(data, self._layers.states[k], perf)
            self._start_morph(k, ticks)
            self._layers.states[k], self.perf[k] = state, perf
        return notes + more

    def set_morph(self, k: int, time: object, unit: object = "bars") -> list[str]:
        """The layer's default morph time for preset recalls (MIDI learn, the page's preset buttons)."""
        try:
            _, number, notes = morph_ticks(time, unit)
            name = morph_unit(unit)
        except MotionError as err:
            raise _control(err) from None
        with self._layers.lock:
            self.perf[k] = replace(self.perf[k], morph_time=number, morph_unit=name)
        return notes

    def set_follow(self, k: int, on: bool, min_count: object = None, glide: object = None) -> list[str]:
        """Follow mode: the incoming drums' last bar, encoded at each bar line, moves the pad (see
        :mod:`rvae_server.surfaces.follow`); bars with fewer than ``min_count`` onsets are not followed; the pad
        glides there over ``glide`` beats."""
        try:
            count, notes = min_onsets(min_count) if min_count is not None else (None, [])
            beats, more = glide_beats(glide) if glide is not None else (None, [])
        except MotionError as err:
            raise _control(err) from None
        with self._layers.lock:
            perf = self.perf[k]
            self.perf[k] = replace(
                perf,
                follow=bool(on),
                follow_min_onsets=perf.follow_min_onsets if count is None else count,
                follow_glide=perf.follow_glide if beats is None else beats,
            )
        return notes + more

    def glide(self, k: int, x: object, y: object, beats: object = 1.0) -> list[str]:
        """Move the performer's point to ``(x, y)`` over ``beats`` beats (at once when stopped)."""
        nx, note_x = clamp("x", x, 0.0, 1.0)
        ny, note_y = clamp("y", y, 0.0, 1.0)
        try:
            ticks, _, notes = morph_ticks(beats, "beats")
        except MotionError as err:
            raise _control(err) from None
        with self._layers.lock:
            self._start_morph(k, ticks, frozenset({"xy"}))
            self._layers.states[k] = replace(self._layers.states[k], x=nx, y=ny)
        return [n for n in (note_x, note_y) if n] + notes

    def set_trail(self, k: int, points: Sequence[Sequence[float]]) -> None:
        """Points shown on the page as a trail (an encoded clip's bars), at most :data:`MAX_TRAIL`."""
        trail = []
        for point in list(points)[:MAX_TRAIL]:
            x, _ = clamp("trail x", point[0], 0.0, 1.0)
            y, _ = clamp("trail y", point[1], 0.0, 1.0)
            trail.append([round(x, 4), round(y, 4)])
        with self._layers.lock:
            self.trails[k] = trail

    def xy_now(self, k: int) -> tuple[float, float]:
        """The point the layer plays right now (the performer's point moved by LFOs, paths, loops, morphs)."""
        state = self._layers.states[k]
        touching = self._hands.touching(k)
        if self.plain(k, touching):
            return state.x, state.y
        controls = self.controls(k, np.array([self._clock.position()]), state, touching)
        return float(controls.xy[0, 0]), float(controls.xy[0, 1])

    def performance_state(self) -> list[dict[str, Any]]:
        """Each layer's settings, gesture loop and presets as plain data (for the saved performance state). What
        is taken under the layers' lock is immutable (settings, loops) or copied (the slots' list); the data is
        made after, so a save never holds the planner and the controls back while it writes out long loops."""
        with self._layers.lock:
            taken = [(perf, hand.loop, list(slots)) for perf, hand, slots in
                     zip(self.perf, self._hands.hands, self.presets, strict=True)]  # fmt: skip
        return [
            {**perf.to_dict(), "gesture": loop.to_dict() if loop is not None else None, "presets": slots}
            for perf, loop, slots in taken
        ]

    def restore_performance(self, k: int, data: Mapping[str, Any]) -> list[str]:
        """Apply :meth:`performance_state` output for one layer; returns notes on what did not fit."""
        perf, notes = Performance.from_dict(data)
        slots, more = presets.clean_slots(data.get("presets"))
        loop = None
        if data.get("gesture") is not None:
            try:
                loop = GestureLoop.from_dict(data["gesture"])
            except (MotionError, TypeError, AttributeError) as err:
                notes.append(f"gesture: {err}; skipped")
        with self._layers.lock:
            self.perf[k], self.presets[k] = perf, slots
            self._hands.hands[k].loop = loop
        return notes + more

    # ------------------------------------------------------------------ what the engine and the planner read

    def extras(self, k: int) -> dict[str, Any]:
        """The layer's entries in the engine's snapshot beside its :class:`LayerState` (under the layers' lock)."""
        hand = self._hands.hands[k]
        x, y = self.xy_now(k)
        rec = hand.recording
        gesture = "recording" if rec is not None else "playing" if hand.loop is not None else "off"
        morph = self.morphs[k]
        return {
            "xy_now": [round(x, 4), round(y, 4)],
            **self.perf[k].to_dict(),
            "gesture": {
                "state": "armed" if rec is not None and rec.start is None else gesture,
                "bars": rec.bars if rec is not None else hand.loop.bars if hand.loop is not None else 0,
                "overdub": hand.overdub,
            },
            "touching": hand.touched(time.monotonic()),
            "morphing": morph is not None and not morph.done(self._clock.position()),
            "presets": [p is not None for p in self.presets[k]],
            "trail": self.trails[k],
        }

    def updated(self, k: int, changed: Mapping[str, Any]) -> None:
        """A control changed ``changed`` of layer ``k`` (already applied, under the layers' lock): a glide of what
        changed ends, and a move of the point is the performer's hand."""
        for key, group in (("threshold", "threshold"), ("noise", "noise"), ("mutes", "mutes")):
            if key in changed:
                self._end_morph(k, group)
        if "x" in changed or "y" in changed:
            self._end_morph(k, "xy")
            self._hands.moved(k)

    def advance(self, bar: int) -> None:
        """At a planning round for ``bar`` (under the layers' lock): glides that are over end."""
        line = float(bar * TICKS)
        for k, morph in enumerate(self.morphs):
            if morph is not None and morph.done(line):
                self.morphs[k] = None

    def plain(self, k: int, touching: bool) -> bool:
        """True when layer ``k`` plays its performer's point as it is: no motion, glide, swing or density."""
        perf = self.perf[k]
        return (
            not perf.moving
            and (self._hands.hands[k].loop is None or touching)
            and self.morphs[k] is None
            and perf.swing <= MIN_SWING
            and not any(perf.densities)
        )

    def controls(self, k: int, positions: NDArray[np.float64], state: LayerState, touching: bool) -> Controls:
        """What layer ``k`` plays at ``positions`` from ``state`` (its state, or the state a started bar keeps)."""
        return evaluate(
            positions, state, self.perf[k], loop=self._hands.hands[k].loop, touching=touching, morph=self.morphs[k]
        )

    # ------------------------------------------------------------------ internals

    def _end_morph(self, k: int, group: str) -> None:
        morph = self.morphs[k]
        if morph is not None:
            self.morphs[k] = morph.without(group)

    def _start_morph(self, k: int, ticks: float, fields: frozenset[str] | None = None) -> None:
        """Glide layer ``k`` from its values now to those set next, over ``ticks`` (none when stopped or 0)."""
        if ticks <= 0 or not self._clock.running:
            self.morphs[k] = None
            return
        position = self._clock.position()
        state, old = self._layers.states[k], self.morphs[k]
        if old is not None and not old.done(position):  # a glide in progress: start from where it is now
            a = float(old.amount(np.array([position]))[0])
            state = replace(
                state,
                **{f: getattr(old.state, f) + (getattr(state, f) - getattr(old.state, f)) * a
                   for f in ("x", "y", "threshold", "noise")},
            )  # fmt: skip
        morph = Morph(position, ticks, state, self.perf[k])
        self.morphs[k] = morph if fields is None else replace(morph, fields=fields)


__all__ = ["MAX_TRAIL", "PerformanceControls"]
