"""Helpers of benchmarks/bench_engine.py: watching the collector and JACK's xruns, a polled JACK recorder, the causes
of late notes, and the optional parts a run can switch on (every motion, the melody layer)."""

from __future__ import annotations

import gc
import math
import threading
import time
from typing import Any


class GcWatch:
    """Timestamps of every garbage collection in this process (any thread), to put next to late wake-ups."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, int]] = []  # (start, end, generation)
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.spans.append((self._start, time.perf_counter(), info.get("generation", -1)))

    def during(self, lo: float, hi: float) -> bool:
        return any(a <= hi and b >= lo for a, b, _ in self.spans)


class XrunWatch:
    """jackd's xrun lines as they are written, timestamped here (polled every 5 ms): ``(time, who)`` where who is
    ``driver`` (the dummy driver's thread woke late) or the client that did not finish its cycle."""

    def __init__(self, jack: Any) -> None:
        self.jack = jack
        self.events: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xrun-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # only what jackd wrote since the last look is read (re-reading the whole log every 5 ms made garbage
        # enough for hundreds of collections a second in this process, each one holding the GIL from the player)
        path = getattr(self.jack, "log_path", "")
        if not path:
            return
        with open(path, errors="replace") as fh:
            pending = ""
            while not self._stop.wait(0.005):
                chunk = fh.read()
                if not chunk:
                    continue
                now = time.perf_counter()
                pending += chunk
                *lines, pending = pending.split("\n")
                for line in lines:
                    if "JackTimedDriver::Process XRun" in line:
                        self.events.append((now, "driver"))
                    elif "was not finished" in line and "client = " in line:
                        self.events.append((now, line.split("client = ", 1)[1].split(" ", 1)[0]))

    def near(self, lo: float, hi: float) -> bool:
        return any(lo <= t <= hi for t, _ in self.events)

    def between(self, lo: float, hi: float) -> dict[str, int]:
        out: dict[str, int] = {}
        for t, who in self.events:
            if lo <= t < hi:
                out[who] = out.get(who, 0) + 1
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)


class PolledRecorder:
    """A JACK MIDI input that never runs Python in JACK's process thread: rtmidi queues what arrives (C++ only) and
    a thread here polls the queue every millisecond. With a callback instead (the test kit's ``Recorder.jack``), the
    process thread waits for the GIL while the engine's threads hold it: the measuring client itself then makes
    JACK xruns (jackd: "client = benchrec was not finished") that delay every client's MIDI in that cycle.
    Arrival times come from rtmidi's delta times (taken in the process thread) mapped to ``perf_counter`` by the
    tightest offset seen, as the MIDI clock follower does."""

    def __init__(self, connect_to: str, name: str) -> None:
        import rtmidi

        self._raw: list[tuple[float, bytes]] = []  # (driver time, message)
        self._rt = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=name, queue_size_limit=65536)
        self._rt.ignore_types(sysex=False, timing=False, active_sense=False)
        ports = self._rt.get_ports()
        self._rt.open_port(ports.index(connect_to), "in")
        self._driver = 0.0
        self._offset = math.inf
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="bench-recorder", daemon=True)
        self._thread.start()
        time.sleep(0.2)  # the connection takes effect a few cycles later

    def _poll(self) -> None:
        # arrivals are kept in driver time and mapped to perf_counter only when asked (timed): rebuilding the whole
        # list every millisecond made garbage enough for hundreds of collections a second, each holding the GIL
        while not self._stop.wait(0.001):
            while (got := self._rt.get_message()) is not None:
                message, delta = got
                self._driver += delta
                now = time.perf_counter()
                self._offset = min(self._offset, now - self._driver)
                self._raw.append((self._driver, bytes(message)))

    def timed(self) -> list[tuple[float, bytes]]:
        offset = self._offset
        return [(d + offset, m) for d, m in list(self._raw)]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self._rt.close_port()
        self._rt.delete()


def late_causes(
    late: list[tuple[float, float]], gcw: GcWatch, xw: XrunWatch, started: float, bar_seconds: float
) -> dict[str, int]:
    """What ran when each late note (``(ideal time, send time)``) was due: a GC overlapping it, the first bar, an
    xrun logged within 30 ms of it (jackd logs a little after the fact), else the OS scheduling the thread late."""
    causes = {"gc": 0, "start-up": 0, "jack xrun": 0, "scheduling": 0}
    for when, sent in late:
        if gcw.during(when - 0.005, sent):
            causes["gc"] += 1
        elif when - started < bar_seconds:
            causes["start-up"] += 1
        elif xw.near(when - 0.01, sent + 0.03):
            causes["jack xrun"] += 1
        else:
            causes["scheduling"] += 1
    return causes


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


def attach_melody(engine: object, sinks: list[object]) -> object:
    """The melody layer (bundled model) to ``sinks`` (its own MIDI port), following layer 1."""
    from rvae_server.engine.melodylayer import MelodyLayer
    from rvae_server.melody.modelfile import load_melody

    melody = MelodyLayer(load_melody(), sinks, seed=1)  # type: ignore[arg-type]
    engine.attach_melody(melody)  # type: ignore[attr-defined]
    print("melody layer: the bundled melody model, following layer 1")
    return melody
