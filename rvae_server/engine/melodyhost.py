"""What the engine does for a melody layer (:mod:`rvae_server.engine.melodylayer`): attach it, hand it the tied drum
layer's planned bars after every planning round (:meth:`MelodyHost.feed`), give the player its plans and sinks, and
the control methods of the engine's public API for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rvae_server.engine.api import Clock, ControlError, LineSink
from rvae_server.engine.layers import Layers
from rvae_server.engine.melodylayer import MelodyLayer
from rvae_server.engine.plans import Plan

NO_PLANS: dict[tuple[int, int], Plan] = {}  # the melody's plans when there is no melody layer


class MelodyHost:
    """The engine's melody layer, when one is attached (see the module docstring)."""

    def __init__(self, layers: Layers, clock: Clock, planned: Callable[[], None] | None = None) -> None:
        self._layers = layers
        self._clock = clock
        self._planned = planned
        self.melody: MelodyLayer | None = None

    def attach(self, melody: MelodyLayer) -> None:
        """Tie a melody layer to the engine before it starts: it hears the drum plans of its layer after every
        planning round, the player sends its plans, its events reach the listeners."""
        melody.on_plans = self._published
        melody.clock = self._clock
        melody.emit = self._layers.emit
        self.melody = melody

    def _published(self) -> None:
        """The melody layer published new plans: the player looks again, the engine's hook hears it."""
        self._clock.interrupt()
        if self._planned is not None:
            self._planned()

    def start(self) -> None:
        if self.melody is not None:
            self.melody.start()

    def close(self) -> None:
        if self.melody is not None:
            self.melody.close()

    # ------------------------------------------------------------------ what the player reads

    @property
    def plans(self) -> dict[tuple[int, int], Plan]:
        """The line's plans (read lock-free, like the drum plans)."""
        return self.melody.plans if self.melody is not None else NO_PLANS

    @property
    def sinks(self) -> list[LineSink]:
        return self.melody.sinks if self.melody is not None else []

    def silence(self) -> None:
        if self.melody is not None:
            self.melody.silence()

    # ------------------------------------------------------------------ controls

    def state(self) -> dict[str, Any] | None:
        """The melody layer's state (``enabled``, ``layer`` 0-based, ``channel``, ``key``, ``family``, ``octave``,
        ``density``, ``temperature``, ``scale_lock``), or ``None`` without a melody layer."""
        return self.melody.state.to_dict() if self.melody is not None else None

    def update(self, **changes: Any) -> list[str]:
        """Change the melody layer's settings (see :meth:`MelodyLayer.update`). Raises :class:`ControlError` when
        there is no melody layer or a value is unusable; the caller feeds it the drums again and tells the
        listeners."""
        if self.melody is None:
            raise ControlError("no melody layer: start rvae serve with a melody model (the bundled one is the default)")
        if "layer" in changes:
            changes["layer"] = self._layers.index(changes["layer"])
        return self.melody.update(**changes)

    def current(self) -> list[tuple[int, int, int, int]]:
        """``(tick, pitch, length, velocity)`` of the melody notes of the bar playing now."""
        return self.melody.current_line() if self.melody is not None else []

    # ------------------------------------------------------------------ after every planning round

    def feed(self, plans: dict[tuple[int, int], Plan], current: int) -> None:
        """Hand the tied layer's planned drum bars (this bar and the next) to the melody layer."""
        melody = self.melody
        if melody is None:
            return
        layer = min(melody.state.layer, self._layers.count - 1)
        drums = {}
        for bar_number in (current, current + 1):
            plan = plans.get((layer, bar_number))
            if plan is not None and plan.latent is not None:
                drums[bar_number] = (plan.bar, plan.latent)
        if drums:
            melody.drums_planned(current, drums)


__all__ = ["MelodyHost"]
