"""Motion's figures (issue 13): the LFO phase against the bar position over 5 minutes, and a capture file against
the notes sent.

1. **LFO phase error vs bar position.** Two layers play the synthetic "hats" decoder of the engine tests (closed
   hat on every tick right of the pad's middle, open hat left of it) with the same square LFO on x (1 bar,
   depth 0.4 around 0.5, phase 0): each bar must switch from closed to open hat exactly at tick 48 and back at
   the bar line. The phase error of a bar is (tick of the observed switch - 48) / 96 cycles, read from the ideal
   times of the notes the player sent, turned into clock positions. Five minutes of music at 120 BPM are 150
   bars; to take 90 s instead of 5 minutes they run on a **fast internal clock** (400 BPM, the clock's top
   tempo: the same code path, 3.3 times as many ticks a second). Halfway the transport is stopped and
   restarted: the phase must restart with it. The figures: max |phase error| per minute of music, the two
   layers' difference, and the player's lateness meanwhile.
2. **Capture file vs notes sent.** The bundled model plays two layers with every motion on at 170 BPM into a
   capture sink and a recorder of what the player sent; then ``Capture.last(N)`` writes the last N bars, the
   file is read back (mido) and each note compared: track (layer), note, velocity and channel must be equal,
   in the same order; the timing difference must stay within half a file tick (960 ppq).

    python -m benchmarks.bench_motion [--bars 150] [--bpm 400] [--capture-bars 16]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


class Sent:
    """A note sink recording (ideal time, layer, instrument, note, velocity, channel) of every note sent."""

    def __init__(self) -> None:
        self.notes: list[tuple[float, int, int, int, int, int]] = []
        self.lock = threading.Lock()

    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        with self.lock:
            self.notes.append((when, layer, instrument, note, velocity, channel))

    def transport(self, playing: bool) -> None: ...

    def all_notes_off(self, channels: object) -> None: ...


def ms(values: list[float]) -> str:
    arr = np.asarray(values) * 1000
    if arr.size == 0:
        return "no events"
    return f"n={arr.size}  median {np.median(arr):.3f} ms  p99 {np.percentile(arr, 99):.3f} ms  max {arr.max():.3f} ms"


def phase(args: argparse.Namespace) -> None:
    from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS
    from rvae_server.engine.clock import InternalClock
    from rvae_server.engine.engine import Engine
    from rvae_server.testing import SyntheticModel

    closed, opened = INSTRUMENT_NAMES.index("closed-hat"), INSTRUMENT_NAMES.index("open-hat")
    clock = InternalClock(args.bpm)
    sent = Sent()
    engine = Engine({"hats": SyntheticModel("hats")}, clock, [sent], default_model="hats", layers=2, seed=1,
                    realtime_priority=10)  # fmt: skip
    hats = [i not in (closed, opened) for i in range(9)]
    for k in (0, 1):
        engine.update(k, enabled=True, x=0.5, y=0.5, timing=0.0, mutes=hats, channel=10 + k)
        engine.set_lfo(k, "x", "square", 1, 0.4)
    engine.start()
    bar_s = 4 * 60 / args.bpm
    music_bar_s = 4 * 60 / 120.0
    print(f"LFO phase vs bar position: {args.bars} bars (= {args.bars * music_bar_s / 60:.1f} min at 120 BPM), "
          f"run at {args.bpm:g} BPM ({args.bars * bar_s:.0f} s); square LFO on x, 1 bar, two layers")  # fmt: skip
    errors: list[tuple[int, float, float]] = []  # (bar of music, error layer 1, error layer 2) in cycles
    for restarts, run_bars in enumerate((args.bars // 2, args.bars - args.bars // 2), 1):
        with sent.lock:
            sent.notes.clear()
        engine.lateness.clear()
        engine.play()
        time.sleep((run_bars + 0.3) * bar_s)
        anchor = clock.anchor
        engine.stop()
        time.sleep(0.2)
        t0, pos0, bpm = anchor
        per_tick = bpm * 24 / 60
        by_layer: dict[int, dict[int, dict[int, int]]] = {0: {}, 1: {}}
        with sent.lock:
            notes = list(sent.notes)
        for when, layer, inst, *_ in notes:
            position = pos0 + (when - t0) * per_tick
            bar, tick = divmod(round(position), TICKS)
            by_layer[layer].setdefault(bar, {})[tick] = inst
        offset = len(errors)
        for bar in range(run_bars):
            row = []
            for layer in (0, 1):
                ticks = by_layer[layer].get(bar, {})
                if len(ticks) < TICKS:
                    break
                switch = min((t for t, inst in ticks.items() if inst == opened), default=TICKS)
                back = all(ticks[t] == closed for t in range(switch)) and all(
                    ticks[t] == opened for t in range(switch, TICKS)
                )
                row.append((switch - 48) / TICKS if back else math.nan)
            if len(row) == 2:
                errors.append((offset + bar, row[0], row[1]))
        print(f"  run {restarts}: {len(errors) - offset} whole bars read; first bar after the start reads "
              f"{'closed hat from tick 0' if by_layer[0].get(0, {}).get(0) == closed else 'something else'}; "
              f"lateness {ms(list(engine.lateness))}")  # fmt: skip
    engine.close()
    clock.close()
    arr = np.asarray([(e1, e2) for _, e1, e2 in errors])
    minute_bars = round(60 / music_bar_s)
    print(f"  {'minute of music':<16} {'bars':>5} {'max |error| (cycles)':>22} {'layer 1 - layer 2':>18}")
    for start in range(0, len(errors), minute_bars):
        chunk = arr[start : start + minute_bars]
        print(f"  {start // minute_bars + 1:<16} {len(chunk):>5} {np.nanmax(np.abs(chunk)):>22.6f} "
              f"{np.nanmax(np.abs(chunk[:, 0] - chunk[:, 1])):>18.6f}")  # fmt: skip
    bad = int(np.isnan(arr).sum())
    print(f"  all {len(errors)} bars: max |phase error| {np.nanmax(np.abs(arr)):.6f} cycles "
          f"({np.nanmax(np.abs(arr)) * 96:.3f} ticks); bars not switching exactly once: {bad}")  # fmt: skip


def capture(args: argparse.Namespace) -> None:
    import mido
    import torch

    torch.set_num_threads(1)
    from rvae_server.engine.clock import InternalClock
    from rvae_server.engine.engine import Engine
    from rvae_server.model.library import load_models
    from rvae_server.outputs.capture import Capture, CaptureSink

    models, default, _ = load_models(None, None)
    clock = InternalClock(170.0)
    sent = Sent()
    sink = CaptureSink(clock, layers=2)
    engine = Engine(models, clock, [sent, sink], default_model=default, layers=2, seed=1, realtime_priority=10)
    engine.update(0, threshold=0.3, x=0.4, y=0.6)
    engine.update(1, enabled=True, x=0.7, y=0.3, threshold=0.3, channel=11)
    for k in (0, 1):
        engine.set_lfo(k, "x", "sine", "1/2", 0.15)
        engine.set_lfo(k, "threshold", "random-smooth", 2, 0.1)
        engine.set_path(k, "eight", 2, 0.1)
        engine.set_swing(k, 60, 16)
    engine.start()
    engine.play()
    bar_s = 4 * 60 / 170.0
    time.sleep((args.capture_bars + 1.5) * bar_s)
    folder = Path(tempfile.mkdtemp(prefix="rvae-bench-capture-"))
    path, count = Capture(sink, folder).last(args.capture_bars, "bench")
    end_bar = math.floor(sink.now() / 96)
    t0, pos0, bpm = clock.anchor
    engine.stop()
    engine.close()
    clock.close()
    per_tick = bpm * 24 / 60
    start = end_bar - args.capture_bars
    want = sorted(
        (round(pos0 + (when - t0) * per_tick, 6) - start * 96, layer, note, velocity, channel)
        for when, layer, _, note, velocity, channel in sent.notes
        if start * 96 - 0.5 <= pos0 + (when - t0) * per_tick - 0 < end_bar * 96 - 0.5
    )
    midi = mido.MidiFile(path)
    got = []
    for k, track in enumerate(midi.tracks[1:]):
        now = 0
        for msg in track:
            now += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                got.append((now * 24 / midi.ticks_per_beat, k, msg.note, msg.velocity, msg.channel + 1))
    got.sort()
    per_file_tick = midi.ticks_per_beat / 24
    # the notes sent as the file can hold them: each position on the file's grid (an early first downbeat at 0)
    quantized = sorted((max(0, round(w[0] * per_file_tick)) / per_file_tick, *w[1:]) for w in want)
    same = got == quantized
    by_key = sorted(want, key=lambda w: (max(0, round(w[0] * per_file_tick)), *w[1:]))
    diffs = [abs(g[0] - max(0.0, w[0])) for g, w in zip(got, by_key, strict=False)]
    early = sum(1 for w in want if w[0] < 0)
    tick_s = 60 / (170.0 * 24)
    print(f"capture file vs notes sent ({args.capture_bars} bars, two layers with LFOs, path and swing, 170 BPM):")
    print(f"  notes sent in those bars {len(want)}, in the file {len(got)} (capture said {count}); the file equals "
          f"the notes sent on its grid (position, track, note, velocity, channel of each): {same}")  # fmt: skip
    worst = max(diffs, default=0.0)
    print(f"  timing: max |file - sent| {worst:.5f} ticks = {worst * tick_s * 1e6:.1f} µs (half a file tick is "
          f"{24 / 960 / 2:.4f} ticks); early first-downbeat notes written at 0: {early}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=150, help="bars of music for the phase figure (150 = 5 min)")
    parser.add_argument("--bpm", type=float, default=400.0, help="the fast clock's tempo")
    parser.add_argument("--capture-bars", type=int, default=16)
    parser.add_argument("--skip-phase", action="store_true")
    args = parser.parse_args()
    from rvae_server.system.realtime import SWITCH_INTERVAL

    sys.setswitchinterval(SWITCH_INTERVAL)
    if not args.skip_phase:
        phase(args)
    capture(args)


if __name__ == "__main__":
    main()
