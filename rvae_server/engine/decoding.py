"""Decoding for the planner: a layer's point to its decoded planes (cached) and to its bar, and a bar in motion
decoded tick by tick. The only place the engine runs a model's forward pass."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS, Bar
from rvae_server.engine.api import LayerState, PatternModel
from rvae_server.engine.plans import latent_of
from rvae_server.model.planes import threshold_planes

#: Decoded points kept; the cache is cleared when it grows past this (a performer plays a few points a bar).
CACHE_POINTS = 64


class Decoder:
    """Decoded planes of the points the layers play, cached by model and latent point: a bar re-planned at the same
    point is not decoded again. Used from the planner's round (one at a time) and by :meth:`pattern` callers."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, float, float], NDArray[np.float32]] = {}

    def clear(self) -> None:
        """Forget every decoded point (a model was replaced)."""
        self._cache.clear()

    def decoded(self, model: PatternModel, state: LayerState, unit: NDArray[np.float32] | None) -> NDArray[np.float32]:
        """The planes ``(3, 96, 9)`` of a layer's point: its pad point, plus its noise times ``unit``."""
        latent = latent_of(model, state, unit)
        key = (id(model), float(latent[0]), float(latent[1]))
        planes = self._cache.get(key)
        if planes is None:
            planes = model.decode_latent(latent[None, :]).one(0)
            if len(self._cache) > CACHE_POINTS:
                self._cache.clear()
            self._cache[key] = planes
        return planes

    def pattern(self, model: PatternModel, state: LayerState, unit: NDArray[np.float32] | None) -> Bar:
        """The bar of one pad point (no motion): :meth:`decoded`, thresholded and muted."""
        return threshold_planes(self.decoded(model, state, unit), state.threshold, state.mutes)

    @staticmethod
    def ticks(model: PatternModel, latents: NDArray[np.float32]) -> NDArray[np.float32]:
        """Planes ``(3, 96, 9)`` whose tick ``t`` is decoded at ``latents[t]`` (a bar in motion): the model's own
        ``decode_ticks`` when it has one, else each distinct point decoded once, in one batch."""
        fast = getattr(model, "decode_ticks", None)
        if fast is not None:
            return np.asarray(fast(latents), dtype=np.float32)
        points, which = np.unique(np.round(latents.astype(np.float64), 4), axis=0, return_inverse=True)
        planes = model.decode_latent(points.astype(np.float32)).planes  # (points, 3, 96, 9), one batch
        return np.ascontiguousarray(planes[which.reshape(-1), :, np.arange(TICKS), :].transpose(1, 0, 2))


__all__ = ["Decoder"]
