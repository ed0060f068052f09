"""MIDI test helpers on a real JACK server (use with the ``jack_server`` fixture of ``tests.fixtures_jack``).

:class:`Recorder`
    A JACK MIDI client with one input port that records ``(perf_counter arrival time, bytes)`` of every
    message (clock included), connected to an output port given by its full JACK name, or left open as a
    virtual input for others to connect to.
:class:`ClockSource`
    A JACK MIDI output port that sends MIDI clock (0xF8) at a known tempo from its own thread on an absolute
    schedule (sleep, then spin), plus Start / Stop / Continue / Song Position Pointer on demand. It records
    the ``perf_counter`` time of each 0xF8 it sent.
"""

from __future__ import annotations

import math
import subprocess
import threading
import time
from typing import Any

import rtmidi

from rvae_server.system.realtime import set_realtime_priority


def _client(kind: str, name: str) -> Any:
    cls = rtmidi.MidiIn if kind == "input" else rtmidi.MidiOut
    return cls(rtapi=rtmidi.API_UNIX_JACK, name=name)


class Recorder:
    """Records everything arriving at a JACK MIDI input port named ``<name>:in``."""

    def __init__(self, connect_to: str | None = None, name: str = "recorder") -> None:
        self.events: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self._rt = _client("input", name)
        self._rt.ignore_types(sysex=False, timing=False, active_sense=False)
        self._rt.set_callback(self._on_message)
        if connect_to is None:
            self._rt.open_virtual_port("in")
        else:
            ports = self._rt.get_ports()
            if connect_to not in ports:
                raise AssertionError(f"JACK output port {connect_to!r} not found; outputs: {ports}")
            self._rt.open_port(ports.index(connect_to), "in")
            _wait_connected(connect_to, f"{name}:in")

    def _on_message(self, event: tuple[list[int], float], data: object = None) -> None:
        t = time.perf_counter()
        with self._lock:
            self.events.append((t, bytes(event[0])))

    def messages(self, *, clock: bool = False) -> list[bytes]:
        """The bytes received (without 0xF8 unless ``clock``)."""
        with self._lock:
            return [m for _, m in self.events if clock or m != b"\xf8"]

    def timed(self) -> list[tuple[float, bytes]]:
        with self._lock:
            return list(self.events)

    def clear(self) -> None:
        with self._lock:
            self.events.clear()

    def wait_for(self, count: int, timeout: float = 3.0, *, clock: bool = False) -> list[bytes]:
        """Wait until at least ``count`` messages arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msgs = self.messages(clock=clock)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.01)
        return self.messages(clock=clock)

    def close(self) -> None:
        # Cancel the callback and let an in-flight one finish (it needs the GIL) before closing: closing a
        # JACK port waits for the process thread, which may be waiting for the GIL inside our callback.
        self._rt.cancel_callback()
        time.sleep(0.02)
        self._rt.close_port()
        self._rt.delete()


def _wait_connected(source: str, destination: str, timeout: float = 3.0) -> None:
    """Wait until JACK lists the connection (it takes effect a few cycles after the request)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["jack_lsp", "-c", source], capture_output=True, text=True, check=False)
        if destination in out.stdout:
            return
        time.sleep(0.01)
    raise AssertionError(f"JACK did not connect {source} to {destination} within {timeout} s")


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
