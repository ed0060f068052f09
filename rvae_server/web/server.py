"""The web page's server: aiohttp on its own thread and event loop, serving the page (``static/``, no CDN), a few
JSON endpoints and one WebSocket ``/ws`` per page.

Parts
    :class:`WebServer` holds the HTTP application and its loop, and two parts it hands what they need:
    :class:`~rvae_server.web.pages.Pages` (the connected pages and what is pushed to them) and
    :class:`~rvae_server.web.incoming.PageInput` (what the pages send), which sends grids through the pages.

Threads
    The engine calls its listeners on the planner thread; the listener only hands the event to the loop with
    ``loop.call_soon_threadsafe`` (never blocks the music). Grids are decoded on a one-thread executor, so the
    loop stays responsive. Controls from the page are applied on the loop (``Engine.update`` is a short lock).

WebSocket messages, server → page (JSON text unless said)
    ``welcome``  ``{session, layers, grid_size, instruments:[{index,name,note}], controls, training:bool,
    limits:{file_bytes, session_bytes}, history:[training updates of the current job]}`` — first message.
    ``models``   ``{models:[{name, poor, warnings}]}`` each loaded model's flag from its stored evaluation: on connect
    and when the models change (before the ``state`` naming them).
    ``state``    ``{playing, bpm, position, models, layers:[LayerState.to_dict()]}`` on every change (≤ 30/s).
    ``clock``    ``{position, bpm, running, server_time}`` 4×/s while playing (1×/s stopped) and on every
    transport or tempo change. ``position`` is in 24-ppqn ticks (a bar = 96); the page extrapolates it with
    ``performance.now()``: ``position + elapsed_s * bpm * 24 / 60`` while running.
    ``bar``      ``{layer, bar_number, notes:[[tick, instrument, velocity 1..127, microtiming in hundredths of a
    half-tick (-100..100, positive = late)]]}`` at each bar start of each layer (``bar_number`` -1: the bar
    playing, re-sent ~20 ms after a change of the layer's state).
    ``grid``     **binary**, see :meth:`rvae_server.web.grid.Grid.message`: sent once per model to each page
    showing a layer that plays it.
    ``melody``   ``{bar_number, notes:[[tick, pitch, length in ticks, velocity]], enabled, layer, channel, key,
    family, octave, density, temperature, scale_lock}`` when a melody bar starts (``bar_number`` -1: the bar
    playing, sent on connect); only with a melody layer.
    ``training`` see :meth:`rvae_server.web.training.TrainingUpdate.to_json`.
    ``uploads``  ``{files:[[name, bytes]], total}``.
    ``reply``    ``{address, state|models}`` answer to ``/rvae/state`` and ``/rvae/models``.
    ``note``     ``{address, message}`` a value was clamped. ``error`` ``{message, address?}`` a message was refused.
    ``motion``   ``{layers: [[x, y] | null]}`` each layer's point as played, while something moves it;
    ``captured`` ``{path, notes}`` (see :mod:`rvae_server.web.motion`).

Page → server (JSON text, ≤ 16 KB, ≤ 300 a second)
    ``{"type":"control","address":"/rvae/[layer/N/]…","args":[…]}`` (OSC addresses and arguments; see
    :mod:`rvae_server.web.controls`),
    ``{"type":"view","layer":L}`` (0-based layer the page shows: its grid is sent),
    ``{"type":"train","name":"…","layers":[L…]}``, ``{"type":"train_cancel"}``, ``{"type":"uploads"}``,
    ``{"type":"uploads_clear"}``, ``{"type":"capture","bars":N,"name":"…"}``.

HTTP
    ``GET /`` the page, ``/static/…`` its assets, ``/api/instruments``, ``/api/controls``, ``/api/state``,
    ``/api/osc`` (the whole OSC address table, :func:`rvae_server.surfaces.osc.table.table_as_dict`),
    ``/api/map?model=NAME`` (the map of a model's space, :mod:`rvae_server.web.mapdata`),
    ``POST /api/upload`` (multipart, header ``X-RVAE-Session``; see :mod:`rvae_server.web.uploads`),
    ``POST /api/encode?layer=L`` (a clip dropped on the pad; see :mod:`rvae_server.web.motion`). Every request
    passes :class:`rvae_server.web.access.Access` first (allowed Host names, Origin, the token off loopback).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypedDict, Unpack

from aiohttp import WSMsgType, web

from rvae_server.engine.api import EngineControl
from rvae_server.surfaces.osc.spec import CaptureService
from rvae_server.surfaces.osc.table import table_as_dict
from rvae_server.web.access import Access
from rvae_server.web.clients import Client, dumps
from rvae_server.web.controls import table_json
from rvae_server.web.grid import Grid, GridCache
from rvae_server.web.http import STATIC, RequestLog, handle_upload, instruments_json, same_origin, security_headers
from rvae_server.web.incoming import PageInput
from rvae_server.web.mapdata import MapCache, handle_map
from rvae_server.web.motion import handle_encode
from rvae_server.web.pages import Pages
from rvae_server.web.training import TrainingService
from rvae_server.web.uploads import UploadStore

log = logging.getLogger(__name__)

MAX_FRAME = 1024 * 1024  # larger frames close the connection (1009)


class WebOptions(TypedDict, total=False):
    """The keyword arguments of :class:`WebServer` and :func:`start_web` (see :func:`start_web` for each)."""

    host: str
    port: int
    grid_size: int
    training: TrainingService | None
    upload_dir: str | Path | None
    prewarm: bool
    allowed_hosts: Sequence[str]
    token: str | None


class WebServer:
    """The running web server. Build with :func:`start_web`. Its parts: :attr:`pages`
    (:class:`~rvae_server.web.pages.Pages`) and :attr:`input` (:class:`~rvae_server.web.incoming.PageInput`),
    both on the server's own event loop, made here and run on the ``rvae-web`` thread by :meth:`start`."""

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
        allowed_hosts: Sequence[str] = (),
        token: str | None = None,
    ) -> None:
        if not 2 <= grid_size <= 64:
            raise ValueError(f"grid size must be 2..64, not {grid_size}")
        self.engine = engine
        self.host = host
        self.access = Access(host, allowed_hosts, token)  # raises ValueError for a host that is not an address
        self.grid_size = grid_size
        self.training = training
        self.prewarm = prewarm
        self.uploads = UploadStore(upload_dir)
        self.port = 0
        self._requested_port = port
        self._loop = asyncio.new_event_loop()  # run on the rvae-web thread (closed when it ends, or by close())
        self.pages = Pages(engine, self._loop, GridCache(grid_size), prewarm)
        self.input = PageInput(engine, self.pages, self.uploads, training, self._loop)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        token = f"?token={self.access.token}" if self.access.token else ""
        return f"http://{host}:{self.port}/{token}"

    @property
    def capture(self) -> CaptureService | None:
        """The capture service the page's ``capture`` messages use (set with :meth:`attach_capture`)."""
        return self.input.capture

    def attach_capture(self, service: CaptureService | None) -> None:
        """Use ``service`` (:class:`rvae_server.outputs.capture.Capture`) for the page's ``capture`` messages."""
        self.input.capture = service

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
        if self.access.open_to_network:
            log.warning(
                "web: the page on %s:%d is open to the network: it answers only requests carrying its token "
                "(open %s, with this machine's address for %s)", self.host, self.port, self.url, self.host,
            )  # fmt: skip
        self.engine.add_listener(self.pages.on_engine_event)
        if self.training is not None:
            self.training.add_listener(self.pages.on_training_event)
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
        self.pages.close()
        loop, stop = self._loop, self._stop
        if stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(5.0)
        elif not loop.is_closed():
            loop.close()  # never started
        self.pages.grids.close()
        self.uploads.close()

    def _run(self) -> None:
        loop = self._loop
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
        app = web.Application(client_max_size=64 * 1024, middlewares=[security_headers, self.access.middleware])
        app.router.add_get("/", self._index)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/api/instruments", self._api_instruments)
        app.router.add_get("/api/controls", self._api_controls)
        app.router.add_get("/api/state", self._api_state)
        app.router.add_get("/api/osc", self._api_osc)
        app.router.add_post("/api/upload", functools.partial(handle_upload, uploads=self.uploads))
        clip_dirs = getattr(self.training, "clip_dirs", None) or []
        maps = MapCache(clip_dirs)
        app.router.add_get("/api/map", functools.partial(handle_map, engine=self.engine, cache=maps))
        app.router.add_post("/api/encode", functools.partial(handle_encode, engine=self.engine))
        app.router.add_get("/favicon.ico", self._favicon)
        app.router.add_static("/static/", STATIC, follow_symlinks=False)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0, logger=RequestLog())
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self._requested_port
        self.pages.note_models()
        self._ready.set()
        ticker = asyncio.create_task(self.pages.ticker())
        self.pages.prewarm_models()
        try:
            await self._stop.wait()
        finally:
            ticker.cancel()
            await self.pages.disconnect_all()
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

    # ------------------------------------------------------------------ WebSocket

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if not same_origin(request):
            raise web.HTTPForbidden(text="cross-origin WebSocket refused")
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=20.0)
        await ws.prepare(request)
        wanted = request.query.get("session", "")
        session = wanted if self.uploads.known(wanted) else self.uploads.new_session()
        client = Client(ws, session)
        writer = asyncio.create_task(client.write())
        self.uploads.join(session)
        try:
            client.send(dumps(self._welcome(client)))
            self.pages.greet(client)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.input.handle_text(client, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self.input.error(client, "binary messages are not accepted")
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.pages.leave(client)
            self.uploads.leave(session)  # an empty session goes with its last page
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

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
            "history": list(self.pages.history),
        }

    # ------------------------------------------------------------------ figures

    def cached_grid(self, model_name: str) -> Grid | None:
        """The grid the pages were sent for a model (None if not decoded yet). Any thread (for tests)."""
        return self.pages.cached_grid(model_name)

    @property
    def grid_timings(self) -> list[tuple[str, float]]:
        """``(model, seconds to decode and pack)`` of every grid decoded so far."""
        return self.pages.grids.timings

    def traffic(self) -> tuple[int, int]:
        """``(bytes, messages)`` sent to all connected pages so far."""
        return self.pages.traffic()


def start_web(engine: EngineControl, **options: Unpack[WebOptions]) -> WebServer:
    """Serve the page for ``engine`` on ``http://host:port/`` (port 0: any free port, see ``.port``/``.url``) on a
    thread of its own. ``training``: the retraining service, or None ("training not available").
    ``upload_dir``: where session folders of uploaded clips go (default: a temporary folder removed on close).
    ``prewarm``: decode every loaded model's grid in the background at start and when models are added (≈0.1 s
    of one core and 0.78 MB each), so switching between loaded models ships a cached grid.
    ``allowed_hosts``: Host names served besides addresses and ``localhost``; ``token``: required on every request
    (a random one when ``host`` is not loopback and none is given; see :mod:`rvae_server.web.access`).
    Raises ``OSError`` if the port cannot be bound."""
    return WebServer(engine, **options).start()
