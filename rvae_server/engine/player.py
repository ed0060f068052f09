"""The player: the only thread that talks to the sinks on time. It sends what is already planned — the drum plans
of a :class:`PlanSource` (the planner, or a mirror of its plans in the player process) and the lines of a
:class:`LineSource` (the melody layer) — each event at its absolute position on the clock (sleep until just before
the deadline, then spin), and asks for the next bar as its cursor moves. What is due when is the
:class:`~rvae_server.engine.cursor.Cursor`'s rule. It imports nothing that decodes (no model, no torch), so the
player process runs it as it is.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT
from rvae_server.engine.api import Clock, LineSink, NoteSink
from rvae_server.engine.cursor import Cursor, Due
from rvae_server.engine.plans import Plan

log = logging.getLogger(__name__)

#: An event a re-plan puts this far in the past (or less) is still played; anything older is skipped, never
#: played late (an XY change is heard from the next tick, not as a flam of past notes).
LATE_SECONDS = 0.002
#: Lateness records kept (seconds late of each sent event; for benchmarks and logs).
MAX_LATENESS_RECORDS = 100_000


class PlanSource(Protocol):
    """Where the player reads the drum plans: ``{(layer, bar): Plan}``, replaced whole (read without a lock)."""

    @property
    def plans(self) -> Mapping[tuple[int, int], Plan]: ...

    def request_bar(self, bar_number: int) -> None:
        """The player's cursor is in ``bar_number``: plan it and the next."""


class LineSource(Protocol):
    """Where the player reads the melody's plans and which sinks play them."""

    @property
    def plans(self) -> Mapping[tuple[int, int], Plan]: ...

    @property
    def sinks(self) -> Sequence[LineSink]: ...

    def silence(self) -> None:
        """Every line note off."""


class Player:
    """The player's thread and what it sends to (see the module docstring). ``channels`` gives the drum channels
    in use (all notes off on them at a stop). ``precise``: spin to each note's time, as a MIDI port needs; without,
    the player sleeps to it and spends no core (the built-in kit and the capture place notes by their time)."""

    def __init__(
        self,
        drums: PlanSource,
        lines: LineSource,
        clock: Clock,
        sinks: Sequence[NoteSink],
        channels: Callable[[], Iterable[int]],
        *,
        realtime_priority: int = 0,
        precise: bool = True,
    ) -> None:
        self._planner = drums
        self.precise = precise  # spin to each note's time (MIDI ports); False: sleep to it (outputs that schedule)
        self._melody = lines
        self._channels = channels
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
        """Send every planned event at its position; the only thread that talks to the sinks on time. What is due
        when — after a start, a jump or a re-plan — is the :class:`~rvae_server.engine.cursor.Cursor`'s rule.
        The thread asks for real-time priority (:func:`rvae_server.system.realtime.set_realtime_priority`) when the
        engine was given ``realtime_priority``."""
        if self.realtime_priority:
            from rvae_server.system.realtime import set_realtime_priority

            set_realtime_priority(self.realtime_priority)
        # the earliest latency offset of the sinks (s, negative = earlier): the player wakes that much earlier than
        # the notes' times; a sink with a later offset delays its notes itself (see outputs.sinks.MidiSink)
        shift = min((float(getattr(sink, "offset", 0.0)) for sink in self.sinks), default=0.0)
        generation = -1
        cursor = Cursor()
        was_running = False
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
                # plan where playing will resume, so its first bar is ready at the start
                self._planner.request_bar(math.floor(max(clock.position(), 0.0) / TICKS))
                clock.wait_for_change(seen, timeout=0.1)  # a Start is a new generation: heard at once
                continue
            if clock.generation != generation:
                generation = clock.generation
                position = clock.start_point()
                if not (fresh or cursor.position - 1.0 <= position <= cursor.position + 2.0):
                    fresh = True  # a jump (start, locate, song position): not a tempo change
                if fresh:
                    cursor.restart(position)
                    fresh = False
            bar_now = cursor.bar
            self._planner.request_bar(bar_now)
            token = clock.interrupts  # before the plans are read: a re-plan from here on ends the wait
            tables = (self._planner.plans, self._melody.plans)
            target = cursor.next_position(tables)
            shift_ticks = shift * clock.bpm * TICKS_PER_BEAT / 60.0
            if not clock.wait_until(target + shift_ticks, timeout=0.1, since=token, spin=self.precise):
                # interrupted (new plans), timed out, or the clock changed: look again. Only new plans can hold
                # events in the past (a timeout ends before the awaited event, and nothing else changed)
                if clock.interrupts != token and clock.generation == generation and clock.running:
                    late = LATE_SECONDS * clock.bpm / 60.0 * TICKS_PER_BEAT
                    tables = (self._planner.plans, self._melody.plans)
                    self._send(cursor.replanned(tables, clock.position() - shift_ticks, late, target), shift)
                continue
            tables = (self._planner.plans, self._melody.plans)  # the freshest plans at the moment of sending
            self._send(cursor.take(tables, target), shift)

    def _send(self, due: list[Due], shift: float) -> None:
        """Hand each due event to its sinks (a drum note to the engine's sinks, a line's note to the melody
        layer's) and record how late it went out."""
        if not due:
            return
        now = time.perf_counter()
        clock = self.clock
        for event in due:
            plan, i = event.plan, event.index
            when = clock.time_at(event.position)
            if plan.lengths is not None:  # a note of the melody's line: to its own sinks
                self._send_line(plan, i, when)
            else:
                channel = plan.channel if plan.channels is None else int(plan.channels[i])
                for sink in self.sinks:
                    sink.note(when, plan.layer, int(plan.instruments[i]), int(plan.notes[i]),
                              int(plan.velocities[i]), channel)  # fmt: skip
            if len(self.lateness) < self.max_lateness_records:
                self.lateness.append(now - when - shift)

    def _send_line(self, plan: Plan, i: int, when: float) -> None:
        """Note ``i`` of a line's plan to the melody layer's sinks, with its length in seconds."""
        seconds = self.clock.time_at(float(plan.positions[i] + plan.lengths[i])) - when  # type: ignore[index]
        for sink in self._melody.sinks:
            sink.line_note(when, int(plan.notes[i]), int(plan.velocities[i]), seconds, plan.channel)

    def all_notes_off(self) -> None:
        """Silence every channel the layers use, on every sink, and the melody layer."""
        channels = sorted(set(self._channels()))
        for sink in self.sinks:
            try:
                sink.all_notes_off(channels)
            except Exception:
                log.exception("all notes off failed on %r", sink)
        self._melody.silence()
