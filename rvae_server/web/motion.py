"""The page's side of motion, shaping, presets, follow mode, clips placed on the pad and capture.

* Controls: the OSC verbs of :data:`MOTION_VERBS` (``/rvae/[layer/N/]lfo/x``, ``swing``, ``preset/recall`` …),
  checked by the OSC table like every other control (:mod:`rvae_server.web.controls`) and applied here.
* ``POST /api/encode?layer=L`` (body: one MIDI file, at most :data:`MAX_CLIP_BYTES`; header ``X-RVAE-Session``):
  a clip dropped on the pad. Its bars are encoded with the layer's model, the pad jumps to the first bar's point
  and the bars show as a trail (``{"points": [[x, y], ...]}``; errors as ``{"error"}``).
* ``{"type": "capture", "bars": N, "name": "..."}`` from the page: the last N bars to the capture folder
  (answer ``{"type": "captured", "path", "notes"}``).
* ``{"type": "motion", "layers": [[x, y] | null, ...]}`` to the pages, :data:`MOTION_RATE` times a second while
  playing: each layer's point as played (``null`` when it is the performer's own), so the page's second marker
  moves with the LFOs, paths, loops and glides.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from rvae_server.engine.api import ControlError, EngineControl
from rvae_server.surfaces.encoding import clip_bars, encode_bars, jump
from rvae_server.surfaces.osc.spec import CaptureService
from rvae_server.web.clients import Client, dumps
from rvae_server.web.http import same_origin

log = logging.getLogger(__name__)

MOTION_VERBS = frozenset(
    {"lfo/x", "lfo/y", "lfo/threshold", "lfo/noise", "path", "touch", "swing", "density"}
    | {"gesture/record", "gesture/overdub", "gesture/clear", "preset/store", "preset/recall", "preset/morph"}
    | {"follow", "glide"}
)
MAX_CLIP_BYTES = 10 * 1024 * 1024
MOTION_RATE = 20


def apply_motion(engine: EngineControl, layer: int, verb: str, values: list[Any]) -> list[str]:
    """Apply one control of :data:`MOTION_VERBS` (values converted by the OSC table). Raises :class:`ControlError`."""
    if verb.startswith("lfo/"):
        return engine.set_lfo(layer, verb[4:], *values)
    if verb == "path":
        shape, bars, size, points = (*values, None, None, None)[:4]
        return engine.set_path(layer, shape, bars, size, points)
    if verb == "touch":
        engine.touch(layer, values[0])
        return []
    if verb.startswith("gesture/"):
        return engine.gesture(layer, verb[8:], values[0] if values else None)
    if verb == "swing":
        return engine.set_swing(layer, *values)
    if verb == "density":
        return engine.set_density(layer, values[0], values[1])
    if verb == "preset/store":
        engine.preset_store(layer, values[0])
        return []
    if verb == "preset/recall":
        return engine.preset_recall(layer, *values)
    if verb == "preset/morph":
        return engine.set_morph(layer, *values)
    if verb == "follow":
        return engine.set_follow(layer, *values)
    if verb == "glide":
        return engine.glide(layer, *values)
    raise ControlError(f"{verb}: not a motion control")


def motion_message(engine: EngineControl) -> dict[str, Any] | None:
    """The ``motion`` message, or None when every layer plays its performer's point."""
    layers: list[list[float] | None] = []
    for k in range(engine.layer_count):
        state = engine.state(k)
        x, y = engine.xy_now(k)
        layers.append(None if (x, y) == (state.x, state.y) else [round(x, 4), round(y, 4)])
    return {"type": "motion", "layers": layers} if any(p is not None for p in layers) else None


async def handle_encode(request: web.Request, engine: EngineControl) -> web.StreamResponse:
    """``POST /api/encode?layer=L``: see the module docstring."""
    if not same_origin(request):
        return web.json_response({"error": "cross-origin request refused"}, status=403)
    try:
        layer = int(request.query.get("layer", "0"))
    except ValueError:
        return web.json_response({"error": "layer must be a whole number (0-based)"}, status=400)
    if not 0 <= layer < engine.layer_count:
        return web.json_response({"error": f"layer must be 0..{engine.layer_count - 1} (0-based)"}, status=400)
    name = Path(request.query.get("name", "clip.mid")).name[:100] or "clip.mid"
    fd, tmp = tempfile.mkstemp(prefix="rvae-encode-", suffix=".mid")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > MAX_CLIP_BYTES:
                    return web.json_response({"error": f"{name}: larger than 10 MB"}, status=413)
                out.write(chunk)
        loop = asyncio.get_running_loop()
        try:
            points = await loop.run_in_executor(None, _encode_file, engine, layer, tmp, name)
        except ControlError as err:
            return web.json_response({"error": str(err)}, status=400)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return web.json_response({"points": [list(p) for p in points]})


def _encode_file(engine: EngineControl, layer: int, path: str, name: str) -> list[tuple[float, float]]:
    points = encode_bars(engine, layer, clip_bars(path, name))
    jump(engine, layer, points)
    return points


def capture_from_page(
    capture: CaptureService | None, loop: asyncio.AbstractEventLoop, client: Client, data: dict[str, Any]
) -> None:
    """``{"type": "capture", "bars", "name"}``: write the capture off ``loop`` (the server's); answer the page."""
    if capture is None:
        raise ControlError("capture is not available in this server")
    bars, name = data.get("bars"), data.get("name")
    if isinstance(bars, bool) or not isinstance(bars, int) or not isinstance(name, str):
        raise ControlError("capture: bars must be a whole number and name a string")
    future = loop.run_in_executor(None, capture.last, bars, name)

    def done(fut: asyncio.Future[tuple[str, int]]) -> None:
        err = fut.exception()
        if err is not None:
            client.send(dumps({"type": "error", "message": f"capture: {err}"}))
            return
        path, notes = fut.result()
        client.send(dumps({"type": "captured", "path": path, "notes": notes}))

    future.add_done_callback(done)


__all__ = ["MAX_CLIP_BYTES", "MOTION_VERBS", "apply_motion", "capture_from_page", "handle_encode", "motion_message"]
