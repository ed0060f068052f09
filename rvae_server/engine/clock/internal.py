"""The internal clock: a free-running timeline at a tempo in BPM (the server as its own clock)."""

from __future__ import annotations

import logging
import math
import time

from rvae_server.engine.clock.base import Clock, TimeSource, Transport, bar_and_tick, check_bpm, ticks_per_second

log = logging.getLogger(__name__)


class InternalClock(Clock):
    """A free-running clock at ``bpm``: the timeline is the line through the anchor ``(t0, pos0)`` with
    slope ``ticks_per_second(bpm)``; a tempo change re-anchors at the current position (continuous).

    ``start_lead`` (s) puts position 0 that far after ``start()`` (and the resume point after
    ``continue_()``), so a MIDI Start and the first decoded bar go out before tick 0."""

    def __init__(self, bpm: float = 120.0, *, start_lead: float = 0.02, now: TimeSource = time.perf_counter) -> None:
        super().__init__(now)
        self._bpm = check_bpm(bpm)
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
        bpm = check_bpm(bpm)
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
