"""A soak: ``--minutes`` (30) of a mixed hostile load against a real `rvae serve` (loopback only, everything in a
temporary folder), and whether the server's memory, file descriptors, threads and folders stay flat.

The load, round after round (about one a second):

* OSC: random, mutated, truncated and nested datagrams (tests/test_osc_fuzz's generator), an XY drag, LFOs of
  every shape, drawn paths of up to 256 points, presets stored and recalled, gesture loops recorded and cleared,
  swing and densities, plan subscriptions and feedback registrations from fresh sockets (some cancelled), path
  parts over 255 bytes, captures of the last bar and captures started and stopped (each under its own name);
* the page: a WebSocket session that sends controls, asks for its uploads, uploads a clip, captures, clears and
  leaves; ``GET /api/state``, ``/api/map``, ``/api/osc``; a request line over 8,190 bytes.

Figures every minute (RSS, fds, threads, upload folders left, log bytes) and at the end: RSS at 5 minutes and at
the end, its growth after the first 5 minutes, fds and threads first/last, empty upload folders left, tracebacks
in the server's log, capture files written. ``--trace`` runs the server under tracemalloc
(``benchmarks/traced_serve.py``) and prints the allocation sites that grew most between 1/6 of the run and its end.

    nice -n 5 python -m benchmarks.bench_soak [--minutes 30] [--seed 1] [--trace]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import random
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.hostile_kit import GROOVE, Listener, Server, cleanup, raw_request
from rvae_server.model.modeldirs import bundled_models_dir, default_model
from rvae_server.surfaces.osc.packets import build_message
from tests.test_osc_fuzz import datagrams

SHAPES = ("sine", "triangle", "saw", "square", "random-smooth", "random-step")


class MixedLoad:
    """One round of the mixed load (see the module docstring) against ``server``; counts what it asked for."""

    def __init__(self, server: Server, rng: random.Random) -> None:
        self.server = server
        self.rng = rng
        self.target = ("127.0.0.1", server.osc)
        self.fuzz = datagrams(rng)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.clip = sorted(GROOVE.rglob("*.mid"))[0].read_bytes()
        self.rounds = 0
        self.datagrams = 0
        self.page_errors = 0

    def osc(self, address: str, *args: Any, sock: socket.socket | None = None) -> None:
        (sock or self.sock).sendto(build_message(address, list(args)), self.target)
        self.datagrams += 1

    def round(self) -> None:
        rng = self.rng
        self.rounds += 1
        for _ in range(300):
            self.sock.sendto(next(self.fuzz)[:65000], self.target)
            self.datagrams += 1
        layer = f"/rvae/layer/{rng.randint(1, 2)}"
        for _ in range(40):
            self.osc(f"{layer}/xy", rng.random(), rng.random())
        self.osc(f"{layer}/enable", 1)
        self.osc(f"{layer}/lfo/{rng.choice(['x', 'y', 'threshold', 'noise'])}", rng.choice(SHAPES),
                 rng.choice([0.25, 1.0, 4.0]), rng.random() * 0.3)  # fmt: skip
        points = " ".join(f"{rng.random():.4f},{rng.random():.4f}" for _ in range(rng.randint(1, 256)))
        self.osc(f"{layer}/path", "drawn", rng.randint(1, 64), 0.2, points)
        self.osc(f"{layer}/preset/store", rng.randint(1, 16))
        self.osc(f"{layer}/preset/recall", rng.randint(1, 16), 1.0, "beats")
        self.osc(f"{layer}/swing", 50 + rng.random() * 25, rng.choice([8, 16]))
        self.osc(f"{layer}/density", rng.choice(["kick", "snare", "ride"]), rng.random() - 0.5)
        if self.rounds % 5 == 0:
            self.osc(f"{layer}/gesture/record", rng.randint(1, 4))
        if self.rounds % 17 == 0:
            self.osc(f"{layer}/gesture/clear")
            self.osc(f"{layer}/path", "off")
        self.osc("/rvae/" + "p" * 300, 1)  # a path part over 255 bytes
        fresh = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        fresh.bind(("127.0.0.1", 0))
        self.osc("/rvae/plans", 1, rng.randint(1024, 65535), sock=fresh)
        self.osc("/rvae/plans", 1, sock=fresh)
        self.osc("/rvae/feedback", sock=fresh)
        if rng.random() < 0.5:
            self.osc("/rvae/plans", 0, sock=fresh)
            self.osc("/rvae/feedback", "127.0.0.1", 0, sock=fresh)
        fresh.close()
        self.osc("/rvae/capture/last", 1, f"soak-{self.rounds}")
        if self.rounds % 3 == 0:
            self.osc("/rvae/capture/start")
        elif self.rounds % 3 == 2:
            self.osc("/rvae/capture/stop", f"take-{self.rounds}")
        self.osc("/rvae/state")
        try:
            asyncio.run(self.page())
        except Exception:
            self.page_errors += 1
        raw_request(self.server.http, 9000)
        self.drain()

    async def page(self) -> None:
        import aiohttp

        rng = self.rng
        url = self.server.url
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            async with http.ws_connect(url + "ws", receive_timeout=30) as ws:
                session = json.loads((await ws.receive()).data)["session"]
                await ws.send_str(json.dumps({"type": "view", "layer": rng.randint(0, 1)}))
                for _ in range(10):
                    await ws.send_str(json.dumps({"type": "control", "address": "/rvae/xy",
                                                  "args": [rng.random(), rng.random()]}))  # fmt: skip
                await ws.send_str(json.dumps({"type": "uploads"}))
                await ws.send_str("{not json")
                if rng.random() < 0.5:
                    form = aiohttp.FormData()
                    form.add_field("clip", self.clip, filename="clip.mid", content_type="audio/midi")
                    async with http.post(url + "api/upload", data=form, headers={"X-RVAE-Session": session}) as r:
                        await r.read()
                if rng.random() < 0.3:
                    await ws.send_str(json.dumps({"type": "capture", "bars": 1, "name": f"page-{self.rounds}"}))
                await ws.send_str(json.dumps({"type": "uploads_clear"}))
                await asyncio.sleep(0.05)
            for path in ("api/state", "api/map?model=base", "api/osc"):
                async with http.get(url + path) as r:
                    await r.read()

    def drain(self) -> None:
        try:
            while True:
                self.sock.recvfrom(65536)
        except OSError:
            pass


def folders_left(tmp: Path) -> int:
    """Empty session folders under the server's upload folder."""
    return sum(1 for p in tmp.glob("rvae-uploads-*/*") if p.is_dir() and not any(p.iterdir()))


def top_growth(trace: Path, first: int, last: int, count: int = 15) -> list[str]:
    import tracemalloc

    a = tracemalloc.Snapshot.load(str(trace / f"snap-{first}.pickle"))
    b = tracemalloc.Snapshot.load(str(trace / f"snap-{last}.pickle"))
    lines = []
    for stat in b.compare_to(a, "traceback")[:count]:
        frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(stat.traceback)[:6])
        lines.append(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {frames}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trace", action="store_true", help="tracemalloc in the server (slower)")
    args = parser.parse_args()
    info = default_model([bundled_models_dir()])
    assert info is not None
    tmp = Path(tempfile.mkdtemp(prefix="rvae-soak-"))
    atexit.register(cleanup, tmp)
    models, captures, trace = tmp / "models", tmp / "captures", tmp / "trace"
    for folder in (models, captures, trace):
        folder.mkdir()
    shutil.copytree(info.path, models / "base")
    launcher = [__import__("sys").executable, "-m", "benchmarks.traced_serve"] if args.trace else None
    server = Server(tmp, "--osc-port", "0", "--http-port", "0", "--models-dir", str(models), "--model", "base",
                    "--state-file", str(tmp / "state.json"), "--capture-dir", str(captures),
                    launcher=launcher, env={"RVAE_TRACE_DIR": str(trace), "RVAE_TRACE_FRAMES": "1"})  # fmt: skip
    assert server.osc and server.url, server.out + "".join(server.err)
    if args.trace:
        server.proc.send_signal(signal.SIGUSR1)  # tracing starts
    listen = Listener(server.osc)
    load = MixedLoad(server, random.Random(args.seed))
    start = time.monotonic()
    length = args.minutes * 60.0
    samples: list[tuple[float, float, int, int]] = []
    snaps = 0
    next_sample = 0.0
    print(f"{'min':>5} {'RSS MB':>7} {'fds':>4} {'threads':>7} {'rounds':>6} {'empty folders':>13} {'log KB':>7}")
    while (elapsed := time.monotonic() - start) < length and server.alive():
        load.round()
        if elapsed >= next_sample:
            samples.append((elapsed, server.rss_mb(), server.fds(), server.threads()))
            print(f"{elapsed / 60:5.1f} {samples[-1][1]:7.1f} {samples[-1][2]:4d} {samples[-1][3]:7d} "
                  f"{load.rounds:6d} {folders_left(tmp):13d} {server.log_bytes() / 1024:7.0f}", flush=True)  # fmt: skip
            next_sample += 60.0
            if args.trace and ((snaps == 0 and elapsed >= length / 6) or elapsed + 60 >= length):
                server.proc.send_signal(signal.SIGUSR1)
                snaps += 1
    time.sleep(2.0)
    alive = server.alive() and listen.state() is not None
    samples.append((time.monotonic() - start, server.rss_mb(), server.fds(), server.threads()))
    at5 = next((s for s in samples if s[0] >= min(300.0, length / 6)), samples[0])
    written = len(list(captures.glob("*.mid")))
    figures = {
        "minutes, rounds, datagrams sent": f"{samples[-1][0] / 60:.1f}, {load.rounds}, {load.datagrams}",
        "server alive and answering": alive,
        "RSS at 5 min / at the end (MB)": f"{at5[1]:.1f} / {samples[-1][1]:.1f}",
        "RSS growth after 5 min (MB)": round(samples[-1][1] - at5[1], 1),
        "fds first / last / max": f"{samples[0][2]} / {samples[-1][2]} / {max(s[2] for s in samples)}",
        "threads first / last / max": f"{samples[0][3]} / {samples[-1][3]} / {max(s[3] for s in samples)}",
        "empty upload folders left": folders_left(tmp),
        "capture files written": written,
        "tracebacks in the server's log": server.tracebacks(),
        "server log (KB)": round(server.log_bytes() / 1024),
    }
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if args.trace and snaps >= 2:
        print("allocation sites that grew most:")
        for line in top_growth(trace, 1, snaps):
            print("  " + line)
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=60)


if __name__ == "__main__":
    main()
