"""The web page's figures, with a real engine, a real server on loopback and headless Chromium (tests/browser.py):

* **grid**: time to decode and pack a 30×30 grid (server side, one batch), and from a model change to the grid
  fully received — by a WebSocket client (aiohttp) and by the page (until its next animation frame);
* **fps**: frames per second the page sustains while playing (``rvae.fps()``), and its mean frame time;
* **traffic**: bytes and messages per second the page receives while playing, idle and while dragging the pad.

The model is trained for a few epochs on the test clips (tests/data/groove) so the bars have a realistic
density (``--random`` uses untrained weights: denser bars). Prints medians and p99.

    python -m benchmarks.bench_web [--changes 20] [--seconds 10] [--random]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np
import torch

from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.model.inference import LoadedModel
from rvae_server.model.network import ModelConfig, RhythmVAE
from rvae_server.web import start_web
from tests.browser import Browser

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def make_model(random: bool, tmp: Path) -> LoadedModel:
    if random:
        torch.manual_seed(0)
        return LoadedModel.from_module(RhythmVAE(ModelConfig()), name="groove")
    from rvae_server.model.training import train_and_save

    clips = sorted(str(p) for p in (ROOT / "tests" / "data" / "groove").rglob("*.mid"))
    start = time.perf_counter()
    summary = train_and_save(clips, "groove", str(tmp), epochs=40, threads=1)
    print(f"trained a model on {len(clips)} test clips ({summary.bars} bars) in {time.perf_counter() - start:.1f} s")
    return LoadedModel.load(summary.model)


def fresh(model: LoadedModel, name: str) -> LoadedModel:
    """A copy under another name (a new object: the server decodes its grid anew)."""
    clone = copy.copy(model)
    clone.name = name
    return clone


async def ws_grid_times(url: str, engine: Engine, base: LoadedModel, changes: int) -> tuple[list[float], list[float]]:
    """Seconds from sending a model change to the grid message received: to a model whose grid is not cached
    (decode, pack, ship), and back to one whose grid is cached (ship only)."""
    times, cached = [], []
    async with aiohttp.ClientSession() as session, session.ws_connect(url + "ws", max_msg_size=0) as ws:

        async def until_grid(model: str) -> None:
            while True:
                msg = await ws.receive(timeout=10)
                if msg.type == aiohttp.WSMsgType.BINARY and f'"model":"{model}"'.encode() in msg.data[:400]:
                    return

        await until_grid(engine.state(0).model)
        for k in range(changes):
            name = f"ws-{k}"
            engine.add_model(name, fresh(base, name))
            start = time.perf_counter()
            await ws.send_str(json.dumps({"type": "control", "address": "/rvae/model", "args": [name]}))
            await until_grid(name)
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            await ws.send_str(json.dumps({"type": "control", "address": "/rvae/model", "args": ["groove"]}))
            await until_grid("groove")
            cached.append(time.perf_counter() - start)
    return times, cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--bpm", type=float, default=120.0)
    parser.add_argument("--random", action="store_true", help="untrained weights (no training step)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = make_model(args.random, Path(tmp))
    clock = InternalClock(bpm=args.bpm)
    engine = Engine({"groove": base}, clock, [], default_model="groove", layers=2, seed=1)
    engine.start()
    server = start_web(engine, port=0, prewarm=False)  # cold figures: no background decoding
    try:
        # -------------------------------------------------------------- grid: WebSocket client
        ws_times, cached_times = asyncio.run(ws_grid_times(server.url, engine, base, args.changes))
        decode = [s for _, s in server.grid_timings]
        size = server.cached_grid(engine.state(0).model)
        nbytes = size.data.nbytes if size is not None else 0
        print(f"grid 30x30: {nbytes} bytes of probabilities (+ header) per model")
        print(
            f"  decode+pack (server, one batch): median {statistics.median(decode) * 1e3:.1f} ms, "
            f"p99 {pct(decode, 99) * 1e3:.1f} ms  (n={len(decode)})"
        )
        print(
            f"  model change -> grid received (WebSocket client): median {statistics.median(ws_times) * 1e3:.1f} ms, "
            f"p99 {pct(ws_times, 99) * 1e3:.1f} ms"
        )
        print(
            f"  model change -> cached grid received: median {statistics.median(cached_times) * 1e3:.1f} ms, "
            f"p99 {pct(cached_times, 99) * 1e3:.1f} ms"
        )
        engine.update(0, model="groove")
        engine.update(1, model="groove")
        engine.play()
        with Browser() as browser:
            browser.navigate(server.url)
            browser.wait_for("window.rvae && rvae.connected() && rvae.grid() !== null", 15)
            # -------------------------------------------------------------- grid: the page
            page_times = []
            for k in range(args.changes):
                name = f"page-{k}"
                engine.add_model(name, fresh(base, name))
                time.sleep(0.1)  # the models list reaches the page
                ms = browser.js(
                    "new Promise(resolve => { const t0 = performance.now();"
                    f" rvae.send({{type: 'control', address: '/rvae/model', args: ['{name}']}});"
                    " const poll = () => { const g = rvae.grid();"
                    f"  if (g && g.model === '{name}') requestAnimationFrame(() => resolve(performance.now() - t0));"
                    "  else setTimeout(poll, 1); }; poll(); })"
                )
                page_times.append(ms / 1000)
            print(
                "  model change -> uncached grid on the page (next frame): "
                f"median {statistics.median(page_times) * 1e3:.1f} ms, p99 {pct(page_times, 99) * 1e3:.1f} ms"
            )
            browser.js("rvae.send({type: 'control', address: '/rvae/model', args: ['groove']})")
            browser.wait_for("rvae.grid().model === 'groove'", 10)
            time.sleep(1.0)
            # -------------------------------------------------------------- fps and traffic while playing
            fps, draw = [], []
            b0, m0 = browser.js("[rvae.bytesReceived(), rvae.messagesReceived()]")
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < args.seconds:
                time.sleep(0.5)
                fps.append(browser.js("rvae.fps()"))
                draw.append(browser.js("rvae.drawMs()"))
            b1, m1 = browser.js("[rvae.bytesReceived(), rvae.messagesReceived()]")
            span = time.perf_counter() - t0
            print(f"page while playing at {args.bpm:g} BPM (headless Chromium, software rendering, 2 cores):")
            print(
                f"  frames per second: median {statistics.median(fps):.0f}, min {min(fps)}; "
                f"frame work (JS) mean {statistics.mean(draw):.2f} ms"
            )
            print(f"  traffic idle: {(b1 - b0) / span:.0f} bytes/s, {(m1 - m0) / span:.1f} messages/s")
            # -------------------------------------------------------------- traffic while dragging
            path = [
                browser.js(f"rvae.padPoint({0.1 + 0.8 * k / 200}, {0.5 + 0.4 * np.sin(k / 20)})") for k in range(201)
            ]
            b0, m0 = browser.js("[rvae.bytesReceived(), rvae.messagesReceived()]")
            t0 = time.perf_counter()
            browser.drag([(p["x"], p["y"]) for p in path], step_s=0.01)
            span = time.perf_counter() - t0
            b1, m1 = browser.js("[rvae.bytesReceived(), rvae.messagesReceived()]")
            print(
                f"  traffic while dragging the pad ({span:.1f} s): {(b1 - b0) / span:.0f} bytes/s, "
                f"{(m1 - m0) / span:.1f} messages/s (state ≤ 30/s, re-planned bar ≤ 20/s)"
            )
            errors = browser.console_errors
            if errors:
                print("console errors:", errors)
    finally:
        server.close()
        engine.close()
        clock.close()


if __name__ == "__main__":
    main()
