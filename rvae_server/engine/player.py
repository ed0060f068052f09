"""The player: the only thread that talks to the sinks on time. It sends what the planner already computed
(the layers' plans and the melody layer's), each event at its absolute position on the clock (sleep until just
before the deadline, then spin), and asks the planner for the next bar as its cursor moves. Mixed into
:class:`rvae_server.engine.engine.Engine`, whose plans, clock, sinks and planner hand-off it uses.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import numpy as np

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT
from rvae_server.engine.api import Clock, LayerState, NoteSink
from rvae_server.engine.plans import Plan

log = logging.getLogger(__name__)

#: An event a re-plan puts this far in the past (or less) is still played; anything older is skipped, never
#: played late (an XY change is heard from the next tick, not as a flam of past notes).
LATE_SECONDS = 0.002
NO_PLANS: dict[tuple[int, int], Plan] = {}  # the melody's plans when there is no melody layer


class Player:
    """Mixed into the engine (see the module docstring)."""

    clock: Clock
    sinks: list[NoteSink]
    realtime_priority: int
    lateness: list[float]
    max_lateness_records: int
    _quit: threading.Event
    _wake: threading.Condition
    _states: list[LayerState]
    _plans: dict[tuple[int, int], Plan]
    _wanted_bar: int
    _melody: Any

    def _send_line(self, plan: Plan, i: int, when: float) -> None:
        raise NotImplementedError

    def _player(self) -> None:
        """Send every planned event at its position; the only thread that talks to the sinks on time.

        When a re-plan interrupts a wait, the cursor moves up to the clock's position less
        :data:`LATE_SECONDS` (but never past the event it was waiting for): an event the re-plan put in the past
        is not played late, one due in the last moment still is, and one both plans hold is never lost.
        The thread asks for real-time priority (:func:`rvae_server.system.realtime.set_realtime_priority`) when the
        engine was given ``realtime_priority``."""
        if self.realtime_priority:
            from rvae_server.system.realtime import set_realtime_priority

            set_realtime_priority(self.realtime_priority)
        # the earliest latency offset of the sinks (s, negative = earlier): the player wakes that much earlier than
        # the notes' times; a sink with a later offset delays its notes itself (see outputs.sinks.MidiSink)
        shift = min((float(getattr(sink, "offset", 0.0)) for sink in self.sinks), default=0.0)
        generation = -1
        cursor = 0.0
        was_running = False
        sent: set[tuple[int, int, int, int]] = set()  # (layer, bar, tick, instrument) already played
        fresh = True  # the next clock generation starts a new timeline (after a stop, or at first)
        while not self._quit.is_set():
            clock = self.clock
            seen = clock.generation
            running = clock.running
            if running != was_running:
                was_running = running
                for sink in [*self.sinks, *(self._melody.sinks if self._melody is not None else ())]:
                    sink.transport(running)
                if not running:
                    fresh = True
                    self._all_notes_off()
            if not running:
                clock.wait_for_change(seen, timeout=0.1)  # a Start is a new generation: heard at once
                continue
            if clock.generation != generation:
                generation = clock.generation
                position = clock.position()
                if not (fresh or cursor - 1.0 <= position <= cursor + 2.0):
                    fresh = True  # a jump (start, locate, song position): not a tempo change
                if fresh:
                    cursor = position - 0.5  # play what is due within half a tick (an early downbeat)
                    sent.clear()
                    fresh = False
                    self._request_bar(math.floor(max(cursor, 0.0) / TICKS))
            bar_now = math.floor(max(cursor, 0.0) / TICKS)
            target = float((bar_now + 1) * TICKS)  # the next bar line
            token = clock.interrupts  # before the plans are read: a re-plan from here on ends the wait
            plans = self._plans
            lines = self._melody.plans if self._melody is not None else NO_PLANS
            for table in (plans, lines):
                for (_, bar_number), plan in table.items():
                    if bar_number < bar_now - 1 or bar_number > bar_now + 1:
                        continue
                    idx = int(np.searchsorted(plan.positions, cursor, side="right"))
                    if idx < plan.positions.size and plan.positions[idx] < target:
                        target = float(plan.positions[idx])
            shift_ticks = shift * clock.bpm * TICKS_PER_BEAT / 60.0
            if not clock.wait_until(target + shift_ticks, timeout=0.1, since=token):
                # interrupted (new plans), timed out, or the clock changed: look again. Only new plans can hold
                # events in the past (a timeout ends before the awaited event, and nothing else changed)
                if clock.interrupts != token and clock.generation == generation and clock.running:
                    # events before ``target`` can only come from the new plans (``target`` was the first event
                    # of the old ones): those already past are skipped; ``target`` and later still play
                    late = LATE_SECONDS * clock.bpm / 60.0 * TICKS_PER_BEAT
                    cursor = max(cursor, min(clock.position() - shift_ticks - late, target - 1e-6))
                    sent = self._enter_bar(bar_now, math.floor(max(cursor, 0.0) / TICKS), sent)
                continue
            now = time.perf_counter()
            plans = self._plans  # the freshest plans at the moment of sending
            lines = self._melody.plans if self._melody is not None else NO_PLANS
            for table in (plans, lines):
                for (layer, bar_number), plan in table.items():
                    if bar_number < bar_now - 1 or bar_number > bar_now + 1:
                        continue
                    lo = int(np.searchsorted(plan.positions, cursor, side="right"))
                    hi = int(np.searchsorted(plan.positions, target, side="right"))
                    for i in range(lo, hi):
                        key = (layer, bar_number, int(plan.ticks[i]), int(plan.instruments[i]))
                        if key in sent:
                            continue
                        sent.add(key)
                        when = clock.time_at(float(plan.positions[i]))
                        if plan.lengths is not None:  # a note of the melody's line: to its own sinks
                            self._send_line(plan, i, when)
                        else:
                            for sink in self.sinks:
                                sink.note(when, layer, int(plan.instruments[i]), int(plan.notes[i]),
                                          int(plan.velocities[i]), plan.channel)  # fmt: skip
                        if len(self.lateness) < self.max_lateness_records:
                            self.lateness.append(now - when - shift)
            sent = self._enter_bar(bar_now, math.floor(target / TICKS), sent)
            cursor = target

    def _enter_bar(
        self, bar_now: int, new_bar: int, sent: set[tuple[int, int, int, int]]
    ) -> set[tuple[int, int, int, int]]:
        """The player's cursor moved from ``bar_now`` into ``new_bar``: ask the planner for it and forget what was
        sent before the bar prior to it. Returns the ``sent`` set to keep."""
        if new_bar <= bar_now:
            return sent
        self._request_bar(new_bar)
        return {key for key in sent if key[1] >= new_bar - 1}

    def _request_bar(self, bar_number: int) -> None:
        with self._wake:
            self._wanted_bar = bar_number
            self._wake.notify_all()

    def _all_notes_off(self) -> None:
        channels = sorted({s.channel for s in self._states})
        for sink in self.sinks:
            try:
                sink.all_notes_off(channels)
            except Exception:
                log.exception("all notes off failed on %r", sink)
        if self._melody is not None:
            self._melody.silence()
