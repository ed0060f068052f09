"""OSC control: message → engine state change latency, and the player's lateness while OSC traffic arrives.

1. Latency: a client sends ``/rvae/x v`` (unique values) over loopback UDP; an engine listener stamps the moment
   the state changes (on the OSC thread). Median and p99 over ``--count`` messages, paced at ``--rate``/s.
2. Player lateness (time a note is sent minus its ideal time) while a **separate process** sends ``--rate``
   OSC messages a second for ``--seconds`` seconds, in four conditions:
   ``quiet`` (no traffic), ``query`` (``/rvae/models``: the OSC server's own cost, no state change),
   ``same`` (values that leave the pattern as it is: the planner re-plans, the player
   is not interrupted), ``change`` (XY and threshold moves that change the pattern: every change is heard from
   the next tick; a note a re-plan puts more than ``engine.LATE_SECONDS`` behind the player is skipped, never
   sent late, so with a new random pattern every 2 ms few notes are sent — the early-microtimed ones of each
   pattern are already past when it arrives). Target (issue 4): p99 ≤ 1 ms, max ≤ 3 ms.

The engine plays the bundled model (``--synthetic`` for the test kit's stand-in) at ``--bpm`` into a null sink,
with the daemon's switch interval. Loopback only.

    python -m benchmarks.bench_osc [--rate 500] [--seconds 8] [--count 2000] [--bpm 120] [--synthetic]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

SENDER = r"""
import socket, sys, time
from rvae_server.surfaces.osc.packets import build_message
port, rate, seconds, mode = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if mode == "query":
    msgs = [build_message("/rvae/models", [])]
elif mode == "same":
    msgs = [build_message("/rvae/noise", [0.0]), build_message("/rvae/x", [0.9]), build_message("/rvae/x", [0.9001])]
else:
    msgs = [build_message("/rvae/xy", [0.1 + 0.8 * ((k * 37) % 100) / 100, 0.2 + 0.6 * ((k * 11) % 50) / 50])
            for k in range(200)] + [build_message("/rvae/threshold", [0.3 + 0.4 * (k % 10) / 10]) for k in range(10)]
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
k = 0
while True:
    due = start + k / rate
    now = time.perf_counter()
    if now - start > seconds:
        break
    if due > now:
        time.sleep(due - now)
    sock.sendto(msgs[k % len(msgs)], ("127.0.0.1", port))
    k += 1
print(k, flush=True)
"""


DENSE = 0.2  # a low threshold: more notes, more lateness samples


class NullSink:
    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        pass

    def transport(self, playing: bool) -> None:
        pass

    def all_notes_off(self, channels: object) -> None:
        pass


def figures(values: list[float] | np.ndarray) -> str:
    arr = np.asarray(values) * 1000.0
    if arr.size == 0:
        return "no samples"
    return (
        f"n={arr.size:5d}  median {np.median(arr):6.3f} ms  p99 {np.percentile(arr, 99):7.3f} ms  "
        f"max {arr.max():7.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500.0, help="OSC messages per second")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each lateness condition")
    parser.add_argument("--count", type=int, default=2000, help="messages for the latency figure")
    parser.add_argument("--bpm", type=float, default=120.0)
    parser.add_argument("--synthetic", action="store_true", help="the test kit's synthetic model instead")
    args = parser.parse_args()

    from rvae_server.engine.api import EngineEvent, PatternModel
    from rvae_server.engine.clock import InternalClock
    from rvae_server.engine.engine import Engine
    from rvae_server.surfaces.osc.packets import build_message
    from rvae_server.surfaces.osc.server import start_osc
    from rvae_server.system.realtime import SWITCH_INTERVAL

    sys.setswitchinterval(SWITCH_INTERVAL)
    models: dict[str, PatternModel]
    if args.synthetic:
        from rvae_server.testing import SyntheticModel

        models, default = {"synthetic": SyntheticModel("synthetic")}, "synthetic"
    else:
        import torch

        from rvae_server.model.library import load_models

        torch.set_num_threads(1)
        loaded, default, _ = load_models(None, None)
        models = dict(loaded)
    clock = InternalClock(args.bpm)
    engine = Engine(models, clock, [NullSink()], default_model=default, layers=2, seed=1)
    engine.start()
    server = start_osc(engine, port=0)
    print(f"model {default!r}, {args.bpm:g} BPM, OSC on 127.0.0.1:{server.port}, switch interval {SWITCH_INTERVAL}s")
    try:
        # 1. latency
        stamps: dict[float, float] = {}
        lock = threading.Lock()

        def listener(event: EngineEvent) -> None:
            if event.kind == "state" and event.data.get("layer") == 0:
                now = time.perf_counter()
                with lock:
                    stamps.setdefault(engine.state(0).x, now)

        engine.add_listener(listener)
        import socket

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent: dict[float, float] = {}
        for k in range(args.count):
            value = float(np.float32((k + 1) / (args.count + 2)))
            data = build_message("/rvae/x", [value])
            sent[value] = time.perf_counter()
            sock.sendto(data, ("127.0.0.1", server.port))
            time.sleep(1.0 / args.rate)
        time.sleep(0.3)
        with lock:
            latency = [stamps[v] - t for v, t in sent.items() if v in stamps]
        print(f"OSC → state change ({len(latency)}/{args.count} seen): {figures(latency)}")

        # 2. lateness under traffic
        engine.update(0, x=0.9, y=0.9, threshold=DENSE)
        engine.play()
        time.sleep(1.0)
        for condition in ("quiet", "query", "same", "change"):
            engine.update(0, x=0.9, y=0.9, threshold=DENSE, noise=0.0)
            sender = None
            if condition != "quiet":  # started (imports done) before the measurement: only its sending counts
                sender = subprocess.Popen(
                    [sys.executable, "-c", SENDER, str(server.port), str(args.rate), str(args.seconds), condition],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                )
                assert sender.stdin is not None and sender.stdout is not None
                sender.stdout.readline()
            time.sleep(0.5)
            mark = len(engine.lateness)
            handled = server.handled
            if sender is None:
                time.sleep(args.seconds)
                count = 0
            else:
                assert sender.stdin is not None and sender.stdout is not None
                sender.stdin.write("go\n")
                sender.stdin.flush()
                count = int(sender.stdout.readline().strip() or 0)
                sender.wait()
            late = engine.lateness[mark:]
            rate = count / args.seconds
            print(
                f"lateness {condition:6s} ({rate:5.0f} msg/s sent, {server.handled - handled:5d} applied): "
                f"{figures(late)}"
            )
        print(f"errors {server.errors}, dropped feedback {server.dropped_feedback}")
        print(f"(median of per-message latency: {statistics.median(latency) * 1e6:.0f} µs)")
    finally:
        server.close()
        engine.close()
        clock.close()


if __name__ == "__main__":
    main()
