"""The clock interface and its waiting machinery (see :mod:`rvae_server.engine.clock` for units and conventions)."""

from __future__ import annotations

import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT
from rvae_server.core.tempo import MAX_BPM, MIN_BPM

log = logging.getLogger(__name__)

#: Seconds before a deadline at which ``wait_until`` stops sleeping and starts spinning.
SPIN_MARGIN = 0.0018
#: The spin's short sleeps (s): the GIL is free for this long each turn (see ``wait_until``).
SPIN_YIELD = 0.00005
#: Longest single sleep in ``wait_until``: the deadline is recomputed at least this often (tempo may move).
MAX_SLEEP = 0.1

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


def check_bpm(bpm: float) -> float:
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

    def start_point(self) -> float:
        """Where the timeline starts after a start, a continue or a jump: the position playing goes on from (a
        player sends the early notes of the bar there at it). The position, unless a clock knows better."""
        return self.position()

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
    def external_transport(self) -> bool:
        """True when another device owns start and stop (a MIDI clock master): ``start``/``stop`` only log."""
        return False

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

    def wait_until(
        self, position: float, timeout: float | None = None, since: int | None = None, spin: bool = True
    ) -> bool:
        """Block until the clock reaches ``position`` (True), or return False on timeout, on
        :meth:`interrupt` (any after ``since``, a value of :attr:`interrupts`; else after the call), on a
        discontinuity (see :attr:`generation`), when stopped or closed.

        Sleeps until :data:`SPIN_MARGIN` before the absolute deadline (recomputed after each wake-up),
        then spins to it; with ``spin=False`` it sleeps to the deadline itself (a fraction of a millisecond late,
        no core spent: for outputs that schedule by time themselves). A position already passed returns True at
        once (the caller decides whether a late event is still worth sending)."""
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
                if remaining > SPIN_MARGIN or not spin:
                    cond.wait(min(remaining - SPIN_MARGIN if spin else remaining, MAX_SLEEP, limit - t))
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
