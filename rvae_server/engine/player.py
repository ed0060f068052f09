"""The player: the only thread that talks to the sinks on time. It sends what the planner already computed
(:attr:`Planner.plans <rvae_server.engine.planner.Planner.plans>` and the melody layer's), each event at its
absolute position on the clock (sleep until just before the deadline, then spin), and asks the planner for the
next bar as its cursor moves.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence

import numpy as np

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT
from rvae_server.engine.api import Clock, NoteSink
from rvae_server.engine.layers import Layers
from rvae_server.engine.melodyhost import MelodyHost
from rvae_server.engine.planner import Planner
from rvae_server.engine.plans import Plan

log = logging.getLogger(__name__)

#: An event a re-plan puts this far in the past (or less) is still played; anything older is skipped, never
#: played late (an XY change is heard from the next tick, not as a flam of past notes).
LATE_SECONDS = 0.002
#: Lateness records kept (seconds late of each sent event; for benchmarks and logs).
MAX_LATENESS_RECORDS = 100_000


class Player:
    """The player's thread and what it sends to (see the module docstring)."""

    def __init__(
        self,
        layers: Layers,
        planner: Planner,
        melody: MelodyHost,
        clock: Clock,
        sinks: Sequence[NoteSink],
        *,
        realtime_priority: int = 0,
    ) -> None:
        self._layers = layers
        self._planner = planner
        self._melody = melody
        self.clock = clock
        self.sinks = list(sinks)
        self.realtime_priority = realtime_priority  # SCHED_FIFO priority of the player thread (0: none)
        self.lateness: list[float] = []  # seconds late of each sent event (bounded; for benchmarks and logs)
        self.max_lateness_records = MAX_LATENESS_RECORDS
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rvae-player", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (the caller interrupts the clock so a wait ends)."""
        self._quit.set()
        self.clock.interrupt()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
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
                for sink in self.sinks:
                    sink.transport(running)
                for line_sink in self._melody.sinks:
                    line_sink.transport(running)
                if not running:
                    fresh = True
                    self.all_notes_off()
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
                    self._planner.request_bar(math.floor(max(cursor, 0.0) / TICKS))
            bar_now = math.floor(max(cursor, 0.0) / TICKS)
            target = float((bar_now + 1) * TICKS)  # the next bar line
            token = clock.interrupts  # before the plans are read: a re-plan from here on ends the wait
            plans = self._planner.plans
            lines = self._melody.plans
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
            plans = self._planner.plans  # the freshest plans at the moment of sending
            lines = self._melody.plans
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
                            channel = plan.channel if plan.channels is None else int(plan.channels[i])
                            for sink in self.sinks:
                                sink.note(when, layer, int(plan.instruments[i]), int(plan.notes[i]),
                                          int(plan.velocities[i]), channel)  # fmt: skip
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
        self._planner.request_bar(new_bar)
        return {key for key in sent if key[1] >= new_bar - 1}

    def _send_line(self, plan: Plan, i: int, when: float) -> None:
        """Note ``i`` of a line's plan to the melody layer's sinks, with its length in seconds."""
        seconds = self.clock.time_at(float(plan.positions[i] + plan.lengths[i])) - when  # type: ignore[index]
        for sink in self._melody.sinks:
            sink.line_note(when, int(plan.notes[i]), int(plan.velocities[i]), seconds, plan.channel)

    def all_notes_off(self) -> None:
        """Silence every channel the layers use, on every sink, and the melody layer."""
        channels = sorted({c for s in self._layers.states for c in (s.channel, *s.channels) if c})
        for sink in self.sinks:
            try:
                sink.all_notes_off(channels)
            except Exception:
                log.exception("all notes off failed on %r", sink)
        self._melody.silence()
