"""The performance engine: a facade over its named parts, and the public control API's implementation.

The parts, and what each holds (references run one way, down this list):

* :class:`~rvae_server.engine.layers.Layers` — each layer's :class:`~rvae_server.engine.api.LayerState`, the
  models, the change counters, the one lock, the listeners. Every other part reads it.
* :class:`~rvae_server.engine.gestures.Hands` — the performer's hand and gesture loops.
* :class:`~rvae_server.engine.performing.PerformanceControls` — LFOs, paths, swing, densities, presets and
  morphs, follow settings, trails.
* :class:`~rvae_server.engine.melodyhost.MelodyHost` — the melody layer, when one is attached.
* :class:`~rvae_server.engine.planner.Planner` — decodes ahead of the clock: plans for the bar playing and the
  next (immutable, swapped by reference). Reads the layers, the hands and the performance controls; hands its
  plans to the melody host after every round.
* :class:`~rvae_server.engine.player.Player` — the thread that sends what is planned, on time, to the sinks.

A control call (OSC, web, MIDI CC, the CLI) reads top to bottom: the facade checks the layer, the part validates
and applies the change under the layers' lock, and the planner re-plans at once on the caller's thread
(:meth:`Planner.changed <rvae_server.engine.planner.Planner.changed>`), so the player sends the new notes from the
next tick. Controls never touch the outputs; the player never decodes.

Positions are in 24-ppqn ticks since the clock's start (a bar = 96 ticks, one tick = one MIDI clock pulse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import Bar, instrument_index
from rvae_server.core.tempo import MAX_BPM, MIN_BPM
from rvae_server.engine.api import (
    Clock,
    ControlError,
    EngineEvent,
    LayerState,
    Listener,
    NoteSink,
    PatternModel,
    clamp,
)
from rvae_server.engine.gestures import Hands
from rvae_server.engine.layers import Layers
from rvae_server.engine.melodyhost import MelodyHost
from rvae_server.engine.melodylayer import MelodyLayer
from rvae_server.engine.performance import Performance
from rvae_server.engine.performing import PerformanceControls
from rvae_server.engine.planner import Planner
from rvae_server.engine.plans import DRUM_PLANS, LINE_PLANS, Plan, PlanSink, plan_event_data
from rvae_server.engine.player import Player


class Engine:
    """Layers of state, the planner and the player (see the module docstring). Thread-safe control methods;
    start with :meth:`start`, stop with :meth:`close`."""

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
        precise: bool = True,
    ) -> None:
        self.clock = clock
        self.default_model = default_model
        self._plan_sinks: list[PlanSink] = []  # outputs that play whole plans (add_plan_sink)
        self._closed = False
        self.layers = Layers(models, default_model, layers)
        self.hands = Hands(self.layers, clock)
        self.motion = PerformanceControls(self.layers, self.hands, clock)
        self.melody_host = MelodyHost(self.layers, clock, planned=self._lines_planned)
        self.planner = Planner(self.layers, self.hands, self.motion, clock, seed=seed, planned=self._drums_planned,
                               handed=self._drums_to_sinks)  # fmt: skip
        self.player = Player(
            self.planner, self.melody_host, clock, sinks, self._channels, realtime_priority=realtime_priority,
            precise=precise,
        )  # fmt: skip

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self.melody_host.start()
        self.planner.start()
        self.player.start()

    def close(self) -> None:
        """Stop the threads and silence every channel used. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.planner.close()
        self.player.close()
        self.melody_host.close()
        self.player.all_notes_off()

    def add_listener(self, listener: Listener) -> None:
        self.layers.add_listener(listener)

    def add_plan_sink(self, sink: PlanSink) -> None:
        """An output that plays whole plans itself (the player process): handed every table's plans after each
        change, and the current ones now."""
        self._plan_sinks.append(sink)
        sink.plans(DRUM_PLANS, self.planner.plans)
        sink.plans(LINE_PLANS, self.melody_host.plans)

    @property
    def sinks(self) -> list[NoteSink]:
        """The outputs the player sends to (a list: a test may add a recorder before :meth:`start`)."""
        return self.player.sinks

    @property
    def lateness(self) -> list[float]:
        """Seconds late of each event sent (bounded; for benchmarks and logs)."""
        return self.player.lateness

    # ---------------------------------------------------------------- models

    @property
    def models(self) -> dict[str, PatternModel]:
        return dict(self.layers.models)

    def add_model(self, name: str, model: PatternModel) -> None:
        """Load (or replace) a model in memory; layers using that name pick it up at their next bar line. Raises
        :class:`ControlError` (and changes nothing) for a model the engine cannot play."""
        self.layers.add_model(name, model)
        self.planner.models_changed()

    # ---------------------------------------------------------------- reading the state

    @property
    def layer_count(self) -> int:
        return self.layers.count

    def state(self, layer: int = 0) -> LayerState:
        return self.layers.states[self.layers.index(layer)]

    def performance(self, layer: int = 0) -> Performance:
        return self.motion.performance(self.layers.index(layer))

    def snapshot(self) -> dict[str, Any]:
        layers = self.layers
        with layers.lock:
            return {
                "playing": self.clock.running,
                "bpm": round(self.clock.bpm, 3),
                "position": self.clock.position(),
                "models": sorted(layers.models),
                "layers": [{**s.to_dict(), **self.motion.extras(k)} for k, s in enumerate(layers.states)],
                "melody": self.melody_host.state(),
            }

    def current_bar(self, layer: int = 0) -> Bar:
        """The pattern of the bar playing now (or about to play) on a layer."""
        planner = self.planner
        plan = planner.plans.get((self.layers.index(layer), planner.current_bar))
        return self.render(layer) if plan is None else plan.bar

    def planned(self, layer: int = 0) -> list[dict[str, Any]]:
        """The plans held for a layer (the bar playing and the next one), as ``EngineEvent("plan")`` data."""
        k = self.layers.index(layer)
        plans = self.planner.plans
        return [plan_event_data(plans[key]) for key in sorted(plans) if key[0] == k]

    def render(self, layer: int = 0, rng_unit: NDArray[np.float32] | None = None) -> Bar:
        """The pattern the layer's current state gives, without noise unless ``rng_unit`` (a unit Gaussian draw)
        is given. The same function the player uses, so ``rvae render`` and the live output agree."""
        state = self.state(layer)
        return self.planner.decoder.pattern(self.layers.models[state.model], state, rng_unit)

    def xy_now(self, layer: int = 0) -> tuple[float, float]:
        """The point the layer plays right now (the performer's point moved by LFOs, paths, loops, morphs)."""
        return self.motion.xy_now(self.layers.index(layer))

    def performance_state(self) -> list[dict[str, Any]]:
        """Each layer's settings, gesture loop and presets as plain data (for the saved performance state)."""
        return self.motion.performance_state()

    # ---------------------------------------------------------------- the layer's state (any thread)

    def update(self, layer: int, **changes: Any) -> list[str]:
        """Change fields of one layer's state. Numbers are clamped to their range (the returned notes say so);
        anything unusable raises :class:`ControlError` and changes nothing."""
        k = self.layers.index(layer)
        clean, notes = self.layers.validate(changes)
        with self.layers.lock:
            self.layers.apply(k, clean)
            self.motion.updated(k, clean)  # a glide of what changed ends; a moved point is the hand
        return self._replanned(k, notes)

    def set_mute(self, layer: int, instrument: str | int, muted: bool) -> list[str]:
        try:
            index = instrument_index(instrument)
        except ValueError as err:
            raise ControlError(str(err)) from None
        mutes = list(self.state(layer).mutes)
        mutes[index] = bool(muted)
        return self.update(layer, mutes=mutes)

    # ---------------------------------------------------------------- transport

    def set_bpm(self, bpm: float) -> list[str]:
        value, note = clamp("bpm", bpm, MIN_BPM, MAX_BPM)
        self.clock.set_bpm(value)
        self.layers.emit(EngineEvent("state", {}))
        return [note] if note else []

    def play(self) -> None:
        self.clock.start()
        self.layers.emit(EngineEvent("transport", {"playing": True}))

    def stop(self) -> None:
        self.clock.stop()
        self.layers.emit(EngineEvent("transport", {"playing": False}))

    # ---------------------------------------------------------------- motion, shaping, presets, follow

    def set_lfo(
        self, layer: int, target: str, shape: str, rate: object = None, depth: object = None, phase: object = None
    ) -> list[str]:
        """See :meth:`PerformanceControls.set_lfo <rvae_server.engine.performing.PerformanceControls.set_lfo>`."""
        k = self.layers.index(layer)
        return self._replanned(k, self.motion.set_lfo(k, target, shape, rate, depth, phase))

    def set_path(
        self, layer: int, shape: str, bars: object = None, size: object = None, points: object = None
    ) -> list[str]:
        k = self.layers.index(layer)
        return self._replanned(k, self.motion.set_path(k, shape, bars, size, points))

    def set_swing(self, layer: int, amount: object, unit: object = None) -> list[str]:
        k = self.layers.index(layer)
        return self._replanned(k, self.motion.set_swing(k, amount, unit))

    def set_density(self, layer: int, which: str | int, value: object) -> list[str]:
        k = self.layers.index(layer)
        return self._replanned(k, self.motion.set_density(k, which, value))

    def preset_store(self, layer: int, slot: object) -> None:
        k = self.layers.index(layer)
        self.motion.preset_store(k, slot)
        self._told(k)

    def preset_recall(self, layer: int, slot: object, time: object = None, unit: object = None) -> list[str]:
        k = self.layers.index(layer)
        return self._replanned(k, self.motion.preset_recall(k, slot, time, unit))

    def set_morph(self, layer: int, time: object, unit: object = "bars") -> list[str]:
        k = self.layers.index(layer)
        notes = self.motion.set_morph(k, time, unit)
        self._told(k)
        return notes

    def set_follow(self, layer: int, on: bool, min_count: object = None, glide: object = None) -> list[str]:
        k = self.layers.index(layer)
        notes = self.motion.set_follow(k, on, min_count, glide)
        self._told(k)
        return notes

    def glide(self, layer: int, x: object, y: object, beats: object = 1.0) -> list[str]:
        k = self.layers.index(layer)
        return self._replanned(k, self.motion.glide(k, x, y, beats))

    def set_trail(self, layer: int, points: Sequence[Sequence[float]]) -> None:
        k = self.layers.index(layer)
        self.motion.set_trail(k, points)
        self._told(k)

    def restore_performance(self, layer: int, data: Mapping[str, Any]) -> list[str]:
        """Apply :meth:`performance_state` output for one layer; returns notes on what did not fit."""
        k = self.layers.index(layer)
        return self._replanned(k, self.motion.restore_performance(k, data))

    def gesture(self, layer: int, action: str, value: object = None) -> list[str]:
        """See :meth:`Hands.gesture <rvae_server.engine.gestures.Hands.gesture>`."""
        k = self.layers.index(layer)
        return self._replanned(k, self.hands.gesture(k, action, value))

    def touch(self, layer: int, on: bool) -> None:
        k = self.layers.index(layer)
        if self.hands.touch(k, on):
            self._replanned(k, [])

    # ---------------------------------------------------------------- the melody layer

    def attach_melody(self, melody: MelodyLayer) -> None:
        """Tie a melody layer to this engine before :meth:`start` (see :class:`MelodyHost`)."""
        self.melody_host.attach(melody)

    @property
    def melody(self) -> MelodyLayer | None:
        return self.melody_host.melody

    def melody_state(self) -> dict[str, Any] | None:
        return self.melody_host.state()

    def update_melody(self, **changes: Any) -> list[str]:
        """Change the melody layer's settings; heard from the first bar line at least half a bar away (the next
        bar's line is made at mid-bar). :class:`ControlError` without a melody layer or for an unusable value."""
        notes = self.melody_host.update(**changes)
        planner = self.planner
        with planner.lock:
            self.melody_host.feed(planner.plans, planner.current_bar)
        self.layers.emit(EngineEvent("state", {"melody": True}))
        return notes

    def current_melody(self) -> list[tuple[int, int, int, int]]:
        """``(tick, pitch, length, velocity)`` of the melody notes of the bar playing now."""
        return self.melody_host.current()

    # ---------------------------------------------------------------- after a change

    def _drums_planned(self, plans: dict[tuple[int, int], Plan], current: int) -> None:
        """After every planning round: the melody layer hears the drums; plan sinks get the new plans."""
        self.melody_host.feed(plans, current)
        self._drums_to_sinks(plans, current)

    def _drums_to_sinks(self, plans: dict[tuple[int, int], Plan], current: int) -> None:
        """The drum plans to the plan sinks (the player process): after every round, and the bar playing at once."""
        for sink in self._plan_sinks:
            sink.plans(DRUM_PLANS, plans)

    def _lines_planned(self) -> None:
        for sink in self._plan_sinks:
            sink.plans(LINE_PLANS, self.melody_host.plans)

    def _channels(self) -> list[int]:
        """The drum channels the layers use (each layer's, and any instrument's own)."""
        return sorted({c for s in self.layers.states for c in (s.channel, *s.channels) if c})

    def _replanned(self, k: int, notes: list[str]) -> list[str]:
        """Layer ``k`` changed: re-plan it (heard from the next tick) and tell the listeners."""
        self.planner.changed(k)
        self._told(k)
        return notes

    def _told(self, k: int) -> None:
        self.layers.emit(EngineEvent("state", {"layer": k}))


__all__ = ["Engine"]
