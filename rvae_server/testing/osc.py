"""A UDP OSC client on loopback for tests: sends to a server and reads what comes back, with timeouts."""

from __future__ import annotations

import math
import socket
import time
from typing import Any

from pythonosc.osc_message import OscMessage

from rvae_server.surfaces.osc.packets import build_message

Received = list[tuple[str, list[Any]]]


class OscClient:
    """A UDP socket on 127.0.0.1 (like Max's udpsend + udpreceive on one port) that sends OSC to the server at
    ``port`` and reads the messages that come back; :attr:`port` is its own port (for ``/rvae/feedback``)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.server = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port: int = self.sock.getsockname()[1]

    def send(self, address: str, *args: Any) -> None:
        self.sock.sendto(build_message(address, list(args)), self.server)

    def raw(self, data: bytes) -> None:
        """Send a datagram as it is (a malformed one, say)."""
        self.sock.sendto(data, self.server)

    def receive(self, timeout: float = 1.0, until: str | None = None, quiet: float | None = 0.15) -> Received:
        """The messages received, as ``(address, arguments)``, until a message to ``until`` arrives, or (without
        ``until``) nothing came for ``quiet`` s (None: never stop early, collect for the whole ``timeout``), or
        ``timeout`` s pass."""
        out: Received = []
        deadline = time.monotonic() + timeout
        silence = math.inf if until is not None or quiet is None else quiet
        last = time.monotonic()
        while time.monotonic() < deadline:
            try:
                data, _ = self.sock.recvfrom(65536)
            except TimeoutError:
                if time.monotonic() - last > silence:
                    break
                continue
            message = OscMessage(data)
            out.append((message.address, list(message.params)))
            last = time.monotonic()
            if until is not None and message.address == until:
                break
        return out

    def ask(self, address: str, *args: Any, until: str | None = None, timeout: float = 1.0) -> Received:
        """Drop what is waiting, send, and :meth:`receive` the answer."""
        self.drain()
        self.send(address, *args)
        return self.receive(timeout, until=until)

    def drain(self) -> None:
        """Drop every datagram already received."""
        self.sock.settimeout(0.0)
        try:
            while True:
                self.sock.recvfrom(65536)
        except (BlockingIOError, TimeoutError):
            pass
        finally:
            self.sock.settimeout(0.05)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> OscClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
