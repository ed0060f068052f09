"""The melody layer: a bass or melody line generated for the drum bar that is playing, planned ahead like drums.

The layer is tied to one drum layer. The engine tells it, after every planning round, the drum bars planned
for the bar playing and the next one (the thresholded pattern and the latent point it was decoded from,
:meth:`MelodyLayer.drums_planned`: cheap, any thread). Its own **worker thread** then makes a line for each
bar that needs one (:func:`rvae_server.melody.generate.generate`: one forward pass, candidates on the paper's grid
judged by its filters, bounded in attempts and time) and publishes plans the engine's player sends like drum plans:

* a bar that has started keeps its line (one is made at once only when it has none yet);
* the next bar's line is made once, when the bar playing reaches :data:`DECIDE_AT` (half the bar: 0.7 s ahead
  at 170 BPM), from the drum bar, latent point and settings planned for it at that moment: a new line when they
  differ from those of the bar before it, otherwise that bar's line again — **the melody changes at the bar line
  where the drums change**, and loops with them while they stay. A pad gesture or a slider costs no more work
  than one line a bar; what changes after that point is heard a bar later.

Plans carry note lengths (:attr:`rvae_server.engine.plans.Plan.lengths`, in ticks) and go to the layer's own
sinks (:class:`LineSink`: its own MIDI port and channel, the built-in synth). Generation never runs on the
player's thread, so a slow bar delays only itself: the player sends what is planned.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS, TICKS_PER_BEAT, Bar
from rvae_server.engine.api import ClockView, ControlError, EngineEvent, LineSink, clamp
from rvae_server.engine.plans import Plan
from rvae_server.melody.families import FAMILIES, OCTAVES, PROGRAMS, parse_family
from rvae_server.melody.generate import MAX_TEMPERATURE, MIN_TEMPERATURE, MelodyModel, MelodySettings, generate
from rvae_server.melody.keys import parse_key
from rvae_server.melody.line import Line

log = logging.getLogger(__name__)

#: The layer number melody plans carry (drum layers are 0, 1, …).
MELODY_LAYER = 100
#: The line of the next bar is made when the bar playing reaches this share of its length: with the drums and
#: settings of that moment (a change after it is heard a bar later), once, so a gesture costs no more work.
DECIDE_AT = 0.5
DEFAULT_CHANNEL = 1


@dataclass(frozen=True)
class MelodyState:
    """The melody layer's state: on or off, the drum layer it follows (0-based), its MIDI channel, and what it
    plays (:class:`~rvae_server.melody.generate.MelodySettings`)."""

    enabled: bool = True
    layer: int = 0
    channel: int = DEFAULT_CHANNEL
    settings: MelodySettings = field(default_factory=MelodySettings)

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "layer": self.layer, "channel": self.channel, **self.settings.to_dict()}


@dataclass(frozen=True, slots=True)
class _Made:
    drums: Bar
    latent: tuple[float, float]
    version: int
    line: Line
    seconds: float
    attempts: int
    passed: bool


def line_plan(bar_number: int, line: Line, channel: int, model: str) -> Plan:
    """The events of one bar of a line (absolute positions in ticks, lengths in ticks)."""
    return Plan(
        MELODY_LAYER, bar_number, Bar.empty(), (bar_number * TICKS + line.ticks).astype(np.float64),
        line.ticks.copy(), line.pitches.copy(), line.pitches.copy(), line.velocities.copy(), channel, model,
        lengths=line.lengths.astype(np.float64),
    )  # fmt: skip


class MelodyLayer:
    """The melody layer (see the module docstring). Control methods are thread-safe."""

    def __init__(
        self,
        model: MelodyModel,
        sinks: Sequence[LineSink] = (),
        *,
        state: MelodyState | None = None,
        seed: int | None = None,
        max_attempts: int = 32,
        time_budget: float = 0.05,
        batch: int = 4,
    ) -> None:
        self.model = model
        self.batch = batch  # candidates drawn at once (most bars pass with the first)
        self.sinks = list(sinks)
        self.max_attempts = max_attempts
        self.time_budget = time_budget
        self._state = state or MelodyState()
        self._version = 0  # bumped by every change (wakes the worker)
        self._settings_version = 0  # bumped by a change of what is played (a new line from the next bar)
        self._rng = np.random.default_rng(seed)
        self._cond = threading.Condition(threading.Lock())
        self._inputs: tuple[int, dict[int, tuple[Bar, tuple[float, float]]]] | None = None
        self._made: dict[int, _Made] = {}
        self._current = -1
        self._announced = -1
        self._dirty = False  # something for the worker to look at
        self._waiting_for = -1  # the bar whose line is to be made at the decision point
        self._published: tuple[Any, ...] = ()
        #: (MELODY_LAYER, bar) → plan; replaced whole, read lock-free by the player
        self.plans: dict[tuple[int, int], Plan] = {}
        self.on_plans: Callable[[], None] = lambda: None  # the engine: wake the player
        self.clock: ClockView | None = None  # the engine's clock: when to make the next bar's line
        self.emit: Callable[[EngineEvent], None] = lambda event: None  # the engine's listeners
        self.timings: list[float] = []  # seconds of each generation (bounded; for benchmarks)
        self.verdicts: list[bool] = []  # whether each generated bar passed the filters
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Send the family's program, warm the model up (its first pass is the slowest) and start the worker."""
        self._send_program()
        generate(self.model, np.zeros((1, TICKS, 9), dtype=np.float32), np.zeros((1, 2), dtype=np.float32),
                 self._state.settings, np.random.default_rng(0), max_attempts=1)  # fmt: skip
        self._thread = threading.Thread(target=self._worker, name="rvae-melody", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._quit.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    # ------------------------------------------------------------------------------------------ controls

    @property
    def state(self) -> MelodyState:
        return self._state

    def update(self, **changes: Any) -> list[str]:
        """Change settings: ``enabled``, ``layer`` (0-based), ``channel`` (1..16), ``key`` ("Am", "Eb", …),
        ``family`` (name or index), ``octave`` (0..8), ``density`` (0..1), ``temperature``, ``scale_lock``.
        Numbers out of range are clamped (the notes say so); anything unusable raises :class:`ControlError`."""
        notes: list[str] = []
        state = self._state
        settings: dict[str, Any] = {}
        top: dict[str, Any] = {}
        for name, value in changes.items():
            try:
                if name == "key":
                    settings[name] = parse_key(value)
                elif name == "family":
                    settings[name] = parse_family(value)
                elif name in ("octave", "density", "temperature", "channel"):
                    lo, hi = {"octave": (0, 8), "density": (0.0, 1.0), "channel": (1, 16),
                              "temperature": (MIN_TEMPERATURE, MAX_TEMPERATURE)}[name]  # fmt: skip
                    number, note = clamp(name, value, lo, hi)
                    if note:
                        notes.append(note)
                    if name == "channel":
                        top[name] = round(number)
                    else:
                        settings[name] = round(number) if name == "octave" else number
                elif name in ("scale_lock", "enabled"):
                    (settings if name == "scale_lock" else top)[name] = bool(value)
                elif name == "layer":
                    number, note = clamp(name, value, 0, 63)
                    top[name] = round(number)
                else:
                    raise ControlError(f"unknown melody setting {name!r}")
            except ValueError as err:
                raise ControlError(str(err)) from None
        if "family" in settings and "octave" not in settings:
            settings["octave"] = OCTAVES[FAMILIES[settings["family"]]]  # each family starts in its register
        with self._cond:
            old = self._state
            self._state = replace(state, **top, settings=replace(state.settings, **settings))
            self._version += 1
            self._dirty = True
            if settings or "layer" in top:
                self._settings_version += 1
            self._cond.notify_all()
        if self._state.channel != old.channel:
            self._silence([old.channel])
        if self._state.channel != old.channel or self._state.settings.family != old.settings.family:
            self._send_program()
        if not self._state.enabled and old.enabled:
            self._silence([old.channel])
        return notes

    def current_line(self) -> list[tuple[int, int, int, int]]:
        """``(tick, pitch, length, velocity)`` of the notes of the bar playing now (empty if none)."""
        made = self._made.get(self._current)
        return made.line.notes() if made is not None and self._state.enabled else []

    # ------------------------------------------------------------------------------------------ from the engine

    def drums_planned(self, current_bar: int, drums: Mapping[int, tuple[Bar, NDArray[np.floating]]]) -> None:
        """The drum bars (pattern, latent point) of the tied layer planned for ``current_bar`` and the next. Cheap;
        called by the engine after each planning round, on whichever thread planned."""
        inputs = {b: (bar, (round(float(z[0]), 3), round(float(z[1]), 3))) for b, (bar, z) in drums.items()}
        with self._cond:
            self._inputs = (current_bar, inputs)  # the worker reads the latest when it makes a line
            # wake it only when there is something to do: a new bar, or a bar without a line that is not already
            # waiting for its decision (a pad gesture's hundreds of re-plans a second wake it at most twice a bar)
            if current_bar != self._current or any(b not in self._made and b != self._waiting_for for b in inputs):
                self._dirty = True
                self._cond.notify_all()

    # ------------------------------------------------------------------------------------------ the worker

    def _worker(self) -> None:
        wake_at: float | None = None  # when the next bar's line is due to be made
        while not self._quit.is_set():
            with self._cond:
                while not self._quit.is_set() and not self._dirty:
                    if wake_at is not None and time.perf_counter() >= wake_at:
                        break
                    self._cond.wait(0.5 if wake_at is None else min(0.5, max(0.0, wake_at - time.perf_counter())))
                if self._quit.is_set():
                    return
                self._dirty = False
                seen, state, settings_version = self._inputs, self._state, self._settings_version
            if seen is None:
                continue
            try:
                wake_at = self._plan(seen[0], seen[1], state, settings_version)
            except Exception:  # the music goes on with the previous plans
                wake_at = None
                log.exception("melody planning failed; keeping the previous plans")

    def _until_decision(self, current: int) -> float:
        """Seconds until the next bar's line is made: when the bar playing reaches :data:`DECIDE_AT` (at once when
        the clock is stopped, or without a clock)."""
        clock = self.clock
        if clock is None or not clock.running:
            return 0.0
        ticks = (current + DECIDE_AT) * TICKS - clock.position()
        return ticks * 60.0 / (clock.bpm * TICKS_PER_BEAT)

    def _plan(self, current: int, inputs: dict[int, tuple[Bar, tuple[float, float]]], state: MelodyState,
              version: int) -> float | None:  # fmt: skip
        """Make the lines due; returns when to look again (``perf_counter`` time) or None."""
        self._announce(current, state)
        wake_at = None
        for bar_number in sorted(inputs):
            if bar_number in self._made:
                continue  # a line is made once, for a bar that has started or is about to
            if bar_number > current:
                wait = self._until_decision(current)
                if wait > 0:  # the drums and settings of that bar may still change: decide later
                    wake_at = time.perf_counter() + wait
                    self._waiting_for = bar_number
                    continue
            drums, latent = inputs[bar_number]
            before = self._made.get(bar_number - 1)
            if before is not None and before.drums == drums and before.latent == latent and before.version == version:
                made = replace(before, seconds=0.0)  # the drums stay: the line loops with them
            else:
                made = self._generate(drums, latent, state, version)
            self._made[bar_number] = made
        self._current = current
        for old in [b for b in self._made if b < current - 1]:
            del self._made[old]
        if wake_at is None:
            self._waiting_for = -1
        shown = tuple((b, id(m)) for b, m in sorted(self._made.items()) if current - 1 <= b <= current + 1)
        published = (current, shown, state.enabled, state.channel)
        if published != self._published:  # only a real change wakes the player
            self._published = published
            self._publish(current, state)
        self._announce(current, state)
        return wake_at

    def _announce(self, current: int, state: MelodyState) -> None:
        """Tell the listeners the line of the bar playing, once, as soon as it is known."""
        made = self._made.get(current)
        if current != self._announced and made is not None:
            self._announced = current
            notes = made.line.notes() if state.enabled else []
            self.emit(EngineEvent("melody", {"bar_number": current, "notes": notes, **state.to_dict()}))

    def _generate(self, drums: Bar, latent: tuple[float, float], state: MelodyState, version: int) -> _Made:
        start = time.perf_counter()
        heard = self.model.latent_for(drums.planes()[None], np.asarray(latent, dtype=np.float32)[None])
        out = generate(
            self.model, drums.velocities[None], heard, state.settings,
            self._rng, max_attempts=self.max_attempts, batch=self.batch, time_budget=self.time_budget,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        if len(self.timings) < 100_000:
            self.timings.append(seconds)
            self.verdicts.append(out.verdict.passed)
        return _Made(drums, latent, version, out.lines[0], seconds, out.attempts, out.verdict.passed)

    def _publish(self, current: int, state: MelodyState) -> None:
        plans: dict[tuple[int, int], Plan] = {}
        if state.enabled:
            for bar_number, made in self._made.items():
                if current - 1 <= bar_number <= current + 1:
                    plans[(MELODY_LAYER, bar_number)] = line_plan(bar_number, made.line, state.channel, self.model.name)
        self.plans = plans  # one reference swap
        self.on_plans()

    # ------------------------------------------------------------------------------------------ outputs

    def _send_program(self) -> None:
        state = self._state
        for sink in self.sinks:
            try:
                sink.program(state.channel, PROGRAMS[FAMILIES[state.settings.family]])
            except Exception:
                log.exception("program change failed on %r", sink)

    def silence(self) -> None:
        """All notes off on the layer's channel, on every sink."""
        self._silence([self._state.channel])

    def _silence(self, channels: list[int]) -> None:
        for sink in self.sinks:
            try:
                sink.all_notes_off(channels)
            except Exception:
                log.exception("all notes off failed on %r", sink)


__all__ = ["DEFAULT_CHANNEL", "MELODY_LAYER", "LineSink", "MelodyLayer", "MelodyState", "line_plan"]
