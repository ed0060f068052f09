"""The one owner of "a model of this name changed" in a running server.

Two things learn that a model changed: the model watcher (a folder in a models dir changed: ``rvae train`` beside
the server, a copied folder, a training process that saved and died before reporting) and a live training job
(its model was saved). Both hand the loaded model to :meth:`ModelSwaps.offer`, which

* installs it in the engine unless the engine already holds these very weights (same SHA-256 in the metadata):
  whichever of the two comes second changes nothing, so the order in which they arrive does not matter;
* keeps, for every layer whose model changes, the model it played before, so :meth:`ModelSwaps.undo` brings it
  back at once. A model replaced under its own name stays reachable as ``NAME~previous``.

Every model change of a layer is remembered, not only its own: a model chosen by hand (OSC ``/rvae/model``, the
page's menu, the device, a MIDI-learnt control — all ``engine.update(layer, model=...)``), by a training job or
the watcher. It listens to the engine's ``EngineEvent("state")`` and notes when a layer's model differs from the
one it saw last. Each layer has its own history, the newest last, :data:`HISTORY_DEPTH` deep; each undo goes one
step further back. The listener takes only a small lock of its own that is never held while calling the engine, so
it never waits on a thread that holds the engine's lock.

What it needs of the engine is :class:`ModelHost` (the running :class:`~rvae_server.engine.engine.Engine` is one).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rvae_server.engine.api import ControlError, EngineEvent, LayerState, Listener, PatternModel

log = logging.getLogger(__name__)

PREVIOUS_SUFFIX = "~previous"
#: Model changes remembered per layer for undo.
HISTORY_DEPTH = 16


class ModelHost(Protocol):
    """What model swaps and training jobs use of the engine: its layers, its models and adding one."""

    @property
    def layer_count(self) -> int: ...
    @property
    def models(self) -> Mapping[str, PatternModel]: ...
    def state(self, layer: int = 0) -> LayerState: ...
    def update(self, layer: int, **changes: Any) -> list[str]: ...
    def add_model(self, name: str, model: PatternModel) -> None: ...
    def add_listener(self, listener: Listener) -> None: ...


def weights_digest(model: Any) -> str | None:
    """The SHA-256 of a loaded model's weights file (from its metadata), or None when unknown."""
    meta = getattr(model, "meta", None)
    weights = meta.get("weights") if isinstance(meta, dict) else None
    digest = weights.get("sha256") if isinstance(weights, dict) else None
    return digest if isinstance(digest, str) else None


def same_weights(a: Any, b: Any) -> bool:
    if a is b:
        return True
    digest = weights_digest(a)
    return digest is not None and digest == weights_digest(b)


class ModelSwaps:
    """Installs changed models in ``engine`` and keeps what each layer played before, for undo. Thread-safe."""

    def __init__(self, engine: ModelHost) -> None:
        self.engine = engine
        self._lock = threading.RLock()  # one swap or undo at a time (held while calling the engine)
        self._books = threading.Lock()  # the histories and what each layer was seen playing (never held over a call)
        self._history: dict[int, deque[tuple[str, PatternModel]]] = {}  # layer → (model name, model) before a change
        self._seen: dict[int, tuple[str, PatternModel | None]] = {}
        for layer in range(engine.layer_count):
            self._look(layer)
        engine.add_listener(self._on_event)

    # ------------------------------------------------------------------ the history

    def _on_event(self, event: EngineEvent) -> None:
        """Engine listener (any thread): note the layers whose model changed since last seen."""
        if event.kind != "state":
            return
        layer = event.data.get("layer")
        layers = [layer] if isinstance(layer, int) else range(self.engine.layer_count)
        for k in layers:
            self._look(k)

    def _look(self, layer: int) -> None:
        name = self.engine.state(layer).model
        model = self.engine.models.get(name)
        with self._books:
            seen = self._seen.get(layer)
            self._seen[layer] = (name, model)
            if seen is not None and seen[0] != name and seen[1] is not None:
                self._remember(layer, seen[0], seen[1])

    def _remember(self, layer: int, name: str, model: PatternModel) -> None:
        """Push what ``layer`` played before a change (under ``_books``)."""
        self._history.setdefault(layer, deque(maxlen=HISTORY_DEPTH)).append((name, model))

    def history(self, layer: int) -> list[str]:
        """The models ``layer`` played before, oldest first (what undo steps back through, newest first)."""
        with self._books:
            return [name for name, _ in self._history.get(layer, ())]

    # ------------------------------------------------------------------ changes

    def offer(self, name: str, model: PatternModel, layers: Sequence[int] = ()) -> bool:
        """A model ``name`` was loaded from disk. Install it (unless the engine holds the same weights already) —
        layers playing ``name`` hear it from the next bar line — and switch ``layers`` (0-based) to it. Returns
        whether it was installed. Raises :class:`ControlError` for a model the engine cannot play."""
        with self._lock:
            models = self.engine.models
            current = models.get(name)
            fresh = current is None or not same_weights(current, model)
            if fresh:
                self.engine.add_model(name, model)  # checks it can play before anything else changes
                if current is not None:
                    keep = f"{name}{PREVIOUS_SUFFIX}"
                    self.engine.add_model(keep, current)
                    for layer in range(self.engine.layer_count):
                        if self.engine.state(layer).model == name:
                            with self._books:
                                self._remember(layer, keep, current)
                                self._seen[layer] = (name, model)
            for layer in layers:
                if self.engine.state(layer).model != name:
                    self.engine.update(layer, model=name)  # heard from the next bar line; the listener notes it
                    self._look(layer)
            if fresh:
                log.info("model %r %s", name, "replaced (the previous one is kept for undo)" if current else "loaded")
            return fresh

    def undo(self, layer: int) -> str:
        """Put back the model ``layer`` played before its last model change (at the next bar line): one step
        back per call, :data:`HISTORY_DEPTH` deep. Returns its name."""
        with self._lock:
            with self._books:
                history = self._history.get(layer)
                previous = history.pop() if history else None
            if previous is None:
                raise ControlError(f"layer {layer + 1} has no model to go back to")
            name, model = previous
            name = self._installed(name, model)
            with self._books:
                self._seen[layer] = (name, model)  # not a change to remember
            try:
                self.engine.update(layer, model=name)
            except ControlError:
                with self._books:
                    self._remember(layer, *previous)
                raise
        log.info("layer %d: back to model %r", layer + 1, name)
        return name

    def _installed(self, name: str, model: PatternModel) -> str:
        """The name ``model`` is loaded under: its own if the engine still holds it there, another name that holds
        it (``NAME~previous`` after a retrain), else it is loaded again — under its name if that is free, else as
        ``NAME~previous`` (a model of that name retrained since is never replaced by an undo)."""
        models = self.engine.models
        if models.get(name) is model:
            return name
        for other, held in models.items():
            if held is model:
                return other
        target = name if name not in models else f"{name.removesuffix(PREVIOUS_SUFFIX)}{PREVIOUS_SUFFIX}"
        self.engine.add_model(target, model)
        return target


__all__ = ["HISTORY_DEPTH", "PREVIOUS_SUFFIX", "ModelHost", "ModelSwaps", "same_weights", "weights_digest"]
