"""A headless Chromium driven over the Chrome DevTools Protocol with aiohttp (already a dependency): no
Selenium, no Playwright, no browser download. Used by tests/test_web.py and benchmarks/bench_web.py.

Chromium is started with a fresh ``--user-data-dir``, ``--remote-debugging-port=0`` (the port is read from its
"DevTools listening on" line), and the flags that keep it off the network. :class:`BrowserError` is raised when it
cannot start: tests must fail, not skip.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import urllib.request
import zlib
from typing import Any

import aiohttp

CHROMIUM = os.environ.get("RVAE_CHROMIUM", "/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-default-browser-check",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
)


class BrowserError(RuntimeError):
    """Chromium could not be started or driven."""


class Browser:
    """One headless Chromium with one page. Use as a context manager; every call is synchronous."""

    def __init__(self, width: int = 1280, height: int = 1000, timeout: float = 20.0) -> None:
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="rvae-chromium-")
        self.console_errors: list[str] = []
        self.events: list[dict[str, Any]] = []
        self._stderr: list[str] = []
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
            raise BrowserError(f"Chromium not found at {CHROMIUM}")
        args = [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0"]
        args += [f"--window-size={width},{height}", "about:blank"]
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        found = threading.Event()
        self._devtools = ""

        def drain() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self._stderr.append(line.rstrip())
                m = re.search(r"DevTools listening on (ws://\S+)", line)
                if m:
                    self._devtools = m.group(1)
                    found.set()

        threading.Thread(target=drain, name="chromium-stderr", daemon=True).start()
        if not found.wait(timeout):
            self.close()
            raise BrowserError("Chromium did not start: " + " | ".join(self._stderr[-8:]))
        port = int(self._devtools.split(":")[2].split("/")[0])
        self.port = port
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="cdp", daemon=True)
        self._thread.start()
        try:
            page = self._page_ws(port, timeout)
            self._run(self._connect(page))
            for domain in ("Runtime", "Log", "Page"):
                self.call(f"{domain}.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
            )
        except Exception as err:
            self.close()
            raise BrowserError(f"cannot drive Chromium: {err}") from err

    # ---------------------------------------------------------------- plumbing

    def _page_ws(self, port: int, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as resp:
                targets = json.loads(resp.read())
            for target in targets:
                if target.get("type") == "page":
                    return str(target["webSocketDebuggerUrl"])
            time.sleep(0.1)
        raise BrowserError("no page target")

    def _run(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self, url: str) -> None:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(url, max_msg_size=256 * 1024 * 1024)
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data:
                fut = self._pending.pop(data["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(data)
            else:
                self._event(data)

    def _event(self, data: dict[str, Any]) -> None:
        method, params = data.get("method", ""), data.get("params", {})
        self.events.append(data)
        if len(self.events) > 2000:
            del self.events[:1000]
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args", [])
            self.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exc = details.get("exception", {})
            self.console_errors.append(f"exception: {exc.get('description') or details.get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.console_errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        ident = self._next_id
        fut: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        self._pending[ident] = fut
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        return await fut

    # ---------------------------------------------------------------- the API

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one CDP command; returns its ``result``; raises :class:`BrowserError` on a protocol error."""
        reply = self._run(self._call(method, params), timeout)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    def navigate(self, url: str, timeout: float = 20.0) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", timeout)

    def js(self, expression: str, timeout: float = 30.0) -> Any:
        """Evaluate an expression in the page (promises awaited) and return its value (JSON-able)."""
        result = self.call(
            "Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(f"{expression[:80]}: {details.get('exception', {}).get('description', details)}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 10.0, interval: float = 0.05) -> Any:
        """Poll an expression until it is truthy; returns its value or raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            with contextlib.suppress(BrowserError):
                value = self.js(expression)
                if value:
                    return value
            time.sleep(interval)
        raise TimeoutError(f"{expression!r} still {value!r} after {timeout} s")

    def frames(self, count: int = 2) -> None:
        """Wait until the page has painted ``count`` more animation frames."""
        self.js(
            f"new Promise(r => {{ let k = {count}; const f = () => (--k <= 0 ? r(true) : requestAnimationFrame(f));"
            " requestAnimationFrame(f); })"
        )

    def screenshot(self, x: float = 0, y: float = 0, width: float | None = None, height: float | None = None) -> bytes:
        """A PNG of the page region (CSS pixels = device pixels: deviceScaleFactor is 1)."""
        clip = {"x": x, "y": y, "width": width or self.width, "height": height or self.height, "scale": 1}
        result = self.call("Page.captureScreenshot", format="png", clip=clip)
        return base64.b64decode(result["data"])

    def pixel(self, x: float, y: float) -> tuple[int, int, int]:
        """The RGB of the device pixel at CSS ``(x, y)`` (floored), from a 1×1 screenshot."""
        rgb = decode_png(self.screenshot(int(x), int(y), 1, 1))
        return rgb[0][0]

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def drag(self, points: list[tuple[float, float]], step_s: float = 0.016) -> None:
        (x0, y0), rest = points[0], points[1:]
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x0, y=y0)
        self.call("Input.dispatchMouseEvent", type="mousePressed", x=x0, y=y0, button="left", clickCount=1)
        for x, y in rest:
            time.sleep(step_s)
            self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y, button="left", buttons=1)
        x1, y1 = points[-1]
        self.call("Input.dispatchMouseEvent", type="mouseReleased", x=x1, y=y1, button="left", clickCount=1)

    def set_files(self, selector: str, paths: list[str]) -> None:
        """Choose files in an ``<input type=file>`` (fires its change event)."""
        doc = self.call("DOM.getDocument")
        node = self.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector=selector)
        self.call("DOM.setFileInputFiles", files=paths, nodeId=node["nodeId"])

    def close(self) -> None:
        loop = getattr(self, "loop", None)
        if loop is not None and loop.is_running():

            async def shut() -> None:
                with contextlib.suppress(Exception):
                    await self._ws.close()
                    await self._session.close()

            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(shut(), loop).result(5)
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(5)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def decode_png(data: bytes) -> list[list[tuple[int, int, int]]]:
    """Rows of RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes). For small images."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for r in range(height):
        start = r * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return [[(row[k], row[k + 1], row[k + 2]) for k in range(0, stride, channels)] for row in rows]
