"""What the hostile campaign (``bench_hostile``) and the soak (``bench_soak``) share: a `rvae serve` subprocess
(:class:`Server`: its RSS, file descriptors, threads and log), an OSC feedback :class:`Listener`, uploads through
the page's session (:func:`upload`), a raw HTTP request (:func:`raw_status`) and a small MIDI file maker
(:func:`smf`). Every server started is killed when the script ends (:func:`cleanup`)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from pythonosc.osc_message import OscMessage

from rvae_server.surfaces.osc.packets import build_message

ROOT = Path(__file__).resolve().parents[1]
GROOVE = ROOT / "tests" / "data" / "groove"
STARTED: list[subprocess.Popen[str]] = []  # every server started: none outlives the script (atexit)
#: How a server is started: ``rvae`` from this checkout.
RVAE = [sys.executable, "-m", "rvae_server.cli"]


class Server:
    """A `rvae serve` subprocess (``launcher``: the command before ``serve``); its stderr is collected."""

    def __init__(self, tmp: Path, *extra: str, launcher: list[str] | None = None, env: dict[str, str] | None = None):
        self.tmp = tmp
        environ = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT), **(env or {})}
        args = [*(launcher or RVAE), "serve", "--midi-backend", "alsa", "--controller-in", "none",
                "--render-dir", str(tmp), *extra]  # fmt: skip
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ, cwd=tmp
        )
        STARTED.append(self.proc)
        self.err: list[str] = []
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr or []), daemon=True).start()
        out = []
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if "running; Ctrl-C stops" in line:
                break
        self.out = "".join(out)
        osc = re.search(r"OSC: listening on udp 127\.0\.0\.1:(\d+)", self.out)
        web = re.search(r"web page: (http://127\.0\.0\.1:(\d+)/)", self.out)
        self.osc = int(osc[1]) if osc else 0
        self.url, self.http = (web[1], int(web[2])) if web else ("", 0)

    def _status(self, field: str) -> int:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+)", text)[1])  # type: ignore[index]

    def rss_mb(self) -> float:
        return self._status("VmRSS") / 1024

    def threads(self) -> int:
        return self._status("Threads")

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tracebacks(self) -> int:
        return sum("Traceback" in line for line in list(self.err))

    def log_bytes(self) -> int:
        return sum(len(line) for line in list(self.err))


class Listener:
    """A feedback client: counts bars and collects replies."""

    def __init__(self, port: int) -> None:
        self.server = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.bars = 0
        self.replies: list[tuple[str, list]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.send("/rvae/feedback")

    def send(self, address: str, *args: object) -> None:
        self.sock.sendto(build_message(address, list(args)), self.server)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65536)
                msg = OscMessage(data)
            except (TimeoutError, OSError):
                continue
            except Exception:
                continue
            with self.lock:
                if msg.address == "/rvae/bar":
                    self.bars += 1
                elif msg.address not in ("/rvae/bar/row", "/rvae/state/layer", "/rvae/plan"):
                    self.replies.append((msg.address, list(msg.params)))
                    del self.replies[:-2000]

    def wait_for(self, address: str, timeout: float = 10.0) -> list | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for i, (a, params) in enumerate(self.replies):
                    if a == address:
                        del self.replies[: i + 1]
                        return params
            time.sleep(0.02)
        return None

    def state(self) -> dict | None:
        with self.lock:
            self.replies.clear()
        self.send("/rvae/state")
        found = self.wait_for("/rvae/state/json", 5.0)
        return json.loads(found[0]) if found else None


def smf(tracks: list[bytes], fmt: int = 0, division: int = 96, declared: int | None = None) -> bytes:
    """A standard MIDI file of ``tracks`` (raw track bodies); ``declared``: the track count the header claims."""
    head = b"MThd" + struct.pack(">IHHH", 6, fmt, len(tracks) if declared is None else declared, division)
    return head + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks)


def upload(url: str, files: list[tuple[str, bytes]], session: str | None = None) -> tuple[str, list[int]]:
    """Upload ``files`` through a page session (a new one unless ``session``); returns it and the HTTP statuses."""
    import aiohttp

    async def go() -> tuple[str, list[int]]:
        codes = []
        async with aiohttp.ClientSession() as http:
            sid = session
            if sid is None:
                async with http.ws_connect(url + "ws") as ws:
                    sid = json.loads((await ws.receive()).data)["session"]
            for name, data in files:
                form = aiohttp.FormData()
                form.add_field("clip", data, filename=name, content_type="audio/midi")
                async with http.post(url + "api/upload", data=form, headers={"X-RVAE-Session": sid}) as r:
                    codes.append(r.status)
        return sid, codes

    return asyncio.run(go())


def raw_status(port: int, host: str, origin: str, path: str) -> int:
    """The status of a WebSocket upgrade request sent with ``host`` and ``origin``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n".encode())  # fmt: skip
        return int(sock.recv(1024).split(b" ")[1])


def raw_request(port: int, line_bytes: int) -> int:
    """The status answered to a GET whose request line is ``line_bytes`` long (0 if the connection was cut)."""
    path = "/" + "a" * max(1, line_bytes - len("GET / HTTP/1.1"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        head = sock.recv(1024)
    parts = head.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def cleanup(tmp: Path) -> None:
    """Kill every server still running and remove ``tmp``."""
    for proc in STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    shutil.rmtree(tmp, ignore_errors=True)
