"""The page → server half of the web server: rate limits, JSON checks and what each message type does (controls
through the OSC table, the layer shown, training, uploads, capture). Errors go back to the page that sent the
message. :class:`PageInput` is the part of :class:`~rvae_server.web.server.WebServer` that does it; grids go out
through the server's :class:`~rvae_server.web.pages.Pages`."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from rvae_server.core.names import InvalidName, model_name
from rvae_server.engine.api import ControlError, EngineControl
from rvae_server.surfaces.osc.spec import CaptureService
from rvae_server.web.clients import Client, dumps
from rvae_server.web.controls import apply_control
from rvae_server.web.http import refuse_constant
from rvae_server.web.motion import capture_from_page
from rvae_server.web.pages import Pages
from rvae_server.web.training import TrainingService
from rvae_server.web.uploads import UploadStore

log = logging.getLogger(__name__)

MAX_MESSAGE = 16 * 1024  # bytes of one message from the page; larger ones get an error back
MAX_RATE = 300  # messages a second from one page; more are refused


class PageInput:
    """What the pages send, handled on the server's ``loop``: controls to ``engine``, the layer shown (its grid
    through ``pages``), training on ``training`` (None: not available; its calls run off the loop), the page's
    uploads in ``uploads``, captures to :attr:`capture` (None until attached)."""

    def __init__(
        self,
        engine: EngineControl,
        pages: Pages,
        uploads: UploadStore,
        training: TrainingService | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.engine = engine
        self.pages = pages
        self.uploads = uploads
        self.training = training
        self.loop = loop
        self.capture: CaptureService | None = None

    def error(self, client: Client, message: str, address: str | None = None) -> None:
        """Send ``client`` an ``error`` message."""
        data: dict[str, Any] = {"type": "error", "message": message}
        if address is not None:
            data["address"] = address
        client.send(dumps(data))

    def handle_text(self, client: Client, text: str) -> None:
        """One text message from ``client``'s page."""
        now = time.monotonic()
        if now - client.window_start >= 1.0:
            client.window_start, client.window_count = now, 0
        client.window_count += 1
        if client.window_count > MAX_RATE:
            if client.window_count == MAX_RATE + 1:
                self.error(client, f"more than {MAX_RATE} messages a second: ignoring the rest of this second")
            return
        if len(text) > MAX_MESSAGE:
            self.error(client, f"message of {len(text)} characters refused (at most {MAX_MESSAGE})")
            return
        try:
            data = json.loads(text, parse_constant=refuse_constant)
        except (ValueError, RecursionError) as err:
            self.error(client, f"not valid JSON: {str(err)[:100]}")
            return
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self.error(client, 'a message must be a JSON object with a "type"')
            return
        try:
            self._dispatch(client, data)
        except ControlError as err:
            self.error(client, str(err), data.get("address") if isinstance(data.get("address"), str) else None)
        except Exception as err:  # a bug here must never take the server down
            log.exception("web: handling %r failed", data.get("type"))
            self.error(client, f"{data.get('type')}: internal error ({type(err).__name__})")

    def _dispatch(self, client: Client, data: dict[str, Any]) -> None:
        kind = data["type"]
        allowed = {
            "control": {"type", "address", "args"},
            "view": {"type", "layer"},
            "train": {"type", "name", "layers"},
            "train_cancel": {"type"},
            "uploads": {"type"},
            "uploads_clear": {"type"},
            "capture": {"type", "bars", "name"},
        }
        if kind not in allowed:
            raise ControlError(f"unknown message type {kind[:40]!r}")
        unknown = sorted(set(data) - allowed[kind])
        if unknown:
            raise ControlError(f"{kind}: unknown field(s) {', '.join(u[:40] for u in unknown[:5])}")
        if kind == "control":
            address = data.get("address")
            undo = self.training.undo_model if self.training is not None else None
            _, verb, notes = apply_control(self.engine, address, data.get("args"), undo)
            if verb in ("model", "undo/model"):  # ship the grid now, not after the coalesced state message
                self.pages.ensure_grids()
            for note in notes:
                client.send(dumps({"type": "note", "address": address, "message": note}))
            if verb == "state":
                client.send(dumps({"type": "reply", "address": address, "state": self.engine.snapshot()}))
            elif verb == "models":
                client.send(dumps({"type": "reply", "address": address, "models": sorted(self.engine.models)}))
        elif kind == "view":
            layer = data.get("layer")
            if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.engine.layer_count:
                raise ControlError(f"view: layer must be 0..{self.engine.layer_count - 1} (0-based), not {layer!r}")
            client.layer = layer
            self.pages.ensure_grid(client)
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
        elif kind == "capture":
            capture_from_page(self.capture, self.loop, client, data)

    def _send_uploads(self, client: Client) -> None:
        files = self.uploads.files(client.session)
        client.send(dumps({"type": "uploads", "files": files, "total": sum(s for _, s in files)}))

    def _start_training(self, client: Client, name: object, layers: object) -> None:
        if self.training is None:
            raise ControlError("training not available")
        try:
            checked = model_name(name)
        except InvalidName as err:
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
        self._in_worker(client, "train", lambda: service.start(folder, checked, list(layers)))

    def _in_worker(self, client: Client, what: str, call: Callable[[], object]) -> None:
        """Run a training-service call off the loop; its error goes back to the page."""
        future = self.loop.run_in_executor(None, call)

        def done(fut: asyncio.Future[object]) -> None:
            err = fut.exception()
            if err is not None:
                self.error(client, f"{what}: {err}")

        future.add_done_callback(done)
