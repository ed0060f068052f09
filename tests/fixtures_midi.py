"""MIDI test helpers on a real JACK server (use with the ``jack_server`` fixture, tests/conftest.py). The recorder of
a JACK MIDI input port is the kit's :meth:`rvae_server.testing.Recorder.jack`.

:class:`ClockSource`
    A JACK MIDI output port that sends MIDI clock (0xF8) at a known tempo from its own thread on an absolute
    schedule (sleep, then spin), plus Start / Stop / Continue / Song Position Pointer on demand. It records
    the ``perf_counter`` time of each 0xF8 it sent.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import rtmidi

from rvae_server.system.realtime import set_realtime_priority


def _client(kind: str, name: str) -> Any:
    cls = rtmidi.MidiIn if kind == "input" else rtmidi.MidiOut
    return cls(rtapi=rtmidi.API_UNIX_JACK, name=name)


class ClockSource:
    """A virtual JACK MIDI output ``<name>:out`` that can send MIDI clock at ``bpm`` on an absolute schedule."""

    def __init__(self, name: str = "clocksrc", bpm: float = 120.0) -> None:
        self.bpm = bpm
        self.sent: list[float] = []  # perf_counter time of each 0xF8 sent
        self._rt = _client("output", name)
        self._rt.open_virtual_port("out")
        self.port = f"{name}:out"
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def send(self, data: list[int]) -> None:
        with self._lock:
            self._rt.send_message(data)

    def start_clock(self, count: int | None = None, t0: float | None = None) -> None:
        """Send ``count`` clocks (forever if None) from its thread, the first at ``t0`` (default now+10 ms)."""
        self.stop_clock()
        self._stop.clear()
        period = 60.0 / (self.bpm * 24)
        start = time.perf_counter() + 0.01 if t0 is None else t0

        def run() -> None:
            set_realtime_priority()  # a steady master, as hardware or a DAW would be
            k = 0
            while not self._stop.is_set() and (count is None or k < count):
                deadline = start + k * period
                delay = deadline - time.perf_counter() - 0.0015
                if delay > 0:
                    time.sleep(delay)
                while time.perf_counter() < deadline:
                    time.sleep(0)  # spin, but let other threads (the JACK callbacks) have the GIL
                self.send([0xF8])
                self.sent.append(time.perf_counter())
                k += 1

        self._thread = threading.Thread(target=run, name="test-clock-source", daemon=True)
        self._thread.start()

    def wait_clock(self) -> None:
        """Wait until a finite ``start_clock`` run has sent its clocks."""
        if self._thread is not None:
            self._thread.join()

    def stop_clock(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def spp(self, sixteenths: int) -> None:
        self.send([0xF2, sixteenths & 0x7F, sixteenths >> 7])

    def close(self) -> None:
        self.stop_clock()
        self._rt.close_port()
        self._rt.delete()


def stats_ms(values: list[float]) -> dict[str, float]:
    """median, p99, max (and min, mean) of values given in seconds, in milliseconds."""
    if not values:
        return {"n": 0, "median": math.nan, "p99": math.nan, "max": math.nan, "min": math.nan, "mean": math.nan}
    v = sorted(values)
    n = len(v)
    return {
        "n": n,
        "median": v[n // 2] * 1e3,
        "p99": v[min(n - 1, math.ceil(0.99 * n) - 1)] * 1e3,
        "max": v[-1] * 1e3,
        "min": v[0] * 1e3,
        "mean": sum(v) / n * 1e3,
    }
