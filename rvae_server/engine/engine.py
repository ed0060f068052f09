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
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import (
    N_INSTRUMENTS,
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
from rvae_server.engine.plans import Plan, make_plan, plan_event_data, same_plan
from rvae_server.engine.playable import check_playable
from rvae_server.engine.player import Player

log = logging.getLogger(__name__)


class Engine(PerformanceControls, MelodyHost, Player):
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

    def planned(self, layer: int = 0) -> list[dict[str, Any]]:
        """The plans held for a layer (the bar playing and the next one), as ``EngineEvent("plan")`` data."""
        k = self._layer(layer)
        plans = self._plans
        return [plan_event_data(plans[key]) for key in sorted(plans) if key[0] == k]

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
        fresh: list[Plan] = []
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
                    fresh.append(plan)
        for key in [key for key in plans if key[1] < current - 1]:
            del plans[key]
        for store in (self._bar_models, self._unit_noise):
            for key in [key for key in store if key[1] < current - 1]:
                del store[key]
        self._plans = plans  # one reference swap: the player sees all of it or none
        if changed:
            self.clock.interrupt()
        for plan in fresh:  # after the swap; the plan itself (immutable): a listener reads its notes only if it must
            data = {"layer": plan.layer, "bar_number": plan.bar_number, "channel": plan.channel, "plan": plan}
            self._emit(EngineEvent("plan", data))
