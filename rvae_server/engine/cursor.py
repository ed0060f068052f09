"""The player's cursor: which planned events are due, and what a start, a jump or a re-plan does to them.

Pure bookkeeping — positions in, events out; no clock, no threads, no sinks — shared by the in-process player
(:mod:`rvae_server.engine.player`) and the player process (:mod:`rvae_server.session.player.child`), so both play
exactly the same notes.

Plans come as *tables*: ``{(layer, bar_number): Plan}`` (the drum plans, the melody's). Only the bars around the
cursor's (the previous, this one, the next) are looked at. An event is played once: ``(table, layer, bar, tick,
instrument)`` is remembered until its bar is two bars behind.

Rules:

* **Start and jumps** (:meth:`Cursor.restart` at position ``P``): events from half a tick before ``P`` on play; so
  do the *early* events of the bars from there (their grid tick at or after that point, their microtiming moving
  them up to a tick before it: a downbeat played a little early) — sent at once, at ``P``, never dropped.
* **Re-plans** (:meth:`Cursor.replanned`): a plan that replaces one the cursor had already looked at puts events
  in the past only because the performer changed something; those more than the late margin behind are skipped
  (an XY change is heard from the next tick, not as a flam of past notes). A plan for a bar the cursor had not
  seen yet (the first plan of a bar after a start or a jump, or a planner that fell behind) is not a change: its
  events since the cursor are played at once if at most :data:`CATCH_UP` ticks behind.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rvae_server.core.bar import TICKS
from rvae_server.engine.plans import Plan

#: How far before a start or jump point an early (negative microtiming) event of the bar there may lie: a tick.
EARLY = 1.0
#: Ticks behind the cursor that the events of a bar's first plan are still played at once (about 20–50 ms).
CATCH_UP = 4.0

Table = Mapping[tuple[int, int], Plan]
Key = tuple[int, int, int, int, int]  # (table, layer, bar, tick, instrument)


@dataclass(frozen=True, slots=True)
class Due:
    """An event to send: note ``index`` of ``plan`` from table ``table``, at ``position`` (its own, or the start
    point it was moved to)."""

    table: int
    plan: Plan
    index: int
    position: float


class Cursor:
    """Where the player is on the timeline (see the module docstring)."""

    def __init__(self) -> None:
        self.position = 0.0  # events at or before it are done (or skipped)
        self.start = -math.inf  # the last start or jump point: events before it are moved up to it
        self._floor = -math.inf  # no event before it plays, unless early for a bar from here on
        self._sent: set[Key] = set()
        self._seen: set[tuple[int, int, int]] = set()  # (table, layer, bar) plans already looked at

    @property
    def bar(self) -> int:
        """The bar the cursor is in (bar 0 for a start point before the first bar line)."""
        return math.floor(max(self.position, self._floor, 0.0) / TICKS)

    def restart(self, position: float) -> None:
        """A start or a jump to ``position``: forget what was sent and seen; play from there."""
        self._floor = position - 0.5  # what is due within half a tick plays (an early downbeat)
        self.start = position
        self.position = self._floor - EARLY
        self._sent.clear()
        self._seen.clear()

    def _window(self, tables: Sequence[Table]) -> Iterator[tuple[int, int, int, Plan]]:
        bar = self.bar
        for t, table in enumerate(tables):
            for (layer, bar_number), plan in table.items():
                if bar - 1 <= bar_number <= bar + 1:
                    yield t, layer, bar_number, plan

    def _eligible(self, plan: Plan, i: int) -> bool:
        """Not before the floor, unless an early event of a bar from the floor on."""
        return bool(plan.positions[i] > self._floor or plan.bar_number * TICKS + plan.ticks[i] >= self._floor)

    def next_position(self, tables: Sequence[Table]) -> float:
        """The position of the next event to send (moved up to the start point if before it), or the next bar
        line; remembers the plans it looked at (see :meth:`replanned`)."""
        target = float((self.bar + 1) * TICKS)
        for t, layer, bar_number, plan in self._window(tables):
            self._seen.add((t, layer, bar_number))
            positions = plan.positions
            i = int(np.searchsorted(positions, self.position, side="right"))
            while i < positions.size and positions[i] < target:
                if self._eligible(plan, i):
                    target = min(target, max(float(positions[i]), self.start))
                    break
                i += 1
        return target

    def take(self, tables: Sequence[Table], upto: float) -> list[Due]:
        """Every event not yet sent from the cursor up to ``upto`` (inclusive), in table order; the cursor moves
        to ``upto``. Events before the start point are given at the start point."""
        due: list[Due] = []
        for t, layer, bar_number, plan in self._window(tables):
            positions = plan.positions
            lo = int(np.searchsorted(positions, self.position, side="right"))
            hi = int(np.searchsorted(positions, upto, side="right"))
            for i in range(lo, hi):
                if not self._eligible(plan, i):
                    continue
                key = (t, layer, bar_number, int(plan.ticks[i]), int(plan.instruments[i]))
                if key in self._sent:
                    continue
                self._sent.add(key)
                due.append(Due(t, plan, i, max(float(positions[i]), self.start)))
        self._move(upto)
        return due

    def replanned(self, tables: Sequence[Table], now: float, late: float, target: float) -> list[Due]:
        """New plans arrived while waiting for ``target`` (the first event of the plans seen before) at position
        ``now``: events of first plans since the cursor (at most :data:`CATCH_UP` behind) are due at once; past
        events of re-plans more than ``late`` ticks behind are skipped. Returns what is due now."""
        due: list[Due] = []
        for t, layer, bar_number, plan in self._window(tables):
            if (t, layer, bar_number) in self._seen:
                continue
            positions = plan.positions
            lo = int(np.searchsorted(positions, self.position, side="right"))
            hi = int(np.searchsorted(positions, now, side="right"))
            for i in range(lo, hi):
                position = max(float(positions[i]), self.start)
                key = (t, layer, bar_number, int(plan.ticks[i]), int(plan.instruments[i]))
                if now - position <= CATCH_UP and self._eligible(plan, i) and key not in self._sent:
                    self._sent.add(key)
                    due.append(Due(t, plan, i, position))
        self._move(max(self.position, min(now - late, target - 1e-6)))
        return due

    def _move(self, position: float) -> None:
        before = self.bar
        self.position = position
        after = self.bar
        if after > before:
            self._sent = {key for key in self._sent if key[2] >= after - 1}
            self._seen = {key for key in self._seen if key[2] >= after - 1}


__all__ = ["CATCH_UP", "EARLY", "Cursor", "Due"]
