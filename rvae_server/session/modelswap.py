"""The one owner of "a model of this name changed" in a running server.

Two things learn that a model changed: the model watcher (a folder in a models dir changed: ``rvae train`` beside
the server, a copied folder, a training process that saved and died before reporting) and a live training job
(its model was saved). Both hand the loaded model to :meth:`ModelSwaps.offer`, which

* installs it in the engine unless the engine already holds these very weights (same SHA-256 in the metadata):
  whichever of the two comes second changes nothing, so the order in which they arrive does not matter;
* keeps, for every layer whose model changes, the model it played before, so :meth:`ModelSwaps.undo` brings it
  back at once. A model replaced under its own name stays reachable as ``NAME~previous``.

What it needs of the engine is :class:`ModelHost` (the running :class:`~rvae_server.engine.engine.Engine` is one).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rvae_server.engine.api import ControlError, LayerState, PatternModel

log = logging.getLogger(__name__)

PREVIOUS_SUFFIX = "~previous"


class ModelHost(Protocol):
    """What model swaps and training jobs use of the engine: its layers, its models and adding one."""

    @property
    def layer_count(self) -> int: ...
    @property
    def models(self) -> Mapping[str, PatternModel]: ...
    def state(self, layer: int = 0) -> LayerState: ...
    def update(self, layer: int, **changes: Any) -> list[str]: ...
    def add_model(self, name: str, model: PatternModel) -> None: ...


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
        self._lock = threading.RLock()
        self._previous: dict[int, tuple[str, PatternModel]] = {}  # layer → (model name, model object) before a swap

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
                            self._previous[layer] = (keep, current)
            for layer in layers:
                playing = self.engine.state(layer).model
                if playing == name:
                    continue
                self._previous[layer] = (playing, models[playing])
                self.engine.update(layer, model=name)  # heard from the next bar line
            if fresh:
                log.info("model %r %s", name, "replaced (the previous one is kept for undo)" if current else "loaded")
            return fresh

    def undo(self, layer: int) -> str:
        """Put back the model a swap replaced on ``layer`` (at the next bar line). Returns its name."""
        with self._lock:
            previous = self._previous.pop(layer, None)
            if previous is None:
                raise ControlError(f"layer {layer + 1} has no model to go back to")
            name, model = previous
            if self.engine.models.get(name) is not model:
                self.engine.add_model(name, model)
            self.engine.update(layer, model=name)
        log.info("layer %d: back to model %r", layer + 1, name)
        return name


__all__ = ["PREVIOUS_SUFFIX", "ModelHost", "ModelSwaps", "same_weights", "weights_digest"]
