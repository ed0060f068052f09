"""Audio callback cost and underflows of the built-in drum voice, at 48 kHz / 256 frames on a JACK dummy server.

Run: ``python -m benchmarks.bench_audio [--seconds 30] [--train-seconds 20]``

Starts a private JACK dummy server (``jackd -n rvae-bench-<pid> --no-realtime -d dummy -r 48000 -p 256``), opens
an :class:`rvae_server.outputs.audio.AudioOutput` on it and sends dense notes from a clock-like thread (every 16th at
170 BPM, 2-4 instruments a step, velocities varied, a crash every bar), 20 ms ahead of time. Prints, per
condition, the callback time as a share of the block period (5.33 ms) -- median, p99, max -- and the number of
PortAudio underflows. Conditions: no training; while a separate process runs a torch training loop (a stand-in
for retraining: a small MLP trained with Adam, 2 torch threads) at normal priority and at ``nice 10``; each with
the note-sending thread at normal priority and as SCHED_FIFO (``--realtime`` also runs jackd with ``-R``).
Also prints the cost of the pieces: ``note()`` (deque append) and the mixer alone for 1..32 voices.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from rvae_server.outputs.drumkit import DrumKit, Mixer

ROOT = Path(__file__).resolve().parents[1]


SR, BLOCK, BPM = 48000, 256, 170.0
TRAIN = """
import time, torch
torch.set_num_threads(2)
net = torch.nn.Sequential(torch.nn.Linear(864, 512), torch.nn.ReLU(), torch.nn.Linear(512, 64),
                          torch.nn.ReLU(), torch.nn.Linear(64, 512), torch.nn.ReLU(), torch.nn.Linear(512, 864))
opt = torch.optim.Adam(net.parameters(), 1e-3)
x = torch.rand(256, 864)
end = time.monotonic() + {seconds}
steps = 0
while time.monotonic() < end:
    loss = ((net(x) - x) ** 2).mean()
    opt.zero_grad(); loss.backward(); opt.step(); steps += 1
print(steps)
"""


JACK_LOG = Path(f"/tmp/rvae-bench-jackd-{os.getpid()}.log")


def start_jack(realtime: bool) -> subprocess.Popen[bytes]:
    name = f"rvae-bench-{os.getpid()}"
    os.environ["JACK_DEFAULT_SERVER"] = name
    mode = ["-R", "-P", "70"] if realtime else ["--no-realtime"]
    cmd = ["jackd", "-n", name, *mode, "-d", "dummy", "-r", str(SR), "-p", str(BLOCK)]
    with JACK_LOG.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        if subprocess.run(["jack_lsp"], capture_output=True, check=False).returncode == 0:
            return proc
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"could not start JACK: {' '.join(cmd)}")


def clock_thread(out: object, stop: threading.Event, realtime: bool) -> None:
    """Dense notes on an absolute schedule, each sent 20 ms before it should sound. With ``realtime`` the
    thread asks for SCHED_FIFO priority 5 (as a realtime engine's clock thread could)."""
    from rvae_server.outputs.audio import AudioOutput

    assert isinstance(out, AudioOutput)
    if realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(5))
    step_s = 60.0 / BPM / 4
    rng = np.random.default_rng(1)
    start = time.perf_counter() + 0.1
    step = 0
    while not stop.is_set():
        when = start + step * step_s
        delay = when - 0.02 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        insts = [2] + list(rng.choice([0, 1, 3, 4, 5, 6, 8], size=int(rng.integers(1, 4)), replace=False))
        if step % 16 == 0:
            insts.append(7)
        for inst in insts:
            out.note(when + float(rng.uniform(-0.003, 0.003)), int(inst), float(rng.uniform(0.3, 1.0)))
        step += 1


def driver_xruns() -> int:
    """XRuns the JACK dummy driver itself logged (the server woke late: not caused by our callback)."""
    return JACK_LOG.read_text(errors="replace").count("JackTimedDriver::Process XRun")


def client_xruns() -> int:
    """XRuns the server blamed on our client (\"PortAudio was not finished\")."""
    return JACK_LOG.read_text(errors="replace").count("was not finished")


def run(
    out: object, seconds: float, label: str, train_seconds: float = 0.0, nice: int = 0, rt_clock: bool = False
) -> None:
    from rvae_server.outputs.audio import AudioOutput

    assert isinstance(out, AudioOutput)
    trainer = None
    if train_seconds:
        trainer = subprocess.Popen(
            [sys.executable, "-c", TRAIN.format(seconds=train_seconds)],
            stdout=subprocess.PIPE,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )
        time.sleep(2.0)  # let torch import and start training
        seconds = train_seconds - 3.0
    xruns_before, late_before = driver_xruns(), client_xruns()
    out.start()
    stop = threading.Event()
    thread = threading.Thread(target=clock_thread, args=(out, stop, rt_clock), daemon=True)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    time.sleep(0.1)
    s = out.stats()
    out.close()
    xruns, late = driver_xruns() - xruns_before, client_xruns() - late_before
    steps = ""
    if trainer is not None:
        trainer.wait()
        assert trainer.stdout is not None
        steps = f", trainer {trainer.stdout.read().decode().strip()} Adam steps"
    label += ", RT clock thread" if rt_clock else ""
    print(
        f"{label:48s} {seconds:5.1f} s  callbacks {s['callbacks']:6d}  callback/period median "
        f"{s['callback_median']:.3f} p99 {s['callback_p99']:.3f} max {s['callback_max']:.3f}  "
        f"underflows {s['underflows']} (jackd log: driver late {xruns}, our client late {late})  "
        f"late notes {s['late_events']}  "
        f"stolen {s['stolen_voices']}{steps}"
    )


def micro(kit: DrumKit) -> None:
    from collections import deque

    q: deque[tuple[float, int, float]] = deque()
    n = 200_000
    t = time.perf_counter()
    for i in range(n):
        q.append((0.0, i % 9, 0.5))
    append = (time.perf_counter() - t) / n
    t = time.perf_counter()
    while q:
        q.popleft()
    pop = (time.perf_counter() - t) / n
    print(f"deque append {append * 1e9:.0f} ns, popleft {pop * 1e9:.0f} ns per event")
    out = np.zeros(BLOCK, dtype=np.float32)
    for voices in (1, 8, 16, 32):
        mixer = Mixer(kit, polyphony=32)
        for v in range(voices):
            mixer.trigger(0, 7 if v % 2 else 3, 0.8)  # long voices (crash, open hat): all stay active
        times = []
        for b in range(400):
            t = time.perf_counter()
            mixer.mix(out, b * BLOCK)
            times.append(time.perf_counter() - t)
        med = float(np.median(times))
        print(
            f"mixer alone, {voices:2d} voices: {med * 1e6:6.1f} us per block = {med / (BLOCK / SR):.4f} of the period"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="idle run length")
    parser.add_argument("--train-seconds", type=float, default=20.0, help="length of each training run")
    parser.add_argument("--realtime", action="store_true", help="run jackd with -R (SCHED_FIFO) if allowed")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    t = time.perf_counter()
    kit = DrumKit(SR)
    print(f"DrumKit(48000): built in {time.perf_counter() - t:.2f} s, {kit.memory_bytes() / 1e6:.1f} MB")
    micro(kit)
    jack = start_jack(args.realtime)
    print(f"jackd {'-R (realtime)' if args.realtime else '--no-realtime'}, dummy driver, {SR} Hz, {BLOCK} frames")
    try:
        from rvae_server.outputs.audio import AudioOutput

        def new() -> AudioOutput:
            return AudioOutput("system", SR, BLOCK, kit=kit)

        for rt_clock in (False, True):
            run(new(), args.seconds, "no training", rt_clock=rt_clock)
            run(new(), 0, "training process (nice 0)", args.train_seconds, rt_clock=rt_clock)
            run(new(), 0, "training process (nice 10)", args.train_seconds, 10, rt_clock=rt_clock)
        print(f"load average {os.getloadavg()[0]:.2f} at end")
    finally:
        import sounddevice

        sounddevice._terminate()
        jack.terminate()
        jack.wait()
        JACK_LOG.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
