"""The web page's server: aiohttp on its own thread and event loop, serving the page (``static/``, no CDN), a few
JSON endpoints and one WebSocket ``/ws`` per page.

Threads
    The engine calls its listeners on the planner thread; the listener only hands the event to the loop with
    ``loop.call_soon_threadsafe`` (never blocks the music). Grids are decoded on a one-thread executor, so the
    loop stays responsive. Controls from the page are applied on the loop (``Engine.update`` is a short lock).

WebSocket messages, server → page (JSON text unless said)
    ``welcome``  ``{session, layers, grid_size, instruments:[{index,name,note}], controls, training:bool,
    limits:{file_bytes, session_bytes}, history:[training updates of the current job]}`` — first message.
    ``state``    ``{playing, bpm, position, models, layers:[LayerState.to_dict()]}`` on every change (≤ 30/s).
    ``clock``    ``{position, bpm, running, server_time}`` 4×/s while playing (1×/s stopped) and on every
    transport or tempo change. ``position`` is in 24-ppqn ticks (a bar = 96); the page extrapolates it with
    ``performance.now()``: ``position + elapsed_s * bpm * 24 / 60`` while running.
    ``bar``      ``{layer, bar_number, notes:[[tick, instrument, velocity 1..127, microtiming in hundredths of a
    half-tick (-100..100, positive = late)]]}`` at each bar start of each layer (``bar_number`` -1: the bar
    playing, re-sent ~20 ms after a change of the layer's state).
    ``grid``     **binary**, see :meth:`rvae_server.web.grid.Grid.message`: sent once per model to each page
    showing a layer that plays it.
    ``training`` see :meth:`rvae_server.web.training.TrainingUpdate.to_json`.
    ``uploads``  ``{files:[[name, bytes]], total}``.
    ``reply``    ``{address, state|models}`` answer to ``/rvae/state`` and ``/rvae/models``.
    ``note``     ``{address, message}`` a value was clamped. ``error`` ``{message, address?}`` a message was refused.

Page → server (JSON text, ≤ 16 KB, ≤ 300 a second)
    ``{"type":"control","address":"/rvae/[layer/N/]…","args":[…]}`` (OSC addresses and arguments; see
    :mod:`rvae_server.web.controls`),
    ``{"type":"view","layer":L}`` (0-based layer the page shows: its grid is sent),
    ``{"type":"train","name":"…","layers":[L…]}``, ``{"type":"train_cancel"}``, ``{"type":"uploads"}``,
    ``{"type":"uploads_clear"}``.

HTTP
    ``GET /`` the page, ``/static/…`` its assets, ``/api/instruments``, ``/api/controls``, ``/api/state``,
    ``/api/osc`` (the whole OSC address table, :func:`rvae_server.surfaces.osc.table.table_as_dict`),
    ``POST /api/upload`` (multipart, header ``X-RVAE-Session``; see :mod:`rvae_server.web.uploads`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from rvae_server.core.bar import INSTRUMENTS, Bar
from rvae_server.engine.api import ControlError, EngineControl, EngineEvent
from rvae_server.surfaces.osc.table import table_as_dict
from rvae_server.web.controls import apply_control, table_json
from rvae_server.web.grid import Grid, compute_grid
from rvae_server.web.training import TrainingService, TrainingUpdate
from rvae_server.web.uploads import UploadError, UploadStore

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_MESSAGE = 16 * 1024  # bytes of one message from the page; larger ones get an error back
MAX_FRAME = 1024 * 1024  # larger frames close the connection (1009)
MAX_RATE = 300  # messages a second from one page; more are refused
MAX_QUEUE = 512  # messages waiting for a slow page; beyond that it is disconnected
CLOCK_PLAYING = 0.25  # seconds between clock messages while playing
CLOCK_STOPPED = 1.0
STATE_COALESCE = 0.033  # state messages at most ~30 a second
BAR_REFRESH = 0.05  # seconds between looks at a layer's re-planned bar after a state change
BAR_SETTLE = 0.3  # ... for this long after the last change
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def bar_json(layer: int, bar_number: int, bar: Bar) -> dict[str, Any]:
    """A ``bar`` message: the notes of one layer's bar, as integers (velocity × 127, microtiming × 100)."""
    notes = [[n.tick, n.instrument, round(n.velocity * 127), round(n.microtiming * 100)] for n in bar.notes()]
    return {"type": "bar", "layer": layer, "bar_number": bar_number, "notes": notes}


@dataclass(eq=False)
class Client:
    """One connected page."""

    ws: web.WebSocketResponse
    session: str
    layer: int = 0
    grid_sent: tuple[str, int] | None = None
    queue: deque[str | bytes] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    window_start: float = 0.0
    window_count: int = 0
    bytes_sent: int = 0
    messages_sent: int = 0

    def send(self, message: str | bytes) -> None:
        if len(self.queue) >= MAX_QUEUE:
            log.warning("web: a page is not reading its messages; disconnecting it")
            self.queue.clear()
            self.queue.append(b"")  # the writer closes on an empty binary message
        else:
            self.queue.append(message)
        self.wake.set()


class WebServer:
    """The running web server. Build with :func:`start_web`."""

    def __init__(
        self,
        engine: EngineControl,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        grid_size: int = 30,
        training: TrainingService | None = None,
        upload_dir: str | Path | None = None,
        prewarm: bool = True,
    ) -> None:
        if not 2 <= grid_size <= 64:
            raise ValueError(f"grid size must be 2..64, not {grid_size}")
        self.engine = engine
        self.host = host
        self.grid_size = grid_size
        self.training = training
        self.prewarm = prewarm
        self.uploads = UploadStore(upload_dir)
        self.port = 0
        self.clients: set[Client] = set()
        self.grid_timings: list[tuple[str, float]] = []  # (model, seconds to decode and pack)
        self._requested_port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rvae-web-grid")
        self._grids: dict[tuple[str, int], Grid] = {}
        self._grid_tasks: dict[tuple[str, int], asyncio.Future[Grid]] = {}
        self._state_pending = False
        self._bar_pending: set[int] = set()
        self._bar_changed: dict[int, float] = {}
        self._bar_sent: dict[int, Bar] = {}
        self._models_seen: tuple[str, ...] = ()
        self._train_history: list[dict[str, Any]] = []
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> WebServer:
        """Bind and serve on a thread of its own; returns once bound (raises ``OSError`` if it cannot bind)."""
        self._thread = threading.Thread(target=self._run, name="rvae-web", daemon=True)
        self._thread.start()
        self._ready.wait(10.0)
        if self._start_error is not None:
            self._thread.join(2.0)
            self.uploads.close()
            raise self._start_error
        if not self._ready.is_set():
            raise OSError("the web server did not start within 10 s")
        self.engine.add_listener(self._on_engine_event)
        if self.training is not None:
            self.training.add_listener(self._on_training_event)
            dirs = getattr(self.training, "clip_dirs", None)
            root = self.uploads.root.resolve()
            if dirs is not None and not any(
                root == Path(d).resolve() or Path(d).resolve() in root.parents for d in dirs
            ):
                log.warning("web: the upload folder %s is not one of the training service's clip folders", root)
        return self

    def close(self) -> None:
        """Close every page's connection, stop serving, remove uploads the server's temp folder holds. Idempotent."""
        if self._closed:
            return
        self._closed = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(5.0)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.uploads.close()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as err:  # reported to start() if it happens while binding
            if not self._ready.is_set():
                self._start_error = err
                self._ready.set()
            else:
                log.exception("web server stopped")
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024, middlewares=[_security_headers])
        app.router.add_get("/", self._index)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/api/instruments", self._api_instruments)
        app.router.add_get("/api/controls", self._api_controls)
        app.router.add_get("/api/state", self._api_state)
        app.router.add_get("/api/osc", self._api_osc)
        app.router.add_post("/api/upload", self._upload)
        app.router.add_get("/favicon.ico", self._favicon)
        app.router.add_static("/static/", STATIC, follow_symlinks=False)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self._requested_port
        self._models_seen = tuple(sorted(self.engine.models))
        self._ready.set()
        ticker = asyncio.create_task(self._ticker())
        self._prewarm_models()
        try:
            await self._stop.wait()
        finally:
            ticker.cancel()
            for client in list(self.clients):
                with contextlib.suppress(Exception):
                    await client.ws.close(code=1001, message=b"server closing")
            await runner.cleanup()

    # ------------------------------------------------------------------ HTTP

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _favicon(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "favicon.svg", headers={"Content-Type": "image/svg+xml"})

    async def _api_instruments(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(instruments_json())

    async def _api_controls(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(table_json())

    async def _api_state(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.engine.snapshot())

    async def _api_osc(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(table_as_dict())

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        session = request.headers.get("X-RVAE-Session", "")
        if not _same_origin(request):
            return web.json_response({"error": "cross-origin upload refused"}, status=403)
        stored: list[list[Any]] = []
        try:
            self.uploads.folder(session)
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader) or not part.filename:
                    raise UploadError("only file fields can be uploaded")
                body = part

                async def chunks(body: Any = body) -> Any:
                    while True:
                        chunk = await body.read_chunk(64 * 1024)
                        if not chunk:
                            return
                        yield chunk

                name, size = await self.uploads.save(session, part.filename, chunks())
                stored.append([name, size])
        except UploadError as err:
            return web.json_response({"error": str(err), "stored": stored}, status=err.status)
        except (ValueError, AssertionError) as err:  # a malformed multipart body
            return web.json_response({"error": f"bad upload: {err}", "stored": stored}, status=400)
        files = self.uploads.files(session)
        return web.json_response({"stored": stored, "files": files, "total": sum(s for _, s in files)})

    # ------------------------------------------------------------------ WebSocket

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if not _same_origin(request):
            raise web.HTTPForbidden(text="cross-origin WebSocket refused")
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=20.0)
        await ws.prepare(request)
        wanted = request.query.get("session", "")
        session = wanted if self.uploads.known(wanted) else self.uploads.new_session()
        client = Client(ws, session)
        self.clients.add(client)
        writer = asyncio.create_task(self._writer(client))
        try:
            client.send(_dumps(self._welcome(client)))
            client.send(_dumps({"type": "state", **self.engine.snapshot()}))
            client.send(_dumps(self._clock_message()))
            for layer in range(self.engine.layer_count):
                client.send(_dumps(bar_json(layer, -1, self.engine.current_bar(layer))))
            self._ensure_grid(client)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._handle_text(client, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._error(client, "binary messages are not accepted")
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _writer(self, client: Client) -> None:
        ws = client.ws
        try:
            while not ws.closed:
                await client.wake.wait()
                client.wake.clear()
                while client.queue:
                    message = client.queue.popleft()
                    if isinstance(message, bytes):
                        if not message:
                            await ws.close(code=1008, message=b"too slow")
                            return
                        await ws.send_bytes(message)
                    else:
                        await ws.send_str(message)
                    client.bytes_sent += len(message)
                    client.messages_sent += 1
        except (ConnectionError, RuntimeError):
            pass  # the page went away

    def _welcome(self, client: Client) -> dict[str, Any]:
        return {
            "type": "welcome",
            "session": client.session,
            "layers": self.engine.layer_count,
            "grid_size": self.grid_size,
            "instruments": instruments_json(),
            "controls": table_json(),
            "training": self.training is not None,
            "limits": {"file_bytes": self.uploads.max_file, "session_bytes": self.uploads.max_total},
            "history": list(self._train_history),
        }

    def _error(self, client: Client, message: str, address: str | None = None) -> None:
        data: dict[str, Any] = {"type": "error", "message": message}
        if address is not None:
            data["address"] = address
        client.send(_dumps(data))

    def _handle_text(self, client: Client, text: str) -> None:
        now = time.monotonic()
        if now - client.window_start >= 1.0:
            client.window_start, client.window_count = now, 0
        client.window_count += 1
        if client.window_count > MAX_RATE:
            if client.window_count == MAX_RATE + 1:
                self._error(client, f"more than {MAX_RATE} messages a second: ignoring the rest of this second")
            return
        if len(text) > MAX_MESSAGE:
            self._error(client, f"message of {len(text)} characters refused (at most {MAX_MESSAGE})")
            return
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as err:
            self._error(client, f"not valid JSON: {str(err)[:100]}")
            return
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self._error(client, 'a message must be a JSON object with a "type"')
            return
        try:
            self._dispatch(client, data)
        except ControlError as err:
            self._error(client, str(err), data.get("address") if isinstance(data.get("address"), str) else None)
        except Exception as err:  # a bug here must never take the server down
            log.exception("web: handling %r failed", data.get("type"))
            self._error(client, f"{data.get('type')}: internal error ({type(err).__name__})")

    def _dispatch(self, client: Client, data: dict[str, Any]) -> None:
        kind = data["type"]
        allowed = {
            "control": {"type", "address", "args"},
            "view": {"type", "layer"},
            "train": {"type", "name", "layers"},
            "train_cancel": {"type"},
            "uploads": {"type"},
            "uploads_clear": {"type"},
        }
        if kind not in allowed:
            raise ControlError(f"unknown message type {kind[:40]!r}")
        unknown = sorted(set(data) - allowed[kind])
        if unknown:
            raise ControlError(f"{kind}: unknown field(s) {', '.join(u[:40] for u in unknown[:5])}")
        if kind == "control":
            address = data.get("address")
            _, verb, notes = apply_control(self.engine, address, data.get("args"))
            if verb == "model":  # ship the grid now, not after the coalesced state message
                for other in list(self.clients):
                    self._ensure_grid(other)
            for note in notes:
                client.send(_dumps({"type": "note", "address": address, "message": note}))
            if verb == "state":
                client.send(_dumps({"type": "reply", "address": address, "state": self.engine.snapshot()}))
            elif verb == "models":
                client.send(_dumps({"type": "reply", "address": address, "models": sorted(self.engine.models)}))
        elif kind == "view":
            layer = data.get("layer")
            if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.engine.layer_count:
                raise ControlError(f"view: layer must be 0..{self.engine.layer_count - 1} (0-based), not {layer!r}")
            client.layer = layer
            self._ensure_grid(client)
        elif kind == "train":
            self._start_training(client, data.get("name"), data.get("layers", [client.layer]))
        elif kind == "train_cancel":
            if self.training is None:
                raise ControlError("training not available")
            self._in_worker(client, "train_cancel", self.training.cancel)
        elif kind == "uploads":
            self._send_uploads(client)
        elif kind == "uploads_clear":
            self.uploads.clear(client.session)
            self._send_uploads(client)

    def _send_uploads(self, client: Client) -> None:
        files = self.uploads.files(client.session)
        client.send(_dumps({"type": "uploads", "files": files, "total": sum(s for _, s in files)}))

    def _start_training(self, client: Client, name: object, layers: object) -> None:
        if self.training is None:
            raise ControlError("training not available")
        from rvae_server.model.modelfile import ModelFileError, check_model_name

        if not isinstance(name, str):
            raise ControlError("train: name must be a string")
        try:
            check_model_name(name)
        except ModelFileError as err:
            raise ControlError(f"train: {err}") from None
        if (
            not isinstance(layers, list)
            or len(layers) > self.engine.layer_count
            or not all(isinstance(k, int) and not isinstance(k, bool) for k in layers)
            or not all(0 <= k < self.engine.layer_count for k in layers)
        ):
            raise ControlError(f"train: layers must be a list of 0-based layers 0..{self.engine.layer_count - 1}")
        if not self.uploads.files(client.session):
            raise ControlError("train: upload some .mid clips first")
        folder = str(self.uploads.folder(client.session))
        service = self.training
        self._in_worker(client, "train", lambda: service.start(folder, name, list(layers)))

    def _in_worker(self, client: Client, what: str, call: Callable[[], object]) -> None:
        """Run a training-service call off the loop; its error goes back to the page."""
        assert self._loop is not None
        future = self._loop.run_in_executor(None, call)

        def done(fut: asyncio.Future[object]) -> None:
            err = fut.exception()
            if err is not None:
                self._error(client, f"{what}: {err}")

        future.add_done_callback(done)

    # ------------------------------------------------------------------ grids

    def _ensure_grid(self, client: Client) -> None:
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

    async def _send_grid(self, client: Client, key: tuple[str, int], model: Any, layer: int) -> None:
        grid = await self.grid_for(key, model)
        if client in self.clients and client.grid_sent == key:
            client.send(grid.message(layer))

    async def grid_for(self, key: tuple[str, int], model: Any) -> Grid:
        """The packed grid of a model: cached, or decoded once on the grid executor."""
        grid = self._grids.get(key)
        if grid is not None:
            return grid
        task = self._grid_tasks.get(key)
        if task is None:
            loop = asyncio.get_running_loop()
            task = loop.run_in_executor(self._executor, compute_grid, model, self.grid_size)
            self._grid_tasks[key] = task
        try:
            grid = await task
        finally:
            self._grid_tasks.pop(key, None)
        models = self.engine.models
        self._grids = {k: g for k, g in self._grids.items() if k[0] in models and id(models[k[0]]) == k[1]}
        self._grids[key] = grid
        self.grid_timings.append((grid.model, grid.seconds))
        log.info("web: grid of %r decoded in %.1f ms", grid.model, grid.seconds * 1000)
        return grid

    def _prewarm_models(self) -> None:
        """Decode the grid of every loaded model not cached yet (one at a time, on the grid executor), so a
        model change among loaded models ships a cached grid at once."""
        if not self.prewarm:
            return
        for name, model in self.engine.models.items():
            key = (name, id(model))
            if key not in self._grids and key not in self._grid_tasks:
                self._spawn(self._warm(key, model))

    async def _warm(self, key: tuple[str, int], model: Any) -> None:
        await self.grid_for(key, model)

    def cached_grid(self, model_name: str) -> Grid | None:
        """The grid the pages were sent for a model (None if not decoded yet). Any thread (for tests)."""
        model = self.engine.models.get(model_name)
        return None if model is None else self._grids.get((model_name, id(model)))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_log_task_error)

    # ------------------------------------------------------------------ pushing

    def _broadcast(self, message: str | bytes) -> None:
        for client in self.clients:
            client.send(message)

    def _clock_message(self) -> dict[str, Any]:
        clock = self.engine.clock
        return {
            "type": "clock",
            "position": round(clock.position(), 4),
            "bpm": round(clock.bpm, 4),
            "running": clock.running,
            "server_time": round(time.time(), 4),
        }

    def _call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(callback, *args)

    def _on_engine_event(self, event: EngineEvent) -> None:
        """Engine listener (planner or control thread): hand over to the loop, nothing else."""
        self._call_soon(self._engine_event, event)

    def _on_training_event(self, event: dict[str, Any]) -> None:
        update = TrainingUpdate.from_event(event)
        if update is not None:
            self._call_soon(self._training_update, update)

    def _engine_event(self, event: EngineEvent) -> None:
        if event.kind == "bar":
            data = event.data
            self._bar_sent[int(data["layer"])] = data["bar"]
            self._broadcast(_dumps(bar_json(int(data["layer"]), int(data["bar_number"]), data["bar"])))
            return
        if event.kind == "transport":
            self._broadcast(_dumps(self._clock_message()))
        layer = event.data.get("layer")
        if isinstance(layer, int):
            self._bar_changed[layer] = time.monotonic()
            if layer not in self._bar_pending:
                self._bar_pending.add(layer)
                assert self._loop is not None
                self._loop.call_later(BAR_REFRESH, self._refresh_bar, layer)
        if not self._state_pending:
            self._state_pending = True
            assert self._loop is not None
            self._loop.call_later(STATE_COALESCE, self._flush_state)

    def _flush_state(self) -> None:
        self._state_pending = False
        snapshot = self.engine.snapshot()
        if tuple(snapshot["models"]) != self._models_seen:
            self._models_seen = tuple(snapshot["models"])
            self._prewarm_models()
        self._broadcast(_dumps({"type": "state", **snapshot}))
        self._broadcast(_dumps(self._clock_message()))
        for client in list(self.clients):
            self._ensure_grid(client)

    def _refresh_bar(self, layer: int) -> None:
        """Send the layer's re-planned bar when it changed: looked at every BAR_REFRESH during a gesture and for
        BAR_SETTLE after its last change (the planner re-plans within ~1 ms of a change, later under load)."""
        self._bar_pending.discard(layer)
        bar = self.engine.current_bar(layer)
        if self._bar_sent.get(layer) != bar:
            self._bar_sent[layer] = bar
            self._broadcast(_dumps(bar_json(layer, -1, bar)))
        if time.monotonic() - self._bar_changed.get(layer, 0.0) < BAR_SETTLE:
            self._bar_pending.add(layer)
            assert self._loop is not None
            self._loop.call_later(BAR_REFRESH, self._refresh_bar, layer)

    def _training_update(self, update: TrainingUpdate) -> None:
        data = update.to_json()
        if update.kind == "started":
            self._train_history = []
        self._train_history.append(data)
        if len(self._train_history) > 5000:
            del self._train_history[1:1000]
        self._broadcast(_dumps(data))
        if update.kind == "done":
            self._flush_state()  # the new model in the menu

    async def _ticker(self) -> None:
        """Clock messages, and the models list when a model was added (``Engine.add_model`` is silent)."""
        last = 0.0
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            running = self.engine.clock.running
            if now - last >= (CLOCK_PLAYING if running else CLOCK_STOPPED):
                last = now
                if self.clients:
                    self._broadcast(_dumps(self._clock_message()))
            if tuple(sorted(self.engine.models)) != self._models_seen and not self._state_pending:
                self._flush_state()

    # ------------------------------------------------------------------ figures

    def traffic(self) -> tuple[int, int]:
        """``(bytes, messages)`` sent to all connected pages so far."""
        return sum(c.bytes_sent for c in self.clients), sum(c.messages_sent for c in self.clients)


def instruments_json() -> list[dict[str, Any]]:
    """The instrument table for the page: ``[{index, name, note}]`` in model order."""
    return [{"index": k, "name": i.name, "note": i.note} for k, i in enumerate(INSTRUMENTS)]


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number the page may send")


def _same_origin(request: web.Request) -> bool:
    """True unless the request carries an ``Origin`` for another host (a page elsewhere reaching the loopback)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    host = request.headers.get("Host", "")
    return origin in (f"http://{host}", f"https://{host}")


def _log_task_error(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("web: a task failed", exc_info=task.exception())


@web.middleware
async def _security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def start_web(
    engine: EngineControl,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    grid_size: int = 30,
    training: TrainingService | None = None,
    upload_dir: str | Path | None = None,
    prewarm: bool = True,
) -> WebServer:
    """Serve the page for ``engine`` on ``http://host:port/`` (port 0: any free port, see ``.port``/``.url``) on a
    thread of its own. ``training``: the retraining service, or None ("training not available").
    ``upload_dir``: where session folders of uploaded clips go (default: a temporary folder removed on close).
    ``prewarm``: decode every loaded model's grid in the background at start and when models are added (≈0.1 s
    of one core and 0.78 MB each), so switching between loaded models ships a cached grid.
    Raises ``OSError`` if the port cannot be bound."""
    return WebServer(
        engine, host=host, port=port, grid_size=grid_size, training=training, upload_dir=upload_dir, prewarm=prewarm
    ).start()
