"""Following a MIDI clock master (Live, a drum machine): one tick per 0xF8, tempo by least squares."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT
from rvae_server.engine.clock.base import Clock, TimeSource, Transport, bar_and_tick, check_bpm, ticks_per_second
from rvae_server.system import midiports

log = logging.getLogger(__name__)

#: MIDI clock follower: number of tick intervals in the least-squares tempo fit (one bar).
FIT_TICKS = TICKS


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
        self._hint_period = 1.0 / ticks_per_second(check_bpm(bpm_hint))
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
        rt = midiports.new_client("input", midiports.resolve_backend(backend), f"{client_name} clock-in")
        try:
            index, name = midiports.select_port(rt.get_ports(), port, "input")
            # receive every type: rtmidi's delta timestamps then cover every interval (see _on_rtmidi)
            rt.ignore_types(sysex=False, timing=False, active_sense=False)
            rt.set_callback(self._on_rtmidi)
            rt.open_port(index, "clock-in")
        except BaseException:
            midiports.release_client(rt)
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
        self._hint_period = 1.0 / ticks_per_second(check_bpm(bpm))
        log.info("tempo follows the MIDI clock master; %.1f BPM is only the initial guess", bpm)

    # -- transport (owned by the master) ---------------------------------------------------------------------
    @property
    def external_transport(self) -> bool:
        return True

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

    def start_point(self) -> float:
        """After Start, Continue or a Song Position Pointer and before the first clock: the tick that clock will
        have (playing goes on there); else the position."""
        with self._cond:
            if self._running and self._fresh:
                return float(self._last_tick + 1)
        return self.position()

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
            midiports.release_client(rt)
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=1.0)
        super().close()
