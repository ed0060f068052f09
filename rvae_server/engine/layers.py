"""The layers' state: what every part of the engine reads and the controls change.

:class:`Layers` holds each layer's :class:`~rvae_server.engine.api.LayerState`, the loaded models, the version
counters that tell the planner what changed, the one lock every part takes to change any of it (and the condition
the planner waits on), and the engine's listeners. It knows no other part: the planner, the player and the
controls hold a reference to it, never the other way round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from rvae_server.core.bar import N_INSTRUMENTS
from rvae_server.engine.api import RANGES, ControlError, EngineEvent, LayerState, Listener, PatternModel, clamp
from rvae_server.engine.playable import check_playable

log = logging.getLogger(__name__)


class Layers:
    """The layers' states, the models, the change counters, the lock and the listeners (see the module docstring).

    ``lock`` (re-entrant) guards every field; ``wake`` is a condition on it that the planner waits on.
    """

    def __init__(self, models: Mapping[str, PatternModel], default_model: str, count: int) -> None:
        if default_model not in models:
            raise ValueError(f"default model {default_model!r} is not loaded (loaded: {', '.join(models)})")
        if count < 1:
            raise ValueError("at least one layer")
        for name, model in models.items():
            check_playable(name, model)  # a model that cannot play is refused here, not at every bar
        self.models: dict[str, PatternModel] = dict(models)
        self.lock = threading.RLock()
        self.wake = threading.Condition(self.lock)
        self.states: list[LayerState] = [
            LayerState(model=default_model, channel=10, enabled=(k == 0)) for k in range(count)
        ]
        self.version = 0  # bumped on every change the planner must see
        self.layer_versions = [0] * count  # which layers changed
        self._listeners: list[Listener] = []

    @property
    def count(self) -> int:
        return len(self.states)

    def index(self, layer: int) -> int:
        """``layer`` (0-based) if it names a layer; else :class:`ControlError`."""
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(self.states):
            raise ControlError(f"layer must be 1..{len(self.states)}, not {layer!r} (0-based {layer})")
        return layer

    # ------------------------------------------------------------------ models

    def add_model(self, name: str, model: PatternModel) -> None:
        """Load (or replace) a model; every layer is re-planned. :class:`ControlError` for one that cannot play."""
        check_playable(name, model)
        with self.wake:
            self.models[name] = model
            self.version += 1
            self.layer_versions = [v + 1 for v in self.layer_versions]
            self.wake.notify_all()

    # ------------------------------------------------------------------ state changes

    def validate(self, changes: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The usable form of ``changes`` to a :class:`LayerState` and the notes on what was clamped. Raises
        :class:`ControlError` for anything unusable (nothing is changed here)."""
        notes: list[str] = []
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key in RANGES:
                number, note = clamp(key, value, *RANGES[key])
                clean[key] = round(number) if key in ("fixed_velocity", "channel") else number
                if note:
                    notes.append(note)
            elif key == "model":
                if value not in self.models:
                    raise ControlError(f"unknown model {value!r}: loaded are {', '.join(sorted(self.models))}")
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
            elif key == "channels":  # each instrument's channel: 0 = the layer's
                chans = tuple(round(clamp("channel", c, 0, 16)[0]) for c in value)
                if len(chans) != N_INSTRUMENTS:
                    raise ControlError(f"channels need {N_INSTRUMENTS} entries, not {len(chans)}")
                clean[key] = chans
            elif key == "enabled":
                clean[key] = bool(value)
            else:
                raise ControlError(f"unknown setting {key!r}")
        return clean, notes

    def apply(self, k: int, clean: Mapping[str, Any]) -> None:
        """Set validated fields of layer ``k`` (call under :attr:`lock`, then :meth:`changed`)."""
        self.states[k] = replace(self.states[k], **clean)

    def changed(self, k: int) -> None:
        """Layer ``k`` changed: the planner must re-plan it (under :attr:`lock`, or takes it)."""
        with self.lock:
            self.version += 1
            self.layer_versions[k] += 1

    # ------------------------------------------------------------------ listeners

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: EngineEvent) -> None:
        """Tell every listener; a listener that fails is logged and the others still hear it."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must never stop the music
                log.exception("engine listener %r failed on %s", listener, event.kind)


__all__ = ["Layers"]
