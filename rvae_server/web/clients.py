"""One connected page: its queue of messages and the task that writes them, and how messages are encoded."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from rvae_server.core.bar import Bar

log = logging.getLogger(__name__)

MAX_QUEUE = 512  # messages waiting for a slow page; beyond that it is disconnected


def dumps(data: dict[str, Any]) -> str:
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

    async def write(self) -> None:
        """Send what is queued, in order, until the page goes away (the connection's writer task)."""
        ws = self.ws
        try:
            while not ws.closed:
                await self.wake.wait()
                self.wake.clear()
                while self.queue:
                    message = self.queue.popleft()
                    if isinstance(message, bytes):
                        if not message:
                            await ws.close(code=1008, message=b"too slow")
                            return
                        await ws.send_bytes(message)
                    else:
                        await ws.send_str(message)
                    self.bytes_sent += len(message)
                    self.messages_sent += 1
        except (ConnectionError, RuntimeError):
            pass  # the page went away
