"""Being the MIDI clock master: 0xF8 at each tick of a clock, Start, Stop, Continue and Song Position Pointer."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Protocol

from rvae_server.engine.clock.base import Clock, Transport
from rvae_server.system.realtime import set_realtime_priority


class RawMidiOut(Protocol):
    """What the sender needs of a MIDI output (see :class:`rvae_server.outputs.midiout.MidiOut`)."""

    def send_raw(self, data: Sequence[int]) -> None: ...


CLOCK_BYTES = [0xF8]
START_BYTES = [0xFA]
CONTINUE_BYTES = [0xFB]
STOP_BYTES = [0xFC]


class MidiClockSender:
    """Makes ``clock`` the MIDI clock master of ``out``: 0xF8 at each integer tick (its own thread, on the
    absolute schedule of ``clock.wait_until``), Song Position Pointer 0 + Start (0xFA) on start, Stop (0xFC) on
    stop, Song Position Pointer + Continue (0xFB) on continue and SPP on a position jump while stopped.

    A Song Position Pointer counts sixteenths (6 ticks): after a continue or a jump to a position between two
    sixteenths, SPP names the next sixteenth and the clocks resume there (the receiver counts from it).
    Ticks before position 0 after a start are not sent (the first clock after Start is tick 0).
    ``offset`` (s, negative = earlier): every clock goes out that much later than its tick (the output's latency
    offset, so a DAW's audio lines up; the notes to the same output get the same offset)."""

    def __init__(
        self, clock: Clock, out: RawMidiOut, *, realtime_priority: int | None = None, offset: float = 0.0
    ) -> None:
        self._clock = clock
        self._priority = realtime_priority
        self._offset = float(offset)
        self._out = out
        self._lock = threading.Lock()
        self._next: int | None = None  # the next tick to send; None = derive from the position
        self._closed = threading.Event()
        clock.on_transport(self._on_transport)
        self.sent = 0  #: clocks sent so far
        self._thread = threading.Thread(target=self._run, name="midi-clock-sender", daemon=True)
        self._thread.start()

    @staticmethod
    def _next_sixteenth(position: float) -> int:
        """The first sixteenth (SPP units) at or after ``position``."""
        return max(0, min(16383, math.ceil((position - 1e-9) / 6)))

    @staticmethod
    def _spp(sixteenths: int) -> list[int]:
        return [0xF2, sixteenths & 0x7F, sixteenths >> 7]

    def _on_transport(self, event: Transport, position: float) -> None:
        if event is Transport.START:
            with self._lock:
                self._next = 0
            self._out.send_raw(self._spp(0))
            self._out.send_raw(START_BYTES)
        elif event is Transport.STOP:
            self._out.send_raw(STOP_BYTES)
        elif event is Transport.CONTINUE:
            sixteenth = self._next_sixteenth(position)
            with self._lock:
                self._next = 6 * sixteenth  # the receiver counts from the SPP: clocks resume on that sixteenth
            self._out.send_raw(self._spp(sixteenth))
            self._out.send_raw(CONTINUE_BYTES)
        elif event is Transport.POSITION:
            sixteenth = self._next_sixteenth(position)
            with self._lock:
                self._next = 6 * sixteenth
            if not self._clock.running:
                self._out.send_raw(self._spp(sixteenth))

    def _run(self) -> None:
        clock, out = self._clock, self._out
        if self._priority is not None:
            set_realtime_priority(self._priority)
        while not self._closed.is_set():
            gen = clock.generation
            if not clock.running:
                clock.wait_for_change(gen, timeout=0.5)
                continue
            with self._lock:
                k = self._next if self._next is not None else math.ceil(clock.position() - 1e-9)
                self._next = k
            while not self._closed.is_set() and clock.generation == gen:
                if clock.wait_until(k + self._offset * clock.bpm * 0.4):  # 0.4 * bpm = ticks a second
                    with self._lock:
                        # a transport event may have moved the schedule or stopped the clock meanwhile
                        if self._next != k or clock.generation != gen:
                            break
                        self._next = k + 1
                    out.send_raw(CLOCK_BYTES)
                    self.sent += 1
                    k += 1
                elif not clock.running:
                    break

    def close(self) -> None:
        """Stop sending clocks (the thread ends within one tick)."""
        self._closed.set()
        self._clock.interrupt()
        self._thread.join(timeout=1.0)
