"""The web page and its server: a real Engine on a real InternalClock with the real inference class
(:class:`rvae_server.model.inference.LoadedModel`, seeded random weights: the grid, pixels and controls do not depend
on what the model learnt), a real aiohttp server on loopback, and a real headless Chromium driven over the
DevTools protocol (tests/browser.py). Browser tests FAIL if Chromium cannot start.

The MIDI-loopback check of a click (the notes after a click equal ``rvae render``) runs against a whole
``rvae serve`` in tests/test_serve_surfaces.py; here the click is checked on the engine's state and on the bar
the page shows (= ``Engine.render``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import shutil
import struct
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
import torch

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, TICKS
from rvae_server.engine.api import EngineEvent
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.model.inference import LoadedModel
from rvae_server.model.network import ModelConfig, RhythmVAE
from rvae_server.model.planes import grid_points
from rvae_server.web import start_web
from rvae_server.web.grid import MAGIC, quantize
from rvae_server.web.server import WebServer
from tests.browser import Browser

DATA = Path(__file__).parent / "data" / "groove"
KICK, SNARE, CH = 0, 1, 2


def make_model(name: str, seed: int) -> LoadedModel:
    torch.manual_seed(seed)
    return LoadedModel.from_module(RhythmVAE(ModelConfig()), name=name)


class Rig:
    def __init__(self, training: Any = None, bpm: float = 120.0, tmp: Path | None = None) -> None:
        self.clock = InternalClock(bpm=bpm)
        self.models = {"alpha": make_model("alpha", 1), "beta": make_model("beta", 2)}
        self.engine = Engine(self.models, self.clock, [], default_model="alpha", layers=2, seed=3)
        self.engine.start()
        self.server: WebServer = start_web(self.engine, port=0, training=training, upload_dir=tmp)

    def close(self) -> None:
        self.server.close()
        self.engine.close()
        self.clock.close()


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.close()


def open_page(browser: Browser, rig: Rig) -> None:
    browser.navigate("about:blank")  # the previous test's page (reconnecting to its closed server) is gone
    time.sleep(0.05)
    browser.console_errors.clear()
    browser.navigate(rig.server.url)
    browser.wait_for("window.rvae && rvae.connected() && rvae.grid() !== null", 15)


# ------------------------------------------------------------------------------------------ protocol (no browser)


async def _collect(url: str, messages: list[str], until: Any, timeout: float = 5.0) -> list[Any]:
    """Connect, send ``messages``, collect what comes back (dicts, and bytes for binary) until ``until(got)``."""
    got: list[Any] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url + "ws") as ws:
        for m in messages:
            await ws.send_str(m)
        deadline = time.monotonic() + timeout
        while not until(got) and time.monotonic() < deadline:
            try:
                msg = await ws.receive(timeout=deadline - time.monotonic())
            except TimeoutError:
                break
            if msg.type == aiohttp.WSMsgType.TEXT:
                got.append(json.loads(msg.data))
            elif msg.type == aiohttp.WSMsgType.BINARY:
                got.append(msg.data)
            else:
                break
    return got


def answers(want: int) -> Any:
    return lambda got: sum(1 for m in got if isinstance(m, dict) and m["type"] in ("error", "note", "reply")) >= want


def _ws_session(url: str, messages: list[str], want: int, timeout: float = 5.0) -> Any:
    return _collect(url, messages, answers(want), timeout)


def test_grid_is_sent_once_as_bytes_matching_the_models_decode(rig):
    def done(got: list[Any]) -> bool:
        return answers(1)(got) and any(isinstance(m, bytes) for m in got)

    got = asyncio.run(_collect(rig.server.url, ['{"type":"control","address":"/rvae/state"}'], done))
    binary = [m for m in got if isinstance(m, bytes)]
    replies = [m for m in got if isinstance(m, dict) and m["type"] == "reply"]
    assert replies and replies[0]["state"]["models"] == ["alpha", "beta"]
    assert len(binary) == 1
    data = binary[0]
    assert data[:4] == MAGIC
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + length])
    assert header["model"] == "alpha" and header["n"] == 30 and header["instruments"] == list(INSTRUMENT_NAMES)
    payload = np.frombuffer(data[8 + length :], dtype=np.uint8)
    assert payload.size == TICKS * N_INSTRUMENTS * 900
    # the same bytes as the model's own batch decode of the grid, quantized
    expected = quantize(rig.models["alpha"].decode_grid(30).probs)
    assert np.array_equal(payload.reshape(TICKS, N_INSTRUMENTS, 900), expected)
    # grid point p = i * 30 + j is x = j / 29, y = i / 29
    assert np.allclose(grid_points(30)[31], [1 / 29, 1 / 29])


def test_bad_messages_get_an_error_back_and_the_server_keeps_answering(rig):
    bad = [
        "not json",
        "[1, 2]",
        '{"no": "type"}',
        '{"type": "bogus"}',
        '{"type": "control", "address": "/rvae/xy", "args": [NaN, 0.5]}',
        '{"type": "control", "address": "/rvae/xy", "args": [1e999, 0.5]}',
        '{"type": "control", "address": "/rvae/xy", "args": ["a", 0.5]}',
        '{"type": "control", "address": "/rvae/xy", "args": [0.5]}',
        '{"type": "control", "address": "/rvae/xy", "args": [true, 0.5]}',
        '{"type": "control", "address": "/rvae/threshold", "args": [' + "9" * 400 + "]}",
        '{"type": "control", "address": "/rvae/nope", "args": []}',
        '{"type": "control", "address": "/rvae/layer/7/xy", "args": [0.1, 0.1]}',
        '{"type": "control", "address": "/rvae/train", "args": ["/etc", "x"]}',
        '{"type": "control", "address": "/rvae/model", "args": ["../../etc/passwd"]}',
        '{"type": "control", "address": "/rvae/mute", "args": ["cowbell", 1]}',
        '{"type": "control", "address": 5, "args": []}',
        '{"type": "control", "address": "/rvae/xy", "args": [0.1, 0.1], "extra": 1}',
        '{"type": "view", "layer": 9}',
        '{"type": "train", "name": "x", "layers": [0]}',
        "[" * 100_000,
        '{"type": "control", "address": "/rvae/stop", "args": "' + "x" * 20_000 + '"}',
    ]
    before = rig.engine.state(0)
    got = asyncio.run(_ws_session(rig.server.url, bad + ['{"type":"control","address":"/rvae/state"}'], len(bad) + 1))
    errors = [m for m in got if isinstance(m, dict) and m["type"] == "error"]
    assert len(errors) == len(bad), [e["message"] for e in errors]
    assert all(isinstance(e["message"], str) and len(e["message"]) < 300 for e in errors)
    assert any("training not available" in e["message"] for e in errors)
    assert any("not available from the web page" in e["message"] for e in errors)
    assert [m for m in got if isinstance(m, dict) and m["type"] == "reply"]
    assert rig.engine.state(0) == before  # nothing changed


def test_clamped_values_come_back_as_notes_and_controls_reach_the_engine(rig):
    msgs = [
        '{"type":"control","address":"/rvae/layer/2/threshold","args":[3]}',
        '{"type":"control","address":"/rvae/layer/2/mute","args":["snare",1]}',
        '{"type":"control","address":"/rvae/layer/2/model","args":["beta"]}',
        '{"type":"control","address":"/rvae/velocity","args":["fixed", 90]}',
        '{"type":"control","address":"/rvae/bpm","args":[133]}',
        '{"type":"control","address":"/rvae/state"}',
    ]
    got = asyncio.run(_ws_session(rig.server.url, msgs, 2))
    notes = [m for m in got if isinstance(m, dict) and m["type"] == "note"]
    assert notes and "clamped" in notes[0]["message"]
    s1 = rig.engine.state(1)
    assert s1.threshold == 1.0 and s1.mutes[SNARE] and s1.model == "beta"
    assert rig.engine.state(0).velocity_mode == "fixed" and rig.engine.state(0).fixed_velocity == 90
    assert rig.clock.bpm == 133


def test_clock_messages_are_few_and_small_while_playing(rig):
    rig.engine.update(0, threshold=0.6)  # the random weights' ~0.5 probabilities: a realistic density
    rig.engine.play()

    async def listen() -> tuple[int, int, list[dict[str, Any]]]:
        async with aiohttp.ClientSession() as session, session.ws_connect(rig.server.url + "ws") as ws:
            settle = time.monotonic() + 1.0  # welcome, grid, first bars: read and drop
            while time.monotonic() < settle:
                with contextlib.suppress(TimeoutError):
                    await ws.receive(timeout=settle - time.monotonic())
            count = size = 0
            clocks = []
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                try:
                    msg = await ws.receive(timeout=end - time.monotonic())
                except TimeoutError:
                    break
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                count += 1
                size += len(msg.data)
                data = json.loads(msg.data)
                if data["type"] == "clock":
                    clocks.append(data)
            return count, size, clocks

    count, size, clocks = asyncio.run(listen())
    assert 6 <= len(clocks) <= 12  # 4 a second
    assert all(c["running"] and c["bpm"] == 120.0 for c in clocks)
    # positions advance at 48 ticks a second (120 BPM)
    rate = (clocks[-1]["position"] - clocks[0]["position"]) / (clocks[-1]["server_time"] - clocks[0]["server_time"])
    assert abs(rate - 48.0) < 1.0
    assert size / 2.0 < 2000, (size, count)  # bytes a second, bars included


def _post(url: str, session: str, files: list[tuple[str, bytes]], origin: str | None = None) -> tuple[int, Any]:
    """POST a multipart body written by hand, as a browser does (file names as given, not percent-encoded)."""
    boundary = "----rvaeTestBoundary7MA4YWxkTrZu0gW"
    body = b""
    for name, data in files:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="clip"; filename="{name}"\r\n'.encode()
        body += b"Content-Type: audio/midi\r\n\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    headers = {"X-RVAE-Session": session, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if origin:
        headers["Origin"] = origin

    async def go() -> tuple[int, Any]:
        async with aiohttp.ClientSession() as s, s.post(url + "api/upload", data=body, headers=headers) as r:
            return r.status, await r.json()

    return asyncio.run(go())


def test_uploads_are_confined_checked_and_limited(tmp_path):
    r = Rig(tmp=tmp_path / "up")
    try:
        got = asyncio.run(_collect(r.server.url, [], lambda got: bool(got)))
        session = next(m["session"] for m in got if isinstance(m, dict) and m["type"] == "welcome")
        clip = (DATA / "drummer7/session2/26_rock_118_beat_4-4.mid").read_bytes()
        url = r.server.url
        status, body = _post(url, session, [("../../../evil name.mid", clip)])
        assert status == 200 and body["stored"] == [["evil_name.mid", len(clip)]]
        assert (tmp_path / "up" / session / "evil_name.mid").read_bytes() == clip
        assert _post(url, session, [("clip.mid", clip)])[0] == 200
        assert _post(url, session, [("clip.mid", clip)])[1]["stored"][0][0] == "clip-2.mid"  # made unique
        assert _post(url, session, [("notes.txt", clip)])[0] == 400
        assert "MThd" in _post(url, session, [("fake.mid", b"RIFF" + b"\0" * 100)])[1]["error"]
        assert _post(url, "x" * 24, [("clip.mid", clip)])[0] == 403  # unknown session
        assert _post(url, session, [("clip.mid", clip)], origin="http://evil.example")[0] == 403
        r.server.uploads.max_file = 1000  # the limits, scaled down
        status, body = _post(url, session, [("big.mid", b"MThd" + b"\0" * 2000)])
        assert status == 413 and "larger than" in body["error"]
        r.server.uploads.max_file = 10**6
        r.server.uploads.max_total = r.server.uploads.total(session) + 100
        status, body = _post(url, session, [("more.mid", clip)])
        assert status == 413 and "exceed" in body["error"]
        assert sorted(p.name for p in (tmp_path / "up" / session).iterdir()) == [
            "clip-2.mid",
            "clip.mid",
            "evil_name.mid",
        ]  # fmt: skip  (no partial files left)
    finally:
        r.close()


def test_cross_origin_websocket_is_refused(rig):
    async def go() -> int:
        async with aiohttp.ClientSession() as s:
            try:
                async with s.ws_connect(rig.server.url + "ws", origin="http://evil.example"):
                    return 101
            except aiohttp.WSServerHandshakeError as err:
                return err.status

    assert asyncio.run(go()) == 403


# ------------------------------------------------------------------------------------------ browser


def test_page_loads_without_console_errors(browser, rig):
    rig.engine.play()
    open_page(browser, rig)
    time.sleep(1.0)
    assert browser.console_errors == []
    assert browser.js("rvae.errors()") == []
    # the mute buttons carry the names of the server's instrument table
    names = browser.js("[...document.querySelectorAll('#mutes button')].map(b => b.textContent)")
    assert names == list(INSTRUMENT_NAMES)
    assert browser.js("document.getElementById('train-unavailable').hidden") is False
    assert browser.js("document.getElementById('train-start').disabled") is True
    assert browser.js("rvae.fps()") >= 20


def _js_round(x: float) -> int:
    return math.floor(x + 0.5)  # Math.round for x >= 0


def _expected_rgb(
    grid, tick: int, row: int, col: int, threshold: float, mutes: tuple[bool, ...], channels=(KICK, SNARE, CH), glow=1
) -> list[int]:
    """The page's colour formula (static/js/pad.js drawGrid): brightness round(255·sqrt(v/255)) where the probability
    byte v is ≥ the threshold, fading linearly over ``glow`` ticks; 0 where muted or below the threshold."""
    cut = math.ceil(threshold * 255 - 1e-6)
    out = []
    for inst in channels:
        best = 0
        for j in range(glow if inst >= 0 and not mutes[inst] else 0):
            v = int(grid.data[(tick - j) % TICKS, inst, row * grid.n + col])
            if v >= cut:
                best = max(best, _js_round(_js_round(255 * math.sqrt(v / 255)) * (1 - j / glow)))
        out.append(best)
    return out


CELLS = [(2, 3), (4, 25), (8, 8), (10, 20), (20, 4), (22, 26), (27, 11), (26, 2), (3, 12), (25, 19)]


def _check_cells(browser: Browser, rig: Rig, tick: int, glow: int = 1, channels=(KICK, SNARE, CH)) -> int:
    browser.js(f"rvae.glow({glow}); rvae.channels({list(channels)}); rvae.hold({tick})")
    browser.frames(2)
    grid = rig.server.cached_grid("alpha")
    state = rig.engine.state(0)
    lit = 0
    for row, col in CELLS:
        c = browser.js(f"rvae.cellCenter({row}, {col})")
        got = browser.pixel(c["x"], c["y"])
        want = _expected_rgb(grid, tick, row, col, state.threshold, state.mutes, channels, glow)
        assert all(abs(g - w) <= 3 for g, w in zip(got, want, strict=True)), (tick, glow, row, col, got, want)
        lit += sum(1 for w in want if w)
    return lit


def test_grid_animates_and_its_pixels_are_the_servers_probabilities(browser, rig):
    rig.engine.play()
    open_page(browser, rig)
    assert browser.js("rvae.view('glow')") == "glow"  # the time-glow view (the still picture is the default)
    box = browser.js(
        "(() => { const r = pad.getBoundingClientRect();"
        " return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()"
    )
    first = browser.screenshot(*box)
    t1 = browser.js("rvae.tick()")
    time.sleep(0.2)  # ~10 ticks at 120 BPM
    second = browser.screenshot(*box)
    t2 = browser.js("rvae.tick()")
    assert t1 != t2 and first != second
    # the page's clock follows the server's within a tick or so
    before = rig.clock.position()
    page_pos = browser.js("rvae.position()")
    after = rig.clock.position()
    assert before - 1.0 <= page_pos <= after + 0.5, (before, page_pos, after)
    assert rig.server.cached_grid("alpha") is not None
    lit = sum(_check_cells(browser, rig, tick) for tick in (0, 30, 61))
    assert lit > 0  # some cells above the threshold, so the comparison saw colours, not only black
    # threshold and mutes apply at once, client-side
    rig.engine.update(0, threshold=0.52)
    rig.engine.set_mute(0, "snare", True)
    browser.wait_for("rvae.state().threshold === 0.52 && rvae.state().mutes.snare === true")
    _check_cells(browser, rig, 7)
    # another instrument in a channel (the choice is the page's), and the afterglow of a sixteenth
    assert _check_cells(browser, rig, 9, glow=6, channels=(3, 1, 8)) > 0
    _check_cells(browser, rig, 50, glow=6)
    browser.js("rvae.hold(null)")
    assert browser.console_errors == []


def test_a_click_and_a_drag_on_the_pad_change_the_engine_state(browser, rig):
    open_page(browser, rig)
    p = browser.js("rvae.padPoint(0.2, 0.75)")
    browser.click(p["x"], p["y"])
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        s = rig.engine.state(0)
        if abs(s.x - 0.2) < 0.01 and abs(s.y - 0.75) < 0.01:
            break
        time.sleep(0.02)
    time.sleep(0.3)  # the glide's last steps
    s = rig.engine.state(0)
    assert abs(s.x - 0.2) < 0.01 and abs(s.y - 0.75) < 0.01
    # the bar the page shows is the engine's render at that point (noise 0)
    want = sorted([n.tick, n.instrument, round(n.velocity * 127)] for n in rig.engine.render(0).notes())
    deadline = time.monotonic() + 3
    shown: list[list[int]] = []
    while time.monotonic() < deadline and shown != want:
        shown = sorted(browser.js("rvae.bar() ? rvae.bar().notes.map(n => [n[0], n[1], n[2]]) : []"))
        time.sleep(0.05)
    assert shown == want
    # a drag: the engine follows, and the page sends at most ~60 positions a second
    times: list[float] = []
    rig.engine.add_listener(lambda e: times.append(time.monotonic()) if e.kind == "state" else None)
    path = [browser.js(f"rvae.padPoint({0.8 - 0.5 * k / 40}, {0.2 + 0.4 * k / 40})") for k in range(41)]
    start = time.monotonic()
    browser.drag([(q["x"], q["y"]) for q in path], step_s=0.01)
    time.sleep(0.5)
    s = rig.engine.state(0)
    assert abs(s.x - 0.3) < 0.01 and abs(s.y - 0.6) < 0.01
    span = max(times) - start
    assert len(times) <= 66 * span + 3, (len(times), span)
    assert browser.console_errors == []


def test_page_controls_reach_the_engine(browser, rig):
    open_page(browser, rig)
    browser.js(
        "(() => { const e = document.getElementById('threshold'); e.value = 0.7;"
        " e.dispatchEvent(new Event('input')); })()"
    )
    browser.js("document.querySelector('#mutes button[data-index=\"2\"]').click()")
    browser.js(
        "(() => { const e = document.getElementById('model'); e.value = 'beta';"
        " e.dispatchEvent(new Event('change')); })()"
    )
    browser.js("document.getElementById('play').click()")
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        s = rig.engine.state(0)
        if s.threshold == 0.7 and s.mutes[CH] and s.model == "beta" and rig.clock.running:
            break
        time.sleep(0.02)
    s = rig.engine.state(0)
    assert s.threshold == 0.7 and s.mutes[CH] and s.model == "beta" and rig.clock.running
    # the page switches to the new model's grid, and to layer 2's on selecting it
    browser.wait_for("rvae.grid().model === 'beta'", 5)
    browser.js("document.querySelectorAll('#layers button')[1].click()")
    browser.wait_for("rvae.grid().model === 'alpha'", 5)
    browser.js("document.getElementById('enable').click()")
    deadline = time.monotonic() + 2
    while not rig.engine.state(1).enabled and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rig.engine.state(1).enabled
    browser.js("document.getElementById('play').click()")
    deadline = time.monotonic() + 2
    while rig.clock.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not rig.clock.running
    assert browser.console_errors == []


def test_retraining_shows_a_loss_curve_growing_epoch_by_epoch(browser, tmp_path):
    """The real training service (a separate process) on real GMD clips uploaded through the page."""
    from rvae_server.session.trainjobs import TrainingService

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    clock = InternalClock(bpm=120.0)
    models = {"alpha": make_model("alpha", 1)}
    engine = Engine(models, clock, [], default_model="alpha", layers=2, seed=3)
    engine.start()
    service = TrainingService(engine, tmp_path / "models", [uploads], epochs=20)
    server = start_web(engine, port=0, training=service, upload_dir=uploads)
    try:
        browser.navigate("about:blank")
        time.sleep(0.05)
        browser.console_errors.clear()
        browser.navigate(server.url)
        browser.wait_for("window.rvae && rvae.connected()", 10)
        assert browser.js("document.getElementById('train-unavailable').hidden") is True
        clips = sorted(str(p) for p in DATA.rglob("*.mid"))[:5]
        browser.set_files("#files", clips)
        try:
            browser.wait_for(f"document.querySelectorAll('#file-list li').length === {len(clips)}", 30)  # busy machine
        except TimeoutError as err:
            page = browser.js("[...document.querySelectorAll('#file-list li')].map(li => li.textContent).join(' | ')")
            raise AssertionError(f"{err}; the list holds {page!r}; console {browser.console_errors}") from err
        browser.js("rvae.tab('training')")
        browser.js("document.getElementById('train-name').value = 'fresh'")
        box = browser.js(
            "(() => { const r = document.getElementById('loss'); r.scrollIntoView();"
            " const b = r.getBoundingClientRect();"
            " return [b.left + scrollX, b.top + scrollY, b.width, b.height]; })()"
        )
        empty = browser.screenshot(*box)
        browser.js("document.getElementById('train-start').click()")
        seen: list[int] = []
        shots: list[bytes] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            n = browser.js("rvae.lossEpochs()")
            if not seen or n != seen[-1]:
                seen.append(n)
                if 3 <= n < 20 and not shots:
                    shots.append(browser.screenshot(*box))
            if n >= 20:
                break
            time.sleep(0.02)
        assert seen[-1] == 20, seen
        assert seen == sorted(seen) and len([n for n in seen if 0 < n < 20]) >= 2, seen  # grew epoch by epoch
        arrivals = browser.js("rvae.lossArrivals()")
        assert arrivals == sorted(arrivals) and arrivals[-1] - arrivals[0] > 50  # ms: epoch events, not one burst
        curve = browser.screenshot(*box)
        assert curve != empty and all(shot != curve for shot in shots)
        # done: the new model is in the menu and plays on the layer that asked
        browser.wait_for("[...document.getElementById('model').options].some(o => o.value === 'fresh')", 30)
        assert engine.state(0).model == "fresh"
        assert browser.console_errors == []
    finally:
        server.close()
        service.close()
        engine.close()
        clock.close()
        shutil.rmtree(tmp_path / "models", ignore_errors=True)


def test_close_stops_serving(browser):
    r = Rig()
    url = r.server.url
    r.close()
    r.server.close()  # idempotent

    async def go() -> bool:
        try:
            async with aiohttp.ClientSession() as s, s.get(url, timeout=aiohttp.ClientTimeout(total=2)):
                return True
        except aiohttp.ClientError:
            return False

    assert asyncio.run(go()) is False
    # the engine listener of a closed server is harmless
    r.engine.layers.emit(EngineEvent("state", {}))
