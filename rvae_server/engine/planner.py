"""The planner: every layer's plans for the bar playing and the next one, kept up to date ahead of the clock.

A planning round (:meth:`Planner.plan_now`) runs on the planner's thread when the player asks for a new bar or
a change was left to it, and on a control's own thread right after a change (the change is heard from the next
tick, with no thread hand-over between the move and the plan). For each layer that changed it decodes
(:class:`~rvae_server.engine.decoding.Decoder`; a bar in motion tick by tick from
:meth:`~rvae_server.engine.performing.PerformanceControls.controls`), thresholds, swings and makes a
:class:`~rvae_server.engine.plans.Plan`; the new plans replace the old ones in one reference swap
(:attr:`Planner.plans`, read lock-free by the player), the clock is interrupted so the player looks again, and
the listeners hear each new plan and each bar started. A started bar keeps its model (a model change is heard
from the next bar line); noise is drawn once per layer and bar.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import Bar
from rvae_server.engine.api import Clock, EngineEvent, LayerState, PatternModel, model_pad_to_latent
from rvae_server.engine.decoding import Decoder
from rvae_server.engine.gestures import Hands
from rvae_server.engine.layers import Layers
from rvae_server.engine.performance import bar_positions
from rvae_server.engine.performing import PerformanceControls
from rvae_server.engine.plans import Plan, latent_of, make_plan, same_plan
from rvae_server.engine.shaping import apply_swing, threshold_cells

log = logging.getLogger(__name__)

#: After a bar in motion was planned (decoded per tick, ~0.5 ms), changes wait this long (s) and are planned
#: together: a storm of XY moves on a moving layer must not take the player's core.
COALESCE = 0.010

#: Called after every planning round with the bar playing (the melody layer hears the drum plans).
Planned = Callable[[dict[tuple[int, int], Plan], int], None]


class Planner:
    """Plans for every layer, the bar playing and the next (see the module docstring)."""

    def __init__(
        self,
        layers: Layers,
        hands: Hands,
        performance: PerformanceControls,
        clock: Clock,
        *,
        seed: int | None = None,
        planned: Planned | None = None,
        handed: Planned | None = None,
    ) -> None:
        self._layers = layers
        self._hands = hands
        self._performance = performance
        self._clock = clock
        self._planned_hook = planned  # after every round
        self._handed_hook = handed  # the bar playing, as soon as it is planned (the player process)
        self.decoder = Decoder()
        self.plans: dict[tuple[int, int], Plan] = {}  # (layer, bar) → plan; replaced whole, read lock-free
        self.lock = threading.RLock()  # one planning round at a time (planner thread or a control call)
        self.current_bar = 0
        self._wanted_bar = 0
        self._bar_models: dict[tuple[int, int], tuple[str, PatternModel]] = {}  # the model a started bar keeps
        self._unit_noise: dict[tuple[int, int], NDArray[np.float32]] = {}
        self._rng = np.random.default_rng(seed)
        self._planned_version = -1
        self._planned_layers = [-1] * layers.count
        self._layer_errors: dict[int, str] = {}  # the last failure of each layer's decoding, logged once
        self._heavy_planned = -1.0  # perf_counter time a bar in motion was last planned
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rvae-planner", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._quit.set()
        with self._layers.wake:
            self._layers.wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    # ------------------------------------------------------------------ what the controls and the player call

    def changed(self, k: int) -> None:
        """Layer ``k`` changed (already applied): planned here and now, heard from the next tick — or, before the
        threads run or while changes coalesce, left to the planner's thread."""
        wake = self._layers.wake
        with wake:
            self._layers.changed(k)
            inline = self._thread is not None and not self._coalescing()
            if not inline:
                wake.notify_all()
        if inline:
            self.plan_now()

    def models_changed(self) -> None:
        """A model was added or replaced: decoded points are stale."""
        self.decoder.clear()

    def request_bar(self, bar_number: int) -> None:
        """The player's cursor is in ``bar_number``: plan it and the next (nothing to do if already asked)."""
        if bar_number == self._wanted_bar:
            return
        with self._layers.wake:
            self._wanted_bar = bar_number
            self._layers.wake.notify_all()

    def plan_now(self) -> None:
        """One planning round, if one is due (see the module docstring)."""
        layers = self._layers
        with self.lock:
            with layers.wake:
                if self._quit.is_set() or not self._due():
                    return
                started = self._wanted_bar
                for k in self._hands.advance(started):  # recordings and touches move on with the bars
                    layers.changed(k)
                self._performance.advance(started)  # glides that are over end
                version = layers.version
                layer_versions = list(layers.layer_versions)
                new_bar = started != self.current_bar or self._planned_version < 0
                self.current_bar = started
                states = list(layers.states)
                models = dict(layers.models)
            dirty = [new_bar or v != p for v, p in zip(layer_versions, self._planned_layers, strict=True)]
            try:  # the bar playing first, handed to the players at once (a player process too); then the next one
                self._replan(states, models, started, dirty, started, hand_over=True)
                self._replan(states, models, started, dirty, started + 1)
            except Exception:  # the music goes on with the previous plans
                log.exception("planning bar %d failed; keeping the previous plans", started)
            self._planned_version = version
            self._planned_layers = layer_versions
            if self._planned_hook is not None:
                self._planned_hook(self.plans, started)
            if new_bar:
                for k in range(len(states)):
                    plan = self.plans.get((k, started))
                    if plan is not None:
                        data = {"layer": k, "bar_number": started, "bar": plan.bar, "model": plan.model}
                        layers.emit(EngineEvent("bar", data))

    # ------------------------------------------------------------------ the planner's thread

    def _run(self) -> None:
        """Plan a new bar when the player asks for it, and any change that was not planned where it was made."""
        wake = self._layers.wake
        while not self._quit.is_set():
            with wake:
                while not self._quit.is_set() and not self._due():
                    wake.wait(self._wait())
                if self._quit.is_set():
                    return
            self.plan_now()

    def _due(self) -> bool:
        changed = self._planned_version != self._layers.version and not self._coalescing()
        return changed or self._wanted_bar != self.current_bar or self._hands.due()

    def _coalescing(self) -> bool:
        return time.perf_counter() - self._heavy_planned < COALESCE

    def _wait(self) -> float:
        """Seconds the planner's thread may sleep before a round can be due without a notify."""
        wait = self._hands.wait()
        left = COALESCE - (time.perf_counter() - self._heavy_planned)
        return max(0.0005, min(wait, left)) if left > 0 else wait

    # ------------------------------------------------------------------ planning

    def _replan(
        self,
        states: list[LayerState],
        models: dict[str, PatternModel],
        current: int,
        dirty: list[bool],
        bar_number: int,
        hand_over: bool = False,
    ) -> None:
        """Plan ``bar_number`` for the ``dirty`` layers. ``hand_over``: new plans go to the handed hook (a player
        process) at once, before the listeners hear them and before the next bar is planned — an XY change reaches
        the process in ~0.8 ms instead of ~1.35 (``benchmarks/bench_engine``'s XY figure)."""
        plans = dict(self.plans)
        fresh: list[Plan] = []
        for k, state in enumerate(states):
            if not dirty[k]:
                continue
            key = (k, bar_number)
            # a started bar keeps its model (the object: a retrained model may reuse the name); a model change is
            # heard from the next bar line
            chosen = (state.model, models[state.model])
            if bar_number <= current:
                chosen = self._bar_models.setdefault(key, chosen)
            model_name, model = chosen
            unit = self._unit_noise.get(key)
            if unit is None:
                unit = self._unit_noise[key] = self._rng.standard_normal(2).astype(np.float32)
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
                fresh.append(plan)
        for store in (plans, self._bar_models, self._unit_noise):
            for key in [key for key in store if key[1] < current - 1]:
                del store[key]
        self.plans = plans  # one reference swap: the player sees all of it or none
        if fresh:
            self._clock.interrupt()
            if hand_over and self._handed_hook is not None:
                self._handed_hook(plans, current)
        for plan in fresh:  # after the swap; the plan itself (immutable): a listener reads its notes only if it must
            data = {"layer": plan.layer, "bar_number": plan.bar_number, "channel": plan.channel, "plan": plan}
            self._layers.emit(EngineEvent("plan", data))

    def _plan_bar(
        self, k: int, bar_number: int, state: LayerState, model: PatternModel, unit: NDArray[np.float32]
    ) -> Plan:
        """One bar of one layer: what plays at each tick, decoded per tick when the point or the noise moves within
        the bar (else once), thresholded per tick and instrument, then swung."""
        if not state.enabled:
            return make_plan(k, bar_number, state, Bar.empty(), latent_of(model, state, unit))
        touching = self._hands.touching(k)
        performance = self._performance
        if performance.plain(k, touching):  # nothing moves or shapes: the one decode of the bar
            pattern = self.decoder.pattern(model, state, unit)
            return make_plan(k, bar_number, state, pattern, latent_of(model, state, unit))
        controls = performance.controls(k, bar_positions(bar_number), state, touching)
        if controls.still:
            point = replace(state, x=float(controls.xy[0, 0]), y=float(controls.xy[0, 1]), noise=controls.noise[0])
            planes = self.decoder.decoded(model, point, unit)
            latent = latent_of(model, point, unit)
        else:
            noise = controls.noise[:, None].astype(np.float32) * unit[None, :]
            latents = (model_pad_to_latent(model, controls.xy) + noise).astype(np.float32)
            planes = self.decoder.ticks(model, latents)
            latent = latents.mean(axis=0).astype(np.float32)  # the bar's point for whoever follows it (melody)
        pattern = threshold_cells(planes, controls.thresholds, controls.keep)
        self._heavy_planned = time.perf_counter()
        return apply_swing(make_plan(k, bar_number, state, pattern, latent), controls.swing, controls.unit)


__all__ = ["COALESCE", "Planner"]
