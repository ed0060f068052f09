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
    sync). :class:`MidiClockSender` makes an internal clock the MIDI clock master of a :class:`MidiOut`.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT

if TYPE_CHECKING:
    from rvae_server.outputs.midiout import MidiOut

log = logging.getLogger(__name__)

#: Seconds before a deadline at which ``wait_until`` stops sleeping and starts spinning.
SPIN_MARGIN = 0.0018
#: The spin's short sleeps (s): the GIL is free for this long each turn (see ``wait_until``).
SPIN_YIELD = 0.00005
#: Longest single sleep in ``wait_until``: the deadline is recomputed at least this often (tempo may move).
MAX_SLEEP = 0.1
#: Tempo limits accepted by ``set_bpm``.
MIN_BPM, MAX_BPM = 20.0, 400.0
#: MIDI clock follower: number of tick intervals in the least-squares tempo fit (one bar).
FIT_TICKS = TICKS

TimeSource = Callable[[], float]


class Transport(StrEnum):
    """What a transport callback reports."""

    START = "start"
    STOP = "stop"
    CONTINUE = "continue"
    POSITION = "position"  # a position jump (Song Position Pointer, locate)
    TEMPO = "tempo"


TransportCallback = Callable[[Transport, float], None]


def ticks_per_second(bpm: float) -> float:
    """Ticks (24 ppqn) per second at ``bpm`` quarter notes per minute."""
    return bpm * TICKS_PER_BEAT / 60.0


def bar_and_tick(position: float) -> tuple[int, int]:
    """``(bar, tick within the bar)`` of a position, for log messages."""
    tick = math.floor(position)
    return tick // TICKS, tick % TICKS


def set_realtime_priority(priority: int = 10) -> bool:
    """Give the **calling thread** real-time scheduling (Linux ``SCHED_FIFO`` at ``priority``, 1..99), so
    a busy process elsewhere (model training) cannot delay its wake-ups. Returns False, with a log line, where
    it is not permitted (no CAP_SYS_NICE / rtprio limit) or not supported; timing then degrades gracefully.

    Measured on a loaded 2-core VM (``benchmarks/bench_clock.py``, 170 BPM): tick lateness p99 17-32 ms
    without, 0.25-1.5 ms with. The clock thread only sleeps and sends, and its spin is bounded
    (:data:`SPIN_MARGIN`), so it cannot starve the machine.

    Every other thread of the process that takes the GIL during playback (OSC server, note-off thread,
    web server) should get it too, at a **lower** priority: a normal thread preempted by another process
    while it holds the GIL would otherwise hold up the clock thread (priority inversion)."""
    if not hasattr(os, "sched_setscheduler"):
        log.info("real-time thread priority is not supported on this platform")
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (PermissionError, OSError) as err:
        log.info("real-time thread priority not permitted (%s); timing may suffer under load", err)
        return False
    return True


def _check_bpm(bpm: float) -> float:
    bpm = float(bpm)
    if not (MIN_BPM <= bpm <= MAX_BPM) or math.isnan(bpm):
        raise ValueError(f"tempo {bpm} BPM is outside {MIN_BPM:g}..{MAX_BPM:g}")
    return bpm


class Clock(ABC):
    """The clock interface and the shared waiting machinery (see the module docstring).

    Subclasses keep their state under ``self._cond`` (a :class:`threading.Condition`) and implement
    :meth:`_deadline_locked`, which ``wait_until`` uses. ``now`` is the time source (``perf_counter`` by
    default; inject another to unit-test the arithmetic without sleeping).
    """

    def __init__(self, now: TimeSource = time.perf_counter) -> None:
        self._now = now
        self._cond = threading.Condition(threading.Lock())
        self._generation = 0
        self._interrupts = 0
        self._closed = False
        self._callbacks: list[TransportCallback] = []

    # -- the interface -------------------------------------------------------------------------------------
    @property
    @abstractmethod
    def running(self) -> bool:
        """True while the transport plays."""

    @property
    @abstractmethod
    def bpm(self) -> float:
        """The current (internal, Link) or estimated (MIDI clock follower) tempo in BPM."""

    @abstractmethod
    def set_bpm(self, bpm: float) -> None:
        """Change (internal), propose (Link) or ignore (follower: the master owns the tempo) the tempo."""

    @abstractmethod
    def start(self) -> None:
        """Start the transport at position 0 (the first bar line after start)."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the transport; the position holds."""

    @abstractmethod
    def continue_(self) -> None:
        """Resume the transport from the held position."""

    @abstractmethod
    def position(self) -> float:
        """The current position in ticks (fractional). While stopped: where playing will resume."""

    @abstractmethod
    def time_at(self, position: float) -> float:
        """Predicted ``perf_counter`` time at which ``position`` is reached (``math.inf`` if unknowable,
        e.g. while stopped)."""

    def close(self) -> None:
        """Release the clock's resources; wakes every waiter (they return ``False``)."""
        with self._cond:
            self._closed = True
            self._generation += 1
            self._cond.notify_all()

    @property
    def generation(self) -> int:
        """Increments on every discontinuity (start, stop, continue, position jump, tempo change)."""
        return self._generation

    def on_transport(self, callback: TransportCallback) -> None:
        """Call ``callback(event, position)`` on each transport event (on the thread that caused it)."""
        self._callbacks.append(callback)

    @property
    def interrupts(self) -> int:
        """How many times :meth:`interrupt` was called: read it before looking at what to wait for and pass it
        to :meth:`wait_until` as ``since``, so an interrupt in between is not missed."""
        return self._interrupts

    def interrupt(self) -> None:
        """Wake every thread in :meth:`wait_until` now; they return ``False`` and re-plan."""
        with self._cond:
            self._interrupts += 1
            self._cond.notify_all()

    def wait_for_change(self, generation: int, timeout: float | None = None) -> bool:
        """Block until :attr:`generation` differs from ``generation`` (True) or ``timeout`` s pass (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._generation != generation or self._closed, timeout)

    def wait_until(self, position: float, timeout: float | None = None, since: int | None = None) -> bool:
        """Block until the clock reaches ``position`` (True), or return False on timeout, on
        :meth:`interrupt` (any after ``since``, a value of :attr:`interrupts`; else after the call), on a
        discontinuity (see :attr:`generation`), when stopped or closed.

        Sleeps until :data:`SPIN_MARGIN` before the absolute deadline (recomputed after each wake-up),
        then spins to it. A position already passed returns True at once (the caller decides whether a
        late event is still worth sending)."""
        now = self._now
        cond = self._cond
        with cond:
            gen, intr = self._generation, self._interrupts if since is None else since
        limit = math.inf if timeout is None else now() + timeout
        while True:
            with cond:
                if self._generation != gen or self._interrupts != intr or self._closed or not self.running:
                    return False
                deadline = self._deadline_locked(position)
                t = now()
                if t >= deadline:
                    return True
                if t >= limit:
                    return False
                remaining = deadline - t
                if remaining > SPIN_MARGIN:
                    cond.wait(min(remaining - SPIN_MARGIN, MAX_SLEEP, limit - t))
                    continue
            # The spin, outside the lock. Each turn releases the GIL: until the last SPIN_YIELD*2 by a short sleep,
            # which leaves it free long enough for another thread to make progress (a control change being
            # planned for this very tick); then by time.sleep(0), so two threads spinning towards the same tick
            # (engine and clock sender) cannot starve each other for a switch interval.
            while True:
                t = now()
                if t >= deadline:
                    return True
                if self._generation != gen or self._interrupts != intr:
                    return False
                if t >= limit:
                    return False
                time.sleep(SPIN_YIELD if deadline - t > 2 * SPIN_YIELD else 0)

    # -- for subclasses ------------------------------------------------------------------------------------
    @abstractmethod
    def _deadline_locked(self, position: float) -> float:
        """With ``self._cond`` held: the absolute time at which ``position`` counts as reached;
        ``-inf`` if already reached, ``+inf`` if it cannot be predicted yet (the waiter then sleeps until
        notified, e.g. by an arriving MIDI clock)."""

    def _bump_locked(self) -> None:
        self._generation += 1
        self._cond.notify_all()

    def _emit(self, event: Transport, position: float) -> None:
        for callback in list(self._callbacks):
            try:
                callback(event, position)
            except Exception:
                log.exception("transport callback %r failed on %s", callback, event.value)


# ---------------------------------------------------------------------------------------------------------
class InternalClock(Clock):
    """A free-running clock at ``bpm``: the timeline is the line through the anchor ``(t0, pos0)`` with
    slope ``ticks_per_second(bpm)``; a tempo change re-anchors at the current position (continuous).

    ``start_lead`` (s) puts position 0 that far after ``start()`` (and the resume point after
    ``continue_()``), so a MIDI Start and the first decoded bar go out before tick 0."""

    def __init__(self, bpm: float = 120.0, *, start_lead: float = 0.02, now: TimeSource = time.perf_counter) -> None:
        super().__init__(now)
        self._bpm = _check_bpm(bpm)
        self._tps = ticks_per_second(self._bpm)
        self._start_lead = float(start_lead)
        self._running = False
        self._t0 = 0.0
        self._pos0 = 0.0
        self._held = 0.0

    @property
    def running(self) -> bool:
        return self._running

    @property
    def bpm(self) -> float:
        return self._bpm

    @property
    def anchor(self) -> tuple[float, float, float]:
        """``(t0, pos0, bpm)``: the timeline passes position ``pos0`` at time ``t0``."""
        with self._cond:
            return self._t0, self._pos0, self._bpm

    def _position_locked(self, t: float) -> float:
        if not self._running:
            return self._held
        return self._pos0 + (t - self._t0) * self._tps

    def position(self) -> float:
        with self._cond:
            return self._position_locked(self._now())

    def time_at(self, position: float) -> float:
        with self._cond:
            if not self._running:
                return math.inf
            return self._t0 + (position - self._pos0) / self._tps

    def _deadline_locked(self, position: float) -> float:
        return self._t0 + (position - self._pos0) / self._tps

    def _run_from(self, position: float, event: Transport) -> None:
        with self._cond:
            self._t0 = self._now() + self._start_lead
            self._pos0 = position
            self._running = True
            self._bump_locked()
        log.info("internal clock %s at %.1f BPM from tick %.2f", event.value, self._bpm, position)
        self._emit(event, position)

    def start(self) -> None:
        self._run_from(0.0, Transport.START)

    def continue_(self) -> None:
        self._run_from(self._held, Transport.CONTINUE)

    def stop(self) -> None:
        with self._cond:
            if not self._running:
                return
            self._held = self._position_locked(self._now())
            self._running = False
            self._bump_locked()
            held = self._held
        log.info("internal clock stopped at bar %d tick %d", *bar_and_tick(held))
        self._emit(Transport.STOP, held)

    def locate(self, position: float) -> None:
        """Jump to ``position`` (ticks); playing continues from there at once if running."""
        with self._cond:
            if self._running:
                self._t0, self._pos0 = self._now(), float(position)
            else:
                self._held = float(position)
            self._bump_locked()
        self._emit(Transport.POSITION, float(position))

    def set_bpm(self, bpm: float) -> None:
        """Change the tempo; the position is continuous (the timeline is re-anchored at "now")."""
        bpm = _check_bpm(bpm)
        with self._cond:
            if bpm == self._bpm:
                return
            t = self._now()
            # (during the start lead, t < t0: the anchor stays and only the slope changes)
            if self._running and t >= self._t0:
                self._pos0 = self._pos0 + (t - self._t0) * self._tps
                self._t0 = t
            self._bpm = bpm
            self._tps = ticks_per_second(bpm)
            self._bump_locked()
            pos = self._position_locked(t)
        self._emit(Transport.TEMPO, pos)

    def close(self) -> None:
        self.stop()
        super().close()


# ---------------------------------------------------------------------------------------------------------
def fit_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares line ``y = a + b x`` through the points; returns ``(a, b)``. Needs two distinct xs."""
    n = len(xs)
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sxy = 0.0
    for x, y in zip(xs, ys, strict=True):
        dx = x - mx
        sxx += dx * dx
        sxy += dx * (y - my)
    b = sxy / sxx
    return my - b * mx, b


class MidiClockFollower(Clock):
    """Follows MIDI clock from an input port: one tick per 0xF8.

    Start (0xFA): the next 0xF8 is tick 0. Song Position Pointer (0xF2, counts sixteenths): the next 0xF8
    is tick ``6 * SPP``. Continue (0xFB): the next 0xF8 is the tick after the last one. Stop (0xFC): the
    position holds (and is logged). An input that stops arriving while running holds the position at the
    last tick and logs it; it resumes when the clock returns.

    The tempo is estimated by a least-squares line through the arrival times of the last
    :data:`FIT_TICKS` + 1 clocks (:meth:`tempo_estimate`); clocks keep counting for the estimate while the
    transport is stopped; a gap of more than 4 periods (or of more than 1.6 right after a transport event)
    restarts the fit. Clocks lost on the way (a JACK xrun drops events) are not guessed back: MIDI clock is
    a count, and under CPU starvation late clocks look like lost ones.

    An integer position is reached when its 0xF8 arrives (waiters wake on arrival); a fractional one
    ``k + f`` at ``arrival(k) + f * period``. ``time_at`` beyond the next tick follows the fitted line.

    ``port`` is a substring of the input port's name; with ``port=None`` nothing is opened and clock bytes
    are fed through :meth:`feed` (tests, or a caller that owns the port). The port is opened at
    construction (errors surface at once) and closed by :meth:`close`.
    """

    def __init__(
        self,
        port: str | None,
        backend: str | None = None,
        *,
        client_name: str = "R-VAE",
        bpm_hint: float = 120.0,
        lost_after: float = 0.5,
        now: TimeSource = time.perf_counter,
    ) -> None:
        super().__init__(now)
        self._hint_period = 1.0 / ticks_per_second(_check_bpm(bpm_hint))
        self._lost_after = lost_after
        self._running = False
        self._last_tick = -1  # index of the last tick received; the next 0xF8 is last_tick + 1
        self._last_arrival = math.nan  # arrival time of that tick (or of Start/Continue before it)
        self._seq = 0  # every 0xF8 ever received (for the fit; independent of position jumps)
        self._arrivals: deque[tuple[int, float]] = deque(maxlen=FIT_TICKS + 1)
        self._fit: tuple[float, float] | None = None  # (a, b): arrival(seq) ~ a + b * (seq - seq0)
        self._fit_seq0 = 0
        self._fit_dirty = False
        self._lost = False
        self._fresh = False  # a transport event came since the last clock: its gap proves nothing
        self._warned_no_start = False
        self._port_name = ""
        self._driver_time = 0.0  # sum of rtmidi's delta timestamps (s)
        self._offsets: deque[float] = deque(maxlen=64)  # perf_counter - driver time, per message
        self._rt: Any = None
        self._watchdog: threading.Thread | None = None
        self._stop_event = threading.Event()
        if port is not None:
            self._open(port, backend, client_name)

    # -- input ---------------------------------------------------------------------------------------------
    def _open(self, port: str, backend: str | None, client_name: str) -> None:
        from rvae_server.outputs import midiout

        rt = midiout.new_client("input", midiout.resolve_backend(backend), f"{client_name} clock-in")
        try:
            index, name = midiout.select_port(rt.get_ports(), port, "input")
            # receive every type: rtmidi's delta timestamps then cover every interval (see _on_rtmidi)
            rt.ignore_types(sysex=False, timing=False, active_sense=False)
            rt.set_callback(self._on_rtmidi)
            rt.open_port(index, "clock-in")
        except BaseException:
            midiout.release_client(rt)
            raise
        self._rt, self._port_name = rt, name
        self._watchdog = threading.Thread(target=self._watch, name="midi-clock-watchdog", daemon=True)
        self._watchdog.start()
        log.info("following MIDI clock from %r", name)

    @property
    def port_name(self) -> str:
        """The input port followed ("" when fed by hand)."""
        return self._port_name

    def _on_rtmidi(self, event: tuple[list[int], float], data: object = None) -> None:
        """rtmidi's callback. The arrival time is rebuilt from rtmidi's delta timestamps (taken by the MIDI
        driver thread before this callback waits for the GIL) plus an offset to ``perf_counter`` estimated
        as the smallest ``now - driver time`` over the last 64 messages, so GIL delays of this callback
        do not jitter the tempo fit or the fractional deadlines."""
        now = self._now()
        self._driver_time += event[1]
        self._offsets.append(now - self._driver_time)
        arrival = self._driver_time + min(self._offsets)
        self.feed(event[0], min(arrival, now))

    def feed(self, message: Sequence[int], arrival: float) -> None:
        """Process one MIDI message that arrived at ``arrival`` (perf_counter s). Thread-safe."""
        if not message:
            return
        status = message[0]
        if status == 0xF8:
            self._on_tick(arrival)
        elif status == 0xFA:
            self._on_start_continue(Transport.START, arrival)
        elif status == 0xFB:
            self._on_start_continue(Transport.CONTINUE, arrival)
        elif status == 0xFC:
            self._on_stop()
        elif status == 0xF2 and len(message) >= 3:
            self._on_spp((message[1] & 0x7F) | ((message[2] & 0x7F) << 7))

    def _on_tick(self, t: float) -> None:
        warn_no_start = resumed = False
        with self._cond:
            if self._arrivals:
                gap = t - self._arrivals[-1][1]
                period = self._period_locked()
                if gap > 4.0 * period or (self._fresh and gap > 1.6 * period):
                    self._arrivals.clear()  # the master paused its clock: restart the fit
            self._fresh = False
            self._seq += 1
            self._arrivals.append((self._seq, t))
            self._fit_dirty = True
            if self._running:
                self._last_tick += 1
                self._last_arrival = t
                if self._lost:
                    self._lost, resumed = False, True
                self._cond.notify_all()
            elif not self._warned_no_start and self._generation == 0:
                self._warned_no_start = warn_no_start = True
            tick = self._last_tick
        if warn_no_start:
            log.info("MIDI clock arriving from %r; waiting for Start or Continue", self._port_name or "input")
        if resumed:
            log.warning("MIDI clock input resumed at bar %d tick %d", *bar_and_tick(tick))

    def _on_start_continue(self, event: Transport, t: float) -> None:
        with self._cond:
            if event is Transport.START:
                self._last_tick = -1
            self._fresh = True
            self._running = True
            self._lost = False
            self._last_arrival = t
            self._bump_locked()
            nxt = self._last_tick + 1
        log.info("MIDI clock %s: next tick is bar %d tick %d", event.value, *bar_and_tick(nxt))
        self._emit(event, float(nxt))

    def _on_stop(self) -> None:
        with self._cond:
            was = self._running
            self._running = False
            self._fresh = True
            self._bump_locked()
            nxt = self._last_tick + 1
        if was:
            log.info("MIDI clock Stop: holding position at bar %d tick %d", *bar_and_tick(nxt))
        self._emit(Transport.STOP, float(nxt))

    def _on_spp(self, sixteenths: int) -> None:
        with self._cond:
            self._last_tick = 6 * sixteenths - 1
            self._fresh = True
            if self._running:
                self._last_arrival = self._now()
            self._bump_locked()
        log.info(
            "MIDI Song Position Pointer: %d sixteenths (bar %d tick %d)", sixteenths, *bar_and_tick(6 * sixteenths)
        )
        self._emit(Transport.POSITION, float(6 * sixteenths))

    def _watch(self) -> None:
        while not self._stop_event.wait(0.1):
            with self._cond:
                silent = (
                    self._running
                    and not self._lost
                    and self._now() - self._last_arrival > max(self._lost_after, 4.0 * self._period_locked())
                )
                if silent:
                    self._lost = True
                tick = self._last_tick
            if silent:
                log.warning(
                    "MIDI clock input stopped arriving at bar %d tick %d: holding position until it resumes",
                    *bar_and_tick(tick),
                )

    # -- tempo ---------------------------------------------------------------------------------------------
    def _fit_locked(self) -> tuple[float, float] | None:
        if self._fit_dirty:
            self._fit_dirty = False
            if len(self._arrivals) >= 3:
                seq0, t0 = self._arrivals[0]
                xs = [float(s - seq0) for s, _ in self._arrivals]
                ys = [t - t0 for _, t in self._arrivals]
                a, b = fit_line(xs, ys)
                self._fit, self._fit_seq0 = (t0 + a, b), seq0
            else:
                self._fit = None
        return self._fit

    def _period_locked(self) -> float:
        fit = self._fit_locked()
        if fit is None or not fit[1] > 0:
            return self._hint_period
        return fit[1]

    def tempo_estimate(self) -> float | None:
        """The least-squares tempo (BPM) over the last bar of clocks, or None before 3 clocks."""
        with self._cond:
            fit = self._fit_locked()
        if fit is None or not fit[1] > 0:
            return None
        return 60.0 / (fit[1] * TICKS_PER_BEAT)

    @property
    def lost(self) -> bool:
        """True while running but the clock input has stopped arriving."""
        return self._lost

    @property
    def running(self) -> bool:
        return self._running

    @property
    def bpm(self) -> float:
        with self._cond:
            return 60.0 / (self._period_locked() * TICKS_PER_BEAT)

    def set_bpm(self, bpm: float) -> None:
        """The MIDI clock master owns the tempo: this only sets the guess used before 3 clocks arrived."""
        self._hint_period = 1.0 / ticks_per_second(_check_bpm(bpm))
        log.info("tempo follows the MIDI clock master; %.1f BPM is only the initial guess", bpm)

    # -- transport (owned by the master) ---------------------------------------------------------------------
    def start(self) -> None:
        log.info("the MIDI clock master owns the transport: start it there")

    def stop(self) -> None:
        log.info("the MIDI clock master owns the transport: stop it there")

    def continue_(self) -> None:
        log.info("the MIDI clock master owns the transport: continue it there")

    # -- position ------------------------------------------------------------------------------------------
    def position(self) -> float:
        """While running: the last tick plus the extrapolated fraction (never past the next tick before it
        arrives). While stopped: the tick the next clock will have."""
        with self._cond:
            if not self._running:
                return float(self._last_tick + 1)
            frac = (self._now() - self._last_arrival) / self._period_locked()
            return self._last_tick + min(max(frac, 0.0), 1.0 - 1e-9)

    def time_at(self, position: float) -> float:
        with self._cond:
            if not self._running:
                return math.inf
            period = self._period_locked()
            ahead = position - self._last_tick
            fit = self._fit_locked()
            if ahead < 1.0 or fit is None:
                return self._last_arrival + ahead * period
            seq = self._seq + ahead  # the clock count at which ``position`` arrives
            return fit[0] + (seq - self._fit_seq0) * fit[1]

    def _deadline_locked(self, position: float) -> float:
        k = math.floor(position)
        if k > self._last_tick:
            return math.inf  # wait for its 0xF8
        frac = position - self._last_tick
        if frac <= 0.0:
            return -math.inf
        return self._last_arrival + frac * self._period_locked()

    def close(self) -> None:
        self._stop_event.set()
        rt, self._rt = self._rt, None
        if rt is not None:
            from rvae_server.outputs import midiout

            midiout.release_client(rt)
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=1.0)
        super().close()


# ---------------------------------------------------------------------------------------------------------
class LinkClock(Clock):
    """Ableton Link (LinkPython-extern, imported lazily): tempo, beat and phase shared with the session.

    ``quantum`` beats (4 = one bar) align the bar phase: ``position = beat * 24`` with Link's beat at
    quantum 4, so ``position % 96 == 0`` falls on the session's bar lines. Start/stop sync is enabled:
    ``start()`` proposes playing to every peer (beat 0 at the session's next bar line), ``stop()`` proposes
    stopping; a peer's start or stop is followed. ``set_bpm`` proposes a tempo to the session.

    Constructing the clock joins the session (``enable``); ``close()`` leaves it. Link's clock (microseconds,
    CLOCK_MONOTONIC_RAW on Linux) is converted to ``perf_counter`` by an offset re-measured every poll.
    """

    def __init__(self, bpm: float = 120.0, quantum: float = 4.0, *, poll: float = 0.01) -> None:
        super().__init__(time.perf_counter)
        import link  # lazy: LinkPython-extern opens sockets only when enabled, but keep import side-effect free

        self._quantum = float(quantum)
        self._link: Any = link.Link(_check_bpm(bpm))
        self._link.startStopSyncEnabled = True
        self._offset = 0.0
        self._measure_offset()
        state = self._link.captureAppSessionState()
        self._running = bool(state.isPlaying())
        self._bpm = float(state.tempo())
        self._held = 0.0
        self._peers = 0
        self._poll = poll
        self._stop_event = threading.Event()
        self._link.enabled = True
        self._thread = threading.Thread(target=self._monitor, name="link-monitor", daemon=True)
        self._thread.start()
        log.info("Ableton Link enabled at %.1f BPM, quantum %g", self._bpm, self._quantum)

    def _measure_offset(self) -> None:
        """perf_counter - link seconds, from the tightest of three sandwiched readings."""
        clock = self._link.clock()
        best = (math.inf, 0.0)
        for _ in range(3):
            t1 = time.perf_counter()
            m = clock.micros()
            t2 = time.perf_counter()
            best = min(best, (t2 - t1, (t1 + t2) / 2.0 - m * 1e-6))
        self._offset = best[1]

    def _link_micros(self, t: float) -> int:
        return round((t - self._offset) * 1e6)

    def _monitor(self) -> None:
        while not self._stop_event.wait(self._poll):
            self._measure_offset()
            state = self._link.captureAppSessionState()
            playing = bool(state.isPlaying())
            tempo = float(state.tempo())
            peers = int(self._link.numPeers())
            events: list[Transport] = []
            if playing and not self._running:
                # a start (ours or a peer's): beat 0 at the moment playing started, on the bar phase
                state.requestBeatAtStartPlayingTime(0.0, self._quantum)
                self._link.commitAppSessionState(state)
                state = self._link.captureAppSessionState()
            with self._cond:
                if playing != self._running:
                    if not playing:
                        self._held = state.beatAtTime(self._link_micros(time.perf_counter()), self._quantum) * 24
                    self._running = playing
                    events.append(Transport.START if playing else Transport.STOP)
                    self._bump_locked()
                if abs(tempo - self._bpm) > 1e-3:  # Link carries tempo as micros per beat: ignore rounding
                    self._bpm = tempo
                    events.append(Transport.TEMPO)
                    self._bump_locked()
            if peers != self._peers:
                log.info("Ableton Link: %d peer(s)", peers)
                self._peers = peers
            for event in events:
                if event is Transport.TEMPO:
                    log.info("Ableton Link tempo %.2f BPM", tempo)
                else:
                    log.info("Ableton Link transport %s", event.value)
                self._emit(event, self.position())

    @property
    def peers(self) -> int:
        """Number of other Link peers in the session."""
        return int(self._link.numPeers())

    @property
    def quantum(self) -> float:
        return self._quantum

    @property
    def running(self) -> bool:
        return self._running

    @property
    def bpm(self) -> float:
        return self._bpm

    def set_bpm(self, bpm: float) -> None:
        """Propose ``bpm`` to the session (every peer follows)."""
        bpm = _check_bpm(bpm)
        state = self._link.captureAppSessionState()
        state.setTempo(bpm, self._link_micros(time.perf_counter()))
        self._link.commitAppSessionState(state)

    def start(self) -> None:
        """Propose playing to the session; beat 0 falls on the session's next bar line."""
        state = self._link.captureAppSessionState()
        state.setIsPlayingAndRequestBeatAtTime(True, self._link_micros(time.perf_counter()), 0.0, self._quantum)
        self._link.commitAppSessionState(state)

    continue_ = start

    def stop(self) -> None:
        """Propose stopping to the session."""
        state = self._link.captureAppSessionState()
        state.setIsPlaying(False, self._link_micros(time.perf_counter()))
        self._link.commitAppSessionState(state)

    def beat_and_phase(self, t: float | None = None) -> tuple[float, float]:
        """Link's ``(beat, phase)`` at ``t`` (perf_counter s, default now) for the clock's quantum."""
        micros = self._link_micros(time.perf_counter() if t is None else t)
        state = self._link.captureAppSessionState()
        return state.beatAtTime(micros, self._quantum), state.phaseAtTime(micros, self._quantum)

    def position(self) -> float:
        if not self._running:
            return self._held
        return self.beat_and_phase()[0] * TICKS_PER_BEAT

    def time_at(self, position: float) -> float:
        if not self._running:
            return math.inf
        state = self._link.captureAppSessionState()
        return state.timeAtBeat(position / TICKS_PER_BEAT, self._quantum) * 1e-6 + self._offset

    def _deadline_locked(self, position: float) -> float:
        state = self._link.captureAppSessionState()
        return state.timeAtBeat(position / TICKS_PER_BEAT, self._quantum) * 1e-6 + self._offset

    def close(self) -> None:
        self._stop_event.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._link.enabled = False
        super().close()


# ---------------------------------------------------------------------------------------------------------
CLOCK_BYTES = [0xF8]
START_BYTES = [0xFA]
CONTINUE_BYTES = [0xFB]
STOP_BYTES = [0xFC]


class MidiClockSender:
    """Makes ``clock`` the MIDI clock master of ``out``: 0xF8 at each integer tick (its own thread, on the
    absolute schedule of ``clock.wait_until``), Start (0xFA) on start, Stop (0xFC) on stop, Song Position
    Pointer + Continue (0xFB) on continue and SPP on a position jump while stopped.

    Ticks before position 0 after a start are not sent (the first clock after Start is tick 0)."""

    def __init__(self, clock: Clock, out: MidiOut, *, realtime_priority: int | None = None) -> None:
        self._clock = clock
        self._priority = realtime_priority
        self._out = out
        self._lock = threading.Lock()
        self._next: int | None = None  # the next tick to send; None = derive from the position
        self._closed = threading.Event()
        clock.on_transport(self._on_transport)
        self.sent = 0  #: clocks sent so far
        self._thread = threading.Thread(target=self._run, name="midi-clock-sender", daemon=True)
        self._thread.start()

    def _spp(self, position: float) -> list[int]:
        sixteenths = max(0, min(16383, math.ceil(position - 1e-9) // 6))
        return [0xF2, sixteenths & 0x7F, sixteenths >> 7]

    def _on_transport(self, event: Transport, position: float) -> None:
        if event is Transport.START:
            with self._lock:
                self._next = 0
            self._out.send_raw(START_BYTES)
        elif event is Transport.STOP:
            self._out.send_raw(STOP_BYTES)
        elif event is Transport.CONTINUE:
            with self._lock:
                self._next = math.ceil(position - 1e-9)
            if self._next % 6 == 0:
                self._out.send_raw(self._spp(position))
            self._out.send_raw(CONTINUE_BYTES)
        elif event is Transport.POSITION:
            with self._lock:
                self._next = math.ceil(position - 1e-9)
            if not self._clock.running and self._next % 6 == 0:
                self._out.send_raw(self._spp(position))

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
                if clock.wait_until(k):
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
