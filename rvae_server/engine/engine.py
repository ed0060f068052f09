"""The performance engine: layers of state, per-bar decoding ahead of the clock, and the player thread.

Threads and data flow (one way: controls → planner → player → sinks):

* **Control** calls (OSC, web, MIDI CC, the CLI) change a layer's :class:`LayerState` under a lock and wake the
  planner. They never decode and never touch outputs.
* The **planner** thread decodes (the model's forward pass, ~0.2 ms a bar) and turns the decoded planes into a
  :class:`Plan`: the bar's notes with absolute positions (ticks since the clock's start, microtiming
  included), velocities and output notes. It keeps a plan for the bar playing *and* the next one, so an early
  note on the next downbeat is ready before the bar line. A change of XY, threshold, noise, mutes, velocity or
  timing replaces both plans at once — heard from the next tick; a model change takes effect at the next bar
  line. Noise is drawn once per bar (a unit Gaussian per layer and bar, scaled by the current noise amount).
  Motion (LFOs, paths, gesture loops, morphs), swing and densities are evaluated here too, per tick of each
  bar planned (:mod:`rvae_server.engine.performing`).
* The **player** thread only sends what is already computed: it asks the clock to wake it at the next
  event's position (sleep until just before the absolute deadline, then spin), sends every event due, and
  moves its cursor. It never decodes, allocates little and takes no lock that the planner holds for long.
  Plans are immutable and swapped by reference, so the player reads them without locking.

Positions are in 24-ppqn ticks since the clock's start (a bar = 96 ticks, one tick = one MIDI clock pulse).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import (
    N_INSTRUMENTS,
    TICKS,
    TICKS_PER_BEAT,
    Bar,
    instrument_index,
)
from rvae_server.engine.api import (
    RANGES,
    Clock,
    ControlError,
    EngineEvent,
    LayerState,
    Listener,
    NoteSink,
    PatternModel,
    clamp,
)
from rvae_server.engine.melodyhost import MelodyHost
from rvae_server.engine.performing import PerformanceControls
from rvae_server.engine.plans import Plan, make_plan, same_plan
from rvae_server.engine.playable import check_playable

log = logging.getLogger(__name__)

#: An event a re-plan puts this far in the past (or less) is still played; anything older is skipped, never
#: played late (an XY change is heard from the next tick, not as a flam of past notes).
LATE_SECONDS = 0.002
NO_PLANS: dict[tuple[int, int], Plan] = {}  # the melody's plans when there is no melody layer


class Engine(PerformanceControls, MelodyHost):
    """Layers of state, the planner and the player. Thread-safe control methods; start with :meth:`start`.
    A melody layer may be attached (:class:`~rvae_server.engine.melodyhost.MelodyHost`); motion and
    shaping: :class:`~rvae_server.engine.performing.PerformanceControls`."""

    def __init__(
        self,
        models: Mapping[str, PatternModel],
        clock: Clock,
        sinks: Sequence[NoteSink] = (),
        *,
        default_model: str,
        layers: int = 2,
        seed: int | None = None,
        realtime_priority: int = 0,
    ) -> None:
        if default_model not in models:
            raise ValueError(f"default model {default_model!r} is not loaded (loaded: {', '.join(models)})")
        if layers < 1:
            raise ValueError("at least one layer")
        for name, model in models.items():
            check_playable(name, model)  # a model that cannot play is refused here, not at every bar
        self.realtime_priority = realtime_priority  # SCHED_FIFO priority of the player thread (0: none)
        self._models: dict[str, PatternModel] = dict(models)
        self.clock = clock
        self.sinks = list(sinks)
        self.default_model = default_model
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._plan_lock = threading.RLock()  # one planning round at a time (planner thread or a control call)
        self._states: list[LayerState] = [
            LayerState(model=default_model, channel=10, enabled=(k == 0)) for k in range(layers)
        ]
        self._version = 0  # bumped on every state change the planner must see
        self._layer_versions = [0] * layers  # which layers changed
        self._planned_layers = [-1] * layers
        self._plans: dict[tuple[int, int], Plan] = {}  # (layer, bar) → plan; replaced whole, read lock-free
        self._bar_models: dict[tuple[int, int], tuple[str, PatternModel]] = {}  # the model a started bar keeps
        self._unit_noise: dict[tuple[int, int], NDArray[np.float32]] = {}
        self._rng = np.random.default_rng(seed)
        self._current_bar = 0
        self._wanted_bar = 0
        self._listeners: list[Listener] = []
        self._quit = threading.Event()
        self._threads: list[threading.Thread] = []
        self.lateness: list[float] = []  # seconds late of each sent event (bounded; for benchmarks and logs)
        self.max_lateness_records = 100_000
        self._planned_version = -1
        self._decode_cache: dict[tuple[int, float, float], NDArray[np.float32]] = {}
        self._layer_errors: dict[int, str] = {}  # the last failure of each layer's decoding, logged once
        self._melody = None  # the melody layer, when one is attached (MelodyHost)
        self._init_performance(layers)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._melody is not None:
            self._melody.start()
        for target, name in ((self._planner, "rvae-planner"), (self._player, "rvae-player")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Stop the threads and silence every channel used. Idempotent."""
        if self._quit.is_set():
            return
        self._quit.set()
        with self._wake:
            self._wake.notify_all()
        self.clock.interrupt()
        for thread in self._threads:
            thread.join(timeout=2.0)
        if self._melody is not None:
            self._melody.close()
        self._all_notes_off()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # ---------------------------------------------------------------- models

    @property
    def models(self) -> dict[str, PatternModel]:
        return dict(self._models)

    def add_model(self, name: str, model: PatternModel) -> None:
        """Load (or replace) a model in memory; layers using that name pick it up at their next bar line. Raises
        :class:`ControlError` (and changes nothing) for a model the engine cannot play."""
        check_playable(name, model)
        with self._wake:
            self._models[name] = model
            self._decode_cache.clear()
            self._version += 1
            self._layer_versions = [v + 1 for v in self._layer_versions]
            self._wake.notify_all()

    # ---------------------------------------------------------------- controls (any thread)

    @property
    def layer_count(self) -> int:
        return len(self._states)

    def state(self, layer: int = 0) -> LayerState:
        return self._states[self._layer(layer)]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "playing": self.clock.running,
                "bpm": round(self.clock.bpm, 3),
                "position": self.clock.position(),
                "models": sorted(self._models),
                "layers": [{**s.to_dict(), **self._layer_extras(k)} for k, s in enumerate(self._states)],
                "melody": self.melody_state(),
            }

    def update(self, layer: int, **changes: Any) -> list[str]:
        """Change fields of one layer's state. Numbers are clamped to their range (the returned notes say so);
        anything unusable raises :class:`ControlError` and changes nothing."""
        k = self._layer(layer)
        notes: list[str] = []
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key in RANGES:
                number, note = clamp(key, value, *RANGES[key])
                clean[key] = round(number) if key in ("fixed_velocity", "channel") else number
                if note:
                    notes.append(note)
            elif key == "model":
                if value not in self._models:
                    raise ControlError(f"unknown model {value!r}: loaded are {', '.join(sorted(self._models))}")
                clean[key] = value
            elif key == "velocity_mode":
                if value not in ("model", "fixed"):
                    raise ControlError(f"velocity mode must be 'model' or 'fixed', not {value!r}")
                clean[key] = value
            elif key == "mutes":
                mutes = tuple(bool(m) for m in value)
                if len(mutes) != N_INSTRUMENTS:
                    raise ControlError(f"mutes need {N_INSTRUMENTS} entries, not {len(mutes)}")
                clean[key] = mutes
            elif key == "notes":
                out = tuple(int(clamp("note", n, 0, 127)[0]) for n in value)
                if len(out) != N_INSTRUMENTS:
                    raise ControlError(f"notes need {N_INSTRUMENTS} entries, not {len(out)}")
                clean[key] = out
            elif key == "enabled":
                clean[key] = bool(value)
            else:
                raise ControlError(f"unknown setting {key!r}")
        with self._wake:
            self._states[k] = replace(self._states[k], **clean)
            self._on_update(k, clean)
            self._version += 1
            self._layer_versions[k] += 1
            inline = bool(self._threads) and not self._coalescing()
            if not inline:
                self._wake.notify_all()
        if inline:
            self._plan_now()  # planned here and now: heard from the next tick
        self._emit(EngineEvent("state", {"layer": k}))
        return notes

    def set_mute(self, layer: int, instrument: str | int, muted: bool) -> list[str]:
        try:
            index = instrument_index(instrument)
        except ValueError as err:
            raise ControlError(str(err)) from None
        mutes = list(self.state(layer).mutes)
        mutes[index] = bool(muted)
        return self.update(layer, mutes=mutes)

    def set_bpm(self, bpm: float) -> list[str]:
        value, note = clamp("bpm", bpm, 20.0, 400.0)
        self.clock.set_bpm(value)
        self._emit(EngineEvent("state", {}))
        return [note] if note else []

    def play(self) -> None:
        self.clock.start()
        self._emit(EngineEvent("transport", {"playing": True}))

    def stop(self) -> None:
        self.clock.stop()
        self._emit(EngineEvent("transport", {"playing": False}))

    def current_bar(self, layer: int = 0) -> Bar:
        """The pattern of the bar playing now (or about to play) on a layer."""
        plan = self._plans.get((self._layer(layer), self._current_bar))
        if plan is None:
            return self.render(layer)
        return plan.bar

    def render(self, layer: int = 0, rng_unit: NDArray[np.float32] | None = None) -> Bar:
        """The pattern the layer's current state gives, without noise unless ``rng_unit`` (a unit Gaussian draw)
        is given. The same function the player uses, so ``rvae render`` and the live output agree."""
        state = self.state(layer)
        model = self._models[state.model]
        return self._pattern(model, state, rng_unit)

    # ---------------------------------------------------------------- internals

    def _layer(self, layer: int) -> int:
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(self._states):
            raise ControlError(f"layer must be 1..{len(self._states)}, not {layer!r} (0-based {layer})")
        return layer

    def _emit(self, event: EngineEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must never stop the music
                log.exception("engine listener %r failed on %s", listener, event.kind)

    def _planner(self) -> None:
        """Keep plans for the bar playing and the next one up to date: a new bar when the player asks for it,
        and any change that was not already planned where it was made (see :meth:`_plan_now`)."""
        while not self._quit.is_set():
            with self._wake:
                while not self._quit.is_set() and not self._plan_due():
                    self._wake.wait(self._perf_wait())
                if self._quit.is_set():
                    return
            self._plan_now()

    def _plan_due(self) -> bool:
        changed = self._planned_version != self._version and not self._coalescing()
        return changed or self._wanted_bar != self._current_bar or self._perf_due()

    def _plan_now(self) -> None:
        """One planning round, if one is due. Called by the planner thread, and by a control method on its own
        thread right after a change: that saves a thread wake-up (and its GIL hand-over, measured at 1-3 ms
        while the player spins) between a move of the pad and the plan the player sends from."""
        with self._plan_lock:
            with self._wake:
                if self._quit.is_set() or not self._plan_due():
                    return
                self._advance(self._wanted_bar)  # recordings, touches and glides move on with the bars
                version = self._version
                layer_versions = list(self._layer_versions)
                started = self._wanted_bar
                new_bar = started != self._current_bar or self._planned_version < 0
                self._current_bar = started
                states = list(self._states)
                models = dict(self._models)
            dirty = [new_bar or v != p for v, p in zip(layer_versions, self._planned_layers, strict=True)]
            try:  # the bar playing first, handed to the player at once; then the next one
                self._replan(states, models, started, dirty, (started,))
                self._replan(states, models, started, dirty, (started + 1,))
            except Exception:  # the music goes on with the previous plans
                log.exception("planning bar %d failed; keeping the previous plans", started)
            self._planned_version = version
            self._planned_layers = layer_versions
            self._feed_melody(started)
            if new_bar:
                for k in range(len(states)):
                    plan = self._plans.get((k, started))
                    if plan is not None:
                        self._emit(
                            EngineEvent(
                                "bar", {"layer": k, "bar_number": started, "bar": plan.bar, "model": plan.model}
                            )
                        )

    def _replan(
        self,
        states: list[LayerState],
        models: dict[str, PatternModel],
        current: int,
        dirty: list[bool],
        bars: tuple[int, ...],
    ) -> None:
        plans = dict(self._plans)
        changed = False
        for k, state in enumerate(states):
            if not dirty[k]:
                continue
            for bar_number in bars:
                key = (k, bar_number)
                # a started bar keeps its model (the object: a retrained model may reuse the name); a model
                # change is heard from the next bar line
                chosen = (state.model, models[state.model])
                if bar_number <= current:
                    chosen = self._bar_models.setdefault(key, chosen)
                model_name, model = chosen
                unit = self._unit_noise.get(key)
                if unit is None:
                    unit = self._rng.standard_normal(2).astype(np.float32)
                    self._unit_noise[key] = unit
                playing_state = replace(state, model=model_name)
                try:
                    plan = self._plan_bar(k, bar_number, playing_state, model, unit)
                except Exception as err:  # this layer rests; the others play on
                    plan = make_plan(k, bar_number, playing_state, Bar.empty())
                    if self._layer_errors.get(k) != repr(err):
                        self._layer_errors[k] = repr(err)
                        log.error("layer %d: model %r cannot play (%r); the layer rests", k + 1, model_name, err)
                else:
                    self._layer_errors.pop(k, None)
                old = plans.get(key)
                if old is None or not same_plan(old, plan):
                    plans[key] = plan
                    changed = True
        for key in [key for key in plans if key[1] < current - 1]:
            del plans[key]
        for store in (self._bar_models, self._unit_noise):
            for key in [key for key in store if key[1] < current - 1]:
                del store[key]
        self._plans = plans  # one reference swap: the player sees all of it or none
        if changed:
            self.clock.interrupt()

    def _player(self) -> None:
        """Send every planned event at its position; the only thread that talks to the sinks on time.

        When a re-plan interrupts a wait, the cursor moves up to the clock's position less
        :data:`LATE_SECONDS` (but never past the event it was waiting for): an event the re-plan put in the past
        is not played late, one due in the last moment still is, and one both plans hold is never lost.
        The thread asks for real-time priority (:func:`rvae_server.system.realtime.set_realtime_priority`) when the
        engine was given ``realtime_priority``."""
        if self.realtime_priority:
            from rvae_server.system.realtime import set_realtime_priority

            set_realtime_priority(self.realtime_priority)
        generation = -1
        cursor = 0.0
        was_running = False
        sent: set[tuple[int, int, int, int]] = set()  # (layer, bar, tick, instrument) already played
        fresh = True  # the next clock generation starts a new timeline (after a stop, or at first)
        while not self._quit.is_set():
            clock = self.clock
            seen = clock.generation
            running = clock.running
            if running != was_running:
                was_running = running
                for sink in [*self.sinks, *(self._melody.sinks if self._melody is not None else ())]:
                    sink.transport(running)
                if not running:
                    fresh = True
                    self._all_notes_off()
            if not running:
                clock.wait_for_change(seen, timeout=0.1)  # a Start is a new generation: heard at once
                continue
            if clock.generation != generation:
                generation = clock.generation
                position = clock.position()
                if not (fresh or cursor - 1.0 <= position <= cursor + 2.0):
                    fresh = True  # a jump (start, locate, song position): not a tempo change
                if fresh:
                    cursor = position - 0.5  # play what is due within half a tick (an early downbeat)
                    sent.clear()
                    fresh = False
                    self._request_bar(math.floor(max(cursor, 0.0) / TICKS))
            bar_now = math.floor(max(cursor, 0.0) / TICKS)
            target = float((bar_now + 1) * TICKS)  # the next bar line
            token = clock.interrupts  # before the plans are read: a re-plan from here on ends the wait
            plans = self._plans
            lines = self._melody.plans if self._melody is not None else NO_PLANS
            for table in (plans, lines):
                for (_, bar_number), plan in table.items():
                    if bar_number < bar_now - 1 or bar_number > bar_now + 1:
                        continue
                    idx = int(np.searchsorted(plan.positions, cursor, side="right"))
                    if idx < plan.positions.size and plan.positions[idx] < target:
                        target = float(plan.positions[idx])
            if not clock.wait_until(target, timeout=0.1, since=token):
                # interrupted (new plans), timed out, or the clock changed: look again. Only new plans can hold
                # events in the past (a timeout ends before the awaited event, and nothing else changed)
                if clock.interrupts != token and clock.generation == generation and clock.running:
                    # events before ``target`` can only come from the new plans (``target`` was the first event
                    # of the old ones): those already past are skipped; ``target`` and later still play
                    late = LATE_SECONDS * clock.bpm / 60.0 * TICKS_PER_BEAT
                    cursor = max(cursor, min(clock.position() - late, target - 1e-6))
                    sent = self._enter_bar(bar_now, math.floor(max(cursor, 0.0) / TICKS), sent)
                continue
            now = time.perf_counter()
            plans = self._plans  # the freshest plans at the moment of sending
            lines = self._melody.plans if self._melody is not None else NO_PLANS
            for table in (plans, lines):
                for (layer, bar_number), plan in table.items():
                    if bar_number < bar_now - 1 or bar_number > bar_now + 1:
                        continue
                    lo = int(np.searchsorted(plan.positions, cursor, side="right"))
                    hi = int(np.searchsorted(plan.positions, target, side="right"))
                    for i in range(lo, hi):
                        key = (layer, bar_number, int(plan.ticks[i]), int(plan.instruments[i]))
                        if key in sent:
                            continue
                        sent.add(key)
                        when = clock.time_at(float(plan.positions[i]))
                        if plan.lengths is not None:  # a note of the melody's line: to its own sinks
                            self._send_line(plan, i, when)
                        else:
                            for sink in self.sinks:
                                sink.note(when, layer, int(plan.instruments[i]), int(plan.notes[i]),
                                          int(plan.velocities[i]), plan.channel)  # fmt: skip
                        if len(self.lateness) < self.max_lateness_records:
                            self.lateness.append(now - when)
            sent = self._enter_bar(bar_now, math.floor(target / TICKS), sent)
            cursor = target

    def _enter_bar(
        self, bar_now: int, new_bar: int, sent: set[tuple[int, int, int, int]]
    ) -> set[tuple[int, int, int, int]]:
        """The player's cursor moved from ``bar_now`` into ``new_bar``: ask the planner for it and forget what was
        sent before the bar prior to it. Returns the ``sent`` set to keep."""
        if new_bar <= bar_now:
            return sent
        self._request_bar(new_bar)
        return {key for key in sent if key[1] >= new_bar - 1}

    def _request_bar(self, bar_number: int) -> None:
        with self._wake:
            self._wanted_bar = bar_number
            self._wake.notify_all()

    def _all_notes_off(self) -> None:
        channels = sorted({s.channel for s in self._states})
        for sink in self.sinks:
            try:
                sink.all_notes_off(channels)
            except Exception:
                log.exception("all notes off failed on %r", sink)
        if self._melody is not None:
            self._melody.silence()
