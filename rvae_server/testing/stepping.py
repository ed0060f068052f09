"""Driving an engine on a :class:`~rvae_server.testing.clock.SteppedClock`: step to a position, and every note due
up to it has been sent, planned by then as the live engine would have planned it. Only the engine's public control
API is used (its listener events, ``planned``, ``play``, ``stop``)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rvae_server.core.bar import TICKS
from rvae_server.testing.clock import SteppedClock

if TYPE_CHECKING:
    from rvae_server.engine.api import EngineControl, EngineEvent


class EngineStepper:
    """Steps ``clock`` (the engine's clock) and waits for the engine to catch up.

    The player sends what is due as soon as a step reaches it (:meth:`SteppedClock.settle` waits until it is
    blocked again). At each bar line the stepper also waits for the planner's round for the new bar (its ``"bar"``
    event): that round plans the bar after it, so no step ever runs ahead of the plans. Steps never jump a bar
    line: :meth:`step_to` stops at each one on the way.

    Control changes are planned on the caller's thread, heard from the next step; except that the engine plans the
    changes made within a few milliseconds of planning a bar in motion together, later, on its planner thread (the
    tests turn that off: tests/conftest.py's ``plan_inline``). What the engine does on its own in real time (an
    implicit touch ending) is planned on that thread too: :meth:`mark`, then :meth:`wait_plan` for its plan."""

    def __init__(self, engine: EngineControl, clock: SteppedClock, timeout: float = 10.0) -> None:
        self.engine = engine
        self.clock = clock
        self.timeout = timeout
        self._cond = threading.Condition()
        self._bars: list[int] = []  # the bar number of each "bar" event (one per layer and planning round)
        self._plans: list[tuple[int, int]] = []  # (layer, bar number) of each "plan" event
        self._run_start = 0  # index in _bars at the last play()
        engine.add_listener(self._hear)

    def _hear(self, event: EngineEvent) -> None:
        if event.kind in ("bar", "plan"):
            with self._cond:
                if event.kind == "bar":
                    self._bars.append(int(event.data["bar_number"]))
                else:
                    self._plans.append((int(event.data["layer"]), int(event.data["bar_number"])))
                self._cond.notify_all()

    # -- transport ------------------------------------------------------------------------------------------
    def play(self) -> None:
        """Start the transport at position 0 and wait until bars 0 and 1 are planned and the downbeat is sent."""
        with self._cond:
            self._run_start = len(self._bars)
            current = self._bars[-1] if self._bars else None
        self.engine.play()
        if current is None:  # the engine's first round may not have been heard: look at the plans held
            layers = range(self.engine.layer_count)
            self.wait(lambda: all({0, 1} <= {p["bar_number"] for p in self.engine.planned(k)} for k in layers))
        elif current != 0:  # the planner goes back to bar 0 (a round of its own)
            self._wait_bar(0)
        self.settle()

    def stop(self) -> None:
        """Stop the transport and wait until the player has silenced the outputs."""
        self.engine.stop()
        self.settle()

    # -- stepping -------------------------------------------------------------------------------------------
    def step_to(self, position: float) -> None:
        """Step the clock to ``position`` (ticks), bar line by bar line."""
        self.settle()
        while self.clock.position() < position:
            line = float((math.floor(self.clock.position() / TICKS) + 1) * TICKS)
            self.clock.step_to(min(position, line), waiters=1)
            if self.clock.position() == line:
                self._wait_bar(int(line) // TICKS)
                self.settle()

    def advance(self, ticks: float) -> None:
        """Step the clock forward by ``ticks``."""
        self.step_to(self.clock.position() + ticks)

    def bar(self, number: int, tick: float = 0.0) -> None:
        """Step to tick ``tick`` of bar ``number``."""
        self.step_to(number * TICKS + tick)

    def settle(self) -> None:
        """Wait until the player has sent everything due and waits for what is not."""
        self.clock.settle(waiters=1, timeout=self.timeout)

    # -- waiting for the planner ----------------------------------------------------------------------------
    def mark(self) -> int:
        """A point in the stream of ``"plan"`` events, for :meth:`wait_plan`."""
        with self._cond:
            return len(self._plans)

    def wait_plan(self, layer: int, bar: int, since: int, count: int = 1) -> None:
        """Wait until ``count`` new plans of ``layer``'s bar ``bar`` were made after :meth:`mark` gave ``since``,
        then until the player has taken them up."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self._plans[since:].count((layer, bar)) >= count, self.timeout)
        if not ok:
            raise TimeoutError(f"no new plan for layer {layer + 1}'s bar {bar} within {self.timeout} s")
        self.settle()

    def wait(self, predicate: Callable[[], bool], timeout: float | None = None) -> None:
        """Poll ``predicate`` until it holds (for what moves in real time: an implicit touch ending)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{predicate} did not hold within {self.timeout} s")
            time.sleep(0.002)

    def _wait_bar(self, number: int) -> None:
        with self._cond:
            ok = self._cond.wait_for(lambda: number in self._bars[self._run_start :], self.timeout)
        if not ok:
            raise TimeoutError(f"the planner did not start bar {number} within {self.timeout} s")
