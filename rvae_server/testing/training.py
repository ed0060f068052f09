"""A fake training service: what the OSC server and the web page call of one, recorded, without a process."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


class FakeTraining:
    """Records the jobs it is asked to start (:attr:`started`: ``(folder, name, layers)``) and answers at once:
    ``start`` gives ``job``, ``cancel`` True (counted in :attr:`cancelled`). ``undo_model(layer)`` gives the
    layer's previous model: ``previous`` (a name for every layer, or a mapping layer → name; a layer the mapping
    lacks has none: ``ValueError``). Listeners added are kept in :attr:`listeners`; :meth:`emit` calls them."""

    def __init__(self, previous: Mapping[int, str] | str = "a", job: str = "job-1") -> None:
        self.previous = previous
        self.job = job
        self.started: list[tuple[str, str, list[int]]] = []
        self.cancelled = 0
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def start(self, folder: str, name: str, layers: Sequence[int]) -> str:
        self.started.append((folder, name, list(layers)))
        return self.job

    def cancel(self) -> bool:
        self.cancelled += 1
        return True

    def undo_model(self, layer: int) -> str:
        if isinstance(self.previous, str):
            return self.previous
        if layer not in self.previous:
            raise ValueError(f"layer {layer + 1} has no previous model")
        return self.previous[layer]

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        self.listeners.append(listener)

    def emit(self, event: dict[str, Any]) -> None:
        """Tell every listener ``event`` (e.g. ``{"type": "train-progress", "job": ..., "epoch": 1, ...}``)."""
        for listener in list(self.listeners):
            listener(event)
