"""A hand-stepped clock: the engine's clock protocol (:class:`rvae_server.engine.api.Clock`) whose position moves
only when the test steps it, so a test can step a bar and then assert exactly what was sent, without sleeping."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from rvae_server.engine.clock import Transport, TransportCallback, check_bpm, ticks_per_second


@dataclass
class _Wait:
    """What a thread blocked in the clock waits for: a position (``wait_until``) or a change of generation."""

    position: float | None  # None: ``wait_for_change``
    generation: int
    interrupts: int


class SteppedClock:
    """The clock protocol on a position that only :meth:`step_to` / :meth:`advance` move.

    ``wait_until(position)`` returns True as soon as a step reaches ``position`` (False, as on every clock, on an
    interrupt, a discontinuity, a stop or close, or after ``timeout`` real seconds); ``wait_for_change`` returns
    on a new :attr:`generation`. Times are virtual: ``time_at`` maps positions onto a timeline that starts at 0 s
    when the clock is made and moves only with the steps (the line through :attr:`anchor` at the tempo), so a
    note's ideal time converts back to its exact position (:meth:`position_at`).

    After each step, :meth:`settle` blocks until every thread that waits on the clock is blocked again waiting for
    something the clock has not reached (so everything due up to the new position has been sent) and raises
    ``TimeoutError`` after ``timeout`` s. ``start`` puts the position at 0, ``continue_`` resumes where ``stop``
    held it, ``set_bpm`` changes the tempo (a discontinuity, as on the internal clock)."""

    def __init__(self, bpm: float = 120.0, *, timeout: float = 10.0) -> None:
        self._bpm = check_bpm(bpm)
        self.timeout = timeout
        self._cond = threading.Condition(threading.Lock())
        self._position = 0.0
        self._now = 0.0  # the virtual time at the position
        self._running = False
        self._generation = 0
        self._interrupts = 0
        self._closed = False
        self._waiting: dict[threading.Thread, _Wait | None] = {}  # every thread that waited; None: not waiting now
        self._callbacks: list[TransportCallback] = []

    # -- the clock protocol ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    @property
    def bpm(self) -> float:
        return self._bpm

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def interrupts(self) -> int:
        return self._interrupts

    @property
    def external_transport(self) -> bool:
        return False

    @property
    def anchor(self) -> tuple[float, float, float]:
        """``(t0, pos0, bpm)``: the virtual timeline passes position ``pos0`` at time ``t0``."""
        with self._cond:
            return self._now, self._position, self._bpm

    def position(self) -> float:
        return self._position

    def start_point(self) -> float:
        return self._position

    def time_at(self, position: float) -> float:
        with self._cond:
            return self._now + (position - self._position) / ticks_per_second(self._bpm)

    def position_at(self, when: float) -> float:
        """The position at virtual time ``when`` on the current timeline (the inverse of :meth:`time_at`)."""
        with self._cond:
            return self._position + (when - self._now) * ticks_per_second(self._bpm)

    def wait_for_change(self, generation: int, timeout: float | None = None) -> bool:
        with self._cond:
            return self._park(_Wait(None, generation, self._interrupts), timeout)

    def wait_until(
        self, position: float, timeout: float | None = None, since: int | None = None, spin: bool = True
    ) -> bool:
        with self._cond:
            wait = _Wait(position, self._generation, self._interrupts if since is None else since)
            self._park(wait, timeout)
            return not self._broken(wait) and self._position >= position

    def interrupt(self) -> None:
        with self._cond:
            self._interrupts += 1
            self._cond.notify_all()

    def set_bpm(self, bpm: float) -> None:
        bpm = check_bpm(bpm)
        with self._cond:
            if bpm == self._bpm:
                return
            self._bpm = bpm
            self._bump_locked()
        self._emit(Transport.TEMPO, self._position)

    def start(self) -> None:
        self._run_from(0.0, Transport.START)

    def continue_(self) -> None:
        self._run_from(self._position, Transport.CONTINUE)

    def stop(self) -> None:
        with self._cond:
            if not self._running:
                return
            self._running = False
            self._bump_locked()
        self._emit(Transport.STOP, self._position)

    def close(self) -> None:
        """Wake every waiter (they return False) and refuse further steps."""
        with self._cond:
            self._closed = True
            self._running = False
            self._bump_locked()

    def on_transport(self, callback: TransportCallback) -> None:
        self._callbacks.append(callback)

    # -- stepping -------------------------------------------------------------------------------------------
    def step_to(self, position: float, *, waiters: int = 0) -> None:
        """Move the running clock forward to ``position`` (ticks), then :meth:`settle`."""
        with self._cond:
            if not self._running or self._closed:
                raise RuntimeError("step the clock only while it runs (start it first)")
            if position < self._position:
                raise ValueError(f"the clock only moves forward: {position} < {self._position}")
            self._now += (position - self._position) / ticks_per_second(self._bpm)
            self._position = float(position)
            self._cond.notify_all()
        self.settle(waiters=waiters)

    def advance(self, ticks: float, *, waiters: int = 0) -> None:
        """Move the running clock forward by ``ticks``, then :meth:`settle`."""
        self.step_to(self._position + ticks, waiters=waiters)

    def settle(self, *, waiters: int = 0, timeout: float | None = None) -> None:
        """Block until at least ``waiters`` threads have waited on the clock and every one still alive is blocked
        in a wait the clock does not yet end. Raises ``TimeoutError`` (naming the busy threads) after ``timeout``
        (default :attr:`timeout`) seconds."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._cond:
            while True:
                busy = self._busy_locked()
                if not busy and len(self._waiting) >= waiters:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    names = ", ".join(t.name for t in busy) or f"fewer than {waiters} waiting thread(s)"
                    raise TimeoutError(f"the clock at {self._position} did not settle: busy {names}")
                self._cond.wait(min(left, 0.05))

    # -- internals ------------------------------------------------------------------------------------------
    def _park(self, wait: _Wait, timeout: float | None) -> bool:
        """With the lock held: block until ``wait`` ends (True) or ``timeout`` real seconds pass (False)."""
        me = threading.current_thread()
        self._waiting[me] = wait
        self._cond.notify_all()  # a settle() may be waiting for this thread to park
        try:
            return self._cond.wait_for(lambda: self._ended(wait), timeout)
        finally:
            self._waiting[me] = None

    def _ended(self, wait: _Wait) -> bool:
        if wait.position is None:
            return self._closed or self._generation != wait.generation
        return self._broken(wait) or self._position >= wait.position

    def _broken(self, wait: _Wait) -> bool:
        """A ``wait_until`` ends without reaching its position: closed, a discontinuity, an interrupt, a stop."""
        changed = self._generation != wait.generation or self._interrupts != wait.interrupts
        return self._closed or changed or not self._running

    def _busy_locked(self) -> list[threading.Thread]:
        for thread in [t for t in self._waiting if not t.is_alive()]:
            del self._waiting[thread]
        return [t for t, wait in self._waiting.items() if wait is None or self._ended(wait)]

    def _run_from(self, position: float, event: Transport) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the clock is closed")
            self._position = float(position)
            self._running = True
            self._bump_locked()
        self._emit(event, position)

    def _bump_locked(self) -> None:
        self._generation += 1
        self._cond.notify_all()

    def _emit(self, event: Transport, position: float) -> None:
        for callback in list(self._callbacks):
            callback(event, position)
