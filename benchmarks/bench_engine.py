"""The instrument's timing, end to end, as ``rvae serve`` plays (issues 4, 12 and 22).

The engine plays a real model into a real MIDI output (a virtual JACK port, a JACK dummy server started here) at
170 BPM — sent, as ``rvae serve`` does by default, from the **player process** (``--player process``), or from
the server's own player thread (``--player thread``, the fallback) — and we measure each sent note's
**lateness** against its ideal time on the absolute schedule, for ``--bars`` bars (default 16), in four
conditions:

1. idle;
2. while a retraining job runs (a real training process, the way the server starts one);
3. while OSC control messages arrive at 500 per second (from a separate process, to the server's OSC port);
4. **everything on**: 500 OSC messages a second, the melody layer playing (to its own port), every motion on
   both layers (LFOs on x, y, threshold and noise, a circle path, a recorded gesture loop, swing, densities, a
   preset recalled with a one-bar morph every bar) and the web page open in headless Chromium.

Then the **XY change to the first note that reflects it** (a decoder whose closed hat plays on every tick on one
side of the pad and the open hat on the other, so the first reflecting note is the first tick after the change
can be heard), the end-to-end lateness through the JACK loopback (it includes JACK's period), and the time to
decode a 30 x 30 grid for the page.

    python -m benchmarks.bench_engine [--bars 16] [--bpm 170] [--player process|thread] [--burners N]
                                      [--skip-training] [--skip-osc] [--skip-everything] [--no-rt] [--noise N]
    python -m benchmarks.bench_engine --runs 5      # five consecutive runs, each a fresh process; a summary

``--burners N`` keeps N CPU burners (``yes > /dev/null``, nice 0) running through every condition: a busy
laptop.

Targets: lateness p99 ≤ 1 ms and max ≤ 3 ms in every condition (with burners: p99 ≤ 2 ms, max reported); 0 lost
notes; every XY change → note within 1 tick + 1 ms; a 30 x 30 grid ≤ 15 ms. Three ways a note can go wrong are
counted apart, each with its cause:

* **late wake-ups**: a note handed over more than 1 ms after its time. Each is put next to what ran then: a
  garbage collection in this process (``gc.callbacks`` timestamps), the first bar after start, a JACK xrun in
  that condition, else the OS scheduling the thread late (the machine's load);
* **lost notes**: sent by the player but never received by the JACK client (sent and received sequences aligned
  note by note), each with its time, its condition and that condition's xruns;
* **JACK xruns**: counted from jackd's log per condition: its dummy driver thread woke late, or a client did not
  finish its cycle.

Each run ends with one ``SUMMARY {json}`` line; ``--runs N`` runs N fresh processes one after another and checks
the targets in every one.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import enginerig as rig
from benchmarks.enginekit import (
    GcWatch,
    PolledRecorder,
    XrunWatch,
    all_motion,
    attach_melody,
    late_causes,
)
from rvae_server.core.names import ModelName

ROOT = Path(__file__).resolve().parents[1]

GROOVE = ROOT.parent / "shared" / "data" / "groove"


def stats(values_s: list[float]) -> str:
    ms = np.asarray(values_s) * 1000
    if ms.size == 0:
        return "no events"
    return (
        f"n={ms.size:5d}  median {np.median(ms):6.3f} ms  p99 {np.percentile(ms, 99):6.3f} ms  "
        f"max {ms.max():6.3f} ms  ≤1 ms: {np.mean(ms <= 1.0) * 100:5.1f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--bpm", type=float, default=170.0)
    parser.add_argument("--model", default=None, help="model name or folder (default: the bundled default)")
    parser.add_argument("--player", choices=("process", "thread"), default="process", help="as rvae serve --player")
    parser.add_argument("--burners", type=int, default=0, help="CPU burners running beside (yes > /dev/null)")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-osc", action="store_true")
    parser.add_argument("--skip-everything", action="store_true", help="no 'everything on' condition")
    parser.add_argument("--no-rt", action="store_true", help="player without real-time priority")
    parser.add_argument("--noise", type=float, default=0.0, help="layer 1's noise (default 0)")
    parser.add_argument("--runs", type=int, default=1, help="consecutive runs, each a fresh process; a summary")
    args = parser.parse_args()
    if args.runs > 1:
        sys.exit(many_runs(args))

    import torch

    torch.set_num_threads(1)
    from tests.fixtures_jack import start_jack_server, stop_jack_server

    jack = start_jack_server()
    burning = rig.burners(args.burners)
    try:
        summary = run(args, jack)
    finally:
        for burner in burning:
            burner.kill()
        stop_jack_server(jack)
    summary["burners"] = args.burners
    print("SUMMARY " + json.dumps(summary), flush=True)


def targets_held(r: dict[str, Any]) -> bool:
    """The issue's targets for one run (with burners: p99 ≤ 2 ms and no max target)."""
    if r["burners"]:
        timing = all(v["p99"] <= 2.0 for v in r["conditions"].values())
    else:
        timing = all(v["p99"] <= 1.0 and v["max"] <= 3.0 for v in r["conditions"].values())
    xy = r["xy_within"] == 100.0 or bool(r["burners"])
    return timing and r["lost"] == 0 and xy and r["grid_median_ms"] <= 15.0


def many_runs(args: argparse.Namespace) -> int:
    """``--runs N``: N fresh processes one after another (each starts its own JACK server, as a fresh clone's
    first run would), then every run's figures and whether the targets held in all of them."""
    argv = [a for a in sys.argv[1:] if not a.startswith("--runs")]
    if "--runs" in sys.argv:
        i = sys.argv.index("--runs")
        argv = sys.argv[1:i] + sys.argv[i + 2 :]
    runs: list[dict[str, Any]] = []
    for k in range(args.runs):
        print(f"== run {k + 1} of {args.runs}", flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_engine", *argv], capture_output=True, text=True, check=False
        )
        sys.stdout.write(proc.stdout)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("SUMMARY ")]
        if proc.returncode != 0 or not lines:
            print(f"run {k + 1} failed:\n{proc.stderr[-2000:]}")
            return 1
        runs.append(json.loads(lines[-1][len("SUMMARY ") :]))
    print(f"\n== {args.runs} runs ({args.player}, {args.burners} burners): p99 / max lateness (ms) per condition, "
          "lost notes, xruns, late wake-ups, XY, grid")  # fmt: skip
    ok = True
    for k, r in enumerate(runs, 1):
        cells = "  ".join(f"{c}: {v['p99']:.2f}/{v['max']:.2f}" for c, v in r["conditions"].items())
        late = sum(v["late"] for v in r["conditions"].values())
        xruns = sum(v["xruns_driver"] + v["xruns_client"] for v in r["conditions"].values())
        causes: dict[str, int] = {}
        for v in r["conditions"].values():
            for cause, n in v["late_causes"].items():
                causes[cause] = causes.get(cause, 0) + n
        held = targets_held(r)
        print(f"  run {k}: {cells}  lost {r['lost']}/{r['sent']}  xruns {xruns}  late>1ms {late} {causes}  "
              f"XY {r['xy_within']:.1f}% (max {r['xy_max_ms']:.2f} ms)  grid {r['grid_median_ms']:.1f} ms  "
              f"{'targets held' if held else 'TARGETS MISSED'}")  # fmt: skip
        ok &= held
    limits = "p99 ≤ 2 ms, 0 lost" if args.burners else "p99 ≤ 1 ms, max ≤ 3 ms, 0 lost, 100 % XY"
    print(f"targets ({limits}, grid ≤ 15 ms) held in all {args.runs} runs: {'yes' if ok else 'NO'}")
    return 0


def run(args: argparse.Namespace, jack: Any) -> dict[str, Any]:
    from rvae_server.engine.clock import InternalClock
    from rvae_server.engine.engine import Engine
    from rvae_server.model.library import load_models
    from rvae_server.session.midi import PLAYER_PRIORITY
    from rvae_server.system.realtime import SWITCH_INTERVAL

    sys.setswitchinterval(SWITCH_INTERVAL)
    models, default, _ = load_models(None, args.model)
    bar_seconds = 4 * 60 / args.bpm
    tick_ms = 60_000 / (args.bpm * 24)
    print(f"model {default!r}, {args.bpm:g} BPM (a tick is {tick_ms:.2f} ms), {args.bars} bars a condition, "
          f"{args.burners} CPU burners beside")  # fmt: skip
    priority = 0 if args.no_rt else PLAYER_PRIORITY
    clock = InternalClock(args.bpm)
    everything = not (args.skip_everything or args.skip_osc)
    output, sinks, line_sinks = rig.open_output(args.player, clock, priority, melody=everything)
    recorder = PolledRecorder("R-VAE-bench:R-VAE-bench", "benchrec")
    here = args.player == "thread"  # as rvae serve: the engine's own player spins only when it sends the MIDI
    engine = Engine(models, clock, sinks, default_model=default, layers=2, seed=1,
                    realtime_priority=priority if here else 0, precise=here)  # fmt: skip
    if output.player is not None:
        engine.add_plan_sink(output.player)
    print(f"player: {'SCHED_FIFO priority ' + str(priority) if priority else 'normal priority'} (as serve)")
    engine.update(0, threshold=0.3, noise=args.noise)
    melody = attach_melody(engine, line_sinks) if everything else None
    engine.update(1, enabled=True, x=0.2, y=0.8, threshold=0.3, channel=11)
    if melody is not None:
        engine.update_melody(enabled=False)  # heard in the last condition only
    gc.collect()
    gc.freeze()  # as `rvae serve` does after loading: the collector never walks the models again
    gcw = GcWatch()
    xw = XrunWatch(jack)
    engine.start()
    engine.play()
    started = time.perf_counter()
    time.sleep(bar_seconds)  # one bar in, then measure
    conditions: dict[str, dict[str, Any]] = {}
    windows: dict[str, tuple[float, float]] = {}

    def measure(label: str, key: str) -> None:
        output.clear(engine)
        lo = time.perf_counter()
        time.sleep(args.bars * bar_seconds)
        hi = time.perf_counter()
        time.sleep(0.3)  # the process's last reports; jackd's log lines for the last moments
        values = output.lateness(engine)
        who = xw.between(lo, hi + 0.03)
        xd = who.pop("driver", 0)
        xc = sum(who.values())
        late = [(w, t) for t, w, *_ in output.sent() if lo <= w < hi and t - w > 0.001]
        causes = late_causes(late, gcw, xw, started, bar_seconds)
        gcs = sum(1 for a, _, _ in gcw.spans if lo <= a < hi)
        ms = np.asarray(values) * 1000 if values else np.zeros(1)
        conditions[key] = {
            "n": len(values), "median": float(np.median(ms)), "p99": float(np.percentile(ms, 99)),
            "max": float(ms.max()), "late": len(late), "late_causes": causes,
            "xruns_driver": xd, "xruns_client": xc, "xrun_clients": who, "gcs": gcs,
        }  # fmt: skip
        windows[key] = (lo, hi)
        print(f"  {label:<32} {stats(values)}")
        print(f"  {'':<32} late >1 ms: {conditions[key]['late']} {causes}; JACK xruns: driver {xd}, clients {who}; "
              f"GCs in this process: {gcs}")  # fmt: skip

    print("lateness of each sent note vs its ideal time (when the player hands it to the port):")
    measure("idle", "idle")

    if not args.skip_training:
        from rvae_server.session.trainjobs import TrainingService

        tmp = Path("/tmp/rvae-bench-models")
        service = TrainingService(engine, tmp, [GROOVE], epochs=2000, seed=1)
        done = threading.Event()
        service.add_listener(lambda e: done.set() if e["type"] == "train-progress" else None)
        service.start("drummer7/session2", ModelName("bench-job"), layers=[])
        done.wait(60)  # training is under way (the process has started and finished an epoch)
        measure("while a retraining job runs", "retraining")
        service.cancel()
        service.close()

    if not args.skip_osc:
        from rvae_server.surfaces.osc.server import start_osc

        server = start_osc(engine, port=0)
        flood = rig.start_flood(server.port, args.bars * bar_seconds + 2)
        time.sleep(1.0)
        measure("while 500 OSC msg/s arrive", "osc")
        flood.join()
        if everything:
            assert melody is not None
            engine.update_melody(enabled=True)
            all_motion(engine, bar_seconds)
            page, browser = rig.open_page(engine)
            flood = rig.start_flood(server.port, args.bars * bar_seconds + 2)
            time.sleep(1.0)
            measure("everything on (OSC, melody, motion, page)", "everything")
            flood.join()
            browser.close()
            page.close()
        server.close()

    # end to end through the JACK loopback: recorder arrival vs ideal time (includes up to one JACK period)
    engine.stop()
    time.sleep(0.5)
    received = [(t, bytes(m)) for t, m in recorder.timed() if len(m) == 3 and m[0] & 0xF0 == 0x90 and m[2] > 0]
    sent = output.sent()
    engine.close()
    output.close()
    clock.close()
    recorder.close()
    xw.close()
    pairs, lost = rig.pair(sent, received)
    print("end to end: note-on arrival at a JACK client vs ideal time (includes JACK's 5.33 ms period):")
    print(f"  {'all conditions':<32} {stats([received[j][0] - sent[i][1] for i, j in pairs])}")
    print(f"  sent {len(sent)} notes, received {len(received)}, lost {len(lost)}")
    for i in lost:
        when = sent[i][1]
        where = next((k for k, (lo, hi) in windows.items() if lo <= when < hi), "between conditions")
        near = [who for t, who in xw.events if when - 0.02 <= t <= when + 0.05]
        print(f"    lost: note {sent[i][3]} at {when - started:.3f} s ({where}); xruns logged within "
              f"-20..+50 ms of it: {near or 'none'}")  # fmt: skip
    print(f"JACK xruns over the whole run: driver {jack.driver_xruns()}, client {jack.client_xruns()} "
          f"({xw.between(0.0, math.inf)})")  # fmt: skip
    if melody is not None:
        times = np.asarray(melody.timings)  # type: ignore[attr-defined]
        print(f"melody: {times.size} bars generated; generation {stats(list(times))}")

    xy = rig.xy_change_latency(args.bpm, priority, args.player)
    grid = rig.grid_figures(models)
    return {"conditions": conditions, "lost": len(lost), "sent": len(sent), "received": len(received), **xy, **grid}


if __name__ == "__main__":
    main()
