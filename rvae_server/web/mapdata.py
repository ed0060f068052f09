"""``GET /api/map?model=NAME``: the map of a loaded model's space for the page (static/js/map.js).

The points are the model's training bars encoded by the model, from the first source that has them
(:func:`rvae_server.model.mapsources.model_map`: the dataset a mined model was trained on, coloured by style; the
clip-bars file beside the bundled groove models, coloured by the clips' style labels; a user model's own clips,
coloured per clip): JSON of :meth:`rvae_server.model.spacemap.SpaceMap.to_json` (at most :data:`LIMIT` points) plus
``kind`` (``"style"``, or ``"clip"`` when each colour is one clip). Computed once per model object on a worker thread
(encoding 20K bars takes ~0.1 s) and cached. A model with nothing to map is an ordinary answer, ``{"model",
"unavailable": what is missing}`` (200), which the page shows in the map's place; 404 with ``{"error"}`` for a model
that is not loaded, 400 without ``model``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from rvae_server.core.dataset import DatasetError
from rvae_server.engine.api import EngineControl
from rvae_server.model.mapsources import NoMap, model_map, per_clip

LIMIT = 20_000


class MapCache:
    """Map JSON per model object (a retrained model of the same name is a new object). ``clip_dirs``: where a user
    model's training clips may be (relative paths in its metadata)."""

    def __init__(self, clip_dirs: Sequence[str | os.PathLike[str]] = ()) -> None:
        self._maps: dict[str, tuple[int, dict[str, Any]]] = {}
        self.clip_dirs = list(clip_dirs)

    async def get(self, name: str, model: Any) -> dict[str, Any]:
        hit = self._maps.get(name)
        if hit is not None and hit[0] == id(model):
            return hit[1]
        data = await asyncio.to_thread(_compute, model, self.clip_dirs)
        self._maps[name] = (id(model), data)
        return data


def _compute(model: Any, clip_dirs: Sequence[str | os.PathLike[str]] = ()) -> dict[str, Any]:
    if not hasattr(model, "encode") or not hasattr(model, "meta"):
        return {"model": model.name, "unavailable": f"no map for model {model.name}: it cannot encode bars"}
    try:
        space = model_map(model, clip_dirs)
    except NoMap as err:
        return {"model": model.name, "unavailable": str(err)}
    except DatasetError as err:
        return {"model": model.name, "unavailable": f"no map for model {model.name}: {err.reason}"}
    data = space.to_json(LIMIT)
    data["kind"] = "clip" if per_clip(space) else "style"
    return data


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
