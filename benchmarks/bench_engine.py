"""The instrument's timing, end to end inside the server process (issue 4's figures).

The engine plays a real model into a real MIDI output (a virtual JACK port, a JACK dummy server started here)
at 170 BPM, and we measure each sent note's **lateness** against its ideal time on the absolute schedule, for
``--bars`` bars (default 16), in three conditions:

1. idle;
2. while a retraining job runs (a real training process, the way the server starts one);
3. while OSC control messages arrive at 500 per second (from a separate process, to the server's OSC port).

Then the **XY change to the first note that reflects it** (a decoder whose closed hat plays on every tick on
one side of the pad and the open hat on the other, so the first reflecting note is the first tick after the
change can be heard), and the end-to-end lateness through the JACK loopback (it includes JACK's period).

    python benchmarks/bench_engine.py [--bars 16] [--bpm 170] [--skip-training] [--skip-osc] [--no-rt]
                                      [--melody] [--noise N] [--motion]

``--melody`` attaches the melody layer (the bundled melody model, following layer 1, to a second virtual JACK
port): its notes count in the lateness too, and its generation times are printed. ``--noise N`` sets layer 1's
noise (a new drum bar every bar, so the melody is regenerated every bar: its worst case).

``--motion`` turns every motion on in both layers before measuring (issue 13): LFOs on x, y, threshold and noise,
a circle path, a recorded gesture loop, swing, densities, and a preset recalled with a one-bar morph every bar
(from a thread, as a performer would) — the planner then decodes every bar per tick; the player's figures must
not move.

Targets: lateness p99 ≤ 1 ms and max ≤ 3 ms in every condition; XY change → note ≤ 1 tick + 1 ms.
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GROOVE = ROOT.parent / "shared" / "data" / "groove"


def stats(values_s: list[float]) -> str:
    ms = np.asarray(values_s) * 1000
    if ms.size == 0:
        return "no events"
    return (
        f"n={ms.size:5d}  median {np.median(ms):6.3f} ms  p99 {np.percentile(ms, 99):6.3f} ms  "
        f"max {ms.max():6.3f} ms  ≤1 ms: {np.mean(ms <= 1.0) * 100:5.1f}%"
    )


def osc_flood(port: int, rate: float, seconds: float) -> None:
    """A separate process: /rvae/xy messages at ``rate`` per second on an absolute schedule."""
    from pythonosc.udp_client import SimpleUDPClient

    client = SimpleUDPClient("127.0.0.1", port)
    start = time.perf_counter()
    k = 0
    while (now := time.perf_counter()) - start < seconds:
        due = start + k / rate
        if due > now:
            time.sleep(due - now)
        phase = k / rate
        client.send_message("/rvae/xy", [0.5 + 0.05 * math.sin(phase), 0.5 + 0.05 * math.cos(phase)])
        k += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--bpm", type=float, default=170.0)
    parser.add_argument("--model", default=None, help="model name or folder (default: the bundled default)")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-osc", action="store_true")
    parser.add_argument("--no-rt", action="store_true", help="player thread without real-time priority")
    parser.add_argument("--motion", action="store_true", help="every motion on in both layers")
    parser.add_argument("--melody", action="store_true", help="with the melody layer on")
    parser.add_argument("--noise", type=float, default=0.0, help="layer 1's noise (default 0)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from tests.fixtures_jack import start_jack_server, stop_jack_server

    jack = start_jack_server()
    try:
        run(args, jack)
    finally:
        stop_jack_server(jack)


def run(args: argparse.Namespace, jack: object) -> None:
    from rvae_server.engine.clock import InternalClock
    from rvae_server.engine.engine import Engine
    from rvae_server.model.library import load_models
    from rvae_server.outputs.midiout import open_output
    from rvae_server.outputs.sinks import MidiSink
    from rvae_server.session.daemon import SWITCH_INTERVAL
    from tests.fixtures_midi import Recorder

    sys.setswitchinterval(SWITCH_INTERVAL)
    models, default, _ = load_models(None, args.model)
    bar_seconds = 4 * 60 / args.bpm
    tick_ms = 60_000 / (args.bpm * 24)
    print(f"model {default!r}, {args.bpm:g} BPM (a tick is {tick_ms:.2f} ms), {args.bars} bars a condition")

    out = open_output(None, "jack", client_name="R-VAE-bench")
    recorder = Recorder(connect_to="R-VAE-bench:R-VAE-bench", name="benchrec")
    clock = InternalClock(args.bpm)
    ideal: list[float] = []  # ideal time of every note sent, in sending order

    class Ideal:
        def note(self, when: float, *_: object) -> None:
            ideal.append(when)

        def transport(self, playing: bool) -> None: ...

        def all_notes_off(self, channels: object) -> None: ...

    from rvae_server.session.daemon import PLAYER_PRIORITY

    priority = 0 if args.no_rt else PLAYER_PRIORITY
    engine = Engine(
        models, clock, [MidiSink(out), Ideal()], default_model=default, layers=2, seed=1, realtime_priority=priority
    )
    print(f"player thread: {'SCHED_FIFO priority ' + str(priority) if priority else 'normal priority'} (as serve)")
    engine.update(0, threshold=0.3, noise=args.noise)
    melody = attach_melody(engine, args) if args.melody else None
    engine.update(1, enabled=True, x=0.2, y=0.8, threshold=0.3, channel=11)
    gc.collect()
    gc.freeze()  # as `rvae serve` does before it starts playing: a collection never walks the models
    engine.start()
    engine.play()
    time.sleep(bar_seconds)  # one bar in, then measure
    if args.motion:
        all_motion(engine, bar_seconds)

    def measure(label: str) -> list[float]:
        engine.lateness.clear()
        time.sleep(args.bars * bar_seconds)
        values = list(engine.lateness)
        print(f"  {label:<28} {stats(values)}")
        return values

    print("lateness of each sent note vs its ideal time (player thread, before MIDI send):")
    measure("idle")

    if not args.skip_training:
        from rvae_server.session.trainjobs import TrainingService

        tmp = Path("/tmp/rvae-bench-models")
        service = TrainingService(engine, tmp, [GROOVE], epochs=2000, seed=1)
        done = threading.Event()
        service.add_listener(lambda e: done.set() if e["type"] == "train-progress" else None)
        service.start("drummer7/session2", "bench-job", layers=[])
        done.wait(60)  # training is under way (the process has started and finished an epoch)
        measure("while a retraining job runs")
        service.cancel()
        service.close()

    if not args.skip_osc:
        from rvae_server.surfaces.osc.server import start_osc

        server = start_osc(engine, port=0)
        flood = multiprocessing.get_context("spawn").Process(
            target=osc_flood, args=(server.port, 500.0, args.bars * bar_seconds + 2)
        )
        flood.start()
        time.sleep(1.0)
        measure("while 500 OSC msg/s arrive")
        flood.join()
        server.close()

    # end to end through the JACK loopback: recorder arrival vs ideal time (includes up to one JACK period)
    engine.stop()
    time.sleep(0.3)
    arrivals = [t for t, m in recorder.timed() if len(m) == 3 and m[0] & 0xF0 == 0x90 and m[2] > 0]
    print("end to end: note-on arrival at a JACK client vs ideal time (includes JACK's 5.33 ms period):")
    if len(arrivals) == len(ideal):
        print(f"  {'all conditions':<28} {stats([a - w for a, w in zip(arrivals, ideal, strict=True)])}")
    else:
        print(f"  sent {len(ideal)} notes, received {len(arrivals)}: cannot pair them")
    engine.close()
    clock.close()
    recorder.close()
    out.close()
    if melody is not None:
        times = np.asarray(melody.timings)
        print(f"melody: {times.size} bars generated, {np.mean(melody.verdicts) * 100:.0f}% passed the filters; "
              f"generation {stats(list(times))}")  # fmt: skip
        melody.sinks[0].out.close()  # type: ignore[attr-defined]

    xy_change_latency(args.bpm, priority)


def all_motion(engine: object, bar_seconds: float) -> None:
    """Every motion on in layers 1 and 2 (see the module docstring); a thread recalls presets with a morph."""
    from rvae_server.engine.engine import Engine

    assert isinstance(engine, Engine)
    for k in (0, 1):
        engine.gesture(k, "record", 1)
    for step in range(8):  # moves recorded into the loops during the next bar
        time.sleep(bar_seconds / 6)
        for k in (0, 1):
            engine.update(k, x=0.3 + 0.05 * step, y=0.6 - 0.03 * step)
    time.sleep(bar_seconds)
    for k in (0, 1):
        engine.set_lfo(k, "x", "sine", "1/2", 0.15)
        engine.set_lfo(k, "y", "triangle", 1, 0.15)
        engine.set_lfo(k, "threshold", "random-smooth", 2, 0.08)
        engine.set_lfo(k, "noise", "saw", 4, 0.1)
        engine.set_path(k, "circle", 2, 0.08)
        engine.set_swing(k, 58, 16)
        engine.set_density(k, "kick", 0.1)
        engine.set_density(k, "ride", -0.1)
        engine.preset_store(k, 1)
        engine.update(k, threshold=0.35)
        engine.preset_store(k, 2)
    state = engine.snapshot()["layers"]
    print("  motion on: " + "; ".join(
        f"layer {k + 1}: LFOs {sorted(t for t, v in s['lfo'].items() if v)}, path {s['path']['shape']}, "
        f"gesture {s['gesture']['state']}, swing {s['swing']['amount']}" for k, s in enumerate(state)))  # fmt: skip

    def recall() -> None:
        slot = 1
        while engine.clock.running:
            time.sleep(bar_seconds)
            slot = 3 - slot
            for k in (0, 1):
                engine.preset_recall(k, slot, 1, "bars")

    threading.Thread(target=recall, name="bench-presets", daemon=True).start()


def attach_melody(engine: object, args: argparse.Namespace) -> object:
    """The melody layer (bundled model) on a second virtual JACK port, following layer 1."""
    from rvae_server.engine.melodylayer import MelodyLayer
    from rvae_server.melody.modelfile import load_melody
    from rvae_server.outputs.linesinks import MidiLineSink
    from rvae_server.outputs.midiout import open_output

    out = open_output(None, "jack", client_name="R-VAE-bench-melody")
    melody = MelodyLayer(load_melody(), [MidiLineSink(out)], seed=1)
    engine.attach_melody(melody)  # type: ignore[attr-defined]
    print("melody layer on: the bundled melody model, following layer 1")
    return melody


def xy_change_latency(bpm: float, priority: int) -> None:
    """Closed hat on every tick for x > 0.5, open hat for x < 0.5: after each XY flip, the first hat of the new
    kind is the first note that reflects the change. Its send time minus the change time must stay ≤ 1 tick +
    1 ms (it can only be heard from a tick after the change)."""
    from rvae_server.core.bar import INSTRUMENT_NAMES
    from rvae_server.engine.clock import InternalClock
    from rvae_server.engine.engine import Engine
    from tests.test_engine import Recorder, SyntheticModel

    closed = INSTRUMENT_NAMES.index("closed-hat")
    opened = INSTRUMENT_NAMES.index("open-hat")
    clock = InternalClock(bpm)
    recorder = Recorder()
    engine = Engine(
        {"hats": SyntheticModel("hats")}, clock, [recorder], default_model="hats", layers=1, realtime_priority=priority
    )
    engine.update(0, timing=0.0)  # notes exactly on the ticks
    engine.start()
    engine.play()
    time.sleep(0.5)
    tick = 60 / (bpm * 24)
    rng = np.random.default_rng(3)
    delays = []
    x = 0.9
    for _ in range(60):
        time.sleep(0.05 + rng.random() * 0.05)
        x = 0.1 if x > 0.5 else 0.9
        want = closed if x > 0.5 else opened
        changed = time.perf_counter()
        engine.update(0, x=x)
        time.sleep(3 * tick)
        first = min(
            (actual for actual, _, _, inst, *_ in recorder.notes if inst == want and actual > changed), default=None
        )
        if first is not None:
            delays.append(first - changed)
    engine.close()
    clock.close()
    limit = tick + 0.001
    print(
        f"XY change → first note that reflects it ({len(delays)} changes; limit 1 tick + 1 ms = {limit * 1000:.2f} ms):"
    )
    print(f"  {stats(delays)}  within limit: {np.mean(np.asarray(delays) <= limit) * 100:.1f}%")


if __name__ == "__main__":
    main()
