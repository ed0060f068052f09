"""What the engine does for a melody layer (:mod:`rvae_server.engine.melodylayer`), apart from the player's sending
(:meth:`rvae_server.engine.engine.Engine._send`): attach it, hand it the tied drum layer's planned bars after
every planning round, and the control methods of the engine's public API for it."""

from __future__ import annotations

import threading
from typing import Any

from rvae_server.engine.api import Clock, ControlError, EngineEvent, LayerState
from rvae_server.engine.melodylayer import MelodyLayer
from rvae_server.engine.plans import Plan


class MelodyHost:
    """Mixed into :class:`~rvae_server.engine.engine.Engine`, whose attributes below it uses."""

    _melody: MelodyLayer | None
    clock: Clock
    _plans: dict[tuple[int, int], Plan]
    _states: list[LayerState]
    _plan_lock: threading.RLock
    _current_bar: int

    def _emit(self, event: EngineEvent) -> None:  # the engine's
        raise NotImplementedError

    def _layer(self, layer: int) -> int:  # the engine's
        raise NotImplementedError

    def attach_melody(self, melody: MelodyLayer) -> None:
        """Tie a melody layer to this engine before :meth:`start`: it hears the drum plans of its layer after every
        planning round, the player sends its plans, its events reach the listeners."""
        melody.on_plans = self.clock.interrupt
        melody.clock = self.clock
        melody.emit = self._emit
        self._melody = melody

    @property
    def melody(self) -> MelodyLayer | None:
        return self._melody

    def melody_state(self) -> dict[str, Any] | None:
        """The melody layer's state (``enabled``, ``layer`` 0-based, ``channel``, ``key``, ``family``, ``octave``,
        ``density``, ``temperature``, ``scale_lock``), or ``None`` without a melody layer."""
        return self._melody.state.to_dict() if self._melody is not None else None

    def update_melody(self, **changes: Any) -> list[str]:
        """Change the melody layer's settings (see :meth:`MelodyLayer.update`); heard from the first bar line at
        least half a bar away (the next bar's line is made at mid-bar).
        Raises :class:`ControlError` when there is no melody layer or a value is unusable."""
        if self._melody is None:
            raise ControlError("no melody layer: start rvae serve with a melody model (the bundled one is the default)")
        if "layer" in changes:
            changes["layer"] = self._layer(changes["layer"])
        notes = self._melody.update(**changes)
        with self._plan_lock:
            self._feed_melody(self._current_bar)
        self._emit(EngineEvent("state", {"melody": True}))
        return notes

    def current_melody(self) -> list[tuple[int, int, int, int]]:
        """``(tick, pitch, length, velocity)`` of the melody notes of the bar playing now."""
        return self._melody.current_line() if self._melody is not None else []

    def _send_line(self, plan: Plan, i: int, when: float) -> None:
        """The player sends note ``i`` of a line's plan to the melody layer's sinks, with its length in seconds."""
        if self._melody is not None:
            seconds = self.clock.time_at(float(plan.positions[i] + plan.lengths[i])) - when  # type: ignore[index]
            for sink in self._melody.sinks:
                sink.line_note(when, int(plan.notes[i]), int(plan.velocities[i]), seconds, plan.channel)

    def _feed_melody(self, current: int) -> None:
        """Hand the tied layer's planned drum bars (this bar and the next) to the melody layer."""
        melody = self._melody
        if melody is None:
            return
        layer = min(melody.state.layer, len(self._states) - 1)
        drums = {}
        for bar_number in (current, current + 1):
            plan = self._plans.get((layer, bar_number))
            if plan is not None and plan.latent is not None:
                drums[bar_number] = (plan.bar, plan.latent)
        if drums:
            melody.drums_planned(current, drums)


__all__ = ["MelodyHost"]
