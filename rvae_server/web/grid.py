"""The visualizer's grid: the onset probabilities of every point of an ``n × n`` pad grid for every tick, decoded
in one batch and packed as bytes for the browser.

Conventions
    Pad points are ``(x, y)`` in ``[0, 1]²``, mapped to latent by the model's own mapping
    (:func:`rvae_server.engine.api.model_pad_to_latent`). Grid point
    ``p = i * n + j`` is ``x = j / (n - 1)``, ``y = i / (n - 1)``: **row-major, row i is y, row 0 is y = 0**
    (the bottom of the pad as drawn on the page; the page flips rows so y grows upwards), corners included.
    This is :func:`rvae_server.model.planes.grid_points`'s order, so ``LoadedModel.decode_grid(n)`` is used as is.

Header
    ``{type, layer, model, n, ticks, instruments, layout, rows, quality}``; ``quality`` is
    :func:`quality_summary` (how the model plays on the pad, from its metadata; ``null`` when unknown): the page
    shows it under the pad, as a plain warning when the space is poor.

Packed layout (what the browser receives after the header)
    ``uint8[TICKS][N_INSTRUMENTS][n * n]``: byte ``(t * 9 + k) * n * n + p`` is the onset probability of
    instrument ``k`` at tick ``t`` and point ``p``, quantized as ``round(prob * 255)``; the browser reads it
    back as ``byte / 255``. One instrument at one tick is a contiguous slice, what a frame draws.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import time
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, TICKS
from rvae_server.engine.api import PatternModel, model_pad_to_latent
from rvae_server.model.planes import grid_points
from rvae_server.model.verdict import is_poor

log = logging.getLogger(__name__)

#: Magic first bytes of a binary grid message (so the page can tell it from any other binary message).
MAGIC = b"RVG1"


def decode_grid_probs(model: PatternModel, n: int) -> NDArray[np.float32]:
    """Onset probabilities ``(n*n, 96, 9)`` of the grid, in one batch: the model's ``grid_probs(n)`` when it has one
    (:class:`rvae_server.model.inference.LoadedModel`: the onset head only), else ``decode_latent`` of the grid's
    latent points."""
    grid_probs = getattr(model, "grid_probs", None)
    if callable(grid_probs):
        probs = np.asarray(grid_probs(n), dtype=np.float32)
    else:
        probs = np.asarray(model.decode_latent(model_pad_to_latent(model, grid_points(n))).probs, dtype=np.float32)
    if probs.shape != (n * n, TICKS, N_INSTRUMENTS):
        raise ValueError(f"model {model.name!r} decoded the grid as {probs.shape}, not ({n * n}, {TICKS}, 9)")
    return probs


def quantize(probs: NDArray[np.floating]) -> NDArray[np.uint8]:
    """Probabilities ``(P, 96, 9)`` → bytes ``(96, 9, P)`` (the packed layout), ``round(p * 255)``, NaN → 0.
    Transposes first (one contiguous float copy, ~10 ms for 30×30), then scales in place."""
    t = np.array(np.asarray(probs, dtype=np.float32).transpose(1, 2, 0), order="C")
    np.multiply(t, np.float32(255.0), out=t)
    np.add(t, np.float32(0.5), out=t)
    np.clip(t, 0.0, 255.0, out=t)
    t[np.isnan(t)] = 0.0
    return t.astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Grid:
    """One model's packed grid. ``data`` is ``uint8 (96, 9, n*n)``; ``seconds`` the time decoding took."""

    model: str
    n: int
    data: NDArray[np.uint8]
    seconds: float
    quality: dict[str, Any] | None = None  # see quality_summary()

    def prob(self, tick: int, instrument: int, i: int, j: int) -> float:
        """The quantized probability (0..1) at ``tick`` of ``instrument`` for the point in row ``i`` (y), column
        ``j`` (x): what the page draws."""
        return float(self.data[tick, instrument, i * self.n + j]) / 255.0

    def message(self, layer: int) -> bytes:
        """The binary WebSocket message: ``MAGIC``, a little-endian uint32 header length ``L``, ``L`` bytes of
        UTF-8 JSON header, padding to a multiple of 4, then the packed bytes."""
        header = json.dumps(
            {
                "type": "grid",
                "layer": layer,
                "model": self.model,
                "n": self.n,
                "ticks": TICKS,
                "instruments": list(INSTRUMENT_NAMES),
                "layout": "tick,instrument,point",
                "rows": "y",
                "quality": self.quality,
            },
            separators=(",", ":"),
        ).encode()
        pad = (-(len(MAGIC) + 4 + len(header))) % 4
        return MAGIC + struct.pack("<I", len(header) + pad) + header + b" " * pad + self.data.tobytes()


def quality_summary(model: object) -> dict[str, Any] | None:
    """What the page shows of a model's stored evaluation (:mod:`rvae_server.model.evaluate`): ``{pass, density,
    silent, poor, warnings}`` over random pad points, or ``None`` for a model without one (older models)."""
    figures = getattr(model, "evaluation", None)
    if not isinstance(figures, dict) or not isinstance(figures.get("random"), dict):
        return None
    rand = figures["random"]
    return {
        "pass": rand.get("pass"),
        "density": rand.get("density"),
        "silent": rand.get("silent"),
        "poor": is_poor(figures),
        "warnings": [str(w) for w in figures.get("warnings") or []],
    }


def compute_grid(model: PatternModel, n: int) -> Grid:
    """Decode and pack ``model``'s grid (CPU-bound: run it off the event loop)."""
    start = time.perf_counter()
    data = quantize(decode_grid_probs(model, n))
    return Grid(model.name, n, data, time.perf_counter() - start, quality_summary(model))


class GridCache:
    """The packed grids of the loaded models, keyed by ``(name, id(model))`` (a retrained model under the same
    name is a new key): each decoded once, on a one-thread executor, so the event loop stays responsive."""

    def __init__(self, grid_size: int) -> None:
        self.grid_size = grid_size
        self.timings: list[tuple[str, float]] = []  #: (model, seconds to decode and pack)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rvae-web-grid")
        self._grids: dict[tuple[str, int], Grid] = {}
        self._tasks: dict[tuple[str, int], asyncio.Future[Grid]] = {}

    async def get(self, key: tuple[str, int], model: Any, models: Mapping[str, Any] | None = None) -> Grid:
        """The packed grid of a model: cached, or decoded once on the grid executor. ``models`` (the loaded
        ones) lets grids of models no longer loaded go."""
        grid = self._grids.get(key)
        if grid is not None:
            return grid
        task = self._tasks.get(key)
        if task is None:
            loop = asyncio.get_running_loop()
            task = loop.run_in_executor(self._executor, compute_grid, model, self.grid_size)
            self._tasks[key] = task
        try:
            grid = await task
        finally:
            self._tasks.pop(key, None)
        if models is not None:
            self._grids = {k: g for k, g in self._grids.items() if k[0] in models and id(models[k[0]]) == k[1]}
        self._grids[key] = grid
        self.timings.append((grid.model, grid.seconds))
        log.info("web: grid of %r decoded in %.1f ms", grid.model, grid.seconds * 1000)
        return grid

    def missing(self, models: Mapping[str, Any]) -> list[Coroutine[Any, Any, Any]]:
        """Coroutines decoding the grid of every loaded model not cached or under way (run them one at a time on
        the loop), so a model change among loaded models ships a cached grid at once."""
        out = []
        for name, model in models.items():
            key = (name, id(model))
            if key not in self._grids and key not in self._tasks:
                out.append(self.get(key, model, models))
        return out

    def cached(self, model_name: str, models: Mapping[str, Any]) -> Grid | None:
        """The grid of a loaded model, None if not decoded yet."""
        model = models.get(model_name)
        return None if model is None else self._grids.get((model_name, id(model)))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
