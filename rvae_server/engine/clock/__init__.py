"""Clock sources behind one interface: the engine does not care who ticks it.

Units and conventions
    A **position** is measured in **ticks at 24 ppqn** (one tick = one MIDI clock pulse, a bar = 96 ticks);
    it is a float so microtiming can fall between ticks. Position 0 is the first bar line after a start, so
    ``position % 96 == 0`` is a bar line. **Times** are ``time.perf_counter()`` seconds.

The interface (:class:`Clock`)
    ``start()`` / ``stop()`` / ``continue_()`` drive the transport (or propose it, for Link; the MIDI clock
    follower's transport belongs to its master, so there they only log), ``close()`` releases the clock.
    ``running``, ``bpm``, ``set_bpm(bpm)``, ``position()``, ``time_at(position)`` and
    ``wait_until(position, timeout)`` tell and keep time. ``generation`` increments on every discontinuity
    (start, stop, continue, position jump, tempo change); ``wait_until`` returns ``False`` when one happens
    (or on :meth:`Clock.interrupt`) so the caller re-plans. ``on_transport(callback)`` reports the same
    events as ``callback(event, position)``, called on whichever thread caused them: keep it short.

Waiting
    Every wait is on an **absolute deadline** taken from ``time_at`` (never "now + period"): the thread
    sleeps (on a condition variable, so it can be woken) until :data:`SPIN_MARGIN` before the deadline,
    recomputes the deadline, then spins to it. A late wake-up therefore never shifts later ticks: no drift.

Implementations
    :class:`InternalClock` (tempo in BPM, timeline anchored at ``(t0, pos0, bpm)``, re-anchored on a tempo
    change so the position is continuous); :class:`MidiClockFollower` (0xF8 from a MIDI input, one tick
    each; Start/Continue/Stop/Song Position Pointer; tempo by least squares over the last bar of arrival
    times); :class:`LinkClock` (Ableton Link: tempo, beat and bar phase shared with quantum 4, start/stop
    sync). :class:`MidiClockSender` makes an internal clock the MIDI clock master of a MIDI output.

Modules
    ``base`` (the interface and its waiting machinery), ``internal``, ``midi`` (the follower), ``link``,
    ``sender``; this package exports them all. Nothing here imports the model (or torch).
"""

from rvae_server.engine.clock.base import (
    MAX_SLEEP,
    SPIN_MARGIN,
    SPIN_YIELD,
    Clock,
    TimeSource,
    Transport,
    TransportCallback,
    bar_and_tick,
    check_bpm,
    ticks_per_second,
)
from rvae_server.engine.clock.internal import InternalClock
from rvae_server.engine.clock.link import LinkClock
from rvae_server.engine.clock.midi import FIT_TICKS, MidiClockFollower, fit_line
from rvae_server.engine.clock.sender import MidiClockSender, RawMidiOut

__all__ = [
    "FIT_TICKS",
    "MAX_SLEEP",
    "SPIN_MARGIN",
    "SPIN_YIELD",
    "Clock",
    "InternalClock",
    "LinkClock",
    "MidiClockFollower",
    "MidiClockSender",
    "RawMidiOut",
    "TimeSource",
    "Transport",
    "TransportCallback",
    "bar_and_tick",
    "check_bpm",
    "fit_line",
    "ticks_per_second",
]
