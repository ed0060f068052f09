"""A clock that follows another one from afar: the timeline of a clock in another process, sent as numbers.

:func:`timeline_of` reads what any running clock says of its timeline as a :class:`Timeline` (the line through
two of its predicted times: exact for the internal clock and for Link between tempo changes); a
:class:`MirrorClock` in another process is fed those (:meth:`MirrorClock.follow`) and keeps time by them, with
the same interface and waiting machinery as every clock — so a player there waits, spins and sends exactly as
it would beside the real clock. ``perf_counter`` is the same clock in every process of the machine
(``CLOCK_MONOTONIC``), so its times need no translation.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

from rvae_server.core.bar import TICKS
from rvae_server.engine.clock.base import Clock, TimeSource, Transport, check_bpm, ticks_per_second


class Timeline(NamedTuple):
    """A clock's timeline: ``running``; while running, position ``pos0`` at ``perf_counter`` time ``t0`` and
    ``tps`` ticks a second; while stopped, ``held`` (where playing resumes). ``bpm`` and ``generation`` as the
    clock says (the generation increments on every discontinuity)."""

    generation: int
    running: bool
    t0: float
    pos0: float
    tps: float
    held: float
    bpm: float

    def time_at(self, position: float) -> float:
        return self.t0 + (position - self.pos0) / self.tps if self.running else math.inf


def timeline_of(clock: Clock) -> Timeline:
    """What ``clock`` says of its timeline now: the line through its predicted times of the next bar line and the
    one after (any clock), or where it holds while stopped."""
    generation, running, bpm = clock.generation, clock.running, clock.bpm
    position = clock.position()
    if running:
        line = (math.floor(position / TICKS) + 1) * TICKS
        t1, t2 = clock.time_at(line), clock.time_at(line + TICKS)
        if math.isfinite(t1) and math.isfinite(t2) and t2 > t1:
            return Timeline(generation, True, t1, float(line), TICKS / (t2 - t1), position, bpm)
        return Timeline(generation, True, time.perf_counter(), position, ticks_per_second(bpm), position, bpm)
    return Timeline(generation, False, 0.0, position, ticks_per_second(bpm), position, bpm)


class MirrorClock(Clock):
    """Keeps time by the :class:`Timeline` of a clock elsewhere (see the module docstring). Its transport
    follows the timelines it is fed: ``start``/``stop``/``set_bpm`` here do nothing (the real clock owns them)."""

    def __init__(self, now: TimeSource = time.perf_counter) -> None:
        super().__init__(now)
        self._line = Timeline(-1, False, 0.0, 0.0, ticks_per_second(120.0), 0.0, 120.0)

    def follow(self, line: Timeline, event: Transport | None = None) -> None:
        """Take the clock's timeline; a new generation is a discontinuity here too (waiters return and look
        again), any other change only moves the deadlines (waiters recompute them). ``event`` (the transport
        event that caused it, if any) goes to the :meth:`~Clock.on_transport` callbacks."""
        check_bpm(line.bpm)
        if not (math.isfinite(line.tps) and line.tps > 0):
            raise ValueError(f"ticks a second must be a positive number, not {line.tps!r}")
        with self._cond:
            old, self._line = self._line, line
            if line.generation != old.generation or line.running != old.running:
                self._bump_locked()
            else:
                self._cond.notify_all()
        if event is not None:
            self._emit(event, line.pos0 if line.running else line.held)

    @property
    def running(self) -> bool:
        return self._line.running

    @property
    def bpm(self) -> float:
        return self._line.bpm

    def set_bpm(self, bpm: float) -> None:
        """The real clock owns the tempo."""

    def start(self) -> None:
        """The real clock owns the transport."""

    def stop(self) -> None:
        """The real clock owns the transport."""

    def continue_(self) -> None:
        """The real clock owns the transport."""

    def position(self) -> float:
        line = self._line
        return line.pos0 + (self._now() - line.t0) * line.tps if line.running else line.held

    def time_at(self, position: float) -> float:
        return self._line.time_at(position)

    def _deadline_locked(self, position: float) -> float:
        return self._line.time_at(position)


__all__ = ["MirrorClock", "Timeline", "timeline_of"]
