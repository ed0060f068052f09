"""One recorder for what an output receives: as the engine's sink (drum notes, melody lines, transport, all notes
off), or, opened with :meth:`Recorder.jack`, everything arriving at a JACK MIDI input port."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol


class ClockTimes(Protocol):
    """What :meth:`Recorder.played` needs of a clock: its timeline's anchor ``(t0, pos0, bpm)``
    (:class:`rvae_server.engine.clock.InternalClock` and :class:`rvae_server.testing.SteppedClock` have one)."""

    @property
    def anchor(self) -> tuple[float, float, float]: ...


def position_of(clock: ClockTimes, when: float) -> float:
    """The clock position (ticks) of a ``perf_counter`` time on the clock's current timeline."""
    t0, pos0, bpm = clock.anchor
    return pos0 + (when - t0) * bpm * 24 / 60


class Recorder:
    """Records everything it is sent, thread-safely.

    As an engine sink (:class:`rvae_server.engine.api.NoteSink`, and the melody layer's line sink):
    :attr:`notes` holds ``(arrival perf_counter, when, layer, instrument, note, velocity, channel)`` of each drum
    note, :attr:`lines` ``(arrival, when, note, velocity, seconds, channel)`` of each melody note, :attr:`programs`
    ``(channel, program)``, :attr:`transports` each transport change and :attr:`offs` the channels of each "all
    notes off". Each note is also kept as its MIDI note-on in :attr:`events`.

    From :meth:`jack`: a JACK MIDI client with one input port ``<name>:in`` whose every message (clock included)
    lands in :attr:`events` as ``(perf_counter arrival time, bytes)``; :meth:`close` it."""

    def __init__(self) -> None:
        self.notes: list[tuple[float, float, int, int, int, int, int]] = []
        self.lines: list[tuple[float, float, int, int, float, int]] = []
        self.programs: list[tuple[int, int]] = []
        self.transports: list[bool] = []
        self.offs: list[list[int]] = []
        self.events: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self._rt: Any = None

    # -- as an engine sink ----------------------------------------------------------------------------------
    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        arrival = time.perf_counter()
        with self.lock:
            self.notes.append((arrival, when, layer, instrument, note, velocity, channel))
            self.events.append((arrival, bytes([0x90 | (channel - 1) & 0x0F, note, velocity])))

    def line_note(self, when: float, note: int, velocity: int, seconds: float, channel: int) -> None:
        arrival = time.perf_counter()
        with self.lock:
            self.lines.append((arrival, when, note, velocity, seconds, channel))
            self.events.append((arrival, bytes([0x90 | (channel - 1) & 0x0F, note, velocity])))

    def program(self, channel: int, program: int) -> None:
        with self.lock:
            self.programs.append((channel, program))

    def transport(self, playing: bool) -> None:
        with self.lock:
            self.transports.append(playing)

    def all_notes_off(self, channels: Sequence[int]) -> None:
        with self.lock:
            self.offs.append(list(channels))

    def played(self, clock: ClockTimes, layer: int | None = None) -> list[tuple[float, int, int, int, int, int]]:
        """The drum notes as ``(position, layer, instrument, note, velocity, channel)`` in the order sent; the
        position (ticks, rounded to 1e-6) from each note's ideal time on the clock's current timeline."""
        with self.lock:
            notes = list(self.notes)
        return [
            (round(position_of(clock, when), 6), lay, inst, note, vel, ch)
            for _, when, lay, inst, note, vel, ch in notes
            if layer is None or lay == layer
        ]

    def wait_notes(self, count: int, timeout: float = 5.0) -> int:
        """Wait until at least ``count`` drum notes arrived (a real-time test); returns how many did."""
        return _wait(lambda: len(self.notes) >= count, timeout, lambda: len(self.notes))

    # -- as a JACK MIDI input port --------------------------------------------------------------------------
    @classmethod
    def jack(cls, connect_to: str | None = None, name: str = "recorder") -> Recorder:
        """A recorder on a JACK MIDI input port ``<name>:in`` (a ``jack_server`` must be running), connected to the
        output port ``connect_to`` (its full JACK name; waits until JACK lists the connection), or left open as a
        virtual input for others to connect to."""
        import rtmidi

        self = cls()
        self._rt = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=name)
        self._rt.ignore_types(sysex=False, timing=False, active_sense=False)
        self._rt.set_callback(self._on_message)
        if connect_to is None:
            self._rt.open_virtual_port("in")
        else:
            ports = self._rt.get_ports()
            if connect_to not in ports:
                raise AssertionError(f"JACK output port {connect_to!r} not found; outputs: {ports}")
            self._rt.open_port(ports.index(connect_to), "in")
            wait_connected(connect_to, f"{name}:in")
        return self

    def _on_message(self, event: tuple[list[int], float], data: object = None) -> None:
        t = time.perf_counter()
        with self.lock:
            self.events.append((t, bytes(event[0])))

    def messages(self, *, clock: bool = False) -> list[bytes]:
        """The bytes received (without 0xF8 unless ``clock``)."""
        with self.lock:
            return [m for _, m in self.events if clock or m != b"\xf8"]

    def timed(self) -> list[tuple[float, bytes]]:
        with self.lock:
            return list(self.events)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self.lock:
            for store in (self.notes, self.lines, self.programs, self.transports, self.offs, self.events):
                store.clear()

    def wait_for(self, count: int, timeout: float = 3.0, *, clock: bool = False) -> list[bytes]:
        """Wait until at least ``count`` messages arrived; returns them all."""
        _wait(lambda: len(self.messages(clock=clock)) >= count, timeout, lambda: 0)
        return self.messages(clock=clock)

    def close(self) -> None:
        """Close the JACK port (nothing to do for a plain sink). Cancels the callback and lets an in-flight one
        finish (it needs the GIL) first: closing a JACK port waits for the process thread, which may be waiting
        for the GIL inside our callback."""
        if self._rt is None:
            return
        self._rt.cancel_callback()
        time.sleep(0.02)
        self._rt.close_port()
        self._rt.delete()
        self._rt = None


def _wait(done: Callable[[], bool], timeout: float, value: Callable[[], int]) -> int:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.005)
    return value()


def wait_connected(source: str, destination: str, timeout: float = 3.0) -> None:
    """Wait until JACK lists the connection (it takes effect a few cycles after the request)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["jack_lsp", "-c", source], capture_output=True, text=True, check=False)
        if destination in out.stdout:
            return
        time.sleep(0.01)
    raise AssertionError(f"JACK did not connect {source} to {destination} within {timeout} s")
