"""The server → page half of the web server: the connected pages and what is pushed to them (the messages are
listed in :mod:`rvae_server.web.server`).

:class:`Pages` holds the connected :class:`~rvae_server.web.clients.Client` s and the grid cache. Engine and
training listeners (any thread) only hand their event to the loop (``call_soon_threadsafe``); on the loop it
coalesces ``state`` messages (≤ 30 a second), re-sends a layer's bar while its re-planned bar changes, keeps the
current training job's updates for pages that connect later, sends each page the grid of the model its layer
plays, and its :meth:`Pages.ticker` sends ``clock`` and ``motion`` messages and notices models added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rvae_server.core.bar import Bar
from rvae_server.engine.api import EngineControl, EngineEvent
from rvae_server.web.clients import Client, bar_json, dumps
from rvae_server.web.grid import Grid, GridCache, quality_summary
from rvae_server.web.motion import MOTION_RATE, motion_message
from rvae_server.web.training import TrainingUpdate

log = logging.getLogger(__name__)

CLOCK_PLAYING = 0.25  # seconds between clock messages while playing
CLOCK_STOPPED = 1.0
STATE_COALESCE = 0.033  # state messages at most ~30 a second
BAR_REFRESH = 0.05  # seconds between looks at a layer's re-planned bar after a state change
BAR_SETTLE = 0.3  # ... for this long after the last change
HISTORY = 5000  # training updates kept for pages that connect during a job (the oldest epochs go first)


class Pages:
    """The pages connected to one web server, and what they are sent. ``loop``: the server's event loop (every
    method but the listeners, :meth:`close`, :meth:`cached_grid`, ``grids.timings`` and :meth:`traffic`
    runs on it); ``grids``: the grid cache (decoded off the loop); ``prewarm``: decode every loaded model's grid
    in the background."""

    def __init__(self, engine: EngineControl, loop: asyncio.AbstractEventLoop, grids: GridCache, prewarm: bool) -> None:
        self.engine = engine
        self.loop = loop
        self.grids = grids
        self.prewarm = prewarm
        self.clients: set[Client] = set()
        self.history: list[dict[str, Any]] = []  # the training updates of the current job
        self._state_pending = False
        self._bar_pending: set[int] = set()
        self._bar_changed: dict[int, float] = {}
        self._bar_sent: dict[int, Bar] = {}
        self._models_seen: tuple[str, ...] = ()
        self._closed = False

    def close(self) -> None:
        """Events from now on are ignored (any thread)."""
        self._closed = True

    # ------------------------------------------------------------------ connections

    def greet(self, client: Client) -> None:
        """A page connected (after its ``welcome``): the state, clock, each layer's bar, the melody, its grid."""
        self.clients.add(client)
        client.send(dumps(self.models_message()))
        client.send(dumps({"type": "state", **self.engine.snapshot()}))
        client.send(dumps(self.clock_message()))
        for layer in range(self.engine.layer_count):
            client.send(dumps(bar_json(layer, -1, self.engine.current_bar(layer))))
        melody = self.engine.melody_state()
        if melody is not None:
            notes = [list(n) for n in self.engine.current_melody()]
            client.send(dumps({"type": "melody", "bar_number": -1, "notes": notes, **melody}))
        self.ensure_grid(client)

    def leave(self, client: Client) -> None:
        self.clients.discard(client)

    async def disconnect_all(self) -> None:
        """Close every page's connection (the server is closing)."""
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                await client.ws.close(code=1001, message=b"server closing")

    def traffic(self) -> tuple[int, int]:
        """``(bytes, messages)`` sent to all connected pages so far."""
        clients = list(self.clients)
        return sum(c.bytes_sent for c in clients), sum(c.messages_sent for c in clients)

    # ------------------------------------------------------------------ grids

    def ensure_grid(self, client: Client) -> None:
        """Send the grid of the model the client's layer plays, unless it has it already."""
        name = self.engine.state(client.layer).model
        model = self.engine.models.get(name)
        if model is None:
            return
        key = (name, id(model))
        if client.grid_sent == key:
            return
        client.grid_sent = key
        layer = client.layer
        self._spawn(self._send_grid(client, key, model, layer))

    def ensure_grids(self) -> None:
        """:meth:`ensure_grid` for every page (a layer's model changed)."""
        for client in list(self.clients):
            self.ensure_grid(client)

    async def _send_grid(self, client: Client, key: tuple[str, int], model: Any, layer: int) -> None:
        grid = await self.grids.get(key, model, self.engine.models)
        if client in self.clients and client.grid_sent == key:
            client.send(grid.message(layer))

    def prewarm_models(self) -> None:
        """Decode the grids of loaded models not decoded yet, in the background (when prewarming)."""
        if self.prewarm:
            for coro in self.grids.missing(self.engine.models):
                self._spawn(coro)

    def cached_grid(self, model_name: str) -> Grid | None:
        """The grid the pages were sent for a model (None if not decoded yet). Any thread."""
        return self.grids.cached(model_name, self.engine.models)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_log_task_error)

    # ------------------------------------------------------------------ listeners (any thread: hand over only)

    def on_engine_event(self, event: EngineEvent) -> None:
        """Engine listener (planner or control thread): hand over to the loop, nothing else."""
        if event.kind == "plan":  # the OSC plan stream's; the page draws bars and state
            return
        self._call_soon(self._engine_event, event)

    def on_training_event(self, event: dict[str, Any]) -> None:
        """Training service listener (any thread)."""
        update = TrainingUpdate.from_event(event)
        if update is not None:
            self._call_soon(self._training_update, update)

    def _call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self.loop.call_soon_threadsafe(callback, *args)

    # ------------------------------------------------------------------ pushing (on the loop)

    def broadcast(self, message: str | bytes) -> None:
        for client in self.clients:
            client.send(message)

    def models_message(self) -> dict[str, Any]:
        """``{"type": "models", "models": [{name, poor, warnings}]}``: each loaded model's flag and warnings from its
        stored evaluation (:func:`~rvae_server.web.grid.quality_summary`), so the page offers a model that plays
        poorly apart, with its warning."""
        out = []
        for name, model in sorted(self.engine.models.items()):
            quality = quality_summary(model) or {}
            out.append({"name": name, "poor": bool(quality.get("poor")), "warnings": quality.get("warnings") or []})
        return {"type": "models", "models": out}

    def clock_message(self) -> dict[str, Any]:
        clock = self.engine.clock
        return {
            "type": "clock",
            "position": round(clock.position(), 4),
            "bpm": round(clock.bpm, 4),
            "running": clock.running,
            "server_time": round(time.time(), 4),
        }

    def _engine_event(self, event: EngineEvent) -> None:
        if event.kind == "bar":
            data = event.data
            self._bar_sent[int(data["layer"])] = data["bar"]
            self.broadcast(dumps(bar_json(int(data["layer"]), int(data["bar_number"]), data["bar"])))
            return
        if event.kind == "melody":
            self.broadcast(dumps({"type": "melody", **event.data}))
            return
        if event.kind == "transport":
            self.broadcast(dumps(self.clock_message()))
        layer = event.data.get("layer")
        if isinstance(layer, int):
            self._bar_changed[layer] = time.monotonic()
            if layer not in self._bar_pending:
                self._bar_pending.add(layer)
                self.loop.call_later(BAR_REFRESH, self._refresh_bar, layer)
        if not self._state_pending:
            self._state_pending = True
            self.loop.call_later(STATE_COALESCE, self.flush_state)

    def note_models(self) -> None:
        """Remember the models loaded now (the ticker sends the menu again when they change)."""
        self._models_seen = tuple(sorted(self.engine.models))

    def flush_state(self) -> None:
        """Send the state and the clock now, and the grids the pages lack."""
        self._state_pending = False
        snapshot = self.engine.snapshot()
        if tuple(snapshot["models"]) != self._models_seen:
            self._models_seen = tuple(snapshot["models"])
            self.prewarm_models()
            self.broadcast(dumps(self.models_message()))
        self.broadcast(dumps({"type": "state", **snapshot}))
        self.broadcast(dumps(self.clock_message()))
        self.ensure_grids()

    def _refresh_bar(self, layer: int) -> None:
        """Send the layer's re-planned bar when it changed: looked at every BAR_REFRESH during a gesture and for
        BAR_SETTLE after its last change (the planner re-plans within ~1 ms of a change, later under load)."""
        self._bar_pending.discard(layer)
        bar = self.engine.current_bar(layer)
        if self._bar_sent.get(layer) != bar:
            self._bar_sent[layer] = bar
            self.broadcast(dumps(bar_json(layer, -1, bar)))
        if time.monotonic() - self._bar_changed.get(layer, 0.0) < BAR_SETTLE:
            self._bar_pending.add(layer)
            self.loop.call_later(BAR_REFRESH, self._refresh_bar, layer)

    def _training_update(self, update: TrainingUpdate) -> None:
        data = update.to_json()
        if update.kind == "started":
            self.history = []
        self.history.append(data)
        if len(self.history) > HISTORY:
            del self.history[1:1000]
        self.broadcast(dumps(data))
        if update.kind == "done":
            self.flush_state()  # the new model in the menu

    async def ticker(self) -> None:
        """Clock messages, and the models list when a model was added (``Engine.add_model`` is silent)."""
        last = 0.0
        tick = 0
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            running = self.engine.clock.running
            tick += 1
            if running and self.clients and tick % max(1, round(20 / MOTION_RATE)) == 0:
                moving = motion_message(self.engine)  # each layer's point as played, while something moves it
                if moving is not None:
                    self.broadcast(dumps(moving))
            if now - last >= (CLOCK_PLAYING if running else CLOCK_STOPPED):
                last = now
                if self.clients:
                    self.broadcast(dumps(self.clock_message()))
            if tuple(sorted(self.engine.models)) != self._models_seen and not self._state_pending:
                self.flush_state()


def _log_task_error(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("web: a task failed", exc_info=task.exception())
