"""``GET /api/map?model=NAME``: the map of a loaded model's space for the page (static/js/map.js).

The points are the bars of the dataset the model was trained on (recorded in its metadata,
:func:`rvae_server.model.spacemap.recorded_dataset`) encoded by the model: JSON of
:meth:`rvae_server.model.spacemap.SpaceMap.to_json` (at most :data:`LIMIT` points). Computed once per model object
on a worker thread (encoding 20K bars takes ~0.1 s) and cached. A model with no dataset to map (e.g. trained on
clips) is an ordinary answer, ``{"model", "unavailable": reason}`` (200); 404 with ``{"error"}`` for a model that is
not loaded, 400 without ``model``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rvae_server.core.dataset import DatasetError
from rvae_server.engine.api import EngineControl
from rvae_server.model.spacemap import dataset_map, recorded_dataset

LIMIT = 20_000


class MapCache:
    """Map JSON per model object (a retrained model of the same name is a new object)."""

    def __init__(self) -> None:
        self._maps: dict[str, tuple[int, dict[str, Any]]] = {}

    async def get(self, name: str, model: Any) -> dict[str, Any]:
        hit = self._maps.get(name)
        if hit is not None and hit[0] == id(model):
            return hit[1]
        data = await asyncio.to_thread(_compute, model)
        self._maps[name] = (id(model), data)
        return data


def _compute(model: Any) -> dict[str, Any]:
    try:
        return dataset_map(model, recorded_dataset(model)).to_json(LIMIT)
    except DatasetError as err:
        return {"model": model.name, "unavailable": f"no map for model {model.name}: {err.reason}"}


async def handle_map(request: web.Request, engine: EngineControl, cache: MapCache) -> web.StreamResponse:
    name = request.query.get("model", "")
    if not name:
        return web.json_response({"error": "name a model: /api/map?model=NAME"}, status=400)
    model = engine.models.get(name)
    if model is None:
        return web.json_response({"error": f"model {name!r} is not loaded"}, status=404)
    data = await cache.get(name, model)
    return web.json_response(data)


__all__ = ["LIMIT", "MapCache", "handle_map"]
