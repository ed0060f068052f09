"""Clock and MIDI-out timing figures (issue 4). Prints a table; needs jackd (it starts a private server).

    python -m benchmarks.bench_clock            # 16 bars at 170 BPM per condition (~4 minutes)
    python -m benchmarks.bench_clock --long     # adds the 5-minute drift run
    python -m benchmarks.bench_clock --bars 32 --no-rt-compare

Measured, per condition (idle / a torch training loop in a separate process / 500 OSC messages per second
into a BlockingOSCUDPServer thread of this process), with the set-up ``rvae serve --send-clock`` uses:
an engine-like clock thread (``wait_until`` every tick, sends a note every sixteenth) and a
``MidiClockSender`` thread (0xF8 every tick), both into a JACK MIDI output:

* lateness of each tick's send vs its ideal time on the absolute schedule (median, p99, max; ms), with and
  without real-time thread priority (``set_realtime_priority``: SCHED_FIFO);
* end-to-end: 0xF8 arrival at a recorder in another process vs the ideal tick time (includes JACK's
  period, 5.3 ms at 256 frames / 48 kHz) and the drift of the received clock (LS fit vs the ideal tempo);
* follower: tempo estimate error after 2 bars of clock from another process; wake-up offset of a waiting
  thread vs each clock's arrival;
* the send hot path: mido ``Message`` + ``port.send`` vs rtmidi ``send_message`` with a prebuilt list.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rvae_server.engine.clock import InternalClock, MidiClockFollower, MidiClockSender, fit_line, ticks_per_second
from rvae_server.outputs.midiout import MidiOut, open_output
from rvae_server.system.realtime import set_realtime_priority

ROOT = Path(__file__).resolve().parents[1]


def stats(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    n = len(v)
    if n == 0:
        return {"n": 0, "median": math.nan, "p99": math.nan, "max": math.nan}
    return {"n": n, "median": v[n // 2] * 1e3, "p99": v[min(n - 1, math.ceil(0.99 * n) - 1)] * 1e3, "max": v[-1] * 1e3}


def fmt(s: dict[str, float]) -> str:
    return f"median {s['median']:6.3f}  p99 {s['p99']:6.3f}  max {s['max']:6.3f} ms  (n={s['n']})"


# -- child roles (run in their own processes) ------------------------------------------------------------------
def role_recorder(connect: str, seconds: float) -> None:
    """Record perf_counter arrival times of every message from ``connect``; print JSON at the end."""
    from rvae_server.testing import Recorder

    set_realtime_priority(20)
    rec = Recorder.jack(connect, name="bench-rec")
    print("ready", flush=True)
    time.sleep(seconds)
    events = rec.timed()
    rec.close()
    print(json.dumps([(t, m.hex()) for t, m in events]), flush=True)


def role_clock_source(bpm: float, count: int, start_at: float) -> None:
    """A MIDI clock master: Start, then ``count`` clocks at ``bpm`` from ``start_at`` (perf_counter)."""
    from tests.fixtures_midi import ClockSource

    src = ClockSource("bench-src", bpm=bpm)
    print("ready", flush=True)
    sys.stdin.readline()  # wait until the follower is connected
    src.send([0xFA])
    src.start_clock(count=count, t0=time.perf_counter() + 0.05)
    src.wait_clock()
    time.sleep(0.1)
    print(json.dumps(src.sent), flush=True)
    src.close()


def role_train(seconds: float) -> None:
    """A retraining job: a small torch MLP trained on random data, all cores (torch's default)."""
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(864, 512), torch.nn.ReLU(), torch.nn.Linear(512, 864))
    opt = torch.optim.Adam(model.parameters())
    x = torch.randn(256, 864)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        opt.zero_grad()
        loss = ((model(x) - x) ** 2).mean()
        loss.backward()
        opt.step()


def role_osc_sender(port: int, rate: float, seconds: float) -> None:
    from pythonosc.udp_client import SimpleUDPClient

    client = SimpleUDPClient("127.0.0.1", port)
    t0 = time.perf_counter()
    k = 0
    while time.perf_counter() - t0 < seconds:
        deadline = t0 + k / rate
        delay = deadline - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        client.send_message("/rvae/xy", [0.5 + 0.4 * math.sin(k / 50), 0.5])
        k += 1


def child(role: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_clock", "--role", role, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )


# -- JACK ------------------------------------------------------------------------------------------------------
def start_jack() -> subprocess.Popen[bytes]:
    name = f"rvae-bench-{os.getpid()}"
    os.environ["JACK_DEFAULT_SERVER"] = name
    proc = subprocess.Popen(
        ["jackd", "-n", name, "-R", "-P", "70", "-d", "dummy", "-r", "48000", "-p", "256"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if subprocess.run(["jack_lsp"], capture_output=True, check=False).returncode == 0:
            return proc
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("jackd did not start")


# -- internal clock under load -----------------------------------------------------------------------------------
class TimedOut:
    """Wraps a MidiOut: records the perf_counter time of each 0xF8 sent (the clock sender's ticks)."""

    def __init__(self, out: MidiOut) -> None:
        self.out = out
        self.clock_times: list[float] = []

    def send_raw(self, data: list[int]) -> None:
        self.out.send_raw(data)
        if data[0] == 0xF8:
            self.clock_times.append(time.perf_counter())


def run_internal(bpm: float, bars: int, rt: bool, load: str, record: bool) -> dict[str, Any]:
    """One measurement: engine thread + clock sender for ``bars`` bars under ``load``."""
    out = open_output(backend="jack", client_name="R-VAE", note_length=0.03, realtime_priority=5 if rt else None)
    loader: subprocess.Popen[str] | None = None
    osc_server = None
    seconds = bars * 96 / ticks_per_second(bpm) + 3.0
    received = [0]
    if load == "train":
        loader = child("train", str(seconds + 5))
        time.sleep(3.0)  # let torch import and start training
    elif load == "osc":
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import BlockingOSCUDPServer

        state = {"xy": (0.0, 0.0)}

        def on_xy(address: str, *args: Any) -> None:
            state["xy"] = (float(args[0]), float(args[1]))
            received[0] += 1

        dispatcher = Dispatcher(strict_timing=False)
        dispatcher.map("/rvae/xy", on_xy)
        osc_server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        server = osc_server

        def serve() -> None:
            if rt:  # a thread that takes the GIL must not be preempted holding it: real-time too, lower
                set_realtime_priority(5)
            server.serve_forever()

        threading.Thread(target=serve, name="osc", daemon=True).start()
        loader = child("osc_sender", str(osc_server.server_address[1]), "500", str(seconds + 2))
        time.sleep(0.5)
    recorder = child("recorder", "R-VAE:R-VAE", str(seconds + 1.5)) if record else None
    if recorder is not None:
        assert recorder.stdout is not None
        recorder.stdout.readline()
    clock = InternalClock(bpm, start_lead=0.2)
    timed = TimedOut(out)
    sender = MidiClockSender(clock, timed, realtime_priority=10 if rt else None)  # type: ignore[arg-type]
    late: list[float] = []
    n_ticks = bars * 96

    def engine() -> None:
        if rt:
            set_realtime_priority(10)
        for k in range(n_ticks):
            if not clock.wait_until(k):
                break
            if k % 6 == 0:
                out.send_note(36 + (k // 6) % 4, 100, channel=10, when=clock.time_at(k))
            late.append(time.perf_counter() - clock.time_at(k))

    clock.start()
    t0 = clock.time_at(0)
    thread = threading.Thread(target=engine, name="engine")
    thread.start()
    thread.join()
    clock.stop()
    sender.close()
    ideal = [t0 + k / ticks_per_second(bpm) for k in range(len(timed.clock_times))]
    sender_late = [t - i for t, i in zip(timed.clock_times, ideal, strict=True)]
    result: dict[str, Any] = {"engine": stats(late), "sender": stats(sender_late)}
    half = len(late) // 2
    result["drift_ms"] = (sum(late[half:]) / max(1, len(late) - half) - sum(late[:half]) / max(1, half)) * 1e3
    if recorder is not None:
        out_text, _ = recorder.communicate(timeout=seconds + 30)
        events = json.loads(out_text.strip().splitlines()[-1])
        arrivals = [t for t, m in events if m == "f8"]
        tps = ticks_per_second(bpm)
        # each arrival belongs to the tick at or just before it (JACK adds 0..~1 period, < 0.9 tick here)
        ticks = [math.floor((a - t0) * tps + 0.1) for a in arrivals]
        e2e = [a - (t0 + k / tps) for k, a in zip(ticks, arrivals, strict=True)]
        result["e2e"] = stats(e2e)
        result["e2e_lost"] = len(timed.clock_times) - len(arrivals)
        if len(arrivals) > 2:
            _a, b = fit_line([float(k) for k in ticks], arrivals)
            span = len(arrivals) / tps
            result["e2e_received_bpm"] = 60.0 / (b * 24)
            result["e2e_drift_ms_per_5min"] = (b * ticks_per_second(bpm) - 1.0) * 300.0 * 1e3
            result["e2e_span_s"] = span
    if loader is not None:
        loader.send_signal(signal.SIGTERM)
        loader.wait(timeout=10)
    if osc_server is not None:
        osc_server.shutdown()
        result["osc_received"] = received[0]
    out.close()
    return result


# -- follower ---------------------------------------------------------------------------------------------------
def run_follower(bpm: float, runs: int) -> dict[str, Any]:
    errors: list[float] = []
    wake_vs_arrival: list[float] = []
    wake_vs_sent: list[float] = []
    lost = 0
    for _ in range(runs):
        src = child("clock_source", str(bpm), str(2 * 96 + 1), "0")
        assert src.stdout is not None and src.stdin is not None
        src.stdout.readline()
        follower = MidiClockFollower("bench-src", backend="jack", client_name="bench-follower")
        wakes: list[tuple[int, float, float]] = []

        def waiter(f: MidiClockFollower = follower, w: list[tuple[int, float, float]] = wakes) -> None:
            set_realtime_priority(10)
            gen = f.generation
            f.wait_for_change(gen, timeout=5.0)
            for k in range(2 * 96 + 1):
                if not f.wait_until(k, timeout=2.0):
                    break
                now = time.perf_counter()
                with f._cond:
                    arrival = f._last_arrival
                w.append((k, now, arrival))

        thread = threading.Thread(target=waiter)
        thread.start()
        src.stdin.write("go\n")
        src.stdin.flush()
        sent = json.loads(src.stdout.readline())
        src.wait(timeout=10)
        thread.join(timeout=5)
        estimate = follower.tempo_estimate()
        follower.close()
        if len(wakes) != len(sent):
            lost += 1
            continue
        if estimate is not None:
            errors.append(estimate - bpm)
        for (_k, now, arrival), s in zip(wakes, sent, strict=True):
            wake_vs_arrival.append(now - arrival)
            wake_vs_sent.append(now - s)
    return {
        "tempo_errors_bpm": errors,
        "wake_vs_arrival": stats(wake_vs_arrival),
        "wake_vs_sent": stats(wake_vs_sent),
        "runs_with_lost_clocks": lost,
    }


# -- hot path ----------------------------------------------------------------------------------------------------
def run_hot_path() -> dict[str, float]:
    import mido
    import rtmidi

    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
    port = backend.open_output("bench-mido", virtual=True, client_name="bench-mido")
    rt = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="bench-raw")
    rt.open_virtual_port("out")
    per: dict[str, list[float]] = {"mido": [], "rtmidi": []}
    for _ in range(20):
        t = time.perf_counter()
        for i in range(100):
            port.send(mido.Message("note_on", channel=9, note=36 + i % 8, velocity=100))
        per["mido"].append((time.perf_counter() - t) / 100)
        time.sleep(0.02)
        t = time.perf_counter()
        for i in range(100):
            rt.send_message([0x99, 36 + i % 8, 100])
        per["rtmidi"].append((time.perf_counter() - t) / 100)
        time.sleep(0.02)
    port.close()
    rt.close_port()
    rt.delete()
    return {k: sorted(v)[len(v) // 2] * 1e6 for k, v in per.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--bpm", type=float, default=170.0)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--long", action="store_true", help="also measure drift over 5 minutes")
    parser.add_argument("--no-rt-compare", action="store_true", help="skip the runs without real-time priority")
    parser.add_argument("--conditions", default="idle,train,osc")
    parser.add_argument("--follower-runs", type=int, default=5)
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval (s) for this process")
    parser.add_argument("--skip-follower", action="store_true")
    opts = parser.parse_args()
    if opts.switch_interval:
        sys.setswitchinterval(opts.switch_interval)
    if opts.role:
        a = opts.args
        {
            "recorder": lambda: role_recorder(a[0], float(a[1])),
            "clock_source": lambda: role_clock_source(float(a[0]), int(a[1]), float(a[2])),
            "train": lambda: role_train(float(a[0])),
            "osc_sender": lambda: role_osc_sender(int(a[0]), float(a[1]), float(a[2])),
        }[opts.role]()
        return

    jackd = start_jack()
    try:
        load = os.getloadavg()
        print(
            f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            f"switch interval {sys.getswitchinterval() * 1e3:g} ms"
        )
        print(
            f"internal clock at {opts.bpm:g} BPM, {opts.bars} bars per condition (tick = "
            f"{1e3 / ticks_per_second(opts.bpm):.2f} ms); lateness of each tick's send vs the absolute schedule"
        )
        for condition in opts.conditions.split(","):
            for rt in (True, False) if not opts.no_rt_compare else (True,):
                r = run_internal(opts.bpm, opts.bars, rt, condition, record=rt)
                tag = f"{condition:5s} {'rt  ' if rt else 'nort'}"
                print(f"  {tag} engine thread : {fmt(r['engine'])}")
                print(f"  {tag} clock sender  : {fmt(r['sender'])}")
                print(f"  {tag} drift (2nd half - 1st half mean lateness): {r['drift_ms']:+.3f} ms")
                if "e2e" in r:
                    print(
                        f"  {tag} end-to-end 0xF8 at a JACK recorder (another process): {fmt(r['e2e'])}; "
                        f"lost {r['e2e_lost']}; received tempo {r.get('e2e_received_bpm', math.nan):.4f} BPM "
                        f"= drift {r.get('e2e_drift_ms_per_5min', math.nan):+.3f} ms per 5 min"
                    )
                if "osc_received" in r:
                    print(f"  {tag} OSC messages handled: {r['osc_received']}")
                sys.stdout.flush()
        if opts.long:
            bars = int(300 * ticks_per_second(opts.bpm) / 96)
            r = run_internal(opts.bpm, bars, True, "idle", record=True)
            print(f"5-minute run ({bars} bars): engine {fmt(r['engine'])}")
            print(
                f"  drift of mean lateness 2nd half vs 1st: {r['drift_ms']:+.4f} ms; received clock "
                f"{r.get('e2e_received_bpm', math.nan):.5f} BPM = {r.get('e2e_drift_ms_per_5min', math.nan):+.4f} "
                f"ms over 5 min; end-to-end {fmt(r['e2e'])}"
            )
        if opts.skip_follower:
            return
        f = run_follower(opts.bpm, opts.follower_runs)
        errs = ", ".join(f"{e:+.3f}" for e in f["tempo_errors_bpm"])
        print(
            f"follower at {opts.bpm:g} BPM: tempo estimate error after 2 bars (BPM, per run): {errs}; "
            f"runs with clocks lost in JACK: {f['runs_with_lost_clocks']}"
        )
        print(f"  wake-up vs clock arrival : {fmt(f['wake_vs_arrival'])}")
        print(f"  wake-up vs clock sent    : {fmt(f['wake_vs_sent'])} (includes JACK's period)")
        hot = run_hot_path()
        print(
            f"send hot path: mido Message + port.send {hot['mido']:.2f} us, rtmidi send_message(list) "
            f"{hot['rtmidi']:.2f} us per message ({hot['mido'] / hot['rtmidi']:.1f}x)"
        )
    finally:
        jackd.send_signal(signal.SIGTERM)
        jackd.wait(timeout=10)


if __name__ == "__main__":
    main()
