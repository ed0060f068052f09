"""The engine's playing controls beyond XY, threshold and mutes: LFOs, paths, gesture loops, touch, swing,
densities, presets with morph, follow-mode settings, the trail of an encoded clip — and the planner's per-tick
view of a layer (:meth:`PerformanceControls._plan_bar`).

:class:`PerformanceControls` is mixed into :class:`rvae_server.engine.engine.Engine`, whose lock, states,
versions and planner it uses. Every control method validates its input (a :class:`ControlError` naming what was
wrong, nothing changed), changes the layer under the engine's lock and re-plans the bar playing and the next
one, as :meth:`Engine.update` does. What moves over time is evaluated by the planner for each tick of each bar
it plans ahead (:func:`rvae_server.engine.performance.evaluate`); the player only sends the result.

Gesture loops and touch: :mod:`rvae_server.engine.gestures`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS, Bar
from rvae_server.engine import presets
from rvae_server.engine.api import ControlError, EngineEvent, LayerState, PatternModel, clamp, model_pad_to_latent
from rvae_server.engine.gestures import Hand, HandControls
from rvae_server.engine.motion import TARGETS, GestureLoop, Lfo, MotionError, Path
from rvae_server.engine.performance import (
    SEEDS,
    Morph,
    Performance,
    bar_positions,
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
from rvae_server.engine.plans import Plan, latent_of, make_plan
from rvae_server.engine.shaping import MIN_SWING, apply_swing, threshold_cells
from rvae_server.model.inference import threshold_planes

#: Points of an encoded clip's trail shown on the page.
MAX_TRAIL = 64
#: After a bar in motion was planned (decoded per tick, ~0.5 ms), changes wait this long (s) and are planned
#: together: a storm of XY moves on a moving layer must not take the player's core.
COALESCE = 0.010


def _control(err: MotionError) -> ControlError:
    return ControlError(str(err))


class PerformanceControls(HandControls):
    """Mixed into the engine (see the module docstring)."""

    _decode_cache: dict[tuple[int, float, float], NDArray[np.float32]]  # the engine's

    def _pattern(self, model: PatternModel, state: LayerState, unit: NDArray[np.float32] | None) -> Bar:
        """The bar of one pad point (no motion): :meth:`_decoded`, thresholded and muted."""
        return threshold_planes(self._decoded(model, state, unit), state.threshold, state.mutes)

    def _decoded(self, model: PatternModel, state: LayerState, unit: NDArray[np.float32] | None) -> NDArray[np.float32]:
        """The decoded planes of a layer's point (cached: a bar replanned at the same point is not decoded again)."""
        latent = latent_of(model, state, unit)
        key = (id(model), float(latent[0]), float(latent[1]))
        planes = self._decode_cache.get(key)
        if planes is None:
            planes = model.decode_latent(latent[None, :]).one(0)
            if len(self._decode_cache) > 64:
                self._decode_cache.clear()
            self._decode_cache[key] = planes
        return planes

    def _init_performance(self, layers: int) -> None:
        self._perf: list[Performance] = [Performance() for _ in range(layers)]
        self._hands: list[Hand] = [Hand() for _ in range(layers)]
        self._morphs: list[Morph | None] = [None] * layers
        self._presets: list[list[dict[str, Any] | None]] = [[None] * presets.SLOTS for _ in range(layers)]
        self._trails: list[list[list[float]]] = [[] for _ in range(layers)]
        self._heavy_planned = -1.0  # perf_counter time a bar in motion was last planned

    # ------------------------------------------------------------------ controls (any thread)

    def performance(self, layer: int = 0) -> Performance:
        return self._perf[self._layer(layer)]

    def set_lfo(
        self, layer: int, target: str, shape: str, rate: object = None, depth: object = None, phase: object = None
    ) -> list[str]:
        """An LFO on ``target`` (x, y, threshold, noise): ``shape`` (or ``off``), ``rate`` in bars per cycle (or a
        text, see :func:`rvae_server.engine.motion.parse_rate`), ``depth``, ``phase`` (cycles). Missing values keep
        the LFO's current ones (new: 1 bar, depth 0.2, phase 0)."""
        k = self._layer(layer)
        if target not in TARGETS:
            raise ControlError(f"LFO target must be one of {', '.join(TARGETS)}, not {target!r}")
        with self._wake:
            perf = self._perf[k]
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
            self._perf[k] = perf.with_lfo(target, lfo)
            self._end_morph(k, "motion")
        self._bump(k)
        return notes

    def set_path(
        self, layer: int, shape: str, bars: object = None, size: object = None, points: object = None
    ) -> list[str]:
        """A path (circle, eight, drawn; or ``off``) traversed once every ``bars`` bars; ``points`` (x,y pairs) for
        drawn (default: the drawn path already set)."""
        k = self._layer(layer)
        with self._wake:
            perf = self._perf[k]
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
            self._perf[k] = replace(perf, path=path)
            self._end_morph(k, "motion")
        self._bump(k)
        return notes

    def set_swing(self, layer: int, amount: object, unit: object = None) -> list[str]:
        """Swing in percent (50 straight … 75) on 8ths or 16ths (``unit`` 8 or 16; default: unchanged)."""
        k = self._layer(layer)
        try:
            value, notes = swing_value(amount)
            new_unit = None if unit is None else swing_unit(unit)
        except MotionError as err:
            raise _control(err) from None
        with self._wake:
            perf = self._perf[k]
            self._perf[k] = replace(perf, swing=value, swing_unit=perf.swing_unit if new_unit is None else new_unit)
            self._end_morph(k, "shaping")
        self._bump(k)
        return notes

    def set_density(self, layer: int, which: str | int, value: object) -> list[str]:
        """One instrument's density: a threshold offset in -0.5..0.5 (positive = denser)."""
        k = self._layer(layer)
        try:
            index = instrument(which)
            number, notes = density_value(value)
        except MotionError as err:
            raise _control(err) from None
        with self._wake:
            perf = self._perf[k]
            densities = list(perf.densities)
            densities[index] = number
            self._perf[k] = replace(perf, densities=tuple(densities))
            self._end_morph(k, "shaping")
        self._bump(k)
        return notes

    def preset_store(self, layer: int, slot: object) -> None:
        """Keep the layer's XY, threshold, noise, mutes, densities, swing and motion in ``slot`` (1..16)."""
        k = self._layer(layer)
        try:
            index = presets.slot_index(slot)
        except MotionError as err:
            raise _control(err) from None
        with self._wake:
            self._presets[k][index] = presets.capture(self._states[k], self._perf[k])
        self._emit(EngineEvent("state", {"layer": k}))

    def preset_recall(self, layer: int, slot: object, time: object = None, unit: object = None) -> list[str]:
        """Recall ``slot``: every value glides from where it is over ``time`` ``unit`` (beats or bars; default: the
        layer's morph setting), in sync; at once when the time is 0 or the transport is stopped."""
        k = self._layer(layer)
        try:
            index = presets.slot_index(slot)
        except MotionError as err:
            raise _control(err) from None
        with self._wake:
            data = self._presets[k][index]
            if data is None:
                raise ControlError(f"preset {index + 1} is empty (store one first)")
            perf = self._perf[k]
            try:
                ticks, _, notes = morph_ticks(
                    perf.morph_time if time is None else time, perf.morph_unit if unit is None else unit
                )
            except MotionError as err:
                raise _control(err) from None
            state, perf, more = presets.apply(data, self._states[k], perf)
            self._start_morph(k, ticks)
            self._states[k], self._perf[k] = state, perf
        self._bump(k)
        return notes + more

    def set_morph(self, layer: int, time: object, unit: object = "bars") -> list[str]:
        """The layer's default morph time for preset recalls (MIDI learn, the page's preset buttons)."""
        k = self._layer(layer)
        try:
            _, number, notes = morph_ticks(time, unit)
            name = morph_unit(unit)
        except MotionError as err:
            raise _control(err) from None
        with self._wake:
            self._perf[k] = replace(self._perf[k], morph_time=number, morph_unit=name)
        self._emit(EngineEvent("state", {"layer": k}))
        return notes

    def set_follow(self, layer: int, on: bool, min_count: object = None, glide: object = None) -> list[str]:
        """Follow mode: the incoming drums' last bar, encoded at each bar line, moves the pad (see
        :mod:`rvae_server.surfaces.follow`); bars with fewer than ``min_count`` onsets are not followed; the pad
        glides there over ``glide`` beats."""
        k = self._layer(layer)
        try:
            count, notes = min_onsets(min_count) if min_count is not None else (None, [])
            beats, more = glide_beats(glide) if glide is not None else (None, [])
        except MotionError as err:
            raise _control(err) from None
        with self._wake:
            perf = self._perf[k]
            self._perf[k] = replace(
                perf,
                follow=bool(on),
                follow_min_onsets=perf.follow_min_onsets if count is None else count,
                follow_glide=perf.follow_glide if beats is None else beats,
            )
        self._emit(EngineEvent("state", {"layer": k}))
        return notes + more

    def glide(self, layer: int, x: object, y: object, beats: object = 1.0) -> list[str]:
        """Move the performer's point to ``(x, y)`` over ``beats`` beats (at once when stopped)."""
        k = self._layer(layer)
        nx, note_x = clamp("x", x, 0.0, 1.0)
        ny, note_y = clamp("y", y, 0.0, 1.0)
        try:
            ticks, _, notes = morph_ticks(beats, "beats")
        except MotionError as err:
            raise _control(err) from None
        with self._wake:
            self._start_morph(k, ticks, frozenset({"xy"}))
            self._states[k] = replace(self._states[k], x=nx, y=ny)
        self._bump(k)
        return [n for n in (note_x, note_y) if n] + notes

    def set_trail(self, layer: int, points: Sequence[Sequence[float]]) -> None:
        """Points shown on the page as a trail (an encoded clip's bars), at most :data:`MAX_TRAIL`."""
        k = self._layer(layer)
        trail = []
        for point in list(points)[:MAX_TRAIL]:
            x, _ = clamp("trail x", point[0], 0.0, 1.0)
            y, _ = clamp("trail y", point[1], 0.0, 1.0)
            trail.append([round(x, 4), round(y, 4)])
        with self._wake:
            self._trails[k] = trail
        self._emit(EngineEvent("state", {"layer": k}))

    def xy_now(self, layer: int = 0) -> tuple[float, float]:
        """The point the layer plays right now (the performer's point moved by LFOs, paths, loops, morphs)."""
        k = self._layer(layer)
        hand = self._hands[k]
        if self._plain(k, hand.touched(time.monotonic()) or hand.recording is not None):
            return self._states[k].x, self._states[k].y
        controls = self._controls(k, np.array([self.clock.position()]))
        return float(controls.xy[0, 0]), float(controls.xy[0, 1])

    def performance_state(self) -> list[dict[str, Any]]:
        """Each layer's settings, gesture loop and presets as plain data (for the saved performance state)."""
        with self._lock:
            return [
                {
                    **perf.to_dict(),
                    "gesture": hand.loop.to_dict() if hand.loop is not None else None,
                    "presets": list(slots),
                }
                for perf, hand, slots in zip(self._perf, self._hands, self._presets, strict=True)
            ]

    def restore_performance(self, layer: int, data: Mapping[str, Any]) -> list[str]:
        """Apply :meth:`performance_state` output for one layer; returns notes on what did not fit."""
        k = self._layer(layer)
        perf, notes = Performance.from_dict(data)
        slots, more = presets.clean_slots(data.get("presets"))
        loop = None
        if data.get("gesture") is not None:
            try:
                loop = GestureLoop.from_dict(data["gesture"])
            except (MotionError, TypeError, AttributeError) as err:
                notes.append(f"gesture: {err}; skipped")
        with self._wake:
            self._perf[k], self._presets[k] = perf, slots
            self._hands[k].loop = loop
        self._bump(k)
        return notes + more

    # ------------------------------------------------------------------ hooks the engine calls (under its lock)

    def _layer_extras(self, k: int) -> dict[str, Any]:
        """The layer's entries in :meth:`Engine.snapshot` beside its :class:`LayerState`."""
        hand = self._hands[k]
        x, y = self.xy_now(k)
        rec = hand.recording
        gesture = "recording" if rec is not None else "playing" if hand.loop is not None else "off"
        morph = self._morphs[k]
        return {
            "xy_now": [round(x, 4), round(y, 4)],
            **self._perf[k].to_dict(),
            "gesture": {
                "state": "armed" if rec is not None and rec.start is None else gesture,
                "bars": rec.bars if rec is not None else hand.loop.bars if hand.loop is not None else 0,
                "overdub": hand.overdub,
            },
            "touching": hand.touched(time.monotonic()),
            "morphing": morph is not None and not morph.done(self.clock.position()),
            "presets": [p is not None for p in self._presets[k]],
            "trail": self._trails[k],
        }

    def _on_update(self, k: int, changed: Mapping[str, Any]) -> None:
        """A control changed ``changed`` of layer ``k`` (already applied): the hand moved, a glide ends."""
        for key, group in (("threshold", "threshold"), ("noise", "noise"), ("mutes", "mutes")):
            if key in changed:
                self._end_morph(k, group)
        if "x" not in changed and "y" not in changed:
            return
        self._end_morph(k, "xy")
        self._hand_moved(k)

    def _coalescing(self) -> bool:
        return time.perf_counter() - self._heavy_planned < COALESCE

    def _perf_wait(self) -> float:
        left = COALESCE - (time.perf_counter() - self._heavy_planned)
        wait = super()._perf_wait()
        return max(0.0005, min(wait, left)) if left > 0 else wait

    def _advance(self, bar: int) -> None:
        """At a planning round for ``bar`` (under the lock): recordings, touches and glides move on."""
        for k in self._advance_hands(bar):
            self._version += 1
            self._layer_versions[k] += 1
        line = float(bar * TICKS)
        for k, morph in enumerate(self._morphs):
            if morph is not None and morph.done(line):
                self._morphs[k] = None

    # ------------------------------------------------------------------ planning (the planner thread)

    def _controls(self, k: int, positions: NDArray[np.float64]) -> Any:
        hand = self._hands[k]
        touching = hand.touched(time.monotonic()) or hand.recording is not None
        return evaluate(
            positions, self._states[k], self._perf[k], loop=hand.loop, touching=touching, morph=self._morphs[k]
        )

    def _plan_bar(
        self, k: int, bar_number: int, state: LayerState, model: PatternModel, unit: NDArray[np.float32]
    ) -> Plan:
        """One bar of one layer: what plays at each tick (:func:`evaluate`), decoded per tick when the point or the
        noise moves within the bar (else once), thresholded per tick and instrument, then swung."""
        if not state.enabled:
            return make_plan(k, bar_number, state, Bar.empty(), latent_of(model, state, unit))
        hand = self._hands[k]
        touching = hand.touched(time.monotonic()) or hand.recording is not None
        if self._plain(k, touching):  # nothing moves or shapes: the one decode of the bar, as without motion
            return make_plan(k, bar_number, state, self._pattern(model, state, unit), latent_of(model, state, unit))
        controls = evaluate(
            bar_positions(bar_number), state, self._perf[k], loop=hand.loop, touching=touching, morph=self._morphs[k]
        )
        if controls.still:
            point = replace(state, x=float(controls.xy[0, 0]), y=float(controls.xy[0, 1]), noise=controls.noise[0])
            planes = self._decoded(model, point, unit)
            latent = latent_of(model, point, unit)
        else:
            noise = controls.noise[:, None].astype(np.float32) * unit[None, :]
            latents = (model_pad_to_latent(model, controls.xy) + noise).astype(np.float32)
            planes = self._decode_ticks(model, latents)
            latent = latents.mean(axis=0).astype(np.float32)  # the bar's point for whoever follows it (melody)
        pattern = threshold_cells(planes, controls.thresholds, controls.keep)
        self._heavy_planned = time.perf_counter()
        return apply_swing(make_plan(k, bar_number, state, pattern, latent), controls.swing, controls.unit)

    def _plain(self, k: int, touching: bool) -> bool:
        """True when layer ``k`` plays its performer's point as it is: no motion, glide, swing or density."""
        perf = self._perf[k]
        return (
            not perf.moving
            and (self._hands[k].loop is None or touching)
            and self._morphs[k] is None
            and perf.swing <= MIN_SWING
            and not any(perf.densities)
        )

    def _decode_ticks(self, model: PatternModel, latents: NDArray[np.float32]) -> NDArray[np.float32]:
        fast = getattr(model, "decode_ticks", None)
        if fast is not None:
            return np.asarray(fast(latents), dtype=np.float32)
        points, which = np.unique(np.round(latents.astype(np.float64), 4), axis=0, return_inverse=True)
        planes = model.decode_latent(points.astype(np.float32)).planes  # (points, 3, 96, 9), one batch
        return np.ascontiguousarray(planes[which.reshape(-1), :, np.arange(TICKS), :].transpose(1, 0, 2))

    # ------------------------------------------------------------------ internals

    def _end_morph(self, k: int, group: str) -> None:
        morph = self._morphs[k]
        if morph is not None:
            self._morphs[k] = morph.without(group)

    def _start_morph(self, k: int, ticks: float, fields: frozenset[str] | None = None) -> None:
        """Glide layer ``k`` from its values now to those set next, over ``ticks`` (none when stopped or 0)."""
        if ticks <= 0 or not self.clock.running:
            self._morphs[k] = None
            return
        position = self.clock.position()
        state, old = self._states[k], self._morphs[k]
        if old is not None and not old.done(position):  # a glide in progress: start from where it is now
            a = float(old.amount(np.array([position]))[0])
            state = replace(
                state,
                **{f: getattr(old.state, f) + (getattr(state, f) - getattr(old.state, f)) * a
                   for f in ("x", "y", "threshold", "noise")},
            )  # fmt: skip
        morph = Morph(position, ticks, state, self._perf[k])
        self._morphs[k] = morph if fields is None else replace(morph, fields=fields)


__all__ = ["MAX_TRAIL", "PerformanceControls"]
